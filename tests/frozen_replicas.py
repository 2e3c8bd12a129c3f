"""Frozen for tests/test_kernel.py: the chapter's own ``Replicas`` and its sigmoid kernel as they were before the
suite's one kernel (numeric.networks.stacked) took them over (main at 0374544: numeric/networks/kernel.py and
replicas.py, imports made absolute, the two files joined; nothing else changed). An independent reference: the
kernel must compute what this computes, to rounding.
"""

from __future__ import annotations

import numpy as np

from numeric.functions import COSTS, sigmoid, sigmoid_prime
from numeric.networks.network import Network
from numeric.streams import generator
from numeric.validate import as_inputs, as_targets, check_positive

__all__ = ["Replicas"]



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


class Replicas:
    """The networks ``Network(sizes, rng=purpose(s, "init"), init=init)`` for each stream s, stacked.

    ``streams``: one ``numpy.random.SeedSequence`` per replica (an int s stands for ``SeedSequence(s)``);
    the same stream twice gives two identical replicas (two protocols paired by seed).
    ``cost``: "cross-entropy" (the chapter's) or "quadratic", as ``Network``'s.
    """

    def __init__(self, sizes, streams, *, init: str = "default", cost: str = "cross-entropy"):
        streams = list(streams)
        if not streams:
            raise ValueError("Replicas needs at least one stream")
        nets = [Network(sizes, rng=generator(s, "init"), init=init, cost=cost) for s in streams]
        self.sizes, self.streams, self.init, self.cost = nets[0].sizes, streams, init, cost
        self.weights = [np.stack([n.weights[l] for n in nets]) for l in range(len(self.sizes) - 1)]
        self.biases = [np.stack([n.biases[l] for n in nets]) for l in range(len(self.sizes) - 1)]

    def __len__(self) -> int:
        return len(self.streams)

    def network(self, k: int) -> Network:
        """Returns replica k as a ``Network`` (copies of its weights and biases)."""
        return Network.from_parameters([w[k] for w in self.weights], [b[k] for b in self.biases], cost=self.cost)

    # -- forward ---------------------------------------------------------------------------
    def _forward(self, x, w0=None):
        """Returns the activations [a^2 (S, n, n_2), ...] of every replica for the shared inputs x (n, n_0)
        (``networks.forward``, network2's arithmetic); ``w0`` replaces the first layer's weights (the columns of
        the inputs x holds)."""
        return forward(self.weights, self.biases, x, w0=w0)[1][1:]

    def accuracy(self, x, labels) -> np.ndarray:
        """Returns, per replica, how many inputs x (n, n_0) it classifies as ``labels`` (n,)."""
        x = as_inputs(x, self.sizes[0])
        labels = np.asarray(labels)
        if labels.shape != (len(x),):
            raise ValueError(f"labels must have shape ({len(x)},), got {labels.shape}")
        with np.errstate(over="ignore"):
            out = self._forward(x)[-1]
        return (out.argmax(axis=2) == labels).sum(axis=1)

    # -- training --------------------------------------------------------------------------
    def _mean_gradients(self, x, y, cols):
        """Returns (nabla_b, nabla_w) per layer, averaged over the n rows of (x, y), for every replica.

        ``x`` holds only the input columns ``cols``; nabla_w[0] is for those columns. BP1-BP4 as
        ``numeric.networks.kernel`` (sigma' = a(1 - a) as network2), summed over the rows, then divided by n.
        """
        _, acts = forward(self.weights, self.biases, x, w0=self.weights[0][:, :, cols])
        nbs, nws = gradients(backward(self.weights, [], acts, y, cost=self.cost), acts)
        return [v / len(x) for v in nbs], [v / len(x) for v in nws]

    def _shared_inputs(self, x, y):
        """Returns (x restricted to its non-zero columns, y one-hot, those columns).

        Inputs that are 0 in every image (MNIST's border: 149 of 784 pixels in the first 1,000)
        add nothing to z and get a zero weight gradient; leaving them out of the two large
        products is exact and saves a fifth of the time.
        """
        x = as_inputs(x, self.sizes[0])
        y = as_targets(y, len(x), self.sizes[-1])
        cols = np.flatnonzero((x != 0).any(axis=0))
        return np.ascontiguousarray(x[:, cols]), y, cols

    def mean_bias_gradients(self, x, y) -> list:
        """Returns dC/db per layer, (S, n_l) each, averaged over the examples of (x, y) (no step)."""
        x, y, cols = self._shared_inputs(x, y)
        with np.errstate(over="ignore"):
            return self._mean_gradients(x, y, cols)[0]

    def full_batch_descent(self, x, y, epochs: int, eta: float, lmbda: float, *, progress=None) -> list:
        """Trains by gradient descent on all of (x, y), one step per epoch; returns the recorded gradients.

        Returns ``grads`` with ``grads[l]`` of shape (epochs, S, n_{l+1}): dC/db^{l+2} (book's
        numbering) averaged over the n examples, at each epoch **before** that epoch's step, the
        very gradient the step then uses: b -> b - eta grad, w -> (1 - eta lmbda/n) w - eta grad_w
        (network2's update with one mini-batch of all n). ``progress(epoch)`` is called every 100 epochs.
        """
        x, y, cols = self._shared_inputs(x, y)
        epochs = int(check_positive("epochs", epochs, allow_zero=True, integer=True))
        eta, lmbda = check_positive("eta", eta), check_positive("lmbda", lmbda, allow_zero=True)
        decay = 1.0 - eta * lmbda / len(x)
        grads = [np.empty((epochs, len(self), w.shape[1])) for w in self.weights]
        with np.errstate(over="ignore"):
            for epoch in range(epochs):
                nbs, nws = self._mean_gradients(x, y, cols)
                for l, (nb, nw) in enumerate(zip(nbs, nws)):
                    grads[l][epoch] = nb
                    self.weights[l] *= decay  # the weights of all-zero inputs only decay
                    if l > 0:
                        self.weights[l] -= eta * nw
                    else:
                        self.weights[0][:, :, cols] -= eta * nw
                    self.biases[l] -= eta * nb
                self._check_finite(epoch, eta)
                if progress is not None and (epoch + 1) % 100 == 0:
                    progress(epoch + 1)
        return grads

    def _check_finite(self, epoch: int, eta: float) -> None:
        if not all(np.isfinite(w).all() for w in self.weights):
            raise FloatingPointError(f"weights became NaN or inf at epoch {epoch} (eta {eta:g}); lower eta")

    def sgd(self, x, y, epochs: int, mini_batch_size: int, eta: float, lmbdas, *, on_epoch=None) -> None:
        """Trains every replica by network2's mini-batch SGD, in place.

        Replica k shuffles each epoch with its own stream's "shuffle" child (as
        ``Network.SGD(..., rng=purpose(streams[k], "shuffle"))`` does; a new generator at each call, so
        a second call repeats the first's permutations) and uses ``lmbdas[k]`` (a number: all the
        same). ``on_epoch(epoch)`` runs after each epoch.
        """
        x = as_inputs(x, self.sizes[0]).astype(self.weights[0].dtype, copy=False)
        y = as_targets(y, len(x), self.sizes[-1]).astype(self.weights[0].dtype, copy=False)
        n, S = len(x), len(self)
        m = min(int(check_positive("mini_batch_size", mini_batch_size, integer=True)), n)
        eta = check_positive("eta", eta)
        lmbdas = np.broadcast_to(np.asarray(lmbdas, dtype=np.float64), (S,))
        for v in lmbdas:
            check_positive("lmbda", float(v), allow_zero=True)
        rngs = [generator(s, "shuffle") for s in self.streams]
        for epoch in range(int(check_positive("epochs", epochs, allow_zero=True, integer=True))):
            orders = np.stack([r.permutation(n) for r in rngs])
            sgd_epoch(self.weights, self.biases, x, y, orders, m, eta, lmbdas,
                             quadratic=self.cost == "quadratic")
            self._check_finite(epoch, eta)
            if on_epoch is not None:
                on_epoch(epoch)
