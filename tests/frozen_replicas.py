"""Frozen for the bit-for-bit tests (tests/test_kernel.py): the arithmetic of main's numeric/replicas.py at
968612f, before it ran on numeric.networks.kernel (imports made absolute; nothing else changed).

Only what the kernel replaced is frozen here: the forward pass, the averaged gradients (BP1-BP4) and network2's
mini-batch SGD loop, the cross-entropy cost only. The drivers that did not change in that move (``full_batch_descent``,
``mean_bias_gradients``, ``accuracy``, the streams and the initial draws) are inherited from today's
``numeric.networks.replicas.Replicas`` and call the frozen methods below, so a difference between this class and
today's is a difference in the arithmetic the kernel took over.
"""

from __future__ import annotations

import numpy as np

from numeric.networks import replicas
from numeric.streams import generator
from numeric.validate import as_inputs, as_targets, check_positive

__all__ = ["Replicas"]


def _sigmoid_(z):
    """Overwrites z with sigma(z) = 1 / (1 + e^{-z}) and returns it (e^{1000} -> inf -> 0, silently)."""
    np.negative(z, out=z)
    np.exp(z, out=z)
    z += 1.0
    return np.reciprocal(z, out=z)



class Replicas(replicas.Replicas):
    """``numeric.networks.replicas.Replicas`` with the arithmetic it had before the kernel (cross-entropy only)."""

    def __init__(self, sizes, streams, *, init: str = "default", cost: str = "cross-entropy"):
        if cost != "cross-entropy":
            raise ValueError(f"Replicas trains the chapter's cross-entropy cost only, got {cost!r}")
        super().__init__(sizes, streams, init=init, cost=cost)

    # -- forward ---------------------------------------------------------------------------
    def _forward(self, x, w0=None):
        """Returns the activations [a^1 (S, n, n_1), ...] of every replica for the shared inputs x (n, n_0).

        ``w0`` replaces the first layer's weights (the columns of the inputs x holds).
        """
        n, S = len(x), len(self)
        w0 = self.weights[0] if w0 is None else w0
        z = x @ w0.reshape(-1, w0.shape[2]).T  # (n, S n_1): one product for all seeds
        z += self.biases[0].reshape(-1)
        acts = [_sigmoid_(z).reshape(n, S, w0.shape[1]).transpose(1, 0, 2)]  # a view (S, n, n_1), no copy
        for w, b in zip(self.weights[1:], self.biases[1:]):
            z = np.matmul(acts[-1], w.transpose(0, 2, 1))
            z += b[:, None, :]
            acts.append(_sigmoid_(z))
        return acts

    # -- training --------------------------------------------------------------------------
    def _mean_gradients(self, x, y, cols):
        """Returns (nabla_b, nabla_w) per layer, averaged over the n rows of (x, y), for every replica.

        ``x`` holds only the input columns ``cols``; nabla_w[0] is for those columns.
        BP1 (cross-entropy) delta^L = a^L - y; BP2 delta^l = (delta^{l+1} w^{l+1}) * sigma'(z^l)
        with sigma' = a(1 - a) as network2; BP3 and BP4 averaged over the rows.
        """
        n, S = len(x), len(self)
        acts = self._forward(x, self.weights[0][:, :, cols])
        delta = acts[-1] - y
        nbs, nws = [], []
        for l in range(len(self.weights) - 1, -1, -1):
            nbs.insert(0, delta.sum(axis=1) / n)
            if l > 0:
                nws.insert(0, np.matmul(delta.transpose(0, 2, 1), acts[l - 1]) / n)
                a = acts[l - 1]
                sp = 1.0 - a
                sp *= a  # sigma'(z) = a(1 - a), network2's sigmoid_prime
                delta = np.matmul(delta, self.weights[l])
                delta *= sp
            else:  # (n, S n_1) against x: one product for all seeds
                nws.insert(0, (delta.transpose(1, 0, 2).reshape(n, -1).T @ x).reshape(S, -1, x.shape[1]) / n)
        return nbs, nws

    def sgd(self, x, y, epochs: int, mini_batch_size: int, eta: float, lmbdas, *, on_epoch=None) -> None:
        """Trains every replica by network2's mini-batch SGD, in place.

        Replica k shuffles each epoch with its own stream's "shuffle" child (as
        ``Network.SGD(..., rng=purpose(streams[k], "shuffle"))`` does; a new generator at each call, so
        a second call repeats the first's permutations) and uses ``lmbdas[k]`` (a number: all the
        same). ``on_epoch(epoch)`` runs after each epoch.
        """
        x = as_inputs(x, self.sizes[0])
        y = as_targets(y, len(x), self.sizes[-1])
        n, S, L = len(x), len(self), len(self.weights)
        m = min(int(check_positive("mini_batch_size", mini_batch_size, integer=True)), n)
        eta = check_positive("eta", eta)
        lmbdas = np.broadcast_to(np.asarray(lmbdas, dtype=np.float64), (S,))
        for v in lmbdas:
            check_positive("lmbda", float(v), allow_zero=True)
        decay = (1.0 - eta * lmbdas / n)[:, None, None]
        rngs = [generator(s, "shuffle") for s in self.streams]
        W, B = self.weights, self.biases
        with np.errstate(over="ignore"):
            for epoch in range(int(check_positive("epochs", epochs, allow_zero=True, integer=True))):
                orders = np.stack([r.permutation(n) for r in rngs])
                for k in range(0, n, m):
                    idx = orders[:, k:k + m]
                    acts = [x[idx]]
                    for w, b in zip(W, B):
                        z = np.matmul(acts[-1], w.transpose(0, 2, 1))
                        z += b[:, None, :]
                        acts.append(_sigmoid_(z))
                    delta = (acts[-1] - y[idx]) * (eta / idx.shape[1])  # BP1, eta/m folded in
                    for l in range(L - 1, -1, -1):
                        nw = np.matmul(delta.transpose(0, 2, 1), acts[l])
                        nb = delta.sum(axis=1)
                        if l > 0:
                            a = acts[l]
                            delta = np.matmul(delta, W[l]) * (a * (1.0 - a))
                        W[l] *= decay
                        W[l] -= nw
                        B[l] -= nb
                self._check_finite(epoch, eta)
                if on_epoch is not None:
                    on_epoch(epoch)
