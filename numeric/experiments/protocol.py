"""The ``Protocol`` of an experiment and the ``Criterion`` its claim applies: frozen data, recorded with the results.

A protocol names the data (images), the training (epochs or a number of updates, mini-batch, eta, lmbda),
the initialisation, the seeds, **the quantity measured** and **the criteria** with their thresholds and
roles ("check": the run's own soundness; "reproduction": the book's statement measured on this data).
It is written before the run; the claims read every threshold from it. The instances are in
``numeric.experiments.protocols``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from ..streams import describe as describe_streams
from ..streams import replica_streams

__all__ = ["Criterion", "C", "Protocol", "CHAPTER_NETWORKS"]

CHAPTER_NETWORKS = ((784, 30, 30, 10), (784, 30, 30, 30, 10), (784, 30, 30, 30, 30, 10))
NORMS = ("euclidean", "l1")
ROLES = ("check", "reproduction")  # as proofs.claim.Fact: the run's soundness, or the book's statement measured


@dataclass(frozen=True)
class Criterion:
    """One criterion a claim applies: its ``name`` (what the claim code asks for), the statement ``text``
    with ``{threshold}`` fields, the ``thresholds`` as ((name, value), ...), and its ``role``."""

    name: str
    text: str
    role: str = "check"
    thresholds: tuple = ()

    def __post_init__(self):
        if self.role not in ROLES:
            raise ValueError(f"Criterion.role must be one of {ROLES}, got {self.role!r}")
        object.__setattr__(self, "thresholds", tuple((str(k), float(v)) for k, v in dict(self.thresholds).items()))
        self.describe()  # every field of the text must be a threshold

    def __getitem__(self, key: str) -> float:
        for k, v in self.thresholds:
            if k == key:
                return v
        raise KeyError(f"criterion {self.name!r} has no threshold {key!r} (it has {[k for k, _ in self.thresholds]})")

    def describe(self) -> str:
        """Returns the criterion in words, its thresholds filled in."""
        return self.text.format(**dict(self.thresholds))

    def as_dict(self) -> dict:
        return {"name": self.name, "role": self.role, "text": self.describe(), "thresholds": dict(self.thresholds)}


def C(name: str, text: str, role: str = "check", **thresholds) -> Criterion:
    """Shorthand: ``C("ratio", "within {low:g}-{high:g}", "reproduction", low=50, high=250)``."""
    return Criterion(name, text, role, tuple(thresholds.items()))


@dataclass(frozen=True)
class Protocol:
    """How an experiment is run (network2's names for the hyper-parameters), what it measures, how it is judged.

    ``images``: the first n training images (None: the whole training split);
    ``mini_batch_size``: None means full batch, one gradient step per epoch on all images;
    ``lmbda_per``: when set, lmbda is scaled by n / lmbda_per (the book's strength per update
    on n images; None: lmbda as given); ``matched_updates``: when set, the epochs are as many as make
    that number of SGD updates on n images (``epochs`` is then ignored); ``seeds``: how many replicas;
    ``norm``: of the averaged bias gradient of a layer ("euclidean", the book's, or "l1");
    ``quantity``: what is measured, in words; ``criteria``: what the claim requires of it.
    """

    name: str
    label: str
    networks: tuple = CHAPTER_NETWORKS
    images: int | None = 1000
    epochs: int = 0
    mini_batch_size: int | None = None
    eta: float = 0.1
    lmbda: float = 5.0
    lmbda_per: int | None = None
    init: str = "default"
    cost: str = "cross-entropy"
    seeds: int = 5
    norm: str = "euclidean"
    matched_updates: int | None = None
    quantity: str = ""
    criteria: tuple = ()

    def __post_init__(self):
        if self.norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, got {self.norm!r}")
        if self.seeds < 1 or self.epochs < 0:
            raise ValueError(f"a protocol needs seeds >= 1 and epochs >= 0, got {self.seeds}, {self.epochs}")
        if self.images is not None and self.images < 1:
            raise ValueError(f"images must be positive or None (all), got {self.images}")
        if self.mini_batch_size is not None and self.mini_batch_size < 1:
            raise ValueError(f"mini_batch_size must be positive or None (full batch), got {self.mini_batch_size}")
        if self.matched_updates is not None and self.matched_updates < 1:
            raise ValueError(f"matched_updates must be positive or None, got {self.matched_updates}")
        if not all(isinstance(c, Criterion) for c in self.criteria):
            raise TypeError("criteria must be Criterion objects")
        names = [c.name for c in self.criteria]
        if len(set(names)) != len(names):
            raise ValueError(f"criteria names must be unique, got {names}")
        object.__setattr__(self, "networks", tuple(tuple(int(s) for s in n) for n in self.networks))
        object.__setattr__(self, "criteria", tuple(self.criteria))

    def replace(self, **changes) -> Protocol:
        """Returns a copy with ``changes`` (a new name and label are expected for a new protocol)."""
        return dataclasses.replace(self, **changes)

    def criterion(self, name: str) -> Criterion:
        """Returns the criterion called ``name``; KeyError naming the ones the protocol has."""
        for c in self.criteria:
            if c.name == name:
                return c
        raise KeyError(f"protocol {self.name!r} has no criterion {name!r} (it has {[c.name for c in self.criteria]})")

    def streams(self, base_seed: int) -> list:
        """Returns the replicas' random streams: ``numpy.random.SeedSequence(base_seed).spawn(seeds)``."""
        return replica_streams(int(base_seed), self.seeds)

    def effective_lmbda(self, n: int) -> float:
        """Returns the lmbda used on n training images (scaled by n / lmbda_per when set)."""
        return self.lmbda * n / self.lmbda_per if self.lmbda_per else self.lmbda

    def batch(self, n: int) -> int:
        """Returns the mini-batch size on n images (n for full batch)."""
        return n if self.mini_batch_size is None else min(self.mini_batch_size, n)

    def epochs_on(self, n: int) -> int:
        """Returns the epochs run on n images: ``epochs``, or as many as make ``matched_updates`` updates."""
        if self.matched_updates is None:
            return self.epochs
        per_epoch = -(-n // self.batch(n))  # mini-batches per epoch (the last may be short)
        return -(-self.matched_updates // per_epoch)

    def quick(self, *, seeds: int, epochs: int | None = None) -> Protocol:
        """Returns a reduced copy for fast runs, its name and label marked "quick"."""
        return self.replace(name=self.name + "+quick", label=self.label + " [QUICK: reduced]",
                            seeds=min(seeds, self.seeds), epochs=self.epochs if epochs is None else epochs)

    def describe(self, n: int | None = None) -> str:
        """Returns one line for a caption: images, steps, eta, lmbda, init, seeds; what is measured; the criteria."""
        imgs = f"first {self.images:,} training images" if self.images else "all training images"
        if n is not None:
            imgs += f" (n = {n:,})"
        batch = ("full batch (one step per epoch)" if self.mini_batch_size is None
                 else f"mini-batch {self.mini_batch_size}")
        lm = f"lmbda {self.lmbda:g}" + (f" x n/{self.lmbda_per:,}" if self.lmbda_per else "")
        if n is not None and self.lmbda_per:
            lm += f" = {self.effective_lmbda(n):g}"
        epochs = (f"{self.epochs_on(n)} epochs ({self.matched_updates:,} updates)" if self.matched_updates and n
                  else f"{self.matched_updates:,} updates" if self.matched_updates else f"{self.epochs} epochs")
        parts = [imgs] + ([epochs, batch, f"eta {self.eta:g}", lm] if self.epochs or self.matched_updates else [])
        line = f"{self.label}: " + ", ".join(parts + [f"{self.init} init", f"{self.seeds} seeds", f"{self.norm} norm"])
        if self.quantity:
            line += f". Measured: {self.quantity}"
        if self.criteria:
            line += ". Criteria: " + "; ".join(f"({c.role}) {c.describe()}" for c in self.criteria)
        return line

    def as_dict(self, base_seed: int | None = None) -> dict:
        """Returns the protocol as plain JSON data (with how its streams are spawned, given the base seed)."""
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["networks"] = [list(n) for n in self.networks]
        d["criteria"] = [c.as_dict() for c in self.criteria]
        if base_seed is not None:
            d["streams"] = describe_streams(base_seed, self.seeds)
        return d
