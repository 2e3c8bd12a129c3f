"""The phase diagram's training throughput against one core's GEMM rate, and the larger grid.

Rows (one core, BLAS pinned to one thread before NumPy loads; medians of interleaved rounds):
  GEMM float32 / float64   a 1000 x 1000 x 1000 product: the core's rate in GFLOP/s
  phase cell group, L      experiments.phase.train_group: the default grid's 8 sigma_w^2 of one seed trained as one
                           stack for the protocol's steps; examples/s counts one example once per replica, and the
                           share is its multiply-add rate (2 x 3 x weights per example and replica: forward,
                           backward to delta, weight gradient) over the float32 GEMM rate

--large runs experiments.phase.PHASE_LARGE on every core it is given (--jobs, a process per (depth, seed) group),
prints the criterion and each cell, and writes the heat map to --figure (PNG).

Run:  python benchmarks/phase.py [--repeat 3] [--large --jobs 2 --figure docs/phase-large.png]
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
    t = time.perf_counter()
    a @ a
    return 2 * n**3 / (time.perf_counter() - t) / 1e9


def throughput(args) -> int:
    import numpy as np

    from numeric.data import load
    from numeric.experiments import phase as PH

    d = load().training
    p = PH.PHASE.replace(depths=PH.PHASE.depths[:1], steps=5) if args.smoke else PH.PHASE
    flops = {L: 6 * (784 * p.width + (L - 1) * p.width**2 + p.width * 10) for L in p.depths}
    rates = {k: [] for k in ["gemm32", "gemm64", *p.depths]}
    for _ in range(args.repeat):
        rates["gemm32"].append(gemm_rate(np.float32))
        rates["gemm64"].append(gemm_rate(np.float64))
        for L in p.depths:
            t = time.perf_counter()
            PH.train_group(p, L, 0, d.x, d.y)
            rates[L].append(p.steps * p.batch * len(p.sigma_w2s) / (time.perf_counter() - t))
    g32 = statistics.median(rates["gemm32"])
    print(f"one core, {args.repeat} interleaved rounds (medians); {PH.PHASE.name}: width {p.width}, {p.steps} steps of "
          f"{p.batch}, {len(p.sigma_w2s)} sigma_w^2 per stack")
    print(f"{'row':28s} {'examples/s':>12s} {'GFLOP/s':>9s} {'of GEMM f32':>12s}")
    print(f"{'GEMM float32 1000^3':28s} {'':>12s} {g32:9.1f}")
    print(f"{'GEMM float64 1000^3':28s} {'':>12s} {statistics.median(rates['gemm64']):9.1f}")
    for L in p.depths:
        r = statistics.median(rates[L])
        print(f"{f'phase cell group, L = {L}':28s} {r:12,.0f} {r * flops[L] / 1e9:9.1f} "
              f"{r * flops[L] / 1e9 / g32:11.0%}")
    return 0


def _group(args):
    from numeric.data import load
    from numeric.experiments import phase as PH

    depth, seed = args
    d = load().training
    return (depth, seed), PH.train_group(PH.PHASE_LARGE, depth, seed, d.x, d.y)


def large(args) -> int:
    from concurrent.futures import ProcessPoolExecutor

    import numpy as np

    from numeric.experiments import correlation as C
    from numeric.experiments import phase as PH
    p = PH.PHASE_LARGE
    t = time.perf_counter()
    tasks = sorted([(d, s) for d in p.depths for s in range(p.seeds)], key=lambda k: -k[0])
    with ProcessPoolExecutor(args.jobs) as pool:
        groups = dict(pool.map(_group, tasks))
    wall = time.perf_counter() - t
    grid = PH.cells(p, groups)
    xi_c = C.depth_scales_curve(p.activation, p.sigma_w2s, p.sigma_b2)["xi_c"]
    verdict = PH.criterion(p, grid["median"], xi_c)
    print(p.describe())
    print(f"wall {wall:.1f} s on {args.jobs} processes; diverged {int(grid['diverged'].sum())}/{grid['accuracy'].size}")
    print("depth \\ sigma_w^2: " + " ".join(f"{s:5g}" for s in p.sigma_w2s))
    for i, d in enumerate(p.depths):
        print(f"{d:17d}: " + " ".join(f"{v:5.2f}" for v in grid["median"][i]))
    print("6 xi_c:            " + " ".join(f"{6 * v:5.0f}" for v in xi_c))
    print({k: verdict[k] for k in ("beyond", "beyond_trained", "inside", "inside_failed", "holds")})
    if args.figure:
        from numeric.figures import to_bytes
        from numeric.figures.phase import phase_figure

        edge = float(C.critical_sigma_w2(p.activation, p.sigma_b2, dps=15)["sigma_w2"])
        fine = np.linspace(min(p.sigma_w2s) - 0.1, max(p.sigma_w2s) + 0.2, 41)
        curve = np.minimum(C.depth_scales_curve(p.activation, fine, p.sigma_b2)["xi_c"], 1e4)
        fig = phase_figure(p.sigma_w2s, p.depths, grid["median"], fine, curve, edge, p.beyond, p.inside,
                           f"{p.name}: training accuracy after {p.steps} SGD steps, width {p.width}, {p.seeds} seeds")
        Path(args.figure).write_bytes(to_bytes(fig, "png"))
        print(f"figure: {args.figure}")
    return 0 if verdict["holds"] else 1


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--large", action="store_true",
                   help="run numeric.experiments.phase.PHASE_LARGE instead of the timing rows")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--figure", metavar="PNG", help="with --large: write the heat map here")
    p.add_argument("--smoke", action="store_true", help="the smallest setting (one round, the shallowest depth)")
    args = p.parse_args(argv)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"
    sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]
    from machine import state

    if args.smoke:
        args.repeat, args.large = 1, False
    print("\n".join(state("before")))
    status = large(args) if args.large else throughput(args)
    print("\n".join(state("after")))
    return status


if __name__ == "__main__":
    sys.exit(main())
