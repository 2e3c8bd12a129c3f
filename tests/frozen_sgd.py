"""Frozen for the bit-for-bit tests (tests/test_kernel.py): main's numeric/sgd.py at 968612f, the training loop
``Network.SGD`` ran before numeric.networks.kernel, and main's ``Network._backward`` (``backward`` at the end).

The training hot loop: one epoch of mini-batch SGD over preallocated buffers.

Same arithmetic as network2's ``update_mini_batch`` + ``backprop``, done for the whole
mini-batch at once with in-place NumPy calls (no temporaries in the loop): each layer is
one matrix product forward and two backward. The sigmoid here is 1 / (1 + e^{-z}) under
``errstate(over="ignore")`` (e^{1000} -> inf -> 0, the correct limit, silently) and sigma' is
a(1 - a), exactly network2's ``sigmoid_prime``.
"""

from __future__ import annotations

import numpy as np

from numeric.functions import COSTS, sigmoid, sigmoid_prime

__all__ = ["train", "backward"]


class _Buffers:
    """Work arrays for mini-batches of m rows."""

    def __init__(self, sizes, m, dtype):
        self.a = [np.empty((m, s), dtype) for s in sizes]
        self.z = [np.empty((m, s), dtype) for s in sizes[1:]]
        self.d = [np.empty((m, s), dtype) for s in sizes[1:]]
        self.sp = [np.empty((m, s), dtype) for s in sizes[1:]]
        self.y = np.empty((m, sizes[-1]), dtype)
        self.nw = [np.empty((o, i), dtype) for i, o in zip(sizes[:-1], sizes[1:])]
        self.nb = [np.empty(o, dtype) for o in sizes[1:]]


def _step(W, B, buf, eta_m, decay, quadratic):
    L = len(W)
    a = buf.a
    for l in range(L):  # forward
        z, out = buf.z[l], a[l + 1]
        np.matmul(a[l], W[l].T, out=z)
        z += B[l]
        np.negative(z, out=out)
        np.exp(out, out=out)
        out += 1.0
        np.reciprocal(out, out=out)
    d = buf.d[L - 1]
    np.subtract(a[L], buf.y, out=d)  # BP1, cross-entropy: a - y
    if quadratic:  # BP1, quadratic: (a - y) sigma'(z)
        s = buf.sp[L - 1]
        np.subtract(1.0, a[L], out=s)
        s *= a[L]
        d *= s
    d *= eta_m  # fold eta/m into delta: the sums below are then the updates
    for l in range(L - 1, -1, -1):
        d = buf.d[l]
        if l > 0:  # BP2 with w^{l+1} before its update
            prev, s = buf.d[l - 1], buf.sp[l - 1]
            np.matmul(d, W[l], out=prev)
            np.subtract(1.0, a[l], out=s)
            s *= a[l]
            prev *= s
        if decay != 1.0:
            W[l] *= decay
        np.matmul(d.T, a[l], out=buf.nw[l])  # BP4, summed over the batch (preallocated: a fresh
        W[l] -= buf.nw[l]  # 188 kB array per step costs an mmap/munmap pair)
        np.add.reduce(d, axis=0, out=buf.nb[l])  # BP3
        B[l] -= buf.nb[l]


def train(W, B, x, y, order, m, eta, lmbda, cost_name):
    """Runs one epoch in place on weights W and biases B.

    ``order`` is the epoch's permutation of the n training rows; mini-batches are its
    consecutive slices of m (the last may be shorter, as in network2).
    """
    n = len(x)
    m = min(m, n)  # buffers for at most the data (a mini-batch larger than n is one batch of all n)
    sizes = [W[0].shape[1]] + [w.shape[0] for w in W]
    decay = 1.0 - eta * lmbda / n
    quadratic = cost_name == "quadratic"
    full = _Buffers(sizes, m, W[0].dtype)
    # overflow to inf is the correct limit in the sigmoid; a diverging run (NaN) is stopped by the caller
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(0, n, m):
            idx = order[k:k + m]
            buf = full if len(idx) == m else _Buffers(sizes, len(idx), W[0].dtype)
            x.take(idx, axis=0, out=buf.a[0])  # the method skips np.take's Python wrapper
            y.take(idx, axis=0, out=buf.y)
            _step(W, B, buf, eta / len(idx), decay, quadratic)


def backward(weights, biases, cost, x, y):
    """Returns (nabla_b, nabla_w, deltas) as main's ``Network.forward`` + ``_backward`` + ``backprop`` computed them."""
    a, zs, acts = x, [], [x]
    for w, b in zip(weights, biases):
        z = a @ w.T + b
        a = sigmoid(z)
        zs.append(z)
        acts.append(a)
    delta = COSTS[cost].delta(zs[-1], acts[-1], y)
    deltas = [delta]
    for l in range(len(weights) - 1, 0, -1):
        delta = (delta @ weights[l]) * sigmoid_prime(zs[l - 1])
        deltas.insert(0, delta)
    return [d.sum(axis=0) for d in deltas], [d.T @ a for d, a in zip(deltas, acts[:-1])], deltas
