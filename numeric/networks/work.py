"""The buffers of one pass of the suite's kernel (``numeric.networks.stacked.Stack``) over G groups of n inputs.

A ``Work`` is made once per (G, n) and reused from step to step, so that a training step allocates nothing: the
inputs with their column of ones, every layer's z, its batch normalisation u, phi's output (the layer's activations,
after their own column of ones), dC/dz and the parameters' gradients, and the first layer's buffers in the groups'
layout (``grouped``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["Work"]


class Work:
    """The buffers of one pass over G groups of n examples (reused from step to step: no allocation in a step).

    ``x`` (G, n, 1 + k): a column of ones, then the k input columns in use (``use_columns``); per layer l:
    ``z[l]`` (S, n, n_{l+1}), ``u[l]`` its batch normalisation, ``h[l]`` phi of it (a residual layer's branch),
    ``a[l]`` (S, n, 1 + n_{l+1}) a column of ones and the layer's output, ``d[l]`` dC/dz, ``du[l]`` dC/du (batch
    norm), ``g[l]`` the gradient of ``params_aug[l]``.
    """

    def __init__(self, stack, G: int, n: int):
        S, sizes, dt, L = len(stack), stack.sizes, stack.dtype, len(stack.sizes) - 1
        self.G, self.n, self._xs = G, n, {}
        self.z = [np.empty((S, n, m), dt) for m in sizes[1:]]
        self.a = [np.ones((S, n, 1 + m), dt) for m in sizes[1:-1]] + [np.empty((S, n, sizes[-1]), dt)]
        self.h = [np.empty((S, n, m), dt) if stack.residual else None for m in sizes[1:-1]]
        self.u = [np.empty((S, n, m), dt) if stack.gamma[l] is not None else None for l, m in enumerate(sizes[1:-1])]
        self.grad_a = [None] + [np.empty((S, n, m), dt) for m in sizes[1:-1]]
        self.d = [np.empty((S, n, m), dt) for m in sizes[1:]]
        self.du = [np.empty((S, n, m), dt) if stack.gamma[l] is not None else None for l, m in enumerate(sizes[1:-1])]
        self.prime = [np.empty((S, n, m), dt) for m in sizes[1:-1]]
        self.g = [np.empty((S, 1 + sizes[l], sizes[l + 1]), dt) for l in range(L)]
        self._g0 = {sizes[0]: self.g[0]}
        self.y = np.empty((S, n, sizes[-1]), dt)
        self.bn = [None] * (L - 1)  # (zhat, inv, batch statistics?) per batch-normalised layer
        self._grouped, self.filled = {}, None

    def use_columns(self, k: int) -> Work:
        """Makes ``x`` (G, n, 1 + k) and ``g[0]`` (S, 1 + k, n_1) the buffers for k input columns in use (one pair per k
        seen, kept: contiguous, so a mini-batch's rows are copied in one pass)."""
        if k not in self._xs:
            if len(self._xs) > 4:
                self._xs.clear()
            self._xs[k] = np.ones((self.G, self.n, 1 + k), self.z[0].dtype)
            self._g0[k] = np.empty((len(self.z[0]), 1 + k, self.z[0].shape[2]), self.z[0].dtype)
        self.x, self.g[0] = self._xs[k], self._g0[k]
        return self

    def grouped(self, name: str, width: int, rows: int | None = None):
        """Returns the buffer ``name`` of the first layer in the group's layout: (G, n, R n_1) for "z" and "d",
        (G, 1 + k, R n_1) for "g" (made on first use, kept)."""
        key = (name, width, rows)
        buf = self._grouped.get(key)
        if buf is None:
            G, n = self.G, self.n
            buf = self._grouped[key] = np.empty((G, rows if rows else n, width), self.z[0].dtype)
        return buf

    def out(self, l: int):
        """Layer l's output a^l (S, n, n_l) without the column of ones (the last layer's is the network's output)."""
        return self.a[l] if l == len(self.a) - 1 else self.a[l][:, :, 1:]
