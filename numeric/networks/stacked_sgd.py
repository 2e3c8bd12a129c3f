"""Mini-batch SGD for a ``Stack``: network2's loop for S replicas at once, each with its own learning rate.

``sgd`` is ``DeepNetwork.SGD`` replica by replica (the same permutations, the same order of operations: the
gradient on the mini-batch, the clipping, the penalty on the weights, then the step; the tests check it to
rounding), with two differences that make it cheap and safe: the groups of a ``Stack`` share their
mini-batches (one permutation per group and epoch), and a replica that diverges is marked, not raised
(see ``numeric.networks.stacked``).
"""

from __future__ import annotations

import numpy as np

from ..validate import as_inputs, as_targets, check_positive

__all__ = ["sgd"]


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
    rows = np.arange(len(x))[:, None]
    params = stack.params()
    velocity = [np.zeros_like(p) for p in params] if mu.any() else None
    col = lambda v, p: v.reshape((S,) + (1,) * (p.ndim - 1)).astype(stack.dtype)  # noqa: E731
    with np.errstate(all="ignore"):  # a diverging replica overflows; it is found and marked below
        for epoch in range(epochs):
            orders = np.stack([r.permutation(n) for r in shuffles])
            for k in range(0, n, m):
                idx = orders[:, k:k + m]
                step = etas / idx.shape[1]
                grads = stack.backprop(x[rows, idx], y[rows, idx], training=True, scale=step).params()
                if clip is not None:  # the norm of the unscaled gradient, replica by replica
                    norm = np.sqrt(sum(np.sum(g.reshape(S, -1).astype(float) ** 2, axis=1) for g in grads))
                    norm = np.divide(norm, etas, out=np.zeros(S), where=etas > 0)  # of the mean gradient
                    factor = np.where(norm > clip, clip / np.where(norm > 0, norm, 1.0), 1.0)
                    grads = [g * col(factor, g) for g in grads]
                if lmbda.any():  # the penalty, on weights only, as network2
                    for w in stack.weights:
                        if penalty == "l2":
                            w *= col(1 - etas * lmbda / n, w)
                        else:
                            w -= col(etas * lmbda / n, w) * np.sign(w)
                for i, (p, g) in enumerate(zip(params, grads)):
                    if velocity is None:
                        p -= g
                    else:
                        velocity[i] *= col(mu, p)
                        velocity[i] -= g
                        p += velocity[i]
            _mark_diverged(stack, params, velocity, etas, epoch)
            if on_epoch is not None:
                on_epoch(epoch)


def _mark_diverged(stack, params, velocity, etas, epoch: int) -> None:
    """Marks replicas whose parameters are no longer finite; zeroes them and their learning rate."""
    new = stack.nonfinite() & ~stack.diverged
    if not new.any():
        return
    stack.diverged |= new
    stack.diverged_epoch[new] = epoch
    etas[new] = 0.0
    for p in params + (velocity or []):
        p[new] = 0.0
    for r in stack.running:
        if r is not None:
            r[0][new], r[1][new] = 0.0, 1.0
