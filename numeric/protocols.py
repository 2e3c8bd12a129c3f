"""Experiment protocols as data: what an experiment ran on, frozen, recorded with its results.

An experiment of ``numeric.experiments`` is a function of one ``Protocol`` (and a base seed);
the protocol travels into results.json and every table caption, so a number is never separated
from how it was made. The book's protocols (Nielsen ch. 5; ``shared/BOOK.md``) are the defaults:

* ``SPEED_AT_INIT``: ||delta^l|| of each hidden layer at initialisation, the gradient averaged
  over the first 1,000 training images (averaged over the examples first, then the norm);
* ``SPEED_DURING_TRAINING``: the same norms while training on those 1,000 images with **no
  mini-batches**: each epoch is one gradient-descent step on all of them, eta 0.1, lmbda 5.0,
  500 epochs, the norms recorded before each step;
* ``ACCURACY``: 30 epochs of mini-batch 10, eta 0.1, on the whole training split, validation
  accuracy, lmbda 5.0 *per 50,000 images*: lmbda is scaled by n / 50,000 so that the
  regularisation per update, eta lmbda / n, is the book's (on full MNIST it is exactly 5.0);
* ``ACCURACY_LITERAL``: the same with lmbda 5.0 whatever n (on the embedded 4,000 digits that
  is 12.5 times the book's regularisation per update);
* ``SPEED_DURING_TRAINING_MINIBATCH``: mini-batches of 10, a labelled variant (not the book's).

Seeds: a protocol says how many; the run's seeds are ``base_seed, base_seed + 1, ...``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

__all__ = ["Protocol", "BOOK_TRAINING_IMAGES", "CHAPTER_NETWORKS", "DEPTH_NETWORKS", "SPEED_AT_INIT",
           "SPEED_DURING_TRAINING", "SPEED_DURING_TRAINING_MINIBATCH", "ACCURACY", "ACCURACY_LITERAL"]

BOOK_TRAINING_IMAGES = 50_000  # the book's training split; lmbda's scale refers to it
CHAPTER_NETWORKS = ((784, 30, 30, 10), (784, 30, 30, 30, 10), (784, 30, 30, 30, 30, 10))
DEPTH_NETWORKS = ((784, 30, 10),) + CHAPTER_NETWORKS
NORMS = ("euclidean", "l1")


@dataclass(frozen=True)
class Protocol:
    """How an experiment is run (network2's names for the hyper-parameters).

    ``images``: the first n training images (None: the whole training split);
    ``mini_batch_size``: None means full batch, one gradient step per epoch on all images;
    ``lmbda_per``: when set, lmbda is scaled by n / lmbda_per (the book's strength per update
    on n images; None: lmbda as given); ``seeds``: how many runs, from the run's base seed;
    ``norm``: of the averaged bias gradient of a layer ("euclidean", the book's, or "l1").
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

    def __post_init__(self):
        if self.norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS}, got {self.norm!r}")
        if self.seeds < 1 or self.epochs < 0:
            raise ValueError(f"a protocol needs seeds >= 1 and epochs >= 0, got {self.seeds}, {self.epochs}")
        if self.images is not None and self.images < 1:
            raise ValueError(f"images must be positive or None (all), got {self.images}")
        if self.mini_batch_size is not None and self.mini_batch_size < 1:
            raise ValueError(f"mini_batch_size must be positive or None (full batch), got {self.mini_batch_size}")
        object.__setattr__(self, "networks", tuple(tuple(int(s) for s in n) for n in self.networks))

    def replace(self, **changes) -> "Protocol":
        """Returns a copy with ``changes`` (a new name and label are expected for a new protocol)."""
        return dataclasses.replace(self, **changes)

    def seed_list(self, base_seed: int) -> list[int]:
        """Returns the run's seeds: base_seed, base_seed + 1, ..., ``seeds`` of them."""
        return list(range(int(base_seed), int(base_seed) + self.seeds))

    def effective_lmbda(self, n: int) -> float:
        """Returns the lmbda used on n training images (scaled by n / lmbda_per when set)."""
        return self.lmbda * n / self.lmbda_per if self.lmbda_per else self.lmbda

    def batch(self, n: int) -> int:
        """Returns the mini-batch size on n images (n for full batch)."""
        return n if self.mini_batch_size is None else min(self.mini_batch_size, n)

    def quick(self, *, seeds: int, epochs: int | None = None) -> "Protocol":
        """Returns a reduced copy for fast runs, its name and label marked "quick"."""
        return self.replace(name=self.name + "+quick", label=self.label + " [QUICK: reduced]",
                            seeds=min(seeds, self.seeds), epochs=self.epochs if epochs is None else epochs)

    def describe(self, n: int | None = None) -> str:
        """Returns one line for a caption: images, steps, eta, lmbda, init, seeds."""
        imgs = f"first {self.images:,} training images" if self.images else "all training images"
        if n is not None:
            imgs += f" (n = {n:,})"
        batch = "full batch (one step per epoch)" if self.mini_batch_size is None else f"mini-batch {self.mini_batch_size}"
        lm = f"lmbda {self.lmbda:g}" + (f" x n/{self.lmbda_per:,}" if self.lmbda_per else "")
        if n is not None and self.lmbda_per:
            lm += f" = {self.effective_lmbda(n):g}"
        parts = [imgs] + ([f"{self.epochs} epochs", batch, f"eta {self.eta:g}", lm] if self.epochs else [])
        return f"{self.label}: " + ", ".join(parts + [f"{self.init} init", f"{self.seeds} seeds", f"{self.norm} norm"])

    def as_dict(self) -> dict:
        """Returns the protocol as plain JSON data."""
        d = dataclasses.asdict(self)
        d["networks"] = [list(n) for n in self.networks]
        return d


SPEED_AT_INIT = Protocol("book-init", "the book's protocol, at initialisation", images=1000, epochs=0, seeds=20)
SPEED_DURING_TRAINING = Protocol("book-full-batch", "the book's protocol, full batch", images=1000, epochs=500,
                                 mini_batch_size=None, eta=0.1, lmbda=5.0, seeds=5)
SPEED_DURING_TRAINING_MINIBATCH = SPEED_DURING_TRAINING.replace(
    name="minibatch-10", label="NOT the book's protocol: mini-batches of 10", mini_batch_size=10)
ACCURACY = Protocol("book-per-update", "the book's protocol, lmbda per 50,000 images", networks=DEPTH_NETWORKS,
                    images=None, epochs=30, mini_batch_size=10, eta=0.1, lmbda=5.0,
                    lmbda_per=BOOK_TRAINING_IMAGES, seeds=3)
ACCURACY_LITERAL = ACCURACY.replace(name="book-literal-lmbda", label="the book's protocol, lmbda 5.0 literally",
                                    lmbda_per=None)
