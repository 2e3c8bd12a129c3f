"""Nothing you have is lost (issue 21, cases 1, 2, 12, 13, 16, 17, 18): the user's edits to files the tool
wrote are refused or kept, no injected failure loses both versions of a file, one run at a time, and
every odd --out is one line and exit 2 with the files on disk unchanged, byte for byte."""

import errno
import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest

from proofs.export.manifest import LOCK, MANIFEST, OutputError
from proofs.export.outdir import OutputDir
from proofs.run.cli import main

FAST = "ratio-b1-b3"  # 0.6 s; writes latex/, results.json, REPORT.md, BOOK_VS_RUN.md


def run(out, *args) -> int:
    return main(["--out", str(out), "--only", FAST, "-q", *args])


def one_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0], err
    return err[0]


def snapshot(folder: Path) -> dict:
    """{relative path: bytes} of every file under ``folder`` (the lock file's pid aside)."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != LOCK}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- 1. the user's edits to files the tool wrote ------------------------------------------------------
def test_edits_to_our_files_are_refused_then_kept_as_backups_with_force(tmp_path, capsys):
    assert run(tmp_path) == 0
    main_tex, results = tmp_path / "latex" / "main.tex", tmp_path / "results.json"
    main_tex.write_bytes(main_tex.read_bytes() + b"% my note\n")
    results.write_bytes(results.read_bytes().replace(b'"proved"', b'"PROVED BY ME"', 1))
    capsys.readouterr()
    before = snapshot(tmp_path)
    assert run(tmp_path) == 2
    line = one_line(capsys)
    assert "you changed since" in line and "latex/main.tex" in line and "results.json" in line
    assert snapshot(tmp_path) == before  # refused before any claim ran: every byte as it was
    assert run(tmp_path, "--force") == 0
    err = capsys.readouterr().err
    assert "kept your version of latex/main.tex as latex/main.tex.bak" in err
    assert "kept your version of results.json as results.json.bak" in err
    assert (tmp_path / "latex" / "main.tex.bak").read_bytes() == before["latex/main.tex"]
    assert (tmp_path / "results.json.bak").read_bytes() == before["results.json"]
    assert b"% my note" not in main_tex.read_bytes()
    assert run(tmp_path) == 0  # the new files are ours again: no --force needed


def test_stale_fragments_are_removed_and_an_edited_one_is_kept(tmp_path, capsys):
    assert run(tmp_path, "--only", "ratio-b1-b3,eq115-121-cascade") == 0
    edited = tmp_path / "latex" / "eq115-121-cascade-table.tex"
    edited.write_bytes(edited.read_bytes() + b"% mine\n")
    mine = edited.read_bytes()
    assert run(tmp_path) == 0  # ratio-b1-b3 only
    assert "left latex/eq115-121-cascade-table.tex in place" in capsys.readouterr().err
    assert edited.read_bytes() == mine
    described = {c["id"] for c in json.loads((tmp_path / "results.json").read_text())["claims"]}
    assert described == {"ratio-b1-b3"}
    fragments = {p.name for p in (tmp_path / "latex").glob("*.tex")} - {"macros.tex", "main.tex"}
    assert fragments - {edited.name} == {n for n in fragments if n.startswith("ratio-b1-b3")}
    manifest = json.loads((tmp_path / MANIFEST).read_text())["files"]
    assert "latex/eq115-121-cascade.tex" not in manifest and edited.relative_to(tmp_path).as_posix() not in manifest
    assert all(list(manifest[rel]) == [sha((tmp_path / rel).read_bytes())] for rel in manifest)


# -- 2. no failure point loses both versions ------------------------------------------------------------
class Faults:
    """Makes the n-th call of fsync, link, replace or unlink fail (ENOSPC), as a full disk or a crash there does."""

    def __init__(self, monkeypatch, n: int):
        self.n, self.calls, self.hit = n, 0, None
        for name in ("fsync", "link", "replace", "unlink"):
            real = getattr(os, name)
            monkeypatch.setattr(os, name, self._wrap(name, real))

    def _wrap(self, name, real):
        def call(*args, **kwargs):
            self.calls += 1
            if self.calls == self.n:
                self.hit = name
                raise OSError(errno.ENOSPC, f"injected failure in {name}")
            return real(*args, **kwargs)
        return call


PLAN = ["ours.txt", "edited.txt", "foreign.txt", "sub/new.txt"]
OLD = {"ours.txt": b"ours 1\n", "edited.txt": b"edited 1\n", "stale.txt": b"stale 1\n"}
NEW = {rel: f"{rel} 2\n".encode() for rel in PLAN}
USERS = {"edited.txt": b"the user's edit\n", "foreign.txt": b"the user's own file\n"}


def earlier_run(root: Path) -> None:
    with OutputDir(root) as out:
        out.preflight(list(OLD))
        out.write_many(OLD)
        out.finish()
    (root / "edited.txt").write_bytes(USERS["edited.txt"])
    (root / "foreign.txt").write_bytes(USERS["foreign.txt"])


def forced_run(root: Path) -> None:
    with OutputDir(root, force=True) as out:
        out.preflight(PLAN)
        out.write_many({rel: NEW[rel] for rel in PLAN[:2]})  # as the CLI does: a batch per claim, then the rest
        out.write_many({rel: NEW[rel] for rel in PLAN[2:]})
        out.finish()


def check_nothing_lost(root: Path) -> None:
    for rel in PLAN:
        on_disk = (root / rel).read_bytes() if (root / rel).exists() else None
        old = USERS.get(rel, OLD.get(rel))
        assert on_disk in (old, NEW[rel]), rel
        if rel in USERS and on_disk != USERS[rel]:  # replaced: the user's version must be in the backup
            assert (root / f"{rel}.bak").read_bytes() == USERS[rel], rel
    assert (root / "stale.txt").read_bytes() == OLD["stale.txt"] if (root / "stale.txt").exists() else True
    assert not [p for p in root.rglob("*.tmp")]
    with OutputDir(root) as out:  # whatever is on disk and not the user's is recognised as ours
        for rel in PLAN + ["stale.txt"]:
            state = out.manifest.state(rel)
            user_content = rel in USERS and (root / rel).read_bytes() == USERS[rel]
            assert state in (("edited", "foreign") if user_content else ("ours", "absent")), (rel, state)


def test_no_injected_failure_loses_both_versions_of_a_file(tmp_path, monkeypatch):
    points = []
    for n in range(1, 100):
        root = tmp_path / str(n)
        root.mkdir()
        earlier_run(root)
        with monkeypatch.context() as m:
            faults = Faults(m, n)
            try:
                forced_run(root)
            except OSError:
                pass
        check_nothing_lost(root)
        if faults.hit is None:
            break
        points.append(faults.hit)
        forced_run(root)  # the next run, without faults, completes from any of these states
        assert all((root / rel).read_bytes() == NEW[rel] for rel in PLAN) and not (root / "stale.txt").exists()
        assert {rel: (root / f"{rel}.bak").read_bytes() for rel in USERS} == USERS
    assert {"fsync", "link", "replace", "unlink"} <= set(points), points  # every kind of step was hit


def test_force_on_a_full_disk_keeps_the_users_file(tmp_path, monkeypatch, capsys):
    """Case 2: --force replaces the user's REPORT.md, and the disk fills while the manifest is saved."""
    (tmp_path / "REPORT.md").write_bytes(b"my report\n")
    real, calls = os.fsync, {"n": 0}

    def fsync(fd):
        calls["n"] += 1
        if calls["n"] > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    assert run(tmp_path, "--force") == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err and "Traceback" not in err
    mine = [p for p in (tmp_path / "REPORT.md", tmp_path / "REPORT.md.bak") if p.exists()]
    assert any(p.read_bytes() == b"my report\n" for p in mine)


# -- 12. one run at a time ---------------------------------------------------------------------------
def test_a_second_run_into_the_same_folder_is_refused_while_the_first_holds_it(tmp_path, capsys):
    with OutputDir(tmp_path):  # another run in progress (flock is per open file: this process counts)
        assert run(tmp_path) == 2
        line = one_line(capsys)
        assert f"another python -m proofs run (process {os.getpid()}) is writing there" in line
        assert not (tmp_path / "results.json").exists()
    assert run(tmp_path) == 0


# -- 13. symbolic links as --out -------------------------------------------------------------------------
def test_symlink_loops_and_dangling_links_as_out_are_one_line(tmp_path, capsys):
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    assert run(tmp_path / "loop") == 2
    assert "symbolic link loop" in one_line(capsys)
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    assert run(tmp_path / "dangling") == 2
    assert f"a symbolic link to {tmp_path / 'nowhere'}, which does not exist" in one_line(capsys)
    assert not (tmp_path / "nowhere").exists()


# -- 16. a damaged manifest --------------------------------------------------------------------------------
@pytest.mark.parametrize("manifest", ['{"files": [1]}', '{"files": ["../outside.txt"]}', '{"files": {"a": "b"}}',
                                      '[]', 'not json'])
def test_a_damaged_or_hostile_manifest_is_one_line(tmp_path, capsys, manifest):
    (tmp_path / MANIFEST).write_text(manifest)
    assert run(tmp_path) == 2
    assert "is not a manifest written by python -m proofs" in one_line(capsys)
    assert snapshot(tmp_path) == {MANIFEST: manifest.encode()}


# -- 17. a sub-folder that cannot be written -----------------------------------------------------------------
def _make_unwritable(folder: Path) -> bool:
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return True
    return subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0


def _make_writable(folder: Path) -> None:
    if os.geteuid() != 0:
        folder.chmod(0o755)
    else:
        subprocess.run(["chattr", "-i", str(folder)], capture_output=True)


def test_an_unwritable_sub_folder_is_found_before_any_claim_runs(tmp_path, capsys):
    assert run(tmp_path) == 0
    capsys.readouterr()
    before = snapshot(tmp_path)
    if not _make_unwritable(tmp_path / "latex"):
        pytest.skip("neither chmod nor chattr can make a folder unwritable here")
    try:
        assert run(tmp_path, "--only", "ratio-b1-b3,sigmoid-prime-max") == 2
        line = one_line(capsys)
    finally:
        _make_writable(tmp_path / "latex")
    assert "latex/ (cannot write there" in line
    after = snapshot(tmp_path)
    assert after == before  # no new figures beside the old results.json: nothing ran


# -- 18. the smaller ones ---------------------------------------------------------------------------------------
def test_empty_out_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["--out", "", "--only", FAST, "-q"]) == 2
    assert "--out is empty" in one_line(capsys) and list(tmp_path.iterdir()) == []


def test_a_symlinked_sub_folder_is_refused_and_nothing_is_written_outside(tmp_path, capsys):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (out / "figures").symlink_to(elsewhere)
    assert main(["--out", str(out), "--only", "sigmoid-prime-max", "-q"]) == 2
    assert "figures (a symbolic link where a folder must be" in one_line(capsys)
    assert list(elsewhere.iterdir()) == [] and not (out / "results.json").exists()


# The temporary files of a killed run: tests/test_reliability_folder.py (by the token the killed run recorded).


def test_outputdir_refuses_undeclared_and_users_files_mid_run(tmp_path):
    with OutputDir(tmp_path) as out:
        out.preflight(["a.txt"])
        with pytest.raises(OutputError, match="not declared"):
            out.write("b.txt", "x")
        (tmp_path / "a.txt").write_text("appeared while the claims ran")
        with pytest.raises(OutputError, match="it is yours"):
            out.write("a.txt", "x")
    assert (tmp_path / "a.txt").read_text() == "appeared while the claims ran"
