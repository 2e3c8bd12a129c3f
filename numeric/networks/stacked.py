"""S remedies networks of one architecture trained side by side: ``DeepNetwork``s as stacked arrays.

``Stack(nets)`` stacks ``DeepNetwork``s that share sizes, activation, output, cost, batch normalisation and
residual blocks (their initialisations may differ): ``weights[l]`` is (S, n_{l+1}, n_l), ``biases[l]``
(S, n_{l+1}), and every NumPy call serves all S replicas. Replica k computes what ``nets[k]`` computes
(forward, ``backprop`` and ``sgd``, to rounding; the tests check every option), and ``network(k)`` hands it
back as a ``DeepNetwork``.

Replicas come in G equal groups (replicas g R .. g R + R - 1, R = S / G): a group shares its inputs. The
first layer of a group is then one matrix product for all its replicas, and in ``sgd`` each group follows
its own shuffling generator, exactly as ``DeepNetwork.SGD(rng=...)`` draws it. Every replica has its own
learning rate (``etas``) and, optionally, its own lmbda, momentum and clipping threshold.

Divergence is a result, not an exception: after every epoch a replica whose parameters are no longer all
finite is marked in ``diverged`` (with the epoch in ``diverged_epoch``), its learning rate set to 0 and its
parameters to 0, so that it cannot spread NaN through the stack; the others train on.
"""

from __future__ import annotations

import numpy as np

from ..activations import ACTIVATIONS, BN_EPS, BN_MOMENTUM, output_layer
from ..validate import as_inputs, as_targets
from .deep import DeepNetwork

__all__ = ["Stack", "StackedGradients"]


class StackedGradients:
    """Backprop's output for every replica: sums over each replica's batch.

    ``nabla_w[l]`` (S, n_{l+1}, n_l), ``nabla_b[l]`` (S, n_{l+1}) (dC/dbeta with batch norm), ``nabla_gamma[l]``
    or None; ``examples[l]`` (S, n, n_{l+1}): each example's own dC/db^l (dC/dbeta^l with batch norm), the
    vectors whose sum over the batch is ``nabla_b[l]``.
    """

    def __init__(self, nabla_b, nabla_w, nabla_gamma, examples):
        self.nabla_b, self.nabla_w, self.nabla_gamma, self.examples = nabla_b, nabla_w, nabla_gamma, examples

    def params(self) -> list:
        """The gradients in ``Stack.params()`` order."""
        return list(self.nabla_w) + list(self.nabla_b) + [g for g in self.nabla_gamma if g is not None]


class Stack:
    """``DeepNetwork``s of one architecture, stacked (see the module docstring)."""

    def __init__(self, nets, *, dtype=np.float64):
        nets = list(nets)
        if not nets or not all(isinstance(n, DeepNetwork) for n in nets):
            raise TypeError("Stack needs a non-empty list of DeepNetwork")
        arch = {(tuple(n.sizes), n.activation, n.output, n.cost.name, n.batch_norm, n.residual) for n in nets}
        if len(arch) != 1:
            raise ValueError(f"a Stack's networks must share one architecture, got {sorted(arch)}")
        first = nets[0]
        self.sizes, self.activation, self.output = list(first.sizes), first.activation, first.output
        self.output_fn, self.cost, self.residual = first.output_fn, first.cost, first.residual
        self.dtype = np.dtype(dtype)
        stack = lambda arrays: np.stack(arrays).astype(self.dtype)  # noqa: E731
        L = len(first.weights)
        self.weights = [stack([n.weights[l] for n in nets]) for l in range(L)]
        self.biases = [stack([n.biases[l] for n in nets]) for l in range(L)]
        bn = [first.gamma[l] is not None for l in range(L)]
        self.gamma = [stack([n.gamma[l] for n in nets]) if bn[l] else None for l in range(L)]
        self.beta = [stack([n.beta[l] for n in nets]) if bn[l] else None for l in range(L)]
        self.running = [[stack([n.running[l][i] for n in nets]) for i in (0, 1)] if bn[l] else None for l in range(L)]
        self.diverged = np.zeros(len(nets), dtype=bool)
        self.diverged_epoch = np.full(len(nets), -1)

    @classmethod
    def from_arrays(cls, weights, biases, *, activation: str, output: str = "softmax", dtype=np.float32) -> Stack:
        """Returns a Stack of plain layers (no batch normalisation, no residual blocks, the output's default cost)
        holding copies of ``weights[l]`` (S, n_{l+1}, n_l) and ``biases[l]`` (S, n_{l+1}), drawn by the caller."""
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        self = cls.__new__(cls)
        self.dtype, self.activation, self.output, self.residual = np.dtype(dtype), activation, output, False
        self.output_fn, self.cost = output_layer(output, None)
        self.weights = [np.array(w, dtype=self.dtype) for w in weights]
        self.biases = [np.array(b, dtype=self.dtype) for b in biases]
        self.sizes = [self.weights[0].shape[2]] + [w.shape[1] for w in self.weights]
        S = len(self.weights[0])
        if any(w.shape != (S, n1, n0) or b.shape != (S, n1) for w, b, n0, n1
               in zip(self.weights, self.biases, self.sizes, self.sizes[1:])) or len(self.biases) != len(self.weights):
            raise ValueError("weights[l] must be (S, n_{l+1}, n_l) and biases[l] (S, n_{l+1}), chained, one S")
        self.gamma, self.beta, self.running = ([None] * len(self.weights) for _ in range(3))
        self.diverged, self.diverged_epoch = np.zeros(S, dtype=bool), np.full(S, -1)
        return self

    def __len__(self) -> int:
        return len(self.weights[0])

    def network(self, k: int) -> DeepNetwork:
        """Returns replica k as a ``DeepNetwork`` (float64 copies of its parameters)."""
        net = DeepNetwork(self.sizes, activation=self.activation, output=self.output, cost=self.cost.name,
                          batch_norm=self.gamma[0] is not None, residual=self.residual, rng=0)
        for l in range(len(self.weights)):
            net.weights[l], net.biases[l] = self.weights[l][k].astype(float), self.biases[l][k].astype(float)
            if self.gamma[l] is not None:
                net.gamma[l], net.beta[l] = self.gamma[l][k].astype(float), self.beta[l][k].astype(float)
                net.running[l] = tuple(r[k].astype(float) for r in self.running[l])
        return net

    def params(self) -> list:
        """Every trained array: weights, then biases (beta on batch-normalised layers), then gammas."""
        out = list(self.weights) + [b if be is None else be for b, be in zip(self.biases, self.beta)]
        return out + [g for g in self.gamma if g is not None]

    def nonfinite(self) -> np.ndarray:
        """Returns, per replica, whether any of its trained parameters is NaN or inf (a diverged replica)."""
        return np.any([~np.isfinite(p.reshape(len(self), -1)).all(axis=1) for p in self.params()], axis=0)

    # -- forward and backward ------------------------------------------------------------------
    def _grouped(self, x):
        """Returns x as (G, n, n_0): one batch per group (a shared (n, n_0) batch is one group)."""
        x = np.asarray(x, dtype=self.dtype)
        x = x[None] if x.ndim == 2 else x
        if x.ndim != 3 or len(self) % len(x):
            raise ValueError(f"inputs must be (n, n_0) or (G, n, n_0) with G dividing {len(self)} replicas, "
                             f"got {x.shape}")
        return x

    def forward(self, x, *, training: bool = False, update_running: bool = True):
        """Returns (zs, activations, caches) as ``DeepNetwork.forward``, each (S, n, n_l); activations[0] is the
        grouped input (G, n, n_0)."""
        xg = self._grouped(x)
        S, (G, n, n0) = len(self), xg.shape
        phi = ACTIVATIONS[self.activation][0]
        n1 = self.sizes[1]
        w0 = self.weights[0].reshape(G, -1, n0).transpose(0, 2, 1)
        z = np.matmul(xg, w0).reshape(G, n, S // G, n1).transpose(0, 2, 1, 3).reshape(S, n, n1)
        zs, acts, caches, L = [], [xg], [], len(self.weights)
        for l in range(L):
            if l:
                z = np.matmul(acts[-1], self.weights[l].transpose(0, 2, 1))
            if self.gamma[l] is None:
                z = z + self.biases[l][:, None, :]
            zs.append(z)
            if l == L - 1:
                acts.append(self.output_fn(z))
                caches.append(None)
                continue
            u, cache = self._normalise(l, z, training, update_running)
            caches.append((u, cache))
            a = phi(u)
            acts.append(a + acts[-1] if self.residual and l > 0 else a)
        return zs, acts, caches

    def _normalise(self, l, z, training, update_running):
        if self.gamma[l] is None:
            return z, None
        if training:
            if z.shape[1] < 2:
                raise ValueError("batch normalisation needs mini-batches of at least 2 examples")
            mean, var = z.mean(axis=1), z.var(axis=1)
            if update_running:
                rm, rv = self.running[l]
                self.running[l] = [BN_MOMENTUM * rm + (1 - BN_MOMENTUM) * mean,
                                   BN_MOMENTUM * rv + (1 - BN_MOMENTUM) * var]
        else:
            mean, var = self.running[l]
        inv = (1 / np.sqrt(var + BN_EPS))[:, None, :]
        zhat = (z - mean[:, None, :]) * inv
        return self.gamma[l][:, None, :] * zhat + self.beta[l][:, None, :], (zhat, inv, training)

    def _targets(self, y, xg):
        G, n = xg.shape[:2]
        y = np.asarray(y)
        if y.ndim == 3:
            y = y.astype(self.dtype)
        else:
            y = as_targets(y, n, self.sizes[-1]).astype(self.dtype)[None]
        return np.repeat(y, len(self) // G, axis=0) if len(y) > 1 else y

    def backprop(self, x, y, *, training: bool = True, update_running: bool = True, scale=None) -> StackedGradients:
        """Returns every replica's gradient summed over its batch, as ``DeepNetwork.backprop``.

        x is (n, n_0) or (G, n, n_0); y integer labels (n,) or targets (G, n, n_L); ``scale`` (S,) multiplies
        replica k's gradient (``sgd`` folds eta / m in here).
        """
        zs, acts, caches = self.forward(x, training=training, update_running=update_running)
        delta = self.cost.delta(zs[-1], acts[-1], self._targets(y, acts[0]))
        if scale is not None:
            delta = delta * np.asarray(scale, dtype=self.dtype)[:, None, None]
        dphi = ACTIVATIONS[self.activation][1]
        L = len(self.weights)
        nw, nb, ng, ex = [None] * L, [None] * L, [None] * L, [None] * L
        grad_a = None
        for l in range(L - 1, -1, -1):
            if l == L - 1:
                d_z = ex[l] = delta
            else:
                u, cache = caches[l]
                d_u = ex[l] = grad_a * dphi(u)
                if cache is None:
                    d_z = d_u
                else:
                    zhat, inv, batch_stats = cache
                    ng[l] = (d_u * zhat).sum(axis=1)
                    d_zhat = d_u * self.gamma[l][:, None, :]
                    if batch_stats:  # through the batch mean and variance
                        m = d_zhat.shape[1]
                        d_z = inv / m * (m * d_zhat - d_zhat.sum(axis=1, keepdims=True)
                                         - zhat * (d_zhat * zhat).sum(axis=1, keepdims=True))
                    else:
                        d_z = d_zhat * inv
            nb[l] = ex[l].sum(axis=1)
            nw[l] = self._weight_gradient(l, d_z, acts[l])
            if l:
                prev = np.matmul(d_z, self.weights[l])
                grad_a = prev + grad_a if self.residual and 0 < l < L - 1 else prev
        return StackedGradients(nb, nw, ng, ex)

    def _weight_gradient(self, l, d_z, a):
        if l:
            return np.matmul(d_z.transpose(0, 2, 1), a)
        G, n, n0 = a.shape  # the grouped input: one product per group
        S, _, n1 = d_z.shape
        d = d_z.reshape(G, S // G, n, n1).transpose(0, 1, 3, 2).reshape(G, -1, n)
        return np.matmul(d, a).reshape(S, n1, n0)

    # -- measurements ----------------------------------------------------------------------------
    def accuracy(self, x, labels) -> np.ndarray:
        """Returns, per replica, how many of the inputs x (n, n_0) it classifies as ``labels`` (inference)."""
        x = as_inputs(x, self.sizes[0])
        with np.errstate(all="ignore"):
            out = self.forward(x)[1][-1]
        return (out.argmax(axis=2) == np.asarray(labels)).sum(axis=1)

    def costs(self, x, y) -> np.ndarray:
        """Returns, per replica, the mean cost over (x, y) at inference (NaN or inf for a diverged replica)."""
        x = as_inputs(x, self.sizes[0])
        with np.errstate(all="ignore"):
            zs, acts, _ = self.forward(x)
            return self.cost.fn(zs[-1], acts[-1], self._targets(y, acts[0])).mean(axis=1)

    def gradient_norms(self, x, y) -> tuple[np.ndarray, np.ndarray]:
        """Returns (per_example, averaged), each (S, hidden layers), for the bias gradients of (x, y):

        per_example = sqrt(mean_x ||dC_x/db^l||^2), the root mean square of each example's own gradient (what
        mean field predicts, ``experiments.meanfield``); averaged = ||mean_x dC_x/db^l|| (the book's ||delta^l||).
        Batch normalisation uses the statistics of (x, y) itself, the running ones left alone.
        """
        x = as_inputs(x, self.sizes[0])
        g = self.backprop(x, y, training=True, update_running=False)
        hidden = g.examples[:-1]
        rms = np.stack([np.sqrt(np.mean(np.sum(e.astype(float) ** 2, axis=2), axis=1)) for e in hidden], axis=1)
        avg = np.stack([np.linalg.norm(b.astype(float) / len(x), axis=1) for b in g.nabla_b[:-1]], axis=1)
        return rms, avg
