"""Claims as tasks: a process pool and a Dask cluster give the same output as one process."""

import filecmp
import json
import os
from pathlib import Path

import pytest

from proofs.cli import main

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
                    for c in j["claims"]:
                        c.pop("seconds")
                if ja != jb:
                    differ.append(name)
            elif not filecmp.cmp(fa, fb, shallow=False):
                differ.append(str(fa.relative_to(a)))
    return differ


def test_a_process_pool_gives_the_same_output(tmp_path):
    assert main(["--out", str(tmp_path / "one"), "--only", CLAIMS, "--jobs", "1", "-q"]) == 0
    assert main(["--out", str(tmp_path / "two"), "--only", CLAIMS, "--jobs", "2", "-q"]) == 0
    assert same_output(tmp_path / "one", tmp_path / "two") == []


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
