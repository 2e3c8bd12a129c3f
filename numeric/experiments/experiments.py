"""The chapter's experiments on real digits, each a function of a ``Protocol`` and a base seed.

* ``speed_at_init``: per network and seed, the averaged dC/db of every hidden layer at
  initialisation, its Euclidean and 1-norms, and the first neurons' dC/db (the bar figure);
* ``training_run``: per network, the norm of every hidden layer's averaged dC/db at
  each epoch, before that epoch's step, for every seed;
* ``accuracy_by_depth``: per protocol and network, the validation accuracy of every seed after
  each epoch (several protocols train side by side, paired by seed).
All return plain data (NumPy arrays and lists); ``progress(text)`` is called on long work.
The protocols (``numeric.experiments.protocols``) say which images, steps, eta, lmbda, seeds and norm.
"""

from __future__ import annotations

import numpy as np

from ..functions import sigmoid_prime
from ..networks.network import Network
from ..networks.replicas import Replicas
from ..streams import replica_streams
from ..validate import as_targets
from .protocols import Protocol

__all__ = ["norm_of", "speed_at_init", "training_run", "accuracy_by_depth", "norm_bound_ratios"]

NEURONS_SHOWN = 6  # the chapter's bar figure shows the first 6 neurons of each hidden layer


def norm_of(grads: np.ndarray, norm: str) -> np.ndarray:
    """Returns the norm of each gradient vector along the last axis ("euclidean" or "l1")."""
    if norm == "euclidean":
        return np.linalg.norm(grads, axis=-1)
    if norm == "l1":
        return np.abs(grads).sum(axis=-1)
    raise ValueError(f"norm must be 'euclidean' or 'l1', got {norm!r}")


def _images(protocol: Protocol, split):
    return split if protocol.images is None else split.head(protocol.images)


def speed_at_init(protocol: Protocol, split, base_seed: int) -> dict:
    """Returns {sizes: {"euclidean": (S, H), "l1": (S, H), "neurons": [(S, 6) per hidden layer]}}.

    The gradient of each hidden layer is averaged over the protocol's images first, then its norm
    is taken (the book's ||delta^l||); ``neurons`` are the first 6 neurons' averaged dC/db.
    """
    data = _images(protocol, split)
    out = {}
    for sizes in protocol.networks:
        grads = Replicas(sizes, protocol.streams(base_seed), init=protocol.init).mean_bias_gradients(data.x, data.y)
        hidden = grads[:-1]
        out[sizes] = {norm: np.stack([norm_of(g, norm) for g in hidden], axis=1) for norm in ("euclidean", "l1")}
        out[sizes]["neurons"] = [g[:, :NEURONS_SHOWN] for g in hidden]
    return out


def training_run(protocol: Protocol, split, base_seed: int, progress=None, replicas=None) -> dict:
    """Returns {sizes: {"norms": (epochs, S, H), "accuracy": (S,)}}: ||dC/db^l|| of each hidden layer before each
    epoch's step, and each replica's accuracy on its training images after the last step (did it learn?).

    Full batch (the book's protocol): the recorded gradient is the one the step uses. With
    mini-batches, the gradient averaged over all the images is recorded at the start of each epoch.
    ``replicas`` (lo, hi): only those of the protocol's replicas (a part of the run; each replica's
    numbers do not depend on which others train beside it, up to rounding).
    """
    data = _images(protocol, split)
    streams = protocol.streams(base_seed)[slice(*replicas) if replicas else slice(None)]
    out = {}
    for sizes in protocol.networks:
        reps = Replicas(sizes, streams, init=protocol.init)
        lmbda = protocol.effective_lmbda(len(data))
        report = (lambda e, s=sizes: progress(f"{list(s)}: epoch {e}/{protocol.epochs}")) if progress else None
        if protocol.mini_batch_size is None:
            grads = reps.full_batch_descent(data.x, data.y, protocol.epochs, protocol.eta, lmbda, progress=report)
        else:
            grads = _minibatch_record(reps, data, protocol, lmbda, report)
        out[sizes] = {"norms": np.stack([norm_of(g, protocol.norm) for g in grads[:-1]], axis=2),
                      "accuracy": reps.accuracy(data.x, data.y) / len(data)}
    return out


def _minibatch_record(reps: Replicas, data, protocol: Protocol, lmbda: float, report) -> list:
    """Returns the averaged dC/db per layer at the start of each epoch of mini-batch SGD."""
    history = [reps.mean_bias_gradients(data.x, data.y)]

    def record(epoch):
        if epoch + 1 < protocol.epochs:
            history.append(reps.mean_bias_gradients(data.x, data.y))
        if report and (epoch + 1) % 100 == 0:
            report(epoch + 1)

    reps.sgd(data.x, data.y, protocol.epochs, protocol.mini_batch_size, protocol.eta, lmbda, on_epoch=record)
    return [np.stack([h[l] for h in history]) for l in range(len(history[0]))]


def accuracy_by_depth(protocols, train, validation, base_seed: int, progress=None) -> dict:
    """Returns {protocol name: {sizes: accuracies (epochs, S)}}, the validation fraction after each epoch.

    The protocols must agree on everything but lmbda and their number of seeds (their replicas train in
    one loop); replica k of every protocol draws from the same stream (``SeedSequence(base_seed).spawn(S)[k]``),
    so it starts from the same weights and sees the same mini-batches: the protocols are paired by seed,
    and so are the depths (the same shuffling stream; the initial draws differ with the shape).
    """
    protocols = list(protocols)
    first = protocols[0]
    for p in protocols[1:]:
        if p.replace(name=first.name, label=first.label, lmbda=first.lmbda, lmbda_per=first.lmbda_per,
                     seeds=first.seeds) != first:
            raise ValueError(f"protocols {first.name} and {p.name} differ in more than lmbda and seeds; run them apart")
    data = _images(first, train)
    streams = replica_streams(base_seed, max(p.seeds for p in protocols))
    lmbdas = np.concatenate([np.full(p.seeds, p.effective_lmbda(len(data))) for p in protocols])
    ends = np.cumsum([0] + [p.seeds for p in protocols])
    out = {p.name: {} for p in protocols}
    for sizes in first.networks:
        reps = Replicas(sizes, [s for p in protocols for s in streams[:p.seeds]], init=first.init)
        curve = []

        def evaluate(epoch, reps=reps, curve=curve):
            curve.append(reps.accuracy(validation.x, validation.y) / len(validation))

        reps.sgd(data.x, data.y, first.epochs_on(len(data)), first.batch(len(data)), first.eta, lmbdas,
                 on_epoch=evaluate)
        curve = np.array(curve)
        for i, p in enumerate(protocols):
            out[p.name][sizes] = curve[:, ends[i]:ends[i + 1]]
        if progress:
            finals = ", ".join(f"{p.name} {np.median(out[p.name][sizes][-1]):.3f}" for p in protocols)
            progress(f"{list(sizes)}: median validation accuracy {finals}")
    return out


def norm_bound_ratios(net: Network, x, y) -> tuple[list[float], float]:
    """Returns (per layer, the largest ||delta^l|| / bound over the examples; the largest ||Sigma'(z)||_2).

    Quadratic cost, so grad_a C = a^L - y; bound = (1/4)^(L-l+1) ||w^{l+1}||_2 ... ||w^L||_2 ||grad_a C||_2.
    ||Sigma'(z)||_2 of a diagonal matrix is its largest entry, computed here from the network's z.
    """
    g = net.backprop(x, y)
    zs, acts = net.forward(x)
    grad = np.linalg.norm(acts[-1] - as_targets(y, len(x), net.sizes[-1]), axis=1)
    spectral = [np.linalg.norm(w, 2) for w in net.weights]
    L = len(net.weights)
    ratios = []
    for l in range(L):  # deltas[l] belongs to weights[l]
        bound = 0.25 ** (L - l) * np.prod(spectral[l + 1:]) * grad
        ratios.append(float(np.max(np.linalg.norm(g.deltas[l], axis=1) / bound)))
    return ratios, float(max(np.max(sigmoid_prime(z)) for z in zs))
