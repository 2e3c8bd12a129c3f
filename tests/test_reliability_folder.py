"""Nothing deleted that the run did not write (issue 32, defects 1, 2, 6, 11, 12, 14): a manifest entry counts only
with a digest matching the file on a path of real folders inside --out; the lock and temporary files are names the
run alone makes; a refused or interrupted run leaves nothing it made; every odd lock is one line."""

import hashlib
import json
import os
import select
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from proofs.export.manifest import LOCK, MANIFEST
from proofs.run.cli import main

ROOT = Path(__file__).resolve().parents[1]
Q = ["--only", "sigmoid-derivative", "--jobs", "1", "-q"]  # the fast run: 0.02 s of claims


def run(out, *args) -> int:
    return main(["--out", str(out), *Q, *args])


def one_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0], err
    return err[0]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def listing(folder: Path) -> dict:
    """{relative path: bytes, or "dir/"} of everything under ``folder``."""
    return {p.relative_to(folder).as_posix(): "dir/" if p.is_dir() else p.read_bytes()
            for p in sorted(folder.rglob("*"))}


# -- 1. a manifest followed through a symbolic link or a hard link ---------------------------------------------------
@pytest.mark.parametrize("digest", [None, "real"])
def test_a_manifest_entry_through_a_symlinked_folder_deletes_nothing_outside(tmp_path, digest):
    v, o = tmp_path / "v", tmp_path / "o"
    v.mkdir()
    o.mkdir()
    (v / "n.txt").write_text("precious\n")
    (o / "sub").symlink_to(v)
    entry = None if digest is None else [sha(b"precious\n")]
    (o / MANIFEST).write_text(json.dumps({"files": {"sub/n.txt": entry}}))
    assert run(o) == 0
    assert (v / "n.txt").read_text() == "precious\n"
    assert "sub/n.txt" not in json.loads((o / MANIFEST).read_text())["files"]  # not ours: no longer listed


def test_a_manifest_entry_hard_linked_to_a_file_outside_is_not_ours(tmp_path):
    v, o = tmp_path / "v", tmp_path / "o"
    v.mkdir()
    o.mkdir()
    (v / "n.txt").write_text("precious\n")
    os.link(v / "n.txt", o / "n.txt")
    (o / MANIFEST).write_text(json.dumps({"files": {"n.txt": [sha(b"precious\n")]}}))
    assert run(o) == 0
    assert (o / "n.txt").read_text() == "precious\n" and os.stat(v / "n.txt").st_nlink == 2


# -- 2. entries without a digest prove nothing -----------------------------------------------------------------------
def test_a_names_only_manifest_deletes_nothing(tmp_path):
    (tmp_path / "thesis.tex").write_text("thesis\n")
    (tmp_path / MANIFEST).write_text('{"files":["thesis.tex"]}')
    assert run(tmp_path) == 0
    assert (tmp_path / "thesis.tex").read_text() == "thesis\n"


def test_a_null_digest_does_not_make_the_users_file_ours(tmp_path, capsys):
    main_tex = tmp_path / "latex" / "main.tex"
    main_tex.parent.mkdir()
    main_tex.write_text("my paper\n")
    (tmp_path / MANIFEST).write_text('{"files":{"latex/main.tex":null}}')
    assert run(tmp_path) == 2
    assert "latex/main.tex" in one_line(capsys) and main_tex.read_text() == "my paper\n"
    assert run(tmp_path, "--force") == 0
    assert (tmp_path / "latex" / "main.tex.bak").read_text() == "my paper\n"


# -- 6. a manifest nested beyond any depth ---------------------------------------------------------------------------
def test_a_deeply_nested_manifest_is_one_line(tmp_path, capsys):
    text = "[" * 100000 + "]" * 100000
    (tmp_path / MANIFEST).write_text(text)
    assert run(tmp_path) == 2
    assert "is not a manifest written by python -m proofs" in one_line(capsys)
    assert listing(tmp_path) == {MANIFEST: text.encode()}


# -- 11. the lock file is never opened over what is there ------------------------------------------------------------
def test_a_users_file_named_like_the_lock_is_kept(tmp_path, capsys):
    (tmp_path / LOCK).write_text("notes\n")
    assert run(tmp_path) == 2
    assert LOCK in one_line(capsys)
    assert listing(tmp_path) == {LOCK: b"notes\n"}


def test_a_lock_hard_linked_to_a_file_outside_is_not_written_through(tmp_path, capsys):
    outside, o = tmp_path / "outside.txt", tmp_path / "o"
    outside.write_text("notes\n")
    o.mkdir()
    os.link(outside, o / LOCK)
    assert run(o) == 2
    assert LOCK in one_line(capsys) and outside.read_text() == "notes\n"


def test_a_fifo_as_the_lock_is_one_clear_line(tmp_path, capsys):
    os.mkfifo(tmp_path / LOCK)
    start = time.monotonic()
    assert run(tmp_path) == 2
    line = one_line(capsys)
    assert time.monotonic() - start < 5
    assert "not a regular file" in line and "Invalid argument" not in line


def test_a_stale_lock_of_a_killed_run_is_taken_over_with_a_line(tmp_path, capsys):
    killed = textwrap.dedent(f"""
        import os
        from proofs.export.outdir import OutputDir
        out = OutputDir({str(tmp_path)!r})
        os._exit(9)  # as SIGKILL would: no clean-up
    """)
    subprocess.run([sys.executable, "-c", killed], cwd=ROOT, env=os.environ | {"PYTHONPATH": str(ROOT)}, check=False)
    assert (tmp_path / LOCK).exists()
    assert run(tmp_path) == 0
    assert "took over" in capsys.readouterr().err
    assert not (tmp_path / LOCK).exists()


# -- 12. clean-up never matches the user's files ---------------------------------------------------------------------
def test_clean_up_never_matches_the_users_files(tmp_path):
    assert run(tmp_path) == 0
    mine = {".write-test-my-notes.txt": b"notes", ".REPORT.md.draft_v2.tmp": b"draft",
            "latex/.main.tex.k3x9_a2b.tmp": b"mine too"}
    for rel, data in mine.items():
        (tmp_path / rel).write_bytes(data)
    assert run(tmp_path) == 0
    assert run(tmp_path) == 0
    assert {rel: (tmp_path / rel).read_bytes() for rel in mine} == mine


def test_temporary_files_of_a_killed_run_are_removed_by_the_next(tmp_path, capsys):
    """A run killed inside a write (between the temporary file and its rename) leaves its temporary file; the next run
    takes over its lock and removes exactly the temporary files named with that run's recorded token."""
    killed = textwrap.dedent(f"""
        import os
        from proofs.export.outdir import OutputDir
        out = OutputDir({str(tmp_path)!r})
        out.preflight(["a.txt", "sub/b.txt"])
        os.replace = lambda *a: os._exit(9)  # killed between writing the temporary file and renaming it
        out.write_many({{"sub/b.txt": "b"}})
    """)
    subprocess.run([sys.executable, "-c", killed], cwd=ROOT, env=os.environ | {"PYTHONPATH": str(ROOT)}, check=False)
    left = [p for p in tmp_path.rglob("*.tmp")]
    assert left  # the manifest's, saved first: the run was killed there
    users = tmp_path / f".{MANIFEST}.abcdefgh.tmp"  # the old pattern of a temporary name: not made by that run
    users.write_bytes(b"mine")
    assert run(tmp_path) == 0
    assert not any(p.exists() for p in left) and "took over" in capsys.readouterr().err
    assert users.read_bytes() == b"mine"


# -- 14. a refused or interrupted run leaves nothing it made ---------------------------------------------------------
def test_a_refused_run_leaves_only_what_was_there(tmp_path, capsys):
    user = tmp_path / "user"
    user.mkdir()
    (user / "results.json").write_text('{"mine": true}\n')
    assert main(["--out", str(user), "--only", "sigmoid-prime-max", "--jobs", "1", "-q"]) == 2
    assert "results.json" in one_line(capsys)
    assert listing(user) == {"results.json": b'{"mine": true}\n'}


def test_a_refused_run_into_a_new_folder_leaves_no_folder(tmp_path, capsys):
    (tmp_path / "data.txt").write_text("not mnist")
    out = tmp_path / "new" / "out"
    assert main(["--out", str(out), *Q, "--mnist", str(tmp_path / "data.txt")]) == 2
    one_line(capsys)
    assert not (tmp_path / "new").exists()


def test_a_finished_run_leaves_no_lock(tmp_path):
    assert run(tmp_path) == 0
    assert not (tmp_path / LOCK).exists()


def _as_from_a_terminal():
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_run_leaves_no_lock(tmp_path, sig):
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "waiting_cli.py"), "--out", str(tmp_path), "--jobs",
                             "1", "--only", "test-waiting"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=os.environ | {"PYTHONPATH": str(ROOT)},
                            start_new_session=True, preexec_fn=_as_from_a_terminal)
    ready, _, _ = select.select([proc.stdout], [], [], 60)
    assert ready and "claim on" in proc.stdout.readline()  # one claim
    time.sleep(0.3)
    assert (tmp_path / LOCK).exists()
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + sig, err
    said = [line for line in err.splitlines() if not line.startswith("        ...")]  # a part's progress aside
    assert len(said) == 1 and "Traceback" not in err, err
    assert not (tmp_path / LOCK).exists() and not [p for p in tmp_path.rglob("*.tmp")]
