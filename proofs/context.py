"""The settings a claim's check reads (``Context``), and its parts: computed here or received from an executor.

Re-exported by ``proofs.claim``; the parts' seconds go into the claim's record (``proofs.timing``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .timing import part_entry, part_label, timed

__all__ = ["Context", "Part", "FailedPart", "PartError"]


@dataclass(frozen=True)
class Part:
    """A piece of a claim's work, run as a task of its own: ``fn(*args)``, named by ``key``.

    ``Claim.parts(ctx)`` lists a claim's parts and its check asks for each by the same object
    (``Context.compute(part)``), built by one function of the claims module, so the two cannot spell a key
    differently. Equal keys are the same work (two parts compare by key only): a run computes a key once,
    for every claim that asks for it (``proofs.run.plan``). ``fn`` is a module-level function and ``key`` and
    ``args`` are plain, picklable values, so a part runs in any process.
    """

    key: tuple
    fn: Callable = field(compare=False)
    args: tuple = field(default=(), compare=False)

    def run(self) -> tuple:
        """Returns (value, wall seconds, CPU seconds)."""
        return timed(self.fn, self.args)


@dataclass(frozen=True)
class FailedPart:
    """What an executor hands a claim for a part that raised where it ran: the error, as text."""

    error: str


class PartError(RuntimeError):
    """A part of a claim raised; the claim fails with the part's error named (it is not recomputed)."""


@dataclass
class Context:
    """Settings a check may read: working precision, seed, data path, and where figures go.

    ``save_figure(fig, stem)`` (set by the CLI) writes a matplotlib figure as PDF and PNG and
    returns the stem; checks call it instead of writing files themselves.
    """

    dps: int = 50
    seed: int = 0
    mnist: str | None = None
    seeds: int | None = None  # seeds of every experiment (None: each protocol's own)
    quick: bool = False  # fewer seeds in the training experiments (tests); marked in the output
    save_figure: Callable | None = None
    progress: Callable[[str], None] | None = None  # reports on long work (the CLI prints it)
    precomputed: dict = field(default_factory=dict, repr=False)  # results of a claim's parts, by key
    part_times: dict = field(default_factory=dict, repr=False)  # their (wall, CPU) seconds where they ran, by key
    parts_run: list = field(default_factory=list, repr=False)  # the parts asked for, in order, with their seconds
    _noted: set = field(default_factory=set, repr=False)  # the keys already in parts_run
    computed_by: dict = field(default_factory=dict, repr=False)  # {key: claim id} of parts another claim computed
    inline_seconds: tuple = (0.0, 0.0)  # (wall, CPU) seconds of the parts computed here, inside the check
    _data: Any = field(default=None, repr=False)

    def seeds_for(self, default: int, quick: int) -> int:
        """Returns how many seeds (replicas) an experiment runs: ``--seeds K`` when given, else ``min(default,
        quick)`` under ``--quick``, else the protocol's ``default``. The one place a run's seed count is resolved."""
        if self.seeds:
            return int(self.seeds)
        return min(int(default), int(quick)) if self.quick else int(default)

    def labelled(self, protocol, quick: int):
        """Returns a protocol with ``name`` and ``label`` fields at this run's seed count (``seeds_for``); under
        ``--quick`` renamed "+quick" and labelled "[QUICK: k seeds]"."""
        seeds = self.seeds_for(protocol.seeds, quick)
        if self.quick:
            return protocol.replace(name=protocol.name + "+quick", label=protocol.label + f" [QUICK: {seeds} seeds]",
                                    seeds=seeds)
        return protocol.replace(seeds=seeds)

    def compute(self, part: Part):
        """Returns the value of ``part``: the one an executor computed (as a task of its own), or ``part.run()``
        here when none did (a check run on its own); notes the part's seconds in ``parts_run`` once per key.
        A part asked for again returns the same value, computed once. A part that raised where it ran raises
        ``PartError`` naming its error (never silently recomputed). A part another claim of the run also asks
        for (``computed_by``) is computed once, by the first of them in registry order; the others note it with
        0 seconds and ``computed_by`` naming that claim."""
        if not isinstance(part, Part):
            raise TypeError(f"Context.compute takes a Part (proofs.context.Part), got {type(part).__name__}")
        key = part.key
        shared = key in self.precomputed and key in self.computed_by
        if key in self.precomputed:
            value, (wall, cpu) = self.precomputed[key], self.part_times.get(key, (None, None))
            if shared:  # its seconds are in the record of the claim that computed it, not counted twice
                wall = cpu = 0.0
        else:
            value, wall, cpu = part.run()
            self.precomputed[key], self.part_times[key] = value, (wall, cpu)
            self.inline_seconds = (self.inline_seconds[0] + wall, self.inline_seconds[1] + cpu)
        if key not in self._noted:
            self._noted.add(key)
            entry = part_entry(key, wall, cpu)
            self.parts_run.append(entry | {"computed_by": self.computed_by[key]} if shared else entry)
        if isinstance(value, FailedPart):
            raise PartError(f"its part {part_label(key)} failed: {value.error}")
        return value

    def data(self):
        """Returns the run's digits (embedded, or full MNIST from ``mnist``), loaded once."""
        if self._data is None:
            from numeric.data import load

            self._data = load(self.mnist)
        return self._data
