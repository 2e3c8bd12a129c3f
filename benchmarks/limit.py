"""How far each part of the default run is from this machine's arithmetic limit.

    python benchmarks/limit.py [--results results.json | --no-run] [--jobs 2] [--smoke]

For each part of the default run (the remedies, Glorot's saturation, the phase diagram, accuracy against depth, the
book's full-batch training, mean field against width, the recurrent networks): the matrix products its protocol
needs, counted from the protocol (``work(...)`` of its experiment module; ``numeric/experiments/work.py`` says what
is counted), their FLOPs, this machine's GEMM rate at those shapes and dtypes measured here in this process (one
BLAS thread, the best of a few timings of each distinct shape, batched as the protocol stacks its replicas), the
limit (FLOPs over the rate, summed over the shapes), the part's measured CPU seconds, and the ratio. Then the whole
run: the limits plus the measured rest (SymPy, mpmath, figures, LaTeX, start-up), against its measured CPU.

The measured column comes from a fresh ``python -m proofs --jobs N --no-cache`` run made here (``--results`` reads
an earlier run's results.json instead; ``--no-run`` prints the limits only). The machine's state is printed before
and after; take the numbers of record with nothing else running.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from machine import one_blas_thread, state  # noqa: E402

one_blas_thread()

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from numeric.experiments import work as work_of  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def parts() -> list[tuple[str, list[str], object]]:
    """Returns (part, its claims, a function returning its products)."""
    from numeric.experiments import chapter, phase, recurrent_task, remedies, saturation, width_sweep

    return [
        ("remedies (training, evaluation, norms, pre-training, width sweep)", ["remedies", "greedy-pretraining"],
         lambda: remedies.work(remedies.PROTOCOL) + width_sweep.work(remedies.PROTOCOL)),
        ("glorot-saturation", ["glorot-saturation"], lambda: saturation.work(saturation.SATURATION)),
        ("phase diagram", ["phase-diagram"], lambda: phase.work(phase.PHASE)),
        ("accuracy vs depth", ["accuracy-vs-depth"],
         lambda: chapter.work([chapter.ACCURACY, chapter.ACCURACY_LITERAL], 4000)),
        ("full-batch training (the book's protocol)", ["speed-of-learning-during-training"],
         lambda: chapter.work([chapter.SPEED_DURING_TRAINING], 1000)),
        ("mean field vs width", ["meanfield-ratio-vs-width"], lambda: chapter.work([chapter.MEANFIELD], 1000)),
        ("recurrent (both claims)", ["recurrent-gradient-through-time", "recurrent-longest-length"],
         lambda: recurrent_task.work(recurrent_task.LENGTHS) + recurrent_task.work(recurrent_task.GRADIENTS)),
    ]


def seconds(p: dict, *, target: float = 0.05, tries: int = 3) -> float:
    """Returns the best time of one product of shape p (batch x (m x k) @ (k x n), its dtype) on this machine."""
    dt = np.dtype(p["dtype"])
    rng = np.random.default_rng(0)
    a = rng.random((p["batch"], p["m"], p["k"])).astype(dt)
    b = rng.random((p["batch"], p["k"], p["n"])).astype(dt)
    out = np.matmul(a, b)
    reps, best, timed = 1, float("inf"), 0
    while timed < tries:
        start = time.perf_counter()
        for _ in range(reps):
            np.matmul(a, b, out=out)
        took = time.perf_counter() - start
        best = min(best, took / reps)
        if took < target:  # too short to time well: more repetitions, not counted
            reps = max(reps * 2, int(reps * target / max(took, 1e-6)))
        else:
            timed += 1
    return best


def limit(products: list[dict], memo: dict) -> tuple[float, float]:
    """Returns (GFLOP, limit seconds) of the products at this machine's measured rates (shapes timed once)."""
    total = 0.0
    for p in products:
        key = (p["m"], p["k"], p["n"], p["batch"], p["dtype"])
        if key not in memo:
            memo[key] = seconds(p)
        total += memo[key] * p["count"]
    return work_of.flops(products) / 1e9, total


def measured_run(jobs: int, results: str | None) -> tuple[dict, float | None]:
    """Returns ({claim id: CPU seconds with its parts}, the run's CPU seconds measured from outside or None)."""
    cpu_total = None
    if results is None:
        out = tempfile.mkdtemp(prefix="limit-")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.run([sys.executable, "-m", "proofs", "--out", out, "--jobs", str(jobs), "--no-cache", "-q"],
                              cwd=ROOT, capture_output=True, text=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"python -m proofs exited {proc.returncode}:\n{proc.stderr[-2000:]}")
        cpu_total = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        results = os.path.join(out, "results.json")
    records = json.loads(Path(results).read_text())["claims"]
    return {r["id"]: r["cpu_seconds"] + sum(p["cpu_seconds"] for p in r.get("parts", [])) for r in records}, cpu_total


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog="Numbers of record: a quiet machine.")
    ap.add_argument("--results", metavar="JSON", help="an earlier default run's results.json (no run made here)")
    ap.add_argument("--no-run", action="store_true", help="print the counts and limits only")
    ap.add_argument("--jobs", type=int, default=2, help="--jobs of the run made here (default 2)")
    ap.add_argument("--smoke", action="store_true", help="the smallest setting: one part's limit, no run (a test)")
    ap.add_argument("--json", metavar="PATH", help="also write the table and the machine's state here (a new file; "
                    "scripts/update_docs.py reads docs/data/limit.json)")
    args = ap.parse_args(argv)
    if args.json and Path(args.json).exists():
        ap.error(f"--json {args.json}: it exists; name a new file (nothing is overwritten)")
    if args.results and not Path(args.results).is_file():
        ap.error(f"--results {args.results}: no such file")
    before = state("before")
    print("\n".join(before), flush=True)
    rows, memo, record = [], {}, []
    smoke = [("smoke: [784, 30, 10] x 4, 10 steps of 10", [],
              lambda: work_of.dense([784, 30, 10], 10, 4, "float32", 10))]
    for name, claims, products in (smoke if args.smoke else parts()):
        got = products()
        rows.append((name, claims) + (limit(got, memo) if got else (None, None)))
    cpu, total = ({}, None) if (args.no_run or args.smoke) else measured_run(args.jobs, args.results)
    print("\n| part | GFLOP | GFLOP/s at its shapes | limit (s CPU) | measured (s CPU) | ratio |")
    print("|---|---:|---:|---:|---:|---:|")
    counted = limits = 0.0
    for name, claims, gflop, lim in rows:
        spent = sum(cpu.get(c, 0.0) for c in claims) if cpu else None
        if gflop is None:
            print(f"| {name} | (no count) | | | {spent if spent is not None else ''} | |")
            continue
        counted += spent or 0.0
        limits += lim
        record.append({"part": name, "gflop": gflop, "rate": gflop / lim, "limit": lim, "measured": spent})
        print(f"| {name} | {gflop:,.3g} | {gflop / lim:.1f} | {lim:.3g} | "
              + (f"{spent:.1f} | **{spent / lim:.2f}** |" if spent is not None else " | |"))
    if cpu:
        whole = total if total is not None else sum(cpu.values())
        rest = whole - counted - sum(cpu.get(c, 0.0) for _, cs, g, _ in rows if g is None for c in cs)
        print(f"| rest (SymPy, mpmath, figures, LaTeX, start-up) | | | | {rest:.1f} | |")
        print(f"| **whole run** | | | **{limits + rest:.1f} with the rest** | **{whole:.1f}** | "
              f"**{whole / (limits + rest):.2f}** |")
    after = state("after")
    print("\n" + "\n".join(after))
    if args.json:
        whole = {"limit": limits + rest, "measured": total if total is not None else sum(cpu.values()),
                 "rest": rest} if cpu else None
        Path(args.json).write_text(json.dumps({"jobs": args.jobs, "rows": record, "whole": whole,
                                               "state_before": before, "state_after": after}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
