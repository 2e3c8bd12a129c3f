"""Random networks of one shape trained side by side: a stack of (sigma_w, seed) replicas.

Returns nothing by itself; ``Stack`` holds S fully connected networks of the same depth and width,
``weights[l]`` of shape (S, n_{l+1}, n_l) as in ``numeric.networks.replicas.Replicas``, and trains them with
one NumPy call per layer for all of them (``np.matmul`` over the stack). Replica r has its own
sigma_w (a cell of the phase diagram) and seed:

    W^l_ij ~ N(0, sigma_w^2 / n_{l-1}),   b^l_i ~ N(0, sigma_b^2),   z^l = W^l a^{l-1} + b^l,  a^l = phi(z^l),

the random-network ensemble of Poole et al. (2016) and Schoenholz et al. (2017); the read-out layer is
drawn the same way and followed by a softmax with the cross-entropy cost (the papers' classifier).
Hidden activations: tanh (the papers') or the sigmoid (the chapter's).

Randomness: a seed s (an int, or a replica's SeedSequence from ``numeric.streams.replica``) gives
``SeedSequence(s).spawn(2)`` = (initial draws, shuffling); the draws child is
spawned once more per sigma_w, so every replica draws its own weights, and all replicas of one seed see
the same mini-batches (the sigma_w of one seed differ in nothing else). A replica whose cost or weights
become NaN or inf is marked diverged and frozen (no further updates); its accuracy is then chance's.
"""

from __future__ import annotations

import numpy as np

from ..activations import FROM_OUTPUT
from ..streams import sequence
from ..validate import check_positive

__all__ = ["Stack", "ACTIVATIONS", "DTYPE"]

DTYPE = np.float32  # the stack trains in single precision: tanh and the products run twice as fast


ACTIVATIONS = FROM_OUTPUT  # name: (phi, phi' written through a = phi(z)), numeric.activations


class Stack:
    """S = len(sigma_ws) x len(seeds) networks [n_in, width x depth, n_out], replica r = (sigma_w, seed).

    ``replicas`` lists (sigma_w, seed) in stack order: seeds outer, sigma_w inner.
    """

    def __init__(self, depth: int, width: int, sigma_ws, seeds, *, sigma_b: float, activation: str = "tanh",
                 n_in: int = 784, n_out: int = 10):
        depth = int(check_positive("depth", depth, integer=True))
        width = int(check_positive("width", width, integer=True))
        sigma_ws = [float(check_positive("sigma_w", s)) for s in sigma_ws]
        seeds = [s if isinstance(s, np.random.SeedSequence) else int(check_positive("seed", s, allow_zero=True,
                                                                                       integer=True)) for s in seeds]
        if not sigma_ws or not seeds:
            raise ValueError("Stack needs at least one sigma_w and one seed")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        self.sigma_b = float(check_positive("sigma_b", sigma_b, allow_zero=True))
        self.activation, self.depth, self.width = activation, depth, width
        self.sizes = [int(n_in)] + [width] * depth + [int(n_out)]
        self.replicas = [(sw, s) for s in seeds for sw in sigma_ws]
        self.seeds = seeds
        streams = [sequence(s).spawn(2) for s in seeds]
        self._order_streams = [order for _, order in streams]
        draws = [np.random.default_rng(child) for init, _ in streams for child in init.spawn(len(sigma_ws))]
        self.weights, self.biases = [], []
        for n_prev, n_next in zip(self.sizes[:-1], self.sizes[1:]):
            w = np.stack([g.standard_normal((n_next, n_prev)) for g in draws])
            b = np.stack([g.standard_normal(n_next) for g in draws])
            sw = np.array([r[0] for r in self.replicas])
            self.weights.append((w * (sw / np.sqrt(n_prev))[:, None, None]).astype(DTYPE))
            self.biases.append((b * self.sigma_b).astype(DTYPE))
        self.diverged = np.zeros(len(self.replicas), dtype=bool)

    def __len__(self) -> int:
        return len(self.replicas)

    # -- forward -----------------------------------------------------------------------------
    def _first(self, xs):
        """Returns z^1 (S, m, width) for inputs xs = [x_k (m, n_in) of seed k]: one product per seed's group."""
        w0, k = self.weights[0], len(xs)
        g = len(self) // k
        return np.concatenate([(x @ w0[j * g:(j + 1) * g].reshape(-1, w0.shape[2]).T).reshape(len(x), g, -1)
                               .transpose(1, 0, 2) for j, x in enumerate(xs)]) + self.biases[0][:, None, :]

    def forward(self, x) -> tuple[list, np.ndarray]:
        """Returns ([z^1..z^L] hidden pre-activations (S, n, width) each, logits (S, n, n_out)) for inputs
        x of shape (n, n_in), shared by all replicas; computed in the stack's float32."""
        phi = ACTIVATIONS[self.activation][0]
        z = self._first([np.asarray(x, dtype=DTYPE)] * len(self.seeds))
        zs = [z]
        for w, b in zip(self.weights[1:-1], self.biases[1:-1]):
            z = np.matmul(phi(z), w.transpose(0, 2, 1)) + b[:, None, :]
            zs.append(z)
        return zs, np.matmul(phi(z), self.weights[-1].transpose(0, 2, 1)) + self.biases[-1][:, None, :]

    def accuracy(self, x, labels) -> np.ndarray:
        """Returns each replica's fraction of inputs x (n, n_in) classified as ``labels`` (n,); a diverged
        replica scores chance, 1/n_out (its output means nothing)."""
        with np.errstate(all="ignore"):
            logits = self.forward(x)[1]
        acc = (logits.argmax(axis=2) == np.asarray(labels)).mean(axis=1)
        return np.where(self.diverged, 1.0 / self.sizes[-1], acc)

    # -- training ----------------------------------------------------------------------------
    def sgd(self, x, labels, steps: int, batch: int, eta: float) -> None:
        """Trains every replica for ``steps`` mini-batch SGD steps (softmax cross-entropy, plain SGD, no decay).

        Seed k draws a fresh permutation of the n examples from its shuffling stream whenever the previous
        one is used up; all replicas of seed k take the same mini-batches, so the first layer of a seed's
        replicas is one matrix product.
        """
        steps = int(check_positive("steps", steps, allow_zero=True, integer=True))
        batch = int(check_positive("batch", batch, integer=True))
        eta = float(check_positive("eta", eta))
        x, labels = np.asarray(x, dtype=DTYPE), np.asarray(labels)
        n, k = len(x), len(self.seeds)
        g = len(self) // k
        rngs = [np.random.default_rng(s) for s in self._order_streams]
        orders = [np.empty(0, dtype=np.int64)] * k
        onehot = np.eye(self.sizes[-1], dtype=DTYPE)
        phi, dphi = ACTIVATIONS[self.activation]
        W, B = self.weights, self.biases
        for _ in range(steps):
            for j in range(k):
                if len(orders[j]) < batch:
                    orders[j] = np.concatenate([orders[j], rngs[j].permutation(n)])
            xs = [x[o[:batch]] for o in orders]
            ys = np.repeat(np.stack([onehot[labels[o[:batch]]] for o in orders]), g, axis=0)
            orders = [o[batch:] for o in orders]
            live = (~self.diverged).astype(DTYPE)
            with np.errstate(all="ignore"):
                acts = [phi(self._first(xs))]
                for w, b in zip(W[1:-1], B[1:-1]):
                    z = np.matmul(acts[-1], w.transpose(0, 2, 1))
                    z += b[:, None, :]
                    acts.append(phi(z))
                logits = np.matmul(acts[-1], W[-1].transpose(0, 2, 1)) + B[-1][:, None, :]
                logits -= logits.max(axis=2, keepdims=True)
                p = np.exp(logits)
                p /= p.sum(axis=2, keepdims=True)
                delta = (p - ys) * (live * (eta / batch))[:, None, None]  # BP1 for softmax; eta/m folded in
                for l in range(len(W) - 1, 0, -1):
                    nw = np.matmul(delta.transpose(0, 2, 1), acts[l - 1])
                    B[l] -= delta.sum(axis=1)
                    delta = np.matmul(delta, W[l]) * dphi(acts[l - 1])  # BP2, before W^l moves
                    W[l] -= nw
                B[0] -= delta.sum(axis=1)
                for j, xj in enumerate(xs):  # BP4 for the first layer, one product per seed's group
                    d = delta[j * g:(j + 1) * g].transpose(1, 0, 2).reshape(len(xj), -1)
                    W[0][j * g:(j + 1) * g] -= (d.T @ xj).reshape(g, -1, xj.shape[1])
            self._mark_diverged()

    def _mark_diverged(self) -> None:
        bad = np.zeros(len(self), dtype=bool)
        for w, b in zip(self.weights, self.biases):
            bad |= ~np.isfinite(w).all(axis=(1, 2)) | ~np.isfinite(b).all(axis=1)
        self.diverged |= bad
