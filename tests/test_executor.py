"""Claims as tasks: a process pool and a Dask cluster give the same output as one process."""

import filecmp
import json
import os
import time
from pathlib import Path

import pytest

from proofs.run.cli import main
from proofs.timing import part_label, total_seconds, without_timings

CLAIMS = "sigmoid-prime-max,ratio-b1-b3,eq123-width-maximum,speed-of-learning-at-init"


def same_output(a: Path, b: Path) -> list:
    """Returns the files that differ between two results folders, timings aside."""
    differ = []
    for root, _, files in os.walk(a):
        for name in files:
            fa = Path(root) / name
            fb = b / fa.relative_to(a)
            if name in ("REPORT.md", ".proofs-manifest.json", ".proofs-lock"):  # seconds; their digests; a pid
                continue
            if name == "results.json":
                ja, jb = (json.loads(f.read_text()) for f in (fa, fb))
                for j in (ja, jb):
                    j["claims"] = [without_timings(c) for c in j["claims"]]
                if ja != jb:
                    differ.append(name)
            elif not filecmp.cmp(fa, fb, shallow=False):
                differ.append(str(fa.relative_to(a)))
    return differ


@pytest.mark.slow  # by default the next test compares --jobs 1 and 2 on a smaller selection
def test_a_process_pool_gives_the_same_output(tmp_path):
    assert main(["--out", str(tmp_path / "one"), "--only", CLAIMS, "--jobs", "1", "-q"]) == 0
    assert main(["--out", str(tmp_path / "two"), "--only", CLAIMS, "--jobs", "2", "-q"]) == 0
    assert same_output(tmp_path / "one", tmp_path / "two") == []


def test_every_claim_and_part_is_timed_and_only_the_timings_differ_between_jobs(tmp_path):
    """results.json records each claim's wall and CPU seconds and each part's, in the order the claim asked for
    them; a part run as a task (--jobs 2) and inline (--jobs 1) leave the same record but for the seconds."""
    claims = "sigmoid-prime-max,phase-chapter-network"  # the second has a part: a network trained
    for jobs in ("1", "2"):
        assert main(["--out", str(tmp_path / jobs), "--only", claims, "--jobs", jobs, "-q", "--quick"]) == 0
    assert same_output(tmp_path / "1", tmp_path / "2") == []
    for jobs in ("1", "2"):
        recs = {c["id"]: c for c in json.loads((tmp_path / jobs / "results.json").read_text())["claims"]}
        assert all(c["seconds"] >= 0 and c["cpu_seconds"] >= 0 for c in recs.values())
        assert recs["sigmoid-prime-max"]["parts"] == []
        (part,) = recs["phase-chapter-network"]["parts"]
        assert part["key"] == "measure_chapter/0/phase-chapter+quick"
        assert part["cpu_seconds"] > 0 and part["seconds"] > 0
        wall, cpu = total_seconds(recs["phase-chapter-network"])
        assert wall == recs["phase-chapter-network"]["seconds"] + part["seconds"]
        assert cpu == recs["phase-chapter-network"]["cpu_seconds"] + part["cpu_seconds"]


def test_timings_are_what_a_comparison_leaves_out():
    rec = {"id": "x", "seconds": 1.5, "cpu_seconds": 1.0, "verdict": "proved",
           "parts": [{"key": part_label(("cell", ("relu", "he"), Named("book"), None, 3)), "seconds": 2.0,
                      "cpu_seconds": 1.5}]}
    assert rec["parts"][0]["key"] == "cell/relu,he/book/None/3"
    assert without_timings(rec) == {"id": "x", "verdict": "proved", "parts": [{"key": "cell/relu,he/book/None/3"}]}
    assert total_seconds(rec) == (3.5, 2.5)


class Named:
    def __init__(self, name):
        self.name = name


def test_bad_jobs_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["--out", str(tmp_path), "--jobs", "0"])
    assert "--jobs" in capsys.readouterr().err


@pytest.mark.slow
def test_a_dask_local_cluster_gives_the_same_output(tmp_path):
    distributed = pytest.importorskip("distributed", reason="pip install 'unstable-gradients[distributed]'")
    claims = "sigmoid-prime-max,eq123-width-maximum,accuracy-vs-depth"  # a sweep with parts, and figures
    assert main(["--out", str(tmp_path / "one"), "--only", claims, "--jobs", "1", "-q", "--seeds", "1"]) == 0
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        assert main(["--out", str(tmp_path / "dask"), "--only", claims, "--scheduler", cluster.scheduler_address,
                     "-q", "--seeds", "1"]) == 0
    assert same_output(tmp_path / "one", tmp_path / "dask") == []


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads the workers' state from /proc")
def test_ctrl_c_while_the_workers_start_is_held_then_raised(monkeypatch):
    """A Ctrl-C that arrives while the pool's workers start is not lost (it once was: SIGINT was ignored in the
    parent for that window, and a loaded machine made the window seconds long): the workers are stopped and
    KeyboardInterrupt is raised once they have started."""
    import signal

    import proofs.run.executor as executor

    real = executor.Board

    def board_then_ctrl_c(*args, **kwargs):
        made = real(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)  # arrives inside the window
        return made

    monkeypatch.setattr(executor, "Board", board_then_ctrl_c)
    before = signal.getsignal(signal.SIGINT)  # Python's handler, or SIG_IGN when pytest was started in the background
    pool = executor.Executor(jobs=2)
    with pytest.raises(KeyboardInterrupt):
        with pool:
            pytest.fail("the run went on after Ctrl-C")
    assert pool._workers
    deadline = time.monotonic() + 20  # terminated: they end within moments (the pool's own thread may reap them)
    while any(_running(pid) for pid in pool._workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in pool._workers if _running(pid)]
    assert signal.getsignal(signal.SIGINT) is before  # the parent's handler is back


def _running(pid: int) -> bool:
    """True while process ``pid`` exists and is not a zombie (ended, not yet reaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
