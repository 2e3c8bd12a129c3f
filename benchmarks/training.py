"""Training throughput, side by side in one process: examples per second, medians and ratios.

Rows (float64, [784, 30, 10], cross-entropy, eta 0.5, lmbda 5.0, the embedded digits):
  network2 port    the book's per-example loop (tests/reference_network2.py), mini-batch 10
  plain NumPy      vectorized over the mini-batch, allocating: Network.backprop + update
  this suite       Network.SGD (preallocated, in-place), mini-batch 10 and 100
  DeepNetwork      numeric.networks.deep.DeepNetwork.SGD (the general loop with the remedies) at network2's
                   defaults, and with tanh + Xavier + momentum 0.9 + clipping at 1, mini-batch 10
  PyTorch CPU      the same model and update in torch (float64), if torch is installed
and the time to load the embedded digits. BLAS and torch are pinned to one thread before
they load (--threads to change), so that the rows compare the same core.

Run:  python benchmarks/training.py [--repeat 5] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def pin_threads(n: int) -> None:
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)


def interleaved_rates(rows, repeat):
    """Returns {row index: [examples/s per round]}: each round times every row once, in turn,
    so that a slow spell of this noisy machine hits all rows alike."""
    rates = {i: [] for i in range(len(rows))}
    for _ in range(repeat):
        for i, (_, _, fn, n) in enumerate(rows):
            if fn is None:
                continue
            t = time.perf_counter()
            fn()
            rates[i].append(n / (time.perf_counter() - t))
    return rates


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--smoke", action="store_true", help="the smallest setting (one round on 200 digits; a test)")
    args = p.parse_args(argv)
    pin_threads(args.threads)
    sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "benchmarks")]
    from machine import state

    if args.smoke:
        args.repeat = 1
    print("\n".join(state("before")))
    import numpy as np

    from numeric.data import load_embedded
    from numeric.networks.network import Network
    from reference_network2 import ReferenceNetwork

    loads = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        data = load_embedded()
        loads.append(time.perf_counter() - t)
    x, y, onehot = data.training.x, data.training.y, data.training.onehot()
    if args.smoke:
        x, y, onehot = x[:200], y[:200], onehot[:200]
    sizes, eta, lmbda = [784, 30, 10], 0.5, 5.0
    rows = []

    ref = ReferenceNetwork(sizes, np.random.default_rng(0))
    pairs = [(x[i][:, None], onehot[i][:, None]) for i in range(min(1000, len(x)))]
    rows.append(("network2 port (per example)", 10, lambda: ref.epoch(pairs, 10, eta, lmbda, np.random.default_rng(1)),
                 len(pairs)))

    def plain_epoch(net, m):
        order = np.random.default_rng(1).permutation(len(x))
        for k in range(0, len(x), m):
            idx = order[k:k + m]
            g = net.backprop(x[idx], onehot[idx])
            net.weights = [(1 - eta * lmbda / len(x)) * w - (eta / len(idx)) * nw
                           for w, nw in zip(net.weights, g.nabla_w)]
            net.biases = [b - (eta / len(idx)) * nb for b, nb in zip(net.biases, g.nabla_b)]

    for m in (10, 100):
        net = Network(sizes, rng=0)
        rows.append(("plain NumPy (vectorized)", m, lambda net=net, m=m: plain_epoch(net, m), len(x)))
    for m in (10, 100):
        net = Network(sizes, rng=0)
        rows.append(("this suite: Network.SGD", m, lambda net=net, m=m: net.SGD(x, y, 1, m, eta, lmbda, rng=1), len(x)))
    from numeric.networks.deep import DeepNetwork

    deep = DeepNetwork(sizes, rng=0)
    rows.append(("DeepNetwork.SGD, defaults", 10, lambda: deep.SGD(x, y, 1, 10, eta, lmbda, rng=1), len(x)))
    deep2 = DeepNetwork(sizes, activation="tanh", init="xavier-normal", rng=0)
    rows.append(("DeepNetwork.SGD, tanh+mom+clip", 10,
                 lambda: deep2.SGD(x, y, 1, 10, 0.05, lmbda, momentum=0.9, clip=1.0, rng=1), len(x)))
    rows += torch_rows(x, onehot, sizes, eta, lmbda, args)
    rates = interleaved_rates(rows, args.repeat)

    print(f"one core ({args.threads} BLAS thread), float64, {sizes}, cross-entropy, lmbda {lmbda}; "
          f"median of {args.repeat} interleaved rounds; ratios are medians of per-round ratios")
    print(f"{'implementation':32s} {'batch':>5s} {'examples/s':>12s} {'vs network2':>12s}")
    for i, (name, m, fn, _) in enumerate(rows):
        if fn is None:
            print(f"{name:32s} {m:>5}   skipped: torch not installed")
            continue
        ratio = statistics.median(r / b for r, b in zip(rates[i], rates[0]))
        print(f"{name:32s} {m:>5} {statistics.median(rates[i]):>12,.0f} {ratio:>11.1f}x")
    ours = {m: i for i, (n, m, _, _) in enumerate(rows) if n.startswith("this suite")}
    for i, (name, m, fn, _) in enumerate(rows):
        if name.startswith("PyTorch") and fn is not None:
            ratio = statistics.median(a / b for a, b in zip(rates[ours[m]], rates[i]))
            print(f"mini-batch {m}: this suite / PyTorch = {ratio:.2f}x")
    print(f"embedded digits load: median {1000 * statistics.median(loads):.1f} ms")
    print("\n".join(state("after")))
    return 0


def torch_rows(x, onehot, sizes, eta, lmbda, args):
    try:
        import torch
    except ImportError:
        return [("PyTorch CPU", m, None, 0) for m in (10, 100)]
    torch.set_num_threads(args.threads)
    X, Y = torch.from_numpy(x), torch.from_numpy(onehot)
    gen = torch.Generator().manual_seed(0)
    W = [torch.randn(o, i, generator=gen, dtype=torch.float64) / i ** 0.5 for i, o in zip(sizes[:-1], sizes[1:])]
    B = [torch.randn(o, generator=gen, dtype=torch.float64) for o in sizes[1:]]
    decay = 1 - eta * lmbda / len(x)

    def epoch(m):
        order = torch.randperm(len(x), generator=gen)
        with torch.no_grad():
            for k in range(0, len(x), m):
                idx = order[k:k + m]
                acts = [X[idx]]
                for w, b in zip(W, B):
                    acts.append(torch.sigmoid(torch.addmm(b, acts[-1], w.T)))
                d = (acts[-1] - Y[idx]) * (eta / len(idx))
                for l in range(len(W) - 1, -1, -1):
                    prev = (d @ W[l]) * acts[l] * (1 - acts[l]) if l else None
                    W[l].mul_(decay).sub_(d.T @ acts[l])
                    B[l].sub_(d.sum(0))
                    d = prev

    return [(f"PyTorch {torch.__version__} CPU", m, lambda m=m: epoch(m), len(x)) for m in (10, 100)]


if __name__ == "__main__":
    sys.exit(main())
