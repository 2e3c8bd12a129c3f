"""The chapter's experiments on real digits: how fast each layer learns, and accuracy against depth.

* ``speed_at_init``: ||dC/db^l|| of each hidden layer at initialisation (the gradient averaged
  over the first ``n`` training images), for several seeds;
* ``speed_during_training``: the same norms after every epoch of training on those images;
* ``accuracy_by_depth``: validation accuracy after training networks of 1-4 hidden layers.
All take an explicit seed and return plain data (lists of floats); ``progress(text)`` is
called on long work.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .network import Network

__all__ = ["Setup", "speed_at_init", "speed_during_training", "accuracy_by_depth", "ARCHITECTURES"]

ARCHITECTURES = ([784, 30, 10], [784, 30, 30, 10], [784, 30, 30, 30, 10], [784, 30, 30, 30, 30, 10])


@dataclass(frozen=True)
class Setup:
    """Hyper-parameters of a training run (network2's names)."""

    epochs: int
    mini_batch_size: int = 10
    eta: float = 0.1
    lmbda: float = 5.0


def speed_at_init(sizes, x, y, seeds) -> list[list[float]]:
    """Returns, per seed, [||dC/db^1||, ..., ||dC/db^H||] of the hidden layers at initialisation."""
    return [Network(sizes, rng=int(s)).bias_gradient_norms(x, y)[:-1] for s in seeds]


def speed_during_training(sizes, x, y, setup: Setup, seed: int, progress=None) -> dict:
    """Returns {"epochs": [0, 1, ...], "norms": [[layer-1 norms], ...]} while training on (x, y).

    Epoch 0 is the initialisation; the norms are of the gradient averaged over (x, y).
    """
    net = Network(sizes, rng=seed)
    rng = np.random.default_rng(seed + 1)
    history = [net.bias_gradient_norms(x, y)[:-1]]

    def record(epoch, network):
        history.append(network.bias_gradient_norms(x, y)[:-1])
        if progress and (epoch + 1) % max(1, setup.epochs // 5) == 0:
            progress(f"{sizes}: epoch {epoch + 1}/{setup.epochs}")

    net.SGD(x, y, setup.epochs, setup.mini_batch_size, setup.eta, setup.lmbda, rng=rng, callback=record)
    return {"epochs": list(range(setup.epochs + 1)), "norms": [list(col) for col in zip(*history)]}


def accuracy_by_depth(train, validation, setup: Setup, seed: int, architectures=ARCHITECTURES, progress=None) -> list[dict]:
    """Returns [{sizes, accuracy, best_accuracy}] after training each architecture from ``seed``.

    ``accuracy`` is the fraction of the validation split classified right after the last
    epoch, ``best_accuracy`` the best over the epochs.
    """
    out = []
    for sizes in architectures:
        net = Network(sizes, rng=seed)
        scores = []
        net.SGD(train.x, train.y, setup.epochs, setup.mini_batch_size, setup.eta, setup.lmbda,
                rng=np.random.default_rng(seed + 1),
                callback=lambda e, n: scores.append(n.accuracy(validation.x, validation.y) / len(validation)))
        out.append({"sizes": list(sizes), "accuracy": scores[-1], "best_accuracy": max(scores)})
        if progress:
            progress(f"{sizes}: validation accuracy {scores[-1]:.4f}")
    return out
