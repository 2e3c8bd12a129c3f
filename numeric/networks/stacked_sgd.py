"""Mini-batch SGD for a ``Stack``: network2's loop for S replicas at once, each with its own learning rate.

``sgd`` is ``DeepNetwork.SGD`` replica by replica (the same permutations, the same order of operations: the
gradient on the mini-batch, the clipping, the penalty on the weights, then the step; the tests check it to
rounding), with three differences that make it cheap and safe: the groups of a ``Stack`` share their
mini-batches (one permutation per group and epoch); phi' comes from the output (one transcendental per element)
and every buffer is allocated once, not per step; and a replica that diverges is marked, not raised (see
``numeric.networks.stacked``). Input columns that are 0 in every training input are left out of the first layer's
products (their weights get no gradient; a penalty still shrinks them, as it does in network2).
"""

from __future__ import annotations

import numpy as np

from ..validate import as_inputs, as_targets, check_positive

__all__ = ["sgd", "Trainer"]


def _per_replica(name: str, value, S: int, *, high=None, allow_zero=True) -> np.ndarray:
    """Returns ``value`` as one float per replica; ValueError naming ``name`` when one is out of range."""
    v = np.broadcast_to(np.asarray(value, dtype=np.float64), (S,)).copy()
    bad = ~np.isfinite(v) | (v < 0) | ((v == 0) & (not allow_zero)) | ((v >= high) if high else False)
    if bad.any():
        raise ValueError(f"{name} must be a number {'>=' if allow_zero else '>'} 0"
                         + (f" and < {high}" if high else "") + f" for every replica, got {value!r}")
    return v


def _examples(stack, x, y):
    """Returns (x, y) as (G, n, n_0) and (G, n, n_L) in the stack's float type (shared data: G = 1)."""
    x = np.asarray(x)
    if x.ndim == 3:
        y = np.asarray(y)
        if y.shape[:2] != x.shape[:2]:
            raise ValueError(f"grouped x {x.shape} needs labels (G, n) or targets (G, n, n_L), got {y.shape}")
        ys = [as_targets(v, x.shape[1], stack.sizes[-1]) for v in y]
        xs = [as_inputs(v, stack.sizes[0]) for v in x]
        return np.stack(xs).astype(stack.dtype), np.stack(ys).astype(stack.dtype)
    x = as_inputs(x, stack.sizes[0])
    return x[None].astype(stack.dtype), as_targets(y, len(x), stack.sizes[-1])[None].astype(stack.dtype)


class Trainer:
    """One training run's state on a ``Stack``: the data with its zero columns left out, the first layer's rows
    for the columns in use (a working copy while they are fewer than all), velocities; ``step`` takes one
    update on every replica, ``sync`` writes the working copy back into the stack."""

    GROUPED_FROM = 100  # mini-batches of at least this many inputs use the groups' layout for the first layer:
    # one (n, 1 + k) x (1 + k, R n_1) product per group is 20-30% faster than R narrow ones there, and slower for
    # mini-batches of 10 (benchmarks/limit.py measures both)

    def __init__(self, stack, x, y, *, lmbda, penalty, momentum, clip, batch: int = 1, groups: int = 1):
        self.stack, S = stack, len(stack)
        self.groups = groups if batch >= self.GROUPED_FROM and groups < S else None
        self.cols = np.flatnonzero((x != 0).any(axis=(0, 1)))
        self.rest = np.setdiff1d(np.arange(stack.sizes[0]), self.cols)
        self.x = np.ones(x.shape[:2] + (1 + len(self.cols),), x.dtype)  # a column of ones, then the columns in use
        self.x[:, :, 1:] = x[:, :, self.cols]
        self.y, self.n = y, x.shape[1]
        self.lmbda, self.penalty, self.mu, self.clip = lmbda, penalty, momentum, clip
        self.decays, self._sign = lmbda.any(), {}
        self.load()
        self.velocity = [np.zeros_like(p) for p in self.arrays] if self.mu.any() else None
        self.everything = False  # set by the caller for full-batch descent (every step sees all inputs, in order)

    def load(self) -> None:
        """Takes the first layer's rows in use (and, where a penalty shrinks them, the others) from the stack."""
        s = self.stack
        self.p0 = s.first_layer(self.cols)
        if self.groups:  # (S, 1 + k, n_1) -> (G, 1 + k, R n_1)
            G, (S, k1, n1) = self.groups, self.p0.shape
            self.p0 = np.ascontiguousarray(self.p0.reshape(G, S // G, k1, n1).transpose(0, 2, 1, 3)).reshape(G, k1, -1)
        self.p0_rest = np.take(s.params_aug[0], 1 + self.rest, axis=1) if self.decays and len(self.rest) else None
        self.arrays = [self.p0] + s.params_aug[1:] + [b for b in s.beta if b is not None] + \
            [g for g in s.gamma if g is not None]

    def sync(self) -> None:
        """Writes the working copy of the first layer back into the stack (no-op when it is the stack's own)."""
        p = self.stack.params_aug[0]
        if self.p0 is not p:
            p0 = self.p0
            if self.groups:
                G, k1 = p0.shape[:2]
                p0 = p0.reshape(G, k1, len(p) // G, -1).transpose(0, 2, 1, 3).reshape(len(p), k1, -1)
            p[:, 0], p[:, 1 + self.cols] = p0[:, 0], p0[:, 1:]
            if self.p0_rest is not None:
                p[:, 1 + self.rest] = self.p0_rest

    def step(self, idx, etas, *, before_update=None) -> None:
        """One SGD update of every replica on its group's mini-batch: ``idx`` (G, m) rows of the data (group g's
        examples, or the shared ones), ``etas`` (S,) float64; ``before_update(work)`` sees the step's gradients
        (``work.g``: eta/m times the sums) before any is applied."""
        s, (G, m) = self.stack, idx.shape
        S, R = len(s), len(s) // G
        w = s.work_for(G, m, len(self.cols))
        if w.filled is not self or not self.everything:  # full batch: the inputs are copied in once
            flat = idx if len(self.x) == 1 else idx + self.n * np.arange(G)[:, None]
            self.x.reshape(-1, self.x.shape[2]).take(flat, axis=0, out=w.x, mode="clip")
            yy = self.y.reshape(-1, self.y.shape[2]).take(flat, axis=0, mode="clip")
            np.copyto(w.y.reshape(G, R, m, -1), yy[:, None])
            w.filled = self
        s.run_forward(w, self.p0, training=True, fast=True)
        step = (etas / m).astype(s.dtype)[:, None, None]  # eta/m folded into delta: the sums are the updates
        bn = sorted(s.run_backward(w, w.y, self.p0, scale=step, exact=False), key=lambda t: t[0])
        g0 = w.grouped("g", self.p0.shape[2], rows=self.p0.shape[1]) if self.groups else w.g[0]
        grads = [g0] + list(w.g[1:]) + [db for _, db, _ in bn] + [dg for _, _, dg in bn]
        for l in range(len(s.params_aug)):
            if s.gamma[l] is not None:
                w.g[l][:, 0] = 0.0  # b is held at 0 where beta takes its role
        if before_update is not None:
            before_update(w, grads)
        if self.clip is not None:  # the norm of the mean gradient, replica by replica
            sq = sum(_squares(g, S) for g in grads)
            norm = np.divide(np.sqrt(sq.astype(np.float64)), etas, out=np.zeros(S), where=etas > 0)
            factor = np.where(norm > self.clip, self.clip / np.where(norm > 0, norm, 1.0), 1.0)
            if (factor != 1.0).any():
                for g in grads:
                    g *= self.col(factor, g)
        if self.decays:  # the penalty, on weights only, as network2
            self._penalise(etas, m)
        for i, (p, g) in enumerate(zip(self.arrays, grads)):
            if self.velocity is None:
                p -= g
            else:
                v = self.velocity[i]
                v *= self.col(self.mu, p)
                v -= g
                p += v

    def col(self, v, p):
        """Returns the per-replica values v (S,) shaped to multiply p: (S, 1, ...) or, in the groups' layout of the
        first layer, (G, 1, R n_1)."""
        if p.shape[0] == len(self.stack):
            return v.reshape((len(v),) + (1,) * (p.ndim - 1)).astype(p.dtype)
        G = p.shape[0]
        return np.repeat(v.reshape(G, 1, -1, 1), p.shape[2] // (len(v) // G), axis=3).reshape(G, 1, -1).astype(p.dtype)

    def _penalise(self, etas, m: int) -> None:
        """network2's L2 w -> (1 - eta lmbda/n) w, or L1 w -> w - (eta lmbda/n) sign(w), on every weight (not b);
        n the training set's size, not the mini-batch's m."""
        c = etas * self.lmbda / self.n
        for w in [p[:, 1:, :] for p in [self.p0] + self.stack.params_aug[1:]] + \
                ([self.p0_rest] if self.p0_rest is not None else []):
            if self.penalty == "l2":
                np.multiply(w, self.col(1 - c, w), out=w)
            else:
                buf = self._sign.get(w.shape)
                if buf is None:
                    buf = self._sign[w.shape] = np.empty(w.shape, w.dtype)
                np.sign(w, out=buf)
                buf *= self.col(c, w)
                w -= buf


def _squares(g, S: int) -> np.ndarray:
    """Returns each replica's sum of squares of g: (S, ...) or the first layer in the groups' layout (G, k, R n)."""
    if len(g) == S:
        return np.matmul(g.reshape(S, 1, -1), g.reshape(S, -1, 1)).reshape(S)
    G, k = g.shape[:2]
    return np.einsum("gkrn,gkrn->gr", *(g.reshape(G, k, S // G, -1),) * 2).reshape(S)


def sgd(stack, x, y, epochs: int, mini_batch_size: int, etas, *, shuffles, lmbda=0.0, penalty: str = "l2",
        momentum=0.0, clip=None, on_epoch=None) -> None:
    """Trains every replica of ``stack`` in place by mini-batch SGD on (x, y): (n, n_0) and labels (n,) shared by
    all replicas, or (G, n, n_0) and (G, n): group g's own examples.

    ``etas``, ``lmbda``, ``momentum`` and ``clip`` are numbers or one per replica (S,); ``clip`` None or inf:
    no clipping; ``shuffles``: one ``numpy.random.Generator`` per group of the stack (replicas g R .. g R + R - 1
    see group g's permutation of the n examples each epoch). ``penalty`` "l2" (w -> (1 - eta lmbda/n) w) or
    "l1" (w -> w - (eta lmbda/n) sign(w)); ``momentum`` mu: v -> mu v - eta g, w -> w + v. ``on_epoch(epoch)``
    runs after each epoch.
    """
    x, y = _examples(stack, x, y)
    n, S = x.shape[1], len(stack)
    epochs = int(check_positive("epochs", epochs, allow_zero=True, integer=True))
    m = int(check_positive("mini_batch_size", mini_batch_size, integer=True))
    if stack.gamma[0] is not None and m < 2:
        raise ValueError("batch normalisation needs mini_batch_size >= 2 (the variance of one example is 0)")
    etas = _per_replica("etas", etas, S, allow_zero=False)
    lmbda = _per_replica("lmbda", lmbda, S)
    mu = _per_replica("momentum", momentum, S, high=1.0)
    if clip is not None:  # inf: that replica is not clipped
        clip = np.broadcast_to(np.asarray(clip, dtype=np.float64), (S,)).copy()
        if np.isnan(clip).any() or (clip <= 0).any():
            raise ValueError(f"clip (a gradient-norm threshold) must be a positive number or inf, got {clip!r}")
    if penalty not in ("l1", "l2"):
        raise ValueError(f"penalty must be 'l1' or 'l2', got {penalty!r}")
    shuffles = list(shuffles)
    if not shuffles or S % len(shuffles) or len(x) not in (1, len(shuffles)):
        raise ValueError(f"shuffles must hold one Generator per group, a number that divides {S} (and equals the "
                         f"groups of x when x is grouped), got {len(shuffles)}")
    trainer = Trainer(stack, x, y, lmbda=lmbda, penalty=penalty, momentum=mu, clip=clip, batch=m,
                      groups=len(shuffles))
    with np.errstate(all="ignore"):  # a diverging replica overflows; it is found and marked below
        for epoch in range(epochs):
            orders = np.stack([r.permutation(n) for r in shuffles])
            for k in range(0, n, m):
                trainer.step(orders[:, k:k + m], etas)
            trainer.sync()
            mark_diverged(stack, etas, epoch, trainer.velocity)
            trainer.load()
            if on_epoch is not None:
                on_epoch(epoch)


def mark_diverged(stack, etas, epoch: int, velocity=None) -> None:
    """Marks replicas whose parameters are no longer finite; zeroes them (and their velocities) and their learning
    rate, so that no NaN spreads and they take no further step."""
    new = stack.nonfinite() & ~stack.diverged
    if not new.any():
        return
    stack.diverged |= new
    stack.diverged_epoch[new] = epoch
    etas[new] = 0.0
    for p in stack.trained_arrays() + (velocity or []):
        if len(p) == len(new):
            p[new] = 0.0
        else:  # a velocity in the groups' layout (G, k, R n_1)
            G, k = p.shape[:2]
            np.copyto(p.reshape(G, k, len(new) // G, -1), 0.0, where=new.reshape(G, 1, -1, 1))
    for r in stack.running:
        if r is not None:
            r[0][new], r[1][new] = 0.0, 1.0
