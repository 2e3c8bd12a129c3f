"""One run's inputs, as one frozen value (``Run``), and the run's digits, loaded once per process.

``Run`` is made once from the command line (``Run.make``) and handed to every claim (``Context.run``) and every
part of a claim's work (``Part``: a part function takes the run as its first argument). It holds what the numbers
depend on (the seed, the seeds and --quick, the data and its digest, mpmath's digits) and how figures are made.
``run.data()`` is the one door to the digits: loaded once per process (workers and parts share it).

Sits below the registry and the executor (it imports only ``numeric.data``), so a claims module can reach the
run's inputs without importing the executor, which imports the registry, which imports the claims modules.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from functools import lru_cache

__all__ = ["Run", "load_data", "LOADS"]

LOADS = {"count": 0}  # how many times this process read the digits (a test counts them: once per process)


@lru_cache(maxsize=4)
def load_data(mnist):
    """Returns the run's digits (``numeric.data.load(mnist)``), loaded once per process (workers and parts share it)."""
    from numeric.data import load

    LOADS["count"] += 1
    return load(mnist)


def data_digest(data) -> str:
    """Returns the SHA-256 of the digits' pixels and labels, split by split (what a cached part depends on)."""
    h = hashlib.sha256()
    for split in (data.training, data.validation, data.test):
        if split is not None:
            h.update(split.x.tobytes())
            h.update(split.y.tobytes())
    return h.hexdigest()


@dataclass(frozen=True)
class Run:
    """The inputs of one run (see the module docstring); ``key()`` is what every part's numbers depend on."""

    seed: int = 0
    seeds: int | None = None
    quick: bool = False
    mnist: str | None = None
    dps: int = 50
    figure_size: str = "column"
    pgf: bool = False
    data_digest: str = ""

    @classmethod
    def make(cls, **values) -> Run:
        """Returns the run for these inputs with its data's digest (loading the digits: a bad --mnist raises
        ``numeric.data.DataError`` here, before any claim runs)."""
        run = cls(**values)
        return cls(**(asdict(run) | {"data_digest": data_digest(run.data())}))

    def data(self):
        """Returns the run's digits (embedded, or full MNIST from ``mnist``), loaded once per process."""
        return load_data(self.mnist)

    def key(self) -> tuple:
        """Returns what a part's numbers depend on: the seed, the seed count, --quick, the data's digest, the digits
        of mpmath (not the figure options, nor where or how many processes run it)."""
        return (("seed", int(self.seed)), ("seeds", self.seeds), ("quick", bool(self.quick)),
                ("data", self.data_digest or str(self.mnist)), ("dps", int(self.dps)))

    def protocol(self, protocol):
        """Returns ``protocol`` as this run runs it (``Protocol.resolve``: --seeds, --quick)."""
        return protocol.resolve(self)

    def as_dict(self) -> dict:
        return asdict(self)
