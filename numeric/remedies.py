"""The remedies for unstable gradients, measured side by side on the chapter's experiment.

Each remedy is a ``DeepNetwork`` configuration plus training options. ``run_remedy`` measures, for hidden
depths 2-10 of 30 neurons, the ratio ||dC/db^H|| / ||dC/db^1|| (the book's speed of learning, last hidden
layer over first) at initialisation and after training, and the validation accuracy; ``prediction``
gives mean field's value of the ratio at initialisation for plain feed-forward remedies.

The protocol is this suite's (BOOK.md gives none for the remedies) and every output names it:
the first 1,000 training digits, 10 epochs of mini-batches of 10, eta = 0.1, cross-entropy, accuracy on
the first 1,000 validation digits; the ratio after training on the same 1,000 training digits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .deep import DeepNetwork, weight_variance
from .meanfield import depth_prediction

__all__ = ["Remedy", "REMEDIES", "DEPTHS", "PROTOCOL", "run_remedy", "prediction", "regime", "saturation"]

DEPTHS = (2, 4, 6, 8, 10)
WIDTH = 30
PROTOCOL = {"images": 1000, "validation_images": 1000, "epochs": 10, "mini_batch_size": 10, "eta": 0.1,
            "cost": "cross-entropy", "width": WIDTH, "depths": list(DEPTHS)}


@dataclass(frozen=True)
class Remedy:
    key: str
    label: str
    net: dict = field(default_factory=dict)  # DeepNetwork options
    train: dict = field(default_factory=dict)  # SGD options beyond the protocol's

    @property
    def plain(self) -> bool:
        """A plain feed-forward network at initialisation (what the mean-field formula describes)."""
        return not (self.net.get("batch_norm") or self.net.get("residual"))


_LMBDA = 5.0 * 1000 / 50000  # the book's lmbda = 5.0 per 50,000 images, scaled to 1,000 (the same per update)
REMEDIES = (
    Remedy("network2", "sigmoid, network2's init (the chapter)", {"activation": "sigmoid"}),
    Remedy("large-init", "sigmoid, N(0, 1) weights", {"activation": "sigmoid", "init": "large"}),
    Remedy("sigmoid-xavier", "sigmoid, Xavier normal", {"activation": "sigmoid", "init": "xavier-normal"}),
    Remedy("tanh-xavier", "tanh, Xavier normal", {"activation": "tanh", "init": "xavier-normal"}),
    Remedy("tanh-orthogonal", "tanh, orthogonal", {"activation": "tanh", "init": "orthogonal"}),
    Remedy("relu-he", "ReLU, He", {"activation": "relu", "init": "he"}),
    Remedy("leaky-relu-he", "leaky ReLU, He", {"activation": "leaky-relu", "init": "he"}),
    Remedy("elu-he", "ELU, He", {"activation": "elu", "init": "he"}),
    Remedy("batch-norm", "sigmoid + batch normalisation", {"activation": "sigmoid", "batch_norm": True}),
    Remedy("residual", "sigmoid + residual blocks", {"activation": "sigmoid", "residual": True}),
    Remedy("clipping", "sigmoid + clipping at norm 1", {"activation": "sigmoid"}, {"clip": 1.0}),
    Remedy("momentum", "sigmoid + momentum 0.9", {"activation": "sigmoid"}, {"momentum": 0.9}),
    Remedy("l2", f"sigmoid + L2, lmbda {_LMBDA:g}", {"activation": "sigmoid"}, {"lmbda": _LMBDA}),
    Remedy("l1", f"sigmoid + L1, lmbda {_LMBDA:g}", {"activation": "sigmoid"}, {"lmbda": _LMBDA, "penalty": "l1"}),
)


def prediction(remedy: Remedy, hidden: int, mean_square_input: float) -> float | None:
    """Mean field's ||delta^H|| / ||delta^1|| at initialisation, or None where the formula does not apply.

    q^1 = Var(w^1) E||x||^2 + sigma_b^2 from the digits' mean squared norm; the hidden layers have
    sigma_w^2 = n Var(w) and sigma_b = 1 for network2's draws, 0 for the others.
    """
    if not remedy.plain:
        return None
    init = remedy.net.get("init", "default")
    sigma_b = 1.0 if init in ("default", "large") else 0.0
    q1 = weight_variance(init, 784, WIDTH) * mean_square_input + sigma_b**2
    sigma_w = float(np.sqrt(WIDTH * weight_variance(init, WIDTH, WIDTH)))
    return depth_prediction(remedy.net.get("activation", "sigmoid"), sigma_w, sigma_b, q1, hidden)["last_over_first"]


def regime(remedy: Remedy, hidden: int, mean_square_input: float) -> dict | None:
    """Mean field's verdict for a plain remedy: the geometric-mean per-layer factor sqrt(chi) over ``hidden``
    layers and "vanishing" (< 0.9), "stable" (0.9-1.1) or "exploding" (> 1.1); None where it does not apply."""
    pred = prediction(remedy, hidden, mean_square_input)
    if pred is None:
        return None
    factor = float(pred ** (-1 / (hidden - 1)))  # ||delta^l|| / ||delta^{l+1}|| per layer
    name = "vanishing" if factor < 0.9 else "exploding" if factor > 1.1 else "stable"
    return {"per_layer": factor, "regime": name}


def _ratio(net, x, y, hidden: int) -> float:
    norms = net.bias_gradient_norms(x, y)
    if norms[0] == 0:  # the first layer no longer learns at all (its units dead or saturated): infinitely slower
        return float("inf") if norms[hidden - 1] > 0 else float("nan")
    return norms[hidden - 1] / norms[0]


def run_remedy(remedy: Remedy, train, validation, seed: int, seeds: int, depths=DEPTHS, epochs: int | None = None,
               images: int | None = None) -> dict:
    """Returns {depth: {"init": [ratio per seed], "trained": [...], "accuracy": [...], "diverged": k}}."""
    images = images or PROTOCOL["images"]
    epochs = PROTOCOL["epochs"] if epochs is None else epochs
    x, y = train.x[:images], train.y[:images]
    vx, vy = validation.x[:PROTOCOL["validation_images"]], validation.y[:PROTOCOL["validation_images"]]
    out = {}
    for hidden in depths:
        cell = {"init": [], "trained": [], "accuracy": [], "diverged": 0}
        for s in range(seed, seed + seeds):
            net = DeepNetwork([784] + [WIDTH] * hidden + [10], rng=s, **remedy.net)
            cell["init"].append(_ratio(net, x, y, hidden))
            options = {"lmbda": 0.0} | remedy.train
            try:
                with np.errstate(over="ignore", invalid="ignore"):
                    net.SGD(x, y, epochs, PROTOCOL["mini_batch_size"], PROTOCOL["eta"], rng=s + 1, **options)
                cell["trained"].append(_ratio(net, x, y, hidden))
                cell["accuracy"].append(net.accuracy(vx, vy) / len(vy))
            except FloatingPointError:
                cell["diverged"] += 1
                cell["trained"].append(float("nan"))
                cell["accuracy"].append(float("nan"))
        out[hidden] = cell
    return out


def saturation(activation: str, init: str, data, seed: int, chunks: int = 100, chunk_images: int = 500,
               probe_images: int = 300) -> np.ndarray:
    """Glorot and Bengio's measurement: the mean activation of each hidden layer of [784, 30, 30, 30, 30, 10]
    (mean |activation| for tanh, whose mean is near 0 by symmetry) on a fixed probe of digits, before training
    and after each chunk of ``chunk_images`` random training digits (mini-batches of 10, eta = 0.1).
    Returns an array (chunks + 1, 4)."""
    rng = np.random.default_rng(seed)
    net = DeepNetwork([784, 30, 30, 30, 30, 10], activation=activation, init=init, rng=seed)
    probe = data.x[:probe_images]

    def measure():
        acts = net.forward(probe)[1][1:-1]
        return [float(np.abs(a).mean() if activation == "tanh" else a.mean()) for a in acts]

    rows = [measure()]
    for k in range(chunks):
        idx = rng.choice(len(data.x), chunk_images, replace=False)
        net.SGD(data.x[idx], data.y[idx], 1, 10, 0.1, rng=seed + 1 + k)
        rows.append(measure())
    return np.array(rows)
