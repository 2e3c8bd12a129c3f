"""The suite's one training kernel: S fully connected networks of one architecture, stacked.

``Stack(nets)`` stacks ``DeepNetwork``s that share sizes, activation, output, cost, batch normalisation and
residual blocks (their initialisations may differ); ``Stack.from_arrays`` stacks drawn arrays. Replica k computes
what ``nets[k]`` computes (forward, ``backprop`` and SGD, to rounding; the tests check every option), and
``network(k)`` hands it back as a ``DeepNetwork``. The chapter's ``Replicas`` and ``Network``, the remedies,
Glorot and Bengio's saturation, the phase diagram and greedy pre-training all train here.

Layout (chosen so that every matrix product runs at the small-matrix rate of the BLAS, measured in
``benchmarks/limit.py``): one example per row, activations (S, n, n_l); layer l's parameters are one array
``params_aug[l]`` of shape (S, 1 + n_l, n_{l+1}) whose row 0 is the bias b^l and rows 1.. are (w^l)^T. With a
column of ones before each layer's input, z = [1, a] P is one product, and the weight gradient [1, a]^T delta
holds the bias gradient (sum over the batch of delta, BP3) in its row 0 and BP4's (delta^T a)^T below it.
``weights[l]`` (S, n_{l+1}, n_l) and ``biases[l]`` (S, n_{l+1}) are views of it, in the book's orientation.

Replicas come in G equal groups (replicas g R .. g R + R - 1, R = S / G): a group shares its inputs, which enter
the first layer broadcast over the group's R replicas. Input columns that are 0 in every input of a batch (MNIST's
border) add nothing to z and get a zero gradient: the first layer uses only the other rows (exact).

Two evaluations of phi' (``numeric.activations``): ``backprop(..., exact=True)`` (a measurement) takes phi' from z,
accurate in the tails; training (``numeric.networks.stacked_sgd``) takes it from the output a = phi(z), one
transcendental per element (network2's sigma' = a(1 - a)). Batch normalisation (hidden layers): u = gamma (z - mean)
/ sqrt(var + eps) + beta over the batch while training, over running averages at inference; b is then held at 0
and "the bias gradient" is dC/dbeta. Residual blocks: a = a_prev + phi(u) on every hidden layer after the first.
"""

from __future__ import annotations

import numpy as np

from ..activations import ACTIVATIONS, BN_EPS, BN_MOMENTUM, output_layer
from ..activations import activation as activation_record
from ..validate import as_inputs, as_targets
from .deep import DeepNetwork
from .work import Work

__all__ = ["Stack", "StackedGradients", "Work"]


class StackedGradients:
    """Backprop's output for every replica: sums over each replica's batch.

    ``nabla_w[l]`` (S, n_{l+1}, n_l), ``nabla_b[l]`` (S, n_{l+1}) (dC/dbeta with batch norm), ``nabla_gamma[l]``
    or None; ``examples[l]`` (S, n, n_{l+1}): each example's own dC/db^l (dC/dbeta^l with batch norm), the
    vectors whose sum over the batch is ``nabla_b[l]``.
    """

    def __init__(self, nabla_b, nabla_w, nabla_gamma, examples):
        self.nabla_b, self.nabla_w, self.nabla_gamma, self.examples = nabla_b, nabla_w, nabla_gamma, examples

    def params(self) -> list:
        """The gradients in ``Stack.params()`` order (weights, biases, gammas)."""
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
        stack = lambda arrays: np.stack(arrays).astype(dtype)  # noqa: E731
        L = len(first.weights)
        bn = [first.gamma[l] is not None for l in range(L)]
        self._setup([stack([n.weights[l] for n in nets]) for l in range(L)],
                    [stack([n.biases[l] if not bn[l] else np.zeros_like(n.biases[l]) for n in nets]) for l in range(L)],
                    first.activation, first.output, first.cost.name, first.residual, dtype)
        self.gamma = [stack([n.gamma[l] for n in nets]) if bn[l] else None for l in range(L)]
        self.beta = [stack([n.beta[l] for n in nets]) if bn[l] else None for l in range(L)]
        self.running = [[stack([n.running[l][i] for n in nets]) for i in (0, 1)] if bn[l] else None for l in range(L)]

    @classmethod
    def from_arrays(cls, weights, biases, *, activation: str, output: str = "softmax", cost: str | None = None,
                    dtype=np.float32) -> Stack:
        """Returns a Stack of plain layers (no batch normalisation, no residual blocks; ``cost`` None: the output's
        default) holding copies of ``weights[l]`` (S, n_{l+1}, n_l) and ``biases[l]`` (S, n_{l+1})."""
        activation_record(activation)
        weights, biases = [np.asarray(w) for w in weights], [np.asarray(b) for b in biases]
        S = len(weights[0]) if weights and weights[0].ndim == 3 else -1
        sizes = [weights[0].shape[2] if S > 0 else -1] + [w.shape[1] if w.ndim == 3 else -1 for w in weights]
        if S < 1 or len(biases) != len(weights) or any(
                w.shape != (S, n1, n0) or b.shape != (S, n1)
                for w, b, n0, n1 in zip(weights, biases, sizes, sizes[1:])):
            raise ValueError("weights[l] must be (S, n_{l+1}, n_l) and biases[l] (S, n_{l+1}), chained, one S")
        self = cls.__new__(cls)
        self._setup(weights, biases, activation, output, cost, False, dtype)
        self.gamma, self.beta, self.running = ([None] * len(weights) for _ in range(3))
        return self

    def _setup(self, weights, biases, activation, output, cost, residual, dtype) -> None:
        self.dtype = np.dtype(dtype)
        self.activation, self.output, self.residual = activation, output, bool(residual)
        self.phi = activation_record(activation)
        self.output_fn, self.cost = output_layer(output, cost)
        self.sizes = [weights[0].shape[2]] + [w.shape[1] for w in weights]
        S = len(weights[0])
        self.params_aug = []
        for w, b in zip(weights, biases):
            p = np.empty((S, 1 + w.shape[2], w.shape[1]), self.dtype)
            p[:, 0, :], p[:, 1:, :] = b, np.swapaxes(w, 1, 2)
            self.params_aug.append(p)
        self.diverged, self.diverged_epoch = np.zeros(S, dtype=bool), np.full(S, -1)
        self._work = {}

    def __len__(self) -> int:
        return len(self.params_aug[0])

    @property
    def weights(self) -> list:
        """(S, n_{l+1}, n_l) per layer: views of ``params_aug`` (writing into them writes the stack)."""
        return [p[:, 1:, :].transpose(0, 2, 1) for p in self.params_aug]

    @property
    def biases(self) -> list:
        """(S, n_{l+1}) per layer: views of ``params_aug``'s row 0 (held at 0 on batch-normalised layers)."""
        return [p[:, 0, :] for p in self.params_aug]

    def network(self, k: int) -> DeepNetwork:
        """Returns replica k as a ``DeepNetwork`` (float64 copies of its parameters)."""
        net = DeepNetwork(self.sizes, activation=self.activation, output=self.output, cost=self.cost.name,
                          batch_norm=self.gamma[0] is not None, residual=self.residual, rng=0)
        for l, (w, b) in enumerate(zip(self.weights, self.biases)):
            net.weights[l], net.biases[l] = w[k].astype(float), b[k].astype(float)
            if self.gamma[l] is not None:
                net.gamma[l], net.beta[l] = self.gamma[l][k].astype(float), self.beta[l][k].astype(float)
                net.running[l] = tuple(r[k].astype(float) for r in self.running[l])
        return net

    def params(self) -> list:
        """Every trained array: weights, then biases (beta on batch-normalised layers), then gammas (views)."""
        out = list(self.weights) + [b if be is None else be for b, be in zip(self.biases, self.beta)]
        return out + [g for g in self.gamma if g is not None]

    def trained_arrays(self) -> list:
        """The arrays SGD updates: ``params_aug`` per layer, then betas and gammas (batch normalisation)."""
        return self.params_aug + [b for b in self.beta if b is not None] + [g for g in self.gamma if g is not None]

    def nonfinite(self) -> np.ndarray:
        """Returns, per replica, whether any of its trained parameters is NaN or inf (a diverged replica)."""
        S = len(self)
        return np.any([~np.isfinite(p.reshape(S, -1)).all(axis=1) for p in self.trained_arrays()], axis=0)

    # -- the passes -------------------------------------------------------------------------------
    def work(self, x, cols=None) -> Work:
        """Returns the buffers for inputs x ((n, n_0) shared, or (G, n, n_0) per group) with x copied in: the columns
        ``cols`` (default: those not 0 everywhere in x) after a column of ones."""
        xg = np.asarray(x)
        xg = xg[None] if xg.ndim == 2 else xg
        if xg.ndim != 3 or xg.shape[2] != self.sizes[0] or len(self) % len(xg):
            raise ValueError(f"inputs must be (n, {self.sizes[0]}) or (G, n, {self.sizes[0]}) with G dividing "
                             f"{len(self)} replicas, got {np.shape(x)}")
        if cols is None:
            cols = np.flatnonzero((xg != 0).any(axis=(0, 1)))
        w = self.work_for(len(xg), xg.shape[1], len(cols))
        w.filled = None  # the inputs are this call's, not a trainer's
        if len(cols) < self.sizes[0]:
            np.take(xg, cols, axis=2, out=w.x[:, :, 1:])
        else:
            np.copyto(w.x[:, :, 1:], xg)
        w.cols = cols
        return w

    def work_for(self, G: int, n: int, k: int) -> Work:
        """Returns the (kept) buffers for G groups of n inputs of which k columns are in use."""
        w = self._work.get((G, n))
        if w is None:
            if len(self._work) > 4:  # a few shapes are reused (mini-batches, evaluation chunks); others are not kept
                self._work.clear()
            w = self._work[(G, n)] = Work(self, G, n)
        return w.use_columns(k)

    def first_layer(self, cols):
        """Returns the rows of the first layer's ``params_aug`` for input columns ``cols`` (row 0 the bias): a view
        when every column is in use, else a copy."""
        p = self.params_aug[0]
        return p if len(cols) == self.sizes[0] else np.take(p, np.concatenate([[0], 1 + np.asarray(cols)]), axis=1)

    def run_forward(self, w: Work, p0, *, training: bool, update_running: bool = True, fast: bool = False):
        """Fills ``w``'s z, h and a for its inputs; ``p0`` the first layer's rows for ``w.cols`` (``first_layer``), in
        the replicas' layout (S, 1 + k, n_1) or the groups' (G, 1 + k, R n_1) (``stacked_sgd.Trainer`` picks the
        faster: one product per group wins for large batches).
        ``fast``: phi and the output layer into the buffers with the training forms (network2's arithmetic)."""
        G, n, L, R = len(w.x), w.x.shape[1], len(self.params_aug), len(self) // len(w.x)
        if p0.shape[0] == G and G < len(self):  # the group's layout (G, 1 + k, R n_1): one product per group
            zg = w.grouped("z", p0.shape[2])
            np.matmul(w.x, p0, out=zg)
            np.copyto(w.z[0].reshape(G, R, n, -1), zg.reshape(G, n, R, -1).transpose(0, 2, 1, 3))
        else:  # the replicas' layout (S, 1 + k, n_1): the group's inputs broadcast over its R replicas
            np.matmul(w.x[:, None], p0.reshape(G, R, *p0.shape[1:]), out=w.z[0].reshape(G, R, n, -1))
        for l in range(L):
            if l:
                np.matmul(w.a[l - 1], self.params_aug[l], out=w.z[l])
            if l == L - 1:
                break
            u = self._normalise(l, w, training, update_running)
            h = w.out(l) if w.h[l] is None else w.h[l]
            if fast:
                self.phi.apply_(u, h)
            else:
                np.copyto(h, self.phi.phi(u))
            if w.h[l] is not None:
                np.add(h, w.out(l - 1), out=w.out(l)) if self.residual and l > 0 else np.copyto(w.out(l), h)
        if fast and self.output == "sigmoid":
            ACTIVATIONS["sigmoid"].apply_(w.z[-1], w.a[-1])
        else:
            np.copyto(w.a[-1], self.output_fn(w.z[-1]))

    def _normalise(self, l, w, training, update_running):
        """Returns u: z itself, or its batch normalisation into ``w.u[l]`` (the statistics kept in ``w.bn[l]``)."""
        z = w.z[l]
        if self.gamma[l] is None:
            return z
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
        inv = (1 / np.sqrt(var + BN_EPS))[:, None, :].astype(self.dtype)
        zhat = (z - mean[:, None, :]) * inv
        w.bn[l] = (zhat, inv, training)
        u = np.multiply(zhat, self.gamma[l][:, None, :], out=w.u[l])
        u += self.beta[l][:, None, :]
        return u

    def run_backward(self, w: Work, y, p0, *, scale=None, exact: bool = False, weights: bool = True) -> list:
        """Fills ``w.d`` (dC/dz), ``w.du`` and ``w.g`` (the gradient of ``params_aug``, the first layer's for the rows
        ``p0``) from the forward pass in ``w`` and targets y (S, n, n_L); ``scale`` (S, 1, 1) multiplies replica k's
        gradient (SGD folds eta / m in here); ``weights`` False fills only row 0 of ``w.g`` (the biases: BP3 without
        BP4's products). Returns the gradients of the batch-normalised gammas and betas."""
        L, G, n = len(self.params_aug), len(w.x), w.x.shape[1]
        R = len(self) // G
        z, a, d = w.z[-1], w.a[-1], w.d[-1]
        if exact:
            np.copyto(d, self.cost.delta(z, a, y))  # the cost's own BP1 (numeric.functions), sigma' from z
        else:
            np.subtract(a, y, out=d)
            if self.cost.name == "quadratic":  # (a - y) sigma'(z), sigma' = a(1 - a): network2's
                d *= a * (1 - a)
        if scale is not None:
            d *= scale
        bn_grads, grad_a = [], None
        for l in range(L - 1, 0, -1):
            if weights:
                np.matmul(w.a[l - 1].transpose(0, 2, 1), w.d[l], out=w.g[l])  # BP3 in row 0, BP4 below
            else:
                np.sum(w.d[l], axis=1, out=w.g[l][:, 0])
            skip = grad_a if self.residual and l < L - 1 else None  # a^l = a^{l-1} + phi(u): the skip's share
            grad_a = np.matmul(w.d[l], self.params_aug[l][:, 1:, :].transpose(0, 2, 1), out=w.grad_a[l])
            if skip is not None:
                grad_a += skip
            bn_grads += self._through_layer(l - 1, w, grad_a, exact)
        if not weights:
            np.sum(w.d[0], axis=1, out=w.g[0][:, 0])
        elif p0.shape[0] == G and G < len(self):  # the gradient in the group's layout, into w.g0_grouped
            dg = w.grouped("d", p0.shape[2])
            np.copyto(dg.reshape(G, n, R, -1), w.d[0].reshape(G, R, n, -1).transpose(0, 2, 1, 3))
            np.matmul(w.x.transpose(0, 2, 1), dg, out=w.grouped("g", p0.shape[2], rows=p0.shape[1]))
        else:
            gx = w.g[0].reshape(G, R, *w.g[0].shape[1:])
            np.matmul(w.x[:, None].transpose(0, 1, 3, 2), w.d[0].reshape(G, R, n, -1), out=gx)
        return bn_grads

    def _through_layer(self, l, w, grad_a, exact) -> list:
        """Writes dC/dz of hidden layer l into ``w.d[l]`` from dC/da^l: phi', then batch normalisation's backward."""
        du = w.d[l] if w.du[l] is None else w.du[l]
        if exact:
            np.multiply(grad_a, self.phi.prime(w.z[l] if w.u[l] is None else w.u[l]), out=du)
        else:
            h = w.out(l) if w.h[l] is None else w.h[l]
            np.multiply(grad_a, self.phi.from_output(h, w.prime[l]), out=du)
        if w.du[l] is None:
            return []
        zhat, inv, batch_stats = w.bn[l]
        d_gamma, d_beta = (du * zhat).sum(axis=1), du.sum(axis=1)
        d_zhat = du * self.gamma[l][:, None, :]
        if batch_stats:  # through the batch mean and variance
            m = d_zhat.shape[1]
            np.copyto(w.d[l], inv / m * (m * d_zhat - d_zhat.sum(axis=1, keepdims=True)
                                         - zhat * (d_zhat * zhat).sum(axis=1, keepdims=True)))
        else:
            np.multiply(d_zhat, inv, out=w.d[l])
        return [(l, d_beta, d_gamma)]

    # -- the public passes ------------------------------------------------------------------------
    def targets(self, y, G: int, n: int, out=None):
        """Returns targets (S, n, n_L): integer labels (n,) or (G, n), or one-hot rows (n, n_L) or (G, n, n_L)."""
        y = np.asarray(y)
        if y.ndim == 1 or (y.ndim == 2 and y.shape == (n, self.sizes[-1]) and G == 1 and y.dtype.kind == "f"):
            y = as_targets(y, n, self.sizes[-1])[None]
        elif y.ndim == 2:
            y = np.stack([as_targets(v, n, self.sizes[-1]) for v in y])
        if y.shape != (G, n, self.sizes[-1]):
            raise ValueError(f"targets must be labels or one-hot rows for {G} group(s) of {n} inputs, got {y.shape}")
        out = np.empty((len(self), n, self.sizes[-1]), self.dtype) if out is None else out
        R = len(self) // G
        np.copyto(out.reshape(G, R, n, -1), y[:, None].astype(self.dtype, copy=False))
        return out

    def forward(self, x, *, training: bool = False, update_running: bool = True):
        """Returns (zs, activations, caches) as ``DeepNetwork.forward``, each (S, n, n_l) (copies); activations[0]
        is the grouped input (G, n, n_0)."""
        w = self.work(x)
        self.run_forward(w, self.first_layer(w.cols), training=training, update_running=update_running)
        xg = np.asarray(x, dtype=self.dtype)
        acts = [xg[None] if xg.ndim == 2 else xg] + [w.out(l).copy() for l in range(len(w.a))]
        return [z.copy() for z in w.z], acts, [b and (b[0].copy(), b[1]) for b in w.bn]

    def backprop(self, x, y, *, training: bool = True, update_running: bool = True, scale=None,
                 exact: bool = True, weights: bool = True, keep: list | None = None,
                 views: bool = False) -> StackedGradients:
        """Returns every replica's gradient summed over its batch, as ``DeepNetwork.backprop``.

        x is (n, n_0) or (G, n, n_0); y integer labels or one-hot targets, shared or per group; ``scale`` (S,)
        multiplies replica k's gradient; ``exact``: phi' from z (False: from the output, as training does);
        ``weights`` False leaves ``nabla_w`` out (a measurement of the errors only); ``keep`` (a list) receives a
        copy of the forward pass's pre-activations z^l, (S, n, n_l) each; ``views`` True returns the biases' and
        the examples' gradients as views of the pass's buffers (no copies; valid until the next pass).
        """
        w = self.work(x)
        p0 = self.first_layer(w.cols)
        self.run_forward(w, p0, training=training, update_running=update_running, fast=not exact)
        y = self.targets(y, len(w.x), w.x.shape[1])
        scale = None if scale is None else np.asarray(scale, dtype=self.dtype)[:, None, None]
        if keep is not None:
            keep += [z.copy() for z in w.z]
        bn = {l: (db, dg) for l, db, dg in self.run_backward(w, y, p0, scale=scale, exact=exact, weights=weights)}
        L = len(self.params_aug)
        nw, nb = [], []
        for l, g in enumerate(w.g):
            if weights and l == 0 and len(w.cols) < self.sizes[0]:
                full = np.zeros((len(self), 1 + self.sizes[0], self.sizes[1]), self.dtype)
                full[:, 0], full[:, 1 + w.cols] = g[:, 0], g[:, 1:]
                g = full
            nw.append(g[:, 1:, :].transpose(0, 2, 1).copy() if weights else None)
            nb.append(bn[l][0] if l in bn else g[:, 0, :] if views else g[:, 0, :].copy())
        ex = [w.d[l] if w.du[l] is None else w.du[l] for l in range(L - 1)] + [w.d[-1]]
        ex = ex if views else [e.copy() for e in ex]
        return StackedGradients(nb, nw, [bn[l][1] if l in bn else None for l in range(L)], ex)

    # -- measurements ----------------------------------------------------------------------------
    def _chunks(self, x, chunk, *, fast: bool = False):
        x = as_inputs(x, self.sizes[0])
        for s in range(0, len(x), chunk):
            w = self.work(x[s:s + chunk])
            p0 = self.first_layer(w.cols)
            if len(self) > 1 and w.x.shape[1] >= 100:  # shared inputs: one (n, 1 + k) x (1 + k, S n_1) product
                p0 = np.ascontiguousarray(p0.transpose(1, 0, 2)).reshape(1, p0.shape[1], -1)
            self.run_forward(w, p0, training=False, fast=fast)  # fast: phi into the buffers, z overwritten
            yield s, w

    def accuracy(self, x, labels, *, chunk: int = 500) -> np.ndarray:
        """Returns, per replica, how many of the inputs x (n, n_0) it classifies as ``labels`` (inference),
        ``chunk`` inputs at a time (memory stays bounded for any n)."""
        labels, hits = np.asarray(labels), np.zeros(len(self), dtype=np.int64)
        with np.errstate(all="ignore"):
            for s, w in self._chunks(x, chunk, fast=True):  # the outputs alone: training's arithmetic will do
                hits += (w.a[-1].argmax(axis=2) == labels[s:s + len(w.a[-1][0])]).sum(axis=1)
        return hits

    def costs(self, x, y, *, chunk: int = 500) -> np.ndarray:
        """Returns, per replica, the mean cost over (x, y) at inference (NaN or inf for a diverged replica)."""
        x = as_inputs(x, self.sizes[0])
        y = as_targets(y, len(x), self.sizes[-1])
        total = np.zeros(len(self))
        with np.errstate(all="ignore"):
            for s, w in self._chunks(x, chunk):
                yy = y[s:s + w.x.shape[1]].astype(self.dtype)[None]
                total += self.cost.fn(w.z[-1], w.a[-1], yy).sum(axis=1)
        return total / len(x)

    def gradient_norms(self, x, y, *, keep: list | None = None, examples: list | None = None):
        """Returns (per_example, averaged), each (S, hidden layers), for the bias gradients of (x, y):

        per_example = sqrt(mean_x ||dC_x/db^l||^2), the root mean square of each example's own gradient (what
        mean field predicts, ``experiments.meanfield``); averaged = ||mean_x dC_x/db^l|| (the book's ||delta^l||).
        Batch normalisation uses the statistics of (x, y) itself, the running ones left alone. ``keep`` receives the
        pre-activations z^l and ``examples`` each example's dC/db^l (lists, as ``backprop``'s).
        """
        x = as_inputs(x, self.sizes[0])
        g = self.backprop(x, y, training=True, update_running=False, weights=False, keep=keep, views=True)
        if examples is not None:
            examples += [e.copy() for e in g.examples]
        rms = np.stack([np.sqrt(np.mean(np.square(e, dtype=float).sum(axis=2), axis=1)) for e in g.examples[:-1]],
                       axis=1)
        avg = np.stack([np.linalg.norm(b.astype(float) / len(x), axis=1) for b in g.nabla_b[:-1]], axis=1)
        return rms, avg
