"""The one ``Protocol`` type of every experiment, and the ``Criterion`` its claim applies: frozen data, recorded
with the results.

A protocol names what an experiment runs on and how (``settings``: data, training, initialisation...), what it
sweeps (``grid``: depths, rates, widths...), how many seeds it runs (``seeds``, and ``quick_seeds`` under
``--quick``), **the quantity measured**, and **the criteria** with their thresholds and roles ("check": the run's
own soundness; "reproduction": the book's or a paper's statement measured on this data). It is written before the
run; the claims read every threshold from it. A criterion whose threshold or text changed after a run carries its
``history``: what it was, what the run showed, what it became and why (printed in results.json and the captions).

Settings, grid entries and thresholds read as attributes (``p.epochs``, ``p.etas``, ``p.top_below``); ``replace``
changes fields and entries alike; ``resolve(run)`` gives the protocol at a run's seed count. The instances live
beside their experiments
(``numeric.experiments.chapter``, ``remedies``, ``saturation``, ``phase``, ``propagation``, ``recurrent_task``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from types import SimpleNamespace

__all__ = ["Change", "Criterion", "criterion", "Protocol", "register"]

KINDS: dict = {}  # kind -> (check(protocol) raising ValueError, describe(protocol) -> one line), from ``register``
ROLES = ("check", "reproduction")  # as proofs.claim.Fact: the run's soundness, or the book's statement measured


@dataclass(frozen=True)
class Change:
    """One change of a criterion after a run: what it ``was``, what the run ``showed``, what it ``became``, ``why``."""

    was: str
    showed: str
    became: str
    why: str

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    def describe(self) -> str:
        return f"was {self.was}; the run showed {self.showed}; became {self.became}, because {self.why}"


@dataclass(frozen=True)
class Criterion:
    """One criterion a claim applies: its ``name`` (what the claim code asks for), the statement ``text``
    with ``{threshold}`` fields, the ``thresholds`` as ((name, value), ...), its ``role``, and its ``history``
    (``Change`` entries, oldest first; empty for a criterion unchanged since it was first written)."""

    name: str
    text: str
    role: str = "check"
    thresholds: tuple = ()
    history: tuple = ()

    def __post_init__(self):
        if self.role not in ROLES:
            raise ValueError(f"Criterion.role must be one of {ROLES}, got {self.role!r}")
        object.__setattr__(self, "thresholds", tuple((str(k), _plain(v)) for k, v in dict(self.thresholds).items()))
        if not all(isinstance(c, Change) for c in self.history):
            raise TypeError(f"criterion {self.name!r}: history must hold Change entries")
        object.__setattr__(self, "history", tuple(self.history))
        self.describe()  # every field of the text must be a threshold

    def __getitem__(self, key: str):
        for k, v in self.thresholds:
            if k == key:
                return v
        raise KeyError(f"criterion {self.name!r} has no threshold {key!r} (it has {[k for k, _ in self.thresholds]})")

    def describe(self) -> str:
        """Returns the criterion in words, its thresholds filled in."""
        return self.text.format(**dict(self.thresholds))

    def as_dict(self) -> dict:
        return {"name": self.name, "role": self.role, "text": self.describe(), "thresholds": dict(self.thresholds),
                "history": [c.as_dict() for c in self.history]}


def _plain(v):
    """A threshold as plain data: a number (float), a flag, or a tuple of numbers."""
    if isinstance(v, bool):
        return v
    if isinstance(v, tuple | list):
        return tuple(float(x) for x in v)
    return float(v)


def criterion(name: str, text: str, role: str = "check", *, history: tuple = (), **thresholds) -> Criterion:
    """Shorthand: ``criterion("ratio", "within {low:g}-{high:g}", "reproduction", low=50, high=250)``."""
    return Criterion(name, text, role, tuple(thresholds.items()), tuple(history))


def _frozen(mapping) -> tuple:
    return tuple((str(k), tuple(v) if isinstance(v, list) else v) for k, v in dict(mapping).items())


@dataclass(frozen=True)
class Protocol:
    """An experiment as data (see the module docstring). ``settings`` and ``grid`` are given as dicts and kept as
    tuples of (name, value) pairs, so a protocol is hashable and can name a part of a run's work."""

    name: str
    label: str
    seeds: int
    quick_seeds: int
    kind: str = ""
    quantity: str = ""
    criteria: tuple = ()
    grid: tuple = ()
    settings: tuple = ()

    def __post_init__(self):
        if int(self.seeds) < 1 or int(self.quick_seeds) < 1:
            raise ValueError(f"protocol {self.name!r} needs seeds >= 1 and quick_seeds >= 1")
        if not all(isinstance(c, Criterion) for c in self.criteria):
            raise TypeError(f"protocol {self.name!r}: criteria must be Criterion objects")
        names = [c.name for c in self.criteria]
        if len(set(names)) != len(names):
            raise ValueError(f"protocol {self.name!r}: criteria names must be unique, got {names}")
        object.__setattr__(self, "criteria", tuple(self.criteria))
        object.__setattr__(self, "grid", _frozen(self.grid))
        object.__setattr__(self, "settings", _frozen(self.settings))
        clash = set(dict(self.grid)) & (set(dict(self.settings)) | {f.name for f in dataclasses.fields(self)})
        if clash:
            raise ValueError(f"protocol {self.name!r}: {sorted(clash)} named twice")
        values = {}
        for c in self.criteria:  # a threshold name shared by two criteria must mean one value (``thresholds``)
            for k, v in c.thresholds:
                if values.setdefault(k, v) != v:
                    raise ValueError(f"protocol {self.name!r}: threshold {k!r} has two values, {values[k]} and {v}")
        check = KINDS.get(self.kind, (None, None))[0]
        if check is not None:
            check(self)

    def __getattr__(self, key: str):
        if key.startswith("__"):
            raise AttributeError(key)
        for pairs in (object.__getattribute__(self, "grid"), object.__getattribute__(self, "settings")):
            for k, v in pairs:
                if k == key:
                    return v
        for c in object.__getattribute__(self, "criteria"):  # a threshold, by its name (unique in a protocol)
            for k, v in c.thresholds:
                if k == key:
                    return v
        raise AttributeError(f"protocol {object.__getattribute__(self, 'name')!r} has no field, grid entry, setting "
                             f"or threshold {key!r}")

    def replace(self, **changes) -> Protocol:
        """Returns a copy with ``changes`` to its fields, grid entries, settings or thresholds (unknown names are
        refused)."""
        fields = {f.name for f in dataclasses.fields(self)}
        grid, settings = dict(self.grid), dict(self.settings)
        own = {k: v for k, v in changes.items() if k in fields}
        thresholds = {}
        for k, v in changes.items():
            if k in fields:
                continue
            if k in grid:
                grid[k] = v
            elif k in settings:
                settings[k] = v
            elif any(k == name for c in self.criteria for name, _ in c.thresholds):
                thresholds[k] = v
            else:
                raise AttributeError(f"protocol {self.name!r} has no field, grid entry, setting or threshold {k!r}")
        if thresholds and "criteria" not in own:  # a variant's thresholds (a planted flaw, a labelled variant)
            own["criteria"] = tuple(dataclasses.replace(c, thresholds=tuple(
                (name, thresholds.get(name, v)) for name, v in c.thresholds)) for c in self.criteria)
        return dataclasses.replace(self, **{"grid": own.pop("grid", grid), "settings": own.pop("settings", settings),
                                            **own})

    def criterion(self, name: str) -> Criterion:
        """Returns the criterion called ``name``; KeyError naming the ones the protocol has."""
        for c in self.criteria:
            if c.name == name:
                return c
        raise KeyError(f"protocol {self.name!r} has no criterion {name!r} (it has {[c.name for c in self.criteria]})")

    def thresholds(self) -> SimpleNamespace:
        """Returns every criterion's thresholds by name (``p.thresholds().learns``): what a claim compares with."""
        return SimpleNamespace(**{k: v for c in self.criteria for k, v in c.thresholds})

    def describe(self) -> str:
        """Returns the protocol in one line for a caption or a methods section (its kind's own wording)."""
        describe = KINDS.get(self.kind, (None, None))[1]
        return describe(self) if describe else f"{self.label}: {self.seeds} seeds"

    def seeds_for(self, run) -> int:
        """Returns how many seeds this protocol runs in ``run`` (anything with ``seeds`` and ``quick``): the run's
        ``--seeds`` when given, else ``quick_seeds`` under ``--quick``, else its own ``seeds``."""
        if getattr(run, "seeds", None):
            return int(run.seeds)
        return min(int(self.seeds), int(self.quick_seeds)) if getattr(run, "quick", False) else int(self.seeds)

    def resolve(self, run) -> Protocol:
        """Returns the protocol as ``run`` runs it: at ``seeds_for(run)`` seeds, renamed "+quick" and labelled
        "[QUICK: k seeds]" under ``--quick`` (never a verdict of record)."""
        seeds = self.seeds_for(run)
        if getattr(run, "quick", False):
            return self.replace(name=self.name + "+quick", label=self.label + f" [QUICK: {seeds} seeds]", seeds=seeds)
        return self.replace(seeds=seeds)

    def as_dict(self) -> dict:
        """Returns the protocol as plain JSON data: its fields, grid and settings, the criteria with their history."""
        def plain(v):
            if isinstance(v, tuple):
                return [plain(x) for x in v]
            return v.as_dict() if hasattr(v, "as_dict") else v

        return {"name": self.name, "label": self.label, "kind": self.kind, "seeds": int(self.seeds),
                "quick_seeds": int(self.quick_seeds), "quantity": self.quantity,
                "grid": {k: plain(v) for k, v in self.grid}, "settings": {k: plain(v) for k, v in self.settings},
                "criteria": [c.as_dict() for c in self.criteria]}


def register(kind: str, *, check=None, describe=None) -> str:
    """Registers a kind of protocol: ``check(p)`` raises ValueError for an inconsistent one (run at construction and
    at every ``replace``), ``describe(p)`` returns its one line. Returns ``kind``."""
    KINDS[kind] = (check, describe)
    return kind

