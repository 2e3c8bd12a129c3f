"""What a claim's check reads (``Context``: the ``Run`` and where figures go), and its parts: computed here or
received from an executor.

Re-exported by ``proofs.claim``; the parts' seconds go into the claim's record (``proofs.timing``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .data import Run
from .timing import part_entry, part_label, timed

__all__ = ["Context", "Part", "FailedPart", "PartError"]


@dataclass(frozen=True)
class Part:
    """A piece of a claim's work, run as a task of its own: ``fn(run, *args)``, named by its ``key``.

    The key is derived, never written by hand: the function's qualified name, its arguments and the run's own
    key (``Run.key``: seed, seeds, --quick, the data's digest, mpmath's digits), so two different pieces of work
    can never share one and equal keys are the same work (two parts compare by key only): a run computes a key
    once, for every claim that asks for it (``proofs.run.plan``). ``Claim.parts(ctx)`` lists a claim's parts
    (``Part.of(ctx.run, fn, *args)``) and its check asks for each with the same function and arguments
    (``ctx.part(fn, *args)``). ``fn`` is a module-level function and ``args`` plain, hashable, picklable values,
    so a part runs in any process (and its value can be kept across runs, ``proofs.run.cache``).
    """

    key: tuple
    fn: Callable = field(compare=False)
    args: tuple = field(default=(), compare=False)
    inputs: Run = field(default=None, compare=False)

    @classmethod
    def of(cls, run: Run, fn: Callable, *args) -> Part:
        """Returns the part ``fn(run, *args)`` with its derived key."""
        return cls((f"{fn.__module__}.{fn.__qualname__}", args, run.key()), fn, args, run)

    def run(self) -> tuple:
        """Returns (value, wall seconds, CPU seconds)."""
        return timed(self.fn, (self.inputs,) + self.args)


@dataclass(frozen=True)
class FailedPart:
    """What an executor hands a claim for a part that raised where it ran: the error, as text."""

    error: str


class PartError(RuntimeError):
    """A part of a claim raised; the claim fails with the part's error named (it is not recomputed)."""


@dataclass
class Context:
    """What a check may read: the ``run`` (seed, seeds, --quick, data, mpmath's digits) and where figures go.

    ``save_figure(fig, stem)`` (set by the CLI) writes a matplotlib figure as PDF and PNG and
    returns the stem; checks call it instead of writing files themselves.
    """

    run: Run = field(default_factory=Run)
    save_figure: Callable | None = None
    progress: Callable[[str], None] | None = None  # reports on long work (the CLI prints it)
    precomputed: dict = field(default_factory=dict, repr=False)  # results of a claim's parts, by key
    part_times: dict = field(default_factory=dict, repr=False)  # their (wall, CPU) seconds where they ran, by key
    parts_run: list = field(default_factory=list, repr=False)  # the parts asked for, in order, with their seconds
    _noted: set = field(default_factory=set, repr=False)  # the keys already in parts_run
    computed_by: dict = field(default_factory=dict, repr=False)  # {key: claim id} of parts another claim computed
    inline_seconds: tuple = (0.0, 0.0)  # (wall, CPU) seconds of the parts computed here, inside the check

    def protocol(self, protocol):
        """Returns ``protocol`` as this run runs it (``Protocol.resolve``: --seeds, --quick)."""
        return protocol.resolve(self.run)

    def data(self):
        """Returns the run's digits (``Run.data``: loaded once per process)."""
        return self.run.data()

    def part(self, fn: Callable, *args):
        """Returns the value of the part ``fn(run, *args)`` (``Part.of``; see ``compute``)."""
        return self.compute(Part.of(self.run, fn, *args))

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
