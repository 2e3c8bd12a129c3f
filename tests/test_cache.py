"""The cache (proofs.run.cache): a warm run writes what a cold run writes, byte for byte, and says "cached"; an entry
is reused only for the same source, libraries, data, seed and settings; a damaged, foreign or linked entry is
recomputed, never trusted; entries are plain data (no pickle); the folder stays within its bound; nothing but the
cache's own files is ever removed."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from proofs.run import cache as cache_module
from proofs.run.cache import Cache, NotPlain, decode, encode

ROOT = Path(__file__).resolve().parents[1]
QUICK = ["--only", "sigmoid-prime-max,eq123-width-maximum,phase-chapter-network", "--jobs", "1"]


def _run(out: Path, *extra):
    """One run in this process (the digits and modules loaded once); returns (exit status, standard output)."""
    import contextlib
    import io

    from proofs.run.cli import main

    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        status = main(["--out", str(out), *QUICK, *extra])
    return status, stdout.getvalue()


def _tree(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_plain_data_round_trips_exactly_and_nothing_else_is_encoded():
    value = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), (784, 30, 10): [1, 2.5, float("nan"), -0.0],
             3: (True, None, "x", np.float64(0.1), np.int64(7)), "b": b"\x00png", "deep": [{"k": (1, (2,))}]}
    back = decode(json.loads(json.dumps(encode(value))))
    assert back.keys() == value.keys() and back[(784, 30, 10)][:2] == [1, 2.5] and np.isnan(back[(784, 30, 10)][2])
    assert np.array_equal(back["a"], value["a"]) and back["a"].dtype == np.float32
    assert back[3] == value[3] and type(back[3][3]) is np.float64 and back["b"] == b"\x00png"
    assert str(back[(784, 30, 10)][3]) == "-0.0" and back["deep"] == [{"k": (1, (2,))}]
    for bad in (object(), lambda: 1, np.array([object()]), {1j}):
        with pytest.raises(NotPlain):
            encode(bad)
    with pytest.raises(ValueError):
        decode({"p": "pickle-like"})


def test_a_warm_run_writes_what_a_cold_run_wrote_and_says_cached(tmp_path):
    store = tmp_path / "store"
    (cold, cold_out), (warm, warm_out) = (_run(tmp_path / "cold", "--cache-dir", str(store)),
                                          _run(tmp_path / "warm", "--cache-dir", str(store)))
    assert cold == warm == 0
    assert "cached" not in cold_out and warm_out.count(" cached ") == 3
    assert _tree(tmp_path / "cold") == _tree(tmp_path / "warm")  # every file, results.json and figures included
    status, other = _run(tmp_path / "seed1", "--cache-dir", str(store), "--seed", "1")  # another seed: afresh
    assert status == 0 and " cached " not in other  # the run's key holds the seed
    status, nothing = _run(tmp_path / "none", "--no-cache")
    assert status == 0 and " cached " not in nothing


def test_the_key_holds_the_source_the_libraries_and_the_work(tmp_path, monkeypatch):
    c = Cache(tmp_path)
    assert c.put("part", ("f", (1,), (("seed", 0),)), {"v": 1.5})
    assert c.get("part", ("f", (1,), (("seed", 0),))) == (True, {"v": 1.5})
    assert c.get("part", ("f", (1,), (("seed", 1),)))[0] is False  # another run
    assert c.get("part", ("f", (2,), (("seed", 0),)))[0] is False  # other arguments
    monkeypatch.setattr(cache_module, "suite_digest", lambda: "edited source")
    assert c.get("part", ("f", (1,), (("seed", 0),)))[0] is False  # any change of the code recomputes
    assert not c.put("part", ("f", (object(),), ()), 1)  # a key printed by its address names nothing stable


def test_a_gzip_bomb_in_the_folder_is_refused_after_its_bound(tmp_path):
    """An attacker's entry: 1.5 MB on disk, 1.6 GB inflated, was decompressed whole (3.2 GB, 13 s) by a warm run.
    Now at most MAX_ENTRY + 1 bytes come out, then the entry is dropped as damaged."""
    import resource
    import time
    import zlib

    c = Cache(tmp_path)
    key = ("g", (), ())
    c.put("part", key, [1, 2, 3])
    (entry,) = c.entries()
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1 << 20)
    entry.write_bytes(b"".join(squeeze.compress(zeros) for _ in range(2 * cache_module.MAX_ENTRY >> 20))
                      + squeeze.flush())
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    assert c.get("part", key) == (False, None) and not entry.exists()
    assert time.perf_counter() - start < 2
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 2 * cache_module.MAX_ENTRY / 2**20, grown_mb


def test_damaged_foreign_and_linked_entries_are_recomputed_never_trusted(tmp_path):
    c = Cache(tmp_path)
    key = ("g", (), ())
    c.put("part", key, [1, 2, 3])
    (entry,) = c.entries()
    entry.write_bytes(entry.read_bytes()[:-7])  # truncated
    assert c.get("part", key) == (False, None) and not entry.exists()
    c.put("part", key, [1, 2, 3])
    body = json.loads(gzip.decompress(entry.read_bytes()))
    body["payload"] = body["payload"].replace("3", "4")  # the payload no longer matches its digest
    entry.write_bytes(gzip.compress(json.dumps(body).encode()))
    assert c.get("part", key) == (False, None)
    c.put("part", key, [1, 2, 3])
    body = json.loads(gzip.decompress(entry.read_bytes())) | {"format": "someone-else/9"}
    entry.write_bytes(gzip.compress(json.dumps(body).encode()))
    assert c.get("part", key) == (False, None)
    outside = tmp_path.parent / "outside.ugc"
    outside.write_bytes(b"not ours")
    entry.unlink(missing_ok=True)
    entry.symlink_to(outside)
    assert c.get("part", key) == (False, None) and outside.read_bytes() == b"not ours"


def test_the_folder_keeps_within_its_bound_and_removes_only_its_own_files(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / ("a" * 64 + ".txt")).write_text("mine too")
    c = Cache(tmp_path, limit=3000)
    for k in range(40):
        c.put("part", ("h", (k,), ()), np.random.default_rng(k).random(100))
    assert sum(p.stat().st_size for p in c.entries()) <= 3000 and len(c.entries()) < 40
    assert c.get("part", ("h", (39,), ()))[0] and not c.get("part", ("h", (0,), ()))[0]  # the oldest went first
    assert (tmp_path / "notes.txt").read_text() == "mine" and (tmp_path / ("a" * 64 + ".txt")).exists()
    assert not list(tmp_path.glob(".*.tmp"))  # every write was renamed into place


def test_off_means_no_folder_and_a_cache_never_stops_a_run(tmp_path, monkeypatch):
    monkeypatch.setenv("UNSTABLE_GRADIENTS_CACHE", "off")
    assert cache_module.default_folder() is None
    monkeypatch.setenv("UNSTABLE_GRADIENTS_CACHE", str(tmp_path / "here"))
    assert cache_module.default_folder() == tmp_path / "here"
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    assert Cache(blocked).put("part", ("k", (), ()), 1) is False  # the disk refuses: nothing raised
    assert Cache(None).get("part", ("k", (), ())) == (False, None)
