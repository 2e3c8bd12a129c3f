"""Wall time of `python -m proofs` at --jobs 1 and --jobs 2, whole run and per group, side by side.

    python benchmarks/jobs.py [--repeat 3] [--groups all,chain,matrix,bounds,experiments]

Each configuration runs as a fresh process (as a user runs it), rounds interleaved so that machine
noise hits both alike; the table shows medians and the speed-up (median jobs-1 / median jobs-2).
If Dask's distributed is installed, one sweep (the accuracy-against-depth claim: 4 networks x 2
protocols) is also timed through a 2-worker LocalCluster against the 2-process pool.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import state  # noqa: E402


def timed_run(args: list[str]) -> float:
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "proofs", "--out", out, "-q", *args], cwd=ROOT,
                              capture_output=True, text=True, env=os.environ | {"PYTHONPATH": str(ROOT)})
        seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"python -m proofs {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--groups", default="all,chain,matrix,bounds,experiments")
    parser.add_argument("--smoke", action="store_true", help="the smallest setting (one claim, once; a test)")
    args = parser.parse_args(argv)
    if args.smoke:
        args.groups, args.repeat = "sigmoid-derivative", 1
    print("\n".join(state("before")))
    rows = []
    for group in args.groups.split(","):
        only = [] if group == "all" else ["--only", group]
        times = {1: [], 2: []}
        for _ in range(args.repeat):
            for jobs in (1, 2):
                times[jobs].append(timed_run([*only, "--jobs", str(jobs)]))
        m1, m2 = statistics.median(times[1]), statistics.median(times[2])
        rows.append((group, m1, m2, m1 / m2))
        print(f"  {group}: jobs 1 {m1:.1f} s, jobs 2 {m2:.1f} s", flush=True)
    print(f"\n{os.cpu_count()} cores, {args.repeat} interleaved rounds, "
          "medians of wall time (process start included)\n")
    print("| claims | --jobs 1 (s) | --jobs 2 (s) | speed-up |")
    print("|---|---:|---:|---:|")
    for group, m1, m2, ratio in rows:
        print(f"| {group} | {m1:.1f} | {m2:.1f} | {ratio:.2f}x |")
    try:
        from distributed import LocalCluster
    except ImportError:
        print("\n(distributed not installed: pip install 'unstable-gradients[distributed]' for the cluster row)")
        LocalCluster = None  # noqa: N806
    if LocalCluster is None or args.smoke:
        print("\n".join(state("after")))
        return 0
    sweep = ["--only", "accuracy-vs-depth"]
    pool, dask = [], []
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        for _ in range(args.repeat):
            pool.append(timed_run([*sweep, "--jobs", "2"]))
            dask.append(timed_run([*sweep, "--scheduler", cluster.scheduler_address]))
    p, d = statistics.median(pool), statistics.median(dask)
    print("\n| one sweep (accuracy-vs-depth, 4 networks x 2 protocols x 3 seeds) | wall (s) |")
    print("|---|---:|")
    print(f"| process pool, 2 workers | {p:.1f} |")
    print(f"| Dask LocalCluster, 2 worker processes | {d:.1f} ({d / p:.2f}x the pool) |")
    print("\n".join(state("after")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
