"""Claims and their evidence: the unit of work of ``python -m proofs``.

A ``Claim`` names a statement of the book and a ``check`` that computes its evidence. The
check returns ``Evidence``, never a bare bool: the verdict is derived from what was
computed in that run, and the evidence says what it was.

Verdicts, strongest first:
* ``proved``: an exact symbolic identity (SymPy), for all depths where an induction is given;
* ``certified``: a rigorous enclosure (interval arithmetic);
* ``verified``: numeric agreement within a stated tolerance, every margin wider than the seed spread beside it;
* ``fragile``: every fact holds, but at least one holds by less than the seed spread beside it (its margin is
  thinner than what another seed could move): the statement held in this run; it is not a finding of record;
* ``not reproduced``: the run is sound (every check of the protocol, the data and the network held)
  but a statement of the book or a paper did not hold on this data; the facts say by how much;
* ``failed``: a check of the suite's own did not hold, or the check raised.

A fact's ``role`` says which of the two it is: "check" (the formula, the protocol, a network that
learned: a miss is a failure of the run) or "reproduction" (the book's or a paper's statement measured
on this data: a miss, with every check holding, is "not reproduced"). ``margin_fact`` builds a
threshold fact that also records its margin and the seed spread beside it; a fact that holds by less
than that spread is marked fragile and lowers the verdict to ``fragile`` (a flag that lowers, never decorates).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from theory.notation import Step, to_latex

from .context import Context, Part  # re-exported; the settings a check reads are proofs/context.py
from .statement import load_statement  # re-exported; the loader that cannot run code is proofs/statement.py
from .timing import Stopwatch
from .values import enclosure, exact_number, jsonable  # re-exported: a record's values

VERDICTS = ("proved", "certified", "verified", "fragile", "not reproduced", "failed")
ROLES = ("check", "reproduction")

__all__ = ["VERDICTS", "ROLES", "Claim", "margin_fact", "Context", "Part", "Evidence", "Fact", "run_claim",
           "exact_number", "enclosure", "display", "broken", "load_statement"]


@dataclass
class Fact:
    """One checked item of evidence: what was checked, how, and whether it held.

    ``role``: "check" or "reproduction" (see the module docstring); ``margin`` and ``spread`` (set by
    ``margin_fact``): how far the measurement lies on the passing side of its threshold, and the seed
    spread it is compared with.
    """

    what: str
    holds: bool
    how: str = ""
    value: Any = None
    role: str = "check"
    margin: float | None = None
    spread: float | None = None

    def __post_init__(self):
        if self.role not in ROLES:
            raise ValueError(f"Fact.role must be one of {ROLES}, got {self.role!r}")
        self.holds = bool(self.holds)

    @property
    def fragile(self) -> bool:
        """True when the fact holds by less than the seed spread beside it."""
        return bool(self.holds and self.margin is not None and self.spread is not None
                    and self.margin < self.spread)

    def as_dict(self) -> dict:
        out = {"what": self.what, "holds": bool(self.holds), "how": self.how}
        if self.value is not None:
            out["value"] = jsonable(self.value)
        if self.role != "check":
            out["role"] = self.role
        if self.margin is not None:
            out["margin"] = jsonable(float(self.margin))
            out["spread"] = jsonable(None if self.spread is None else float(self.spread))
            out["fragile"] = self.fragile
        return out


def margin_fact(what: str, measured: float, threshold: float, spread: float, *, above: bool = True,
                how: str = "", value: Any = None, role: str = "check") -> Fact:
    """Returns the Fact "measured >= threshold" (``above``) or "measured <= threshold", with its margin
    |measured - threshold| on the passing side and ``spread`` (the seeds' spread of the measurement, in the
    same units) beside it: a fact that holds by less than the spread is fragile.

    A measurement that is not finite (a diverged run) never holds.
    """
    m, t = float(measured), float(threshold)
    finite = m == m and abs(m) != float("inf")
    holds = finite and (m >= t if above else m <= t)
    margin = (m - t if above else t - m) if finite else None
    return Fact(what, holds, how, value, role=role, margin=margin, spread=float(spread))


@dataclass
class Evidence:
    """What a check computed.

    ``kind`` is the verdict the facts earn when all hold (proved/certified/verified);
    ``statement`` the exact statement (a SymPy object, exported as LaTeX and srepr) or None;
    ``latex`` an explicit display body where a statement is not one SymPy object;
    ``steps`` derivation lines; ``numbers`` named values for tables; ``figures`` file stems;
    ``headline`` one line for the terminal.
    """

    kind: str
    facts: list[Fact]
    statement: Any = None
    latex: str | None = None
    steps: list[Step] = field(default_factory=list)
    numbers: dict = field(default_factory=dict)
    figures: list[str] = field(default_factory=list)
    headline: str | None = None  # one line the CLI prints under the verdict (e.g. a maximum to 30 digits)

    def __post_init__(self):
        if self.kind not in VERDICTS[:3]:
            raise ValueError(f"Evidence.kind must be one of {VERDICTS[:3]}, got {self.kind!r}")
        if not self.facts:
            raise ValueError("Evidence needs at least one checked fact")
        if not any(f.role == "check" for f in self.facts):
            raise ValueError("Evidence needs at least one fact of role 'check' (the run's own soundness) beside "
                             "its reproduction facts")

    @property
    def verdict(self) -> str:
        if not all(f.holds for f in self.facts if f.role == "check"):
            return "failed"
        if not all(f.holds for f in self.facts):
            return "not reproduced"
        return "fragile" if any(f.fragile for f in self.facts) else self.kind

    @property
    def fragile(self) -> list[str]:
        """The facts that hold by less than the seed spread beside them."""
        return [f.what for f in self.facts if f.fragile]


@dataclass(frozen=True)
class Claim:
    """A statement of the book with a check that computes its evidence.

    ``id`` is stable (file names, ``--only``); ``source`` the book's tag, e.g. "(122)";
    ``tag`` the equation number for LaTeX ``\\tag`` (None where the book does not number it).
    ``check`` takes a ``Context`` (settings such as precision and data) and returns ``Evidence``.
    ``figures`` are the stems of the figures the check may save (declared, so that the CLI knows
    every path it will write before any claim runs).
    """

    id: str
    source: str
    title: str
    check: Callable[..., Evidence]
    tag: str | None = None
    group: str = "chain"
    figures: tuple = ()
    cost: float = 1.0  # expected seconds (a scheduling hint: longest first)
    parts: Callable | None = None  # parts(ctx) -> [Part]: independent pieces, run as tasks first
    latex_title: str | None = None  # the title as LaTeX (None: ``title``, escaped); in the record, for the writers
    cites: tuple = ("nielsen2015",)  # BibTeX keys (proofs/latex.REFERENCES) the LaTeX fragment cites


def display(*lines) -> str:
    """Returns the LaTeX of a display of one or more centred lines (``gathered``), so that it fits a column.

    Each line is a SymPy object (printed by the project's printer, in the order it was built) or
    a LaTeX string (a template whose values the caller took from the proved objects).
    """
    tex = [_tex(x) for x in lines]
    return tex[0] if len(tex) == 1 else "\\begin{gathered}" + " \\\\ ".join(tex) + "\\end{gathered}"


def broken(lhs, rhs, relation: str = "=") -> str:
    """Returns an equation set over two lines: the left side, then the relation and the right side."""
    return f"\\begin{{aligned}} &{_tex(lhs)} \\\\ &\\quad {relation} {_tex(rhs)} \\end{{aligned}}"


def _tex(item) -> str:
    """Returns LaTeX for a SymPy object, or the string itself where a step is given as LaTeX."""
    return item if isinstance(item, str) else to_latex(item)


def statement_latex(ev: Evidence) -> str | None:
    """Returns the LaTeX of the evidence's statement (explicit ``latex`` wins)."""
    if ev.latex is not None:
        return ev.latex
    if ev.statement is not None:
        return to_latex(ev.statement)
    return None


def run_claim(claim: Claim, context) -> dict:
    """Returns the result record of one claim: runs its check, times it, never raises.

    A check that raises yields verdict "failed" with the error in ``error``.
    """
    watch = Stopwatch()
    try:
        ev = claim.check(context)
        error = None
    except OSError:  # a write into the results folder failed (a full disk): the run stops, clearly
        raise
    except Exception as exc:  # a crashing check is a failed claim, reported, not a crash of the run
        ev, error = None, f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"
    wall, cpu = watch.read()
    inline_wall, inline_cpu = getattr(context, "inline_seconds", (0.0, 0.0))  # the check's own: parts run here out
    record = {
        "id": claim.id,
        "source": claim.source,
        "title": claim.title,
        "latex_title": claim.latex_title,
        "cites": list(claim.cites),
        "group": claim.group,
        "tag": claim.tag,
        "verdict": ev.verdict if ev else "failed",
        "seconds": round(max(0.0, wall - inline_wall), 3),
        "cpu_seconds": round(max(0.0, cpu - inline_cpu), 3),
        "parts": list(getattr(context, "parts_run", [])),
        "latex": statement_latex(ev) if ev else None,
        "sympy": sp.srepr(ev.statement, order="none") if ev is not None and ev.statement is not None else None,
        "evidence": [f.as_dict() for f in ev.facts] if ev else [],
        "steps": [
            {"lhs": _tex(s.lhs), "relation": s.relation, "rhs": _tex(s.rhs), "tag": s.tag, "why": s.why}
            for s in (ev.steps if ev else [])
        ],
        "numbers": jsonable(ev.numbers) if ev else {},
        "figures": list(ev.figures) if ev else [],
        "headline": ev.headline if ev else None,
        "fragile": ev.fragile if ev else [],
    }
    if error:
        record["error"] = error
    return record
