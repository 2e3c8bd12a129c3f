"""The phase diagram's training against its arithmetic limit, and the longer protocol.

Rows (one core, BLAS pinned to one thread before NumPy loads; medians of interleaved rounds):
  GEMM float32 1000^3      the core's rate for one large product, GFLOP/s
  depth L                  experiments.phase.train_depth for PHASE's depth L: every cell and seed of that depth as one
                           stack, trained for the longest length and read at each; CPU seconds, and the rate of the
                           products experiments.phase.work counts for it (GFLOP / CPU s), against the GEMM rate
  all depths               the claim's training: its GFLOP (work), CPU seconds, the limit at the GEMM rate

--long runs experiments.phase.PHASE_LONG (50, 300, 1,000 and 2,000 steps) on --jobs processes (one per depth), prints
each length's boundary as a multiple of xi_c with its interval, the growth, and writes the figure to --figure (PNG).

Run:  python benchmarks/phase.py [--repeat 3] [--long --jobs 2 --figure docs/phase-long.png] [--smoke]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def gemm_rate(dtype, n: int = 1000) -> float:
    import numpy as np

    a = np.random.default_rng(0).random((n, n)).astype(dtype)
    t = time.process_time()
    a @ a
    return 2 * n**3 / (time.process_time() - t) / 1e9


def _one_depth(p, i: int):
    """The protocol restricted to depth i (its work() counts that depth only)."""
    return p.replace(depths=(p.depths[i],), cells=(p.cells[i],))


def throughput(args) -> int:
    import numpy as np

    from numeric.data import load
    from numeric.experiments import phase as PH

    d = load().training
    p = _one_depth(PH.PHASE, 0).replace(lengths=(5,)) if args.smoke else PH.PHASE
    columns = int((d.x != 0).any(axis=0).sum())
    cpu = {i: [] for i in range(len(p.depths))}
    gemm = []
    for _ in range(args.repeat):
        gemm.append(gemm_rate(np.float32))
        for i in range(len(p.depths)):
            t = time.process_time()
            PH.train_depth(p, i, PH.depth_streams(0, i, p.seeds), d.x, d.y)
            cpu[i].append(time.process_time() - t)
    g = statistics.median(gemm)
    print(f"one core, {args.repeat} interleaved rounds (medians); {p.describe()}")
    print(f"{'row':24s} {'GFLOP':>8s} {'CPU s':>7s} {'GFLOP/s':>8s} {'of GEMM':>8s}")
    print(f"{'GEMM float32 1000^3':24s} {'':>8s} {'':>7s} {g:8.1f}")
    total_f = total_t = 0.0
    for i, depth in enumerate(p.depths):
        f = _flops(PH, p, i, columns)
        t = statistics.median(cpu[i])
        total_f, total_t = total_f + f, total_t + t
        print(f"{f'depth {depth} ({len(PH.cells(p, i))} cells)':24s} {f:8.1f} {t:7.2f} {f / t:8.1f} {f / t / g:8.0%}")
    print(f"{'all depths':24s} {total_f:8.1f} {total_t:7.2f} {total_f / total_t:8.1f} {total_f / total_t / g:8.0%}"
          f"   (limit at the GEMM rate: {total_f / g:.1f} s)")
    return 0


def _flops(PH, p, i: int, columns: int) -> float:
    q = _one_depth(p, i)
    return sum(2 * w["m"] * w["k"] * w["n"] * w["batch"] * w["count"] for w in PH.work(q, columns)) / 1e9


def _depth(args):
    from numeric.data import load
    from numeric.experiments import phase as PH

    i, seed = args
    d = load().training
    p = PH.PHASE_LONG
    return i, PH.train_depth(p, i, PH.depth_streams(seed, i, p.seeds), d.x, d.y)


def long(args) -> int:
    from concurrent.futures import ProcessPoolExecutor

    import numpy as np

    from numeric.experiments import correlation as C
    from numeric.experiments import phase as PH
    from proofs.claims import trainability as TR

    p = PH.PHASE_LONG
    t, cpu0 = time.perf_counter(), time.process_time()
    tasks = sorted([(i, args.seed) for i in range(len(p.depths))], key=lambda k: -p.depths[k[0]])
    with ProcessPoolExecutor(args.jobs) as pool:
        runs = dict(pool.map(_depth, tasks))
    wall = time.perf_counter() - t
    runs = [runs[i] for i in range(len(p.depths))]
    edge = float(C.critical_sigma_w2(p.activation, p.sigma_b2, dps=15)["sigma_w2"])
    reading = PH.reading(p, runs, TR._xi_of(p), edge, np.random.default_rng(PH.bootstrap_stream(args.seed)))
    facts = TR.diagram_facts(p, reading)
    print(p.describe())
    print(f"wall {wall:.0f} s on {args.jobs} processes (this process {time.process_time() - cpu0:.0f} s CPU); "
          f"diverged {reading['diverged']}/{reading['replicas']}")
    for b in reading["boundaries"]:
        edges = ", ".join(f"{d['edge']:.2f}" for d in b["depths"])
        print(f"{b['steps']:6,d} steps: edge cells {edges}; boundary " + "; ".join(
            f"{name} {TR._interval(b[name])}" for name in ("pooled", "ordered", "chaotic")))
    g = reading["growth"]
    print(f"growth {p.lengths[-1]:,}/{p.lengths[0]:,} steps: x{g['ratio']:.2f} [{g['low']:.2f}, {g['high']:.2f}]")
    for f in facts:
        print(f"  [{f.role}] {'holds' if f.holds else 'DOES NOT HOLD'}: {f.what}")
    if args.figure:
        from numeric.figures import to_bytes
        from numeric.figures.phase import phase_figure

        fine = np.linspace(0.25, 5.6, 81)
        fig = phase_figure(reading["cells"], reading["boundaries"], fine, np.minimum(TR._xi_of(p)(fine), 1e4), edge,
                           6.0, f"{p.name}: accuracy after {p.lengths[-1]:,} steps; boundary per length "
                                r"(ordered $\mid$ chaotic)")
        Path(args.figure).write_bytes(to_bytes(fig, "png"))
        print(f"figure: {args.figure}")
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--long", action="store_true", help="run numeric.experiments.phase.PHASE_LONG instead of the rows")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--seed", type=int, default=0, help="with --long: the root seed")
    p.add_argument("--figure", metavar="PNG", help="with --long: write the figure here")
    p.add_argument("--smoke", action="store_true", help="the smallest setting (one round, the shallowest depth, "
                   "5 steps)")
    args = p.parse_args(argv)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]
    from machine import state

    if args.smoke:
        args.repeat, args.long = 1, False
    print("\n".join(state("before")))
    status = long(args) if args.long else throughput(args)
    print("\n".join(state("after")))
    return status


if __name__ == "__main__":
    sys.exit(main())
