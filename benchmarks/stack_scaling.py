"""Is the remedies' training compute-bound or overhead-bound? SGD steps of stacked DeepNetworks, side by side.

    python benchmarks/stack_scaling.py [--depth 10] [--steps 20] [--repeat 3]

Trains ``Stack``s of sigmoid [784, 30 x depth, 10] networks (float32, mini-batches of 10, the remedies' settings) for
``--steps`` SGD steps, with BLAS on one thread (as the run's workers have it), and prints per row: the replicas S as
groups x replicas per group (a group shares its mini-batches, as one seed's learning rates do), milliseconds per step
(wall and CPU, medians of ``--repeat``) and per replica-step, and the ratio to the first row. If the cost were Python's
overhead per NumPy call, a step of 320 replicas would cost about what one of 40 does; if it is the arithmetic, it costs
8 times as much.
"""

from __future__ import annotations

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # before NumPy loads: one BLAS thread
    os.environ[_name] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import state  # noqa: E402

from numeric.data import load  # noqa: E402
from numeric.networks.deep import DeepNetwork  # noqa: E402
from numeric.networks.stacked import Stack  # noqa: E402
from numeric.networks.stacked_sgd import sgd  # noqa: E402

SHAPES = [(5, 8), (5, 16), (40, 8), (5, 64)]  # (groups, replicas per group): the remedies' 5 seeds x 8 rates first


def one(groups: int, per: int, depth: int, steps: int, x, y) -> tuple[float, float]:
    """Returns (wall, CPU) seconds of ``steps`` SGD steps of groups x per stacked networks."""
    seeds = np.random.SeedSequence(0).spawn(groups * per + groups)
    nets = [DeepNetwork([784] + [30] * depth + [10], rng=np.random.default_rng(s)) for s in seeds[:groups * per]]
    stack = Stack(nets, dtype="float32")
    shuffles = [np.random.default_rng(s) for s in seeds[groups * per:]]
    n = steps * 10
    wall, cpu = time.perf_counter(), time.process_time()
    sgd(stack, x[:n], y[:n], 1, 10, 0.1, shuffles=shuffles)
    return time.perf_counter() - wall, time.process_time() - cpu


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--depth", type=int, default=10, help="hidden layers (default 10, the remedies' deepest)")
    p.add_argument("--steps", type=int, default=20, help="SGD steps per measurement (default 20)")
    p.add_argument("--repeat", type=int, default=3, help="measurements per row; medians are printed (default 3)")
    p.add_argument("--smoke", action="store_true", help="the smallest setting (depth 2, 2 steps, one row; a test)")
    args = p.parse_args(argv)
    shapes = SHAPES[:1] if args.smoke else SHAPES
    if args.smoke:
        args.depth, args.steps, args.repeat = 2, 2, 1
    if args.depth < 1 or args.steps < 1 or args.repeat < 1:
        p.error("--depth, --steps and --repeat must be at least 1")
    data = load().training
    rows = []
    print("\n".join(state("before")))
    for groups, per in shapes:
        runs = [one(groups, per, args.depth, args.steps, data.x, data.y) for _ in range(args.repeat)]
        wall, cpu = (statistics.median(r[i] for r in runs) * 1e3 / args.steps for i in (0, 1))
        rows.append((groups, per, wall, cpu))
    print(f"sigmoid [784, 30 x {args.depth}, 10], float32, mini-batch 10, one BLAS thread; medians of {args.repeat}")
    print(f"{'replicas':>14} {'ms/step':>9} {'CPU ms/step':>12} {'ms/replica-step':>16} {'x first':>8}")
    for groups, per, wall, cpu in rows:
        S = groups * per
        print(f"{S:>5} = {groups:>2} x {per:<3} {wall:>9.2f} {cpu:>12.2f} {wall / S:>16.3f} {wall / rows[0][2]:>8.2f}")
    print("\n".join(state("after")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
