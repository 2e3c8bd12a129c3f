"""The remedies for unstable gradients: the configurations, and the protocol that compares them fairly.

A configuration (``Remedy``) is a frozen record: ``DeepNetwork`` options, training options, and optionally a
pre-training hook ``pretrain(nets, x, rngs)`` run on each seed's network before training (greedy layer-wise
pre-training fits here). ``RemediesProtocol`` is the comparison, as data, written before the run and
recorded with its results: the data and its three splits, epochs, mini-batch, the learning-rate grid, the
seeds, the quantities measured, the rule that picks each configuration's learning rate, the divergence rule,
and every criterion of the claim with its threshold (``Criteria``). ``numeric.experiments.remedies_run`` runs it.

The quantities: the ratio last hidden layer over first of the bias gradients' size at initialisation, as the
**per-example RMS** norm sqrt(mean_x ||dC_x/db^l||^2), which mean field predicts (``experiments.meanfield``), with
the norm of the **batch-averaged** gradient ||mean_x dC_x/db^l|| (the book's ||delta^l||) beside it; and test
accuracy at each configuration's chosen learning rate.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..activations import weight_variance
from ..networks.pretrain import PRETRAINING
from .meanfield import depth_prediction
from .protocols import ACCURACY

__all__ = ["Remedy", "REMEDIES", "Criteria", "RemediesProtocol", "PROTOCOL", "FIVE_DEPTHS", "prediction", "regime",
           "CHANCE"]

CHANCE = 0.1  # the accuracy a diverged seed counts as: ten classes


@dataclass(frozen=True)
class Remedy:
    """A configuration: ``net`` (DeepNetwork options), ``train`` (SGD options), ``pretrain`` (or None)."""

    key: str
    label: str
    net: dict = field(default_factory=dict)
    train: dict = field(default_factory=dict)
    pretrain: Callable | None = None

    @property
    def plain(self) -> bool:
        """A plain feed-forward network at initialisation (what the mean-field formula describes)."""
        return not (self.net.get("batch_norm") or self.net.get("residual") or self.pretrain)

    def as_dict(self) -> dict:
        pre = self.pretrain
        return {"key": self.key, "label": self.label, "network": dict(self.net), "training": dict(self.train),
                "pretrain": pre.as_dict() if hasattr(pre, "as_dict") else getattr(pre, "__name__", None)}


# the book's lmbda = 5.0 per 50,000 images on the protocol's 1,000 training digits (the same per update): the one
# scaling rule, ``Protocol.effective_lmbda`` of the chapter's accuracy protocol
_LMBDA = ACCURACY.effective_lmbda(1000)
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
    Remedy("pretrained", "sigmoid, greedy layer-wise pre-trained (autoencoders)", {"activation": "sigmoid"},
           pretrain=PRETRAINING),
)


@dataclass(frozen=True)
class Criteria:
    """The claim's criteria, fixed before the run (medians over seeds unless said otherwise).

    * ``vanishing``: the chapter's network at the deepest depth has averaged last/first >= this at initialisation;
    * ``chance``: ... and its test accuracy at its chosen rate is <= this (it stays at chance);
    * ``learns``, ``learners``: at the deepest depth at least ``learners`` configurations reach test accuracy >= this;
    * ``mean_field_factor``: for every plain network at every depth, mean field's prediction of the per-example
      ratio is within this factor of the measured per-example ratio;
    * ``stable_band``: a "stable" regime means a per-layer factor (per-example ratio)^(-1/(H-1)) in this band;
    * ``relu_factor``: in the width sweep, ReLU/He's per-example ratio is within this factor of mean field's 1 at
      every width, while its averaged ratio exceeds its per-example ratio by at least ``averaging_gap`` at every
      width (the averaging, not finite width, separates the book's measure from the prediction);
    * ``bn_gap``: batch normalisation's averaged ratio exceeds its per-example ratio by at least this at every
      width, its per-example ratio within ``relu_factor`` of 1 (its backward pass removes the batch mean);
    * ``bracketed``: every configuration that learns (validation median > ``chance``) picks a rate strictly inside
      the grid, so the grid brackets its best rate (a single-rate grid brackets nothing).

    Greedy layer-wise pre-training (``proofs.pretraining_facts``) is held to the same bars, no new threshold:
    every layer's reconstruction cost falls on every seed (the pre-training ran); at the deepest depth the
    pre-trained network's averaged last/first after pre-training is below ``vanishing``, and its median test
    accuracy at its chosen rate is at least ``learns``.
    """

    vanishing: float = 1e3
    chance: float = 0.20
    learns: float = 0.70
    learners: int = 2
    mean_field_factor: float = 2.0
    stable_band: tuple[float, float] = (0.8, 1.25)
    relu_factor: float = 1.5
    averaging_gap: float = 2.0
    bn_gap: float = 10.0
    bracketed: bool = True


@dataclass(frozen=True)
class RemediesProtocol:
    """The remedies' comparison as data (see the module docstring); ``as_dict`` is what results.json records.

    Splits (no image in two of them): embedded digits: training = the first ``train_images`` of the 4,000-digit
    training split, validation = the last ``validation_images`` of it, test = the first ``test_images`` of the
    1,000-digit validation split. Full MNIST (``--mnist``): the book's 50,000 / 10,000 / 10,000 training,
    validation and test splits, the first ``train_images`` / ``validation_images`` / ``test_images`` of each
    (None: all). Gradient norms use the first ``norm_images`` training digits.
    """

    name: str = "remedies"
    label: str = "this suite's remedies protocol"
    remedies: tuple = tuple(r.key for r in REMEDIES)
    depths: tuple = (4, 10)
    width: int = 30
    train_images: int | None = 1000
    validation_images: int | None = 1000
    test_images: int | None = 1000
    norm_images: int = 1000
    epochs: int = 10
    mini_batch_size: int = 10
    etas: tuple = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
    seeds: int = 5
    dtype: str = "float32"
    sweep_configs: tuple = ("relu-he", "batch-norm")
    sweep_widths: tuple = (30, 100, 300)
    sweep_depth: int = 10
    sweep_images: int = 500
    criteria: Criteria = Criteria()

    SELECTION = ("each configuration and depth: the eta of the grid with the highest median validation accuracy over "
                 "the seeds (a diverged seed counts as chance, 0.1); ties go to the smaller eta; test accuracy is "
                 "then read at that eta only, on the test split, which chooses nothing")
    DIVERGENCE = ("a replica diverges when any parameter is NaN or inf after an epoch, or its training cost is not "
                  "finite at the end; it is counted ('diverged k/5'), its accuracy counted as chance (0.1) in every "
                  "median, never dropped")
    STREAMS = ("numpy.random.SeedSequence(seed).spawn(seeds) (numeric.streams.replica_streams): one child per seed, "
               "spawning one child each for the initial draws, the shuffling and the pre-training (numeric.streams."
               "purpose, in that order); every eta of a seed starts from the same draws and sees the same mini-batches "
               "(common random numbers across the grid)")

    def __post_init__(self):
        if self.seeds < 1 or self.epochs < 0 or not self.etas or not self.depths:
            raise ValueError("a remedies protocol needs seeds >= 1, epochs >= 0, and at least one eta and depth")
        if any(not (e > 0 and np.isfinite(e)) for e in self.etas) or list(self.etas) != sorted(set(self.etas)):
            raise ValueError(f"etas must be positive, finite, increasing and distinct, got {self.etas}")
        unknown = set(self.remedies) - {r.key for r in REMEDIES}
        if unknown:
            raise ValueError(f"unknown remedies {sorted(unknown)}; known: {[r.key for r in REMEDIES]}")

    def replace(self, **changes) -> RemediesProtocol:
        return dataclasses.replace(self, **changes)

    def configurations(self) -> list[Remedy]:
        return [r for r in REMEDIES if r.key in self.remedies]

    def caption(self) -> str:
        return (f"{self.label}: [784, {self.width} x H, 10], H in {list(self.depths)}; {self.train_images or 'all'} "
                f"training digits, {self.epochs} epochs of mini-batches of {self.mini_batch_size}; eta chosen from "
                f"{list(self.etas)} on {self.validation_images or 'all'} validation digits, accuracy on "
                f"{self.test_images or 'all'} test digits; {self.seeds} seeds; {self.dtype}")

    def as_dict(self) -> dict:
        out = dataclasses.asdict(self)
        out["criteria"] = dataclasses.asdict(self.criteria)
        out.update(selection=self.SELECTION, divergence=self.DIVERGENCE, streams=self.STREAMS,
                   configurations=[r.as_dict() for r in self.configurations()], caption=self.caption())
        return out


PROTOCOL = RemediesProtocol()
FIVE_DEPTHS = PROTOCOL.replace(name="remedies-five-depths", label="this suite's remedies protocol, five depths",
                               depths=(2, 4, 6, 8, 10))


def prediction(remedy: Remedy, hidden: int, mean_square_input: float, width: int = 30) -> float | None:
    """Mean field's per-example ||delta^H|| / ||delta^1|| at initialisation, or None where it does not apply.

    q^1 = Var(w^1) E||x||^2 + sigma_b^2 from the digits' mean squared norm; the hidden layers have
    sigma_w^2 = n Var(w) and sigma_b = 1 for network2's draws, 0 for the others.
    """
    if not remedy.plain:
        return None
    init = remedy.net.get("init", "default")
    sigma_b = 1.0 if init in ("default", "large") else 0.0
    q1 = weight_variance(init, 784, width) * mean_square_input + sigma_b**2
    sigma_w = float(np.sqrt(width * weight_variance(init, width, width)))
    return depth_prediction(remedy.net.get("activation", "sigmoid"), sigma_w, sigma_b, q1, hidden)["last_over_first"]


def regime(remedy: Remedy, hidden: int, mean_square_input: float, width: int = 30) -> dict | None:
    """Mean field's verdict for a plain remedy: the geometric-mean per-layer factor sqrt(chi) over ``hidden``
    layers and "vanishing" (< 0.9), "stable" (0.9-1.1) or "exploding" (> 1.1); None where it does not apply."""
    pred = prediction(remedy, hidden, mean_square_input, width)
    if pred is None:
        return None
    factor = float(pred ** (-1 / (hidden - 1)))  # ||delta^l|| / ||delta^{l+1}|| per layer
    name = "vanishing" if factor < 0.9 else "exploding" if factor > 1.1 else "stable"
    return {"per_layer": factor, "regime": name}
