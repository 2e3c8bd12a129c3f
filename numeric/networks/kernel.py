"""The sigmoid network's one kernel: forward, backprop and network2's mini-batch SGD for S networks stacked.

Arrays carry the replica first: ``W[l]`` (S, n_{l+1}, n_l), ``B[l]`` (S, n_{l+1}), activations (S, n, n_l), one
example per row; every NumPy call serves all S networks. ``Network`` is the case S = 1 (its 2-D arrays seen as
``w[None]``, views, so an update in place reaches the network), ``networks.replicas.Replicas`` the chapter's S seeds.
The equations (book's numbering, 0-based lists: ``W[0]`` is w^2):

    z^l = a^{l-1} w^T + b,  a^l = sigma(z^l);   BP1 delta^L = a - y (cross-entropy), (a - y) sigma'(z^L) (quadratic);
    BP2 delta^l = (delta^{l+1} w^{l+1}) * sigma'(z^l);   BP3 dC/db = sum_rows delta;   BP4 dC/dw = delta^T a^{l-1}.

Two evaluations of sigma, one per use:
* ``exact=True`` (measuring a gradient, ``Network.backprop``): sigma and sigma' from z with ``numeric.functions``,
  accurate in both tails (sigma' = e^{-|z|} / (1 + e^{-|z|})^2, no cancellation at z > 37);
* ``exact=False`` (training, the experiments' gradients): network2's arithmetic, sigma = 1 / (1 + e^{-z}) in place
  (e^{1000} -> inf -> 0, the correct limit, silently) and sigma' = a(1 - a).
Inputs shared by every replica (x of shape (n, n_0)) go through the first layer as one product (n, S n_1).
"""

from __future__ import annotations

import numpy as np

from ..functions import COSTS, sigmoid, sigmoid_prime

__all__ = ["sigmoid_", "forward", "backward", "gradients", "sgd_epoch"]


def sigmoid_(z):
    """Overwrites z with sigma(z) = 1 / (1 + e^{-z}) and returns it (e^{1000} -> inf -> 0, silently)."""
    np.negative(z, out=z)
    np.exp(z, out=z)
    z += 1.0
    return np.reciprocal(z, out=z)


def _prime_(a, out):
    """Writes sigma'(z) = a(1 - a) (network2's sigmoid_prime, from a = sigma(z)) into ``out`` and returns it."""
    np.subtract(1.0, a, out=out)
    out *= a
    return out


def forward(W, B, x, *, exact: bool = False, w0=None):
    """Returns (zs, acts): zs = [z^2, ..., z^L] (S, n, n_l) when ``exact`` (else []), acts = [x, a^2, ..., a^L].

    ``x`` is shared (n, n_0) or per replica (S, n, n_0); ``w0`` replaces the first layer's weights (the input
    columns x holds).
    """
    w0 = W[0] if w0 is None else w0
    zs, acts = [], [x]
    with np.errstate(over="ignore"):
        for l, b in enumerate(B):
            if l == 0 and x.ndim == 2:  # (n, S n_1): one product for all replicas
                n, S = len(x), w0.shape[0]
                z = x @ w0.reshape(-1, w0.shape[2]).T
                z += b.reshape(-1)
                a = sigmoid(z) if exact else sigmoid_(z)
                z, a = (v.reshape(n, S, -1).transpose(1, 0, 2) for v in (z, a))  # views (S, n, n_1), no copy
            else:
                z = np.matmul(acts[-1], (w0 if l == 0 else W[l]).transpose(0, 2, 1))
                z += b[:, None, :]
                a = sigmoid(z) if exact else sigmoid_(z)
            if exact:
                zs.append(z)
            acts.append(a)
    return zs, acts


def backward(W, zs, acts, y, *, cost: str = "cross-entropy") -> list:
    """Returns the errors [delta^2, ..., delta^L], (S, n, n_l) each, for targets y ((n, n_L) or (S, n, n_L)).

    BP1 delta^L = a - y (cross-entropy) or (a - y) sigma'(z^L) (quadratic): the cost's own ``delta`` (numeric.functions)
    when ``zs`` are given (``forward(..., exact=True)``); BP2 delta^l = (delta^{l+1} w^{l+1}) * sigma'(z^l), sigma' from
    ``zs`` when given, else a(1 - a).
    """
    if cost not in COSTS:
        raise ValueError(f"cost must be one of {sorted(COSTS)}, got {cost!r}")
    if zs:
        delta = COSTS[cost].delta(zs[-1], acts[-1], y)
    else:
        delta = acts[-1] - y
        if cost == "quadratic":
            delta *= _prime_(acts[-1], np.empty_like(delta))
    deltas = [delta]
    for l in range(len(W) - 1, 0, -1):
        delta = np.matmul(delta, W[l])
        delta *= sigmoid_prime(zs[l - 1]) if zs else _prime_(acts[l], np.empty_like(acts[l]))
        deltas.insert(0, delta)
    return deltas


def gradients(deltas, acts):
    """Returns (nabla_b, nabla_w): BP3 sum over the rows of delta^l, (S, n_l); BP4 (delta^l)^T a^{l-1}, (S, n_l,
    n_{l-1}); **sums** over the n examples (network2 accumulates per-example gradients the same way)."""
    nbs = [d.sum(axis=1) for d in deltas]
    nws = []
    for d, a in zip(deltas, acts[:-1]):
        if a.ndim == 2:  # shared inputs: (n, S n_1) against x, one product for all replicas
            S, n = d.shape[:2]
            nws.append((d.transpose(1, 0, 2).reshape(n, -1).T @ a).reshape(S, -1, a.shape[1]))
        else:
            nws.append(np.matmul(d.transpose(0, 2, 1), a))
    return nbs, nws


class _Buffers:
    """Work arrays for mini-batches of m rows of S replicas."""

    def __init__(self, sizes, S, m, dtype):
        self.a = [np.empty((S, m, s), dtype) for s in sizes]
        self.d = [np.empty((S, m, s), dtype) for s in sizes[1:]]
        self.sp = [np.empty((S, m, s), dtype) for s in sizes[1:]]
        self.y = np.empty((S, m, sizes[-1]), dtype)
        self.nw = [np.empty((S, o, i), dtype) for i, o in zip(sizes[:-1], sizes[1:])]
        self.nb = [np.empty((S, o), dtype) for o in sizes[1:]]


def _step(W, B, buf, eta_m, decay, quadratic):
    """One network2 update in place: w -> decay w - (eta/m) sum nabla_w, b -> b - (eta/m) sum nabla_b."""
    L, a = len(W), buf.a
    for l in range(L):  # forward
        np.matmul(a[l], W[l].transpose(0, 2, 1), out=a[l + 1])
        a[l + 1] += B[l][:, None, :]
        sigmoid_(a[l + 1])
    d = buf.d[L - 1]
    np.subtract(a[L], buf.y, out=d)  # BP1, cross-entropy: a - y
    if quadratic:  # BP1, quadratic: (a - y) sigma'(z)
        d *= _prime_(a[L], buf.sp[L - 1])
    d *= eta_m  # fold eta/m into delta: the sums below are then the updates
    for l in range(L - 1, -1, -1):
        d = buf.d[l]
        if l > 0:  # BP2 with w^{l+1} before its update
            prev = buf.d[l - 1]
            np.matmul(d, W[l], out=prev)
            prev *= _prime_(a[l], buf.sp[l - 1])
        if decay is not None:
            W[l] *= decay
        np.matmul(d.transpose(0, 2, 1), a[l], out=buf.nw[l])  # BP4, summed over the batch (preallocated: a fresh
        W[l] -= buf.nw[l]  # 188 kB array per step costs an mmap/munmap pair)
        np.add.reduce(d, axis=1, out=buf.nb[l])  # BP3
        B[l] -= buf.nb[l]


def sgd_epoch(W, B, x, y, orders, m: int, eta: float, lmbdas, *, quadratic: bool = False) -> None:
    """Runs one epoch of network2's mini-batch SGD in place on every replica; returns nothing.

    ``x`` (n, n_0) and ``y`` (n, n_L) are the training data (float, the weights' dtype); ``orders`` (S, n) holds each
    replica's permutation of the rows for this epoch, its mini-batches the consecutive slices of m (the last may be
    shorter, as in network2); ``lmbdas`` (S,) each replica's L2 strength: w -> (1 - eta lmbda / n) w.
    """
    S, n = orders.shape
    m = min(m, n)  # buffers for at most the data (a mini-batch larger than n is one batch of all n)
    sizes, dtype = [W[0].shape[2]] + [w.shape[1] for w in W], W[0].dtype
    decay = (1.0 - eta * np.asarray(lmbdas, dtype=np.float64) / n).astype(dtype)[:, None, None]
    decay = None if (decay == 1.0).all() else decay  # multiplying by 1 changes nothing: skip it
    full = _Buffers(sizes, S, m, dtype)
    # overflow to inf is the correct limit in the sigmoid; a diverging run (NaN) is stopped by the caller
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(0, n, m):
            idx = orders[:, k:k + m]
            buf = full if idx.shape[1] == m else _Buffers(sizes, S, idx.shape[1], dtype)
            x.take(idx, axis=0, out=buf.a[0])  # the method skips np.take's Python wrapper
            y.take(idx, axis=0, out=buf.y)
            _step(W, B, buf, eta / idx.shape[1], decay, quadratic)
