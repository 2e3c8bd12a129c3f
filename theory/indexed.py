"""Indexed sums with symbolic ranges, reduced and compared: the engine of ``theory.widths``' proofs.

``Index`` is an ``Idx`` whose range ends are symbols (a width n_l); ``chain_rule`` writes the multivariate chain
rule as a ``Sum``; ``reduce`` runs ``Sum.doit()`` and replaces a ``Piecewise`` range condition by True only after
checking that the free index's declared range implies it (each replacement a ``Rewrite``, shown as a step);
``same`` compares two expressions after pulling constant factors out of the sums; ``Proof`` records one
derivation (what SymPy derived beside what was claimed).
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy.simplify.simplify import factor_sum

from .notation import Step, to_latex

__all__ = ["Index", "chain_rule", "Rewrite", "reduce", "same", "Proof"]


class Index(sp.Idx):
    """An index with a symbolic range that prints as its bare name (j, not j_{1..n})."""

    def _latex(self, printer):
        return printer._print(self.label)


def chain_rule(partials: sp.IndexedBase, inner, index: sp.Idx, x):
    """Returns sum_index partials[index] * d inner(index)/dx: the chain rule for a function of a vector.

    ``inner(index)`` is the component of the vector the outer function reads; ``partials[index]``
    names the outer function's partial in that component (delta, or dC/da for the output layer).
    The derivative of each component is SymPy's.
    """
    return sp.Sum(partials[index] * sp.diff(inner(index), x), (index, index.lower, index.upper))


@dataclass(frozen=True)
class Rewrite:
    """A range condition replaced by True: ``condition`` holds because ``index`` runs over lower..upper."""

    condition: sp.Basic
    index: sp.Idx

    def step(self) -> Step:
        lo, hi = to_latex(self.index.lower), to_latex(self.index.upper)
        return Step(rf"\mathbf{{1}}[{to_latex(self.condition)}]", "1", relation="=",
                    why=f"${to_latex(self.index)}$ ranges over ${lo}, \\ldots, {hi}$ "
                        "(checked: the range implies the condition)")


def _nonneg_given_ranges(g, indices) -> bool:
    """True when the integer expression g >= 0 follows from each index lying in its declared range."""
    g = sp.expand(g)
    if g.is_nonnegative:
        return True
    for idx in indices:
        if idx not in g.free_symbols:
            continue
        u = sp.Dummy("u", integer=True, nonnegative=True)
        for end in (idx.lower + u, idx.upper - u):  # idx = lower + u, or idx = upper - u, u >= 0
            if sp.expand(g.xreplace({idx: end})).is_nonnegative:
                return True
    return False


def _implied(condition, indices) -> bool:
    if condition is sp.true:
        return True
    if isinstance(condition, sp.And):
        return all(_implied(c, indices) for c in condition.args)
    ge = {sp.GreaterThan: lambda c: c.lhs - c.rhs, sp.LessThan: lambda c: c.rhs - c.lhs,
          sp.StrictGreaterThan: lambda c: c.lhs - c.rhs - 1, sp.StrictLessThan: lambda c: c.rhs - c.lhs - 1}
    for kind, gap in ge.items():  # integers: a > b is a - b - 1 >= 0
        if isinstance(condition, kind):
            return _nonneg_given_ranges(gap(condition), indices)
    return False


def reduce(expr, free: tuple) -> tuple:
    """Returns (expr reduced, [Rewrite, ...]): Sum.doit() and implied range conditions, to a fixed point.

    ``free`` are the free indices (Idx with their ranges). A Piecewise whose first condition is
    implied by those ranges becomes its first expression; any other Piecewise is left as it is
    (so an unprovable condition stays visible and the comparison that follows fails).
    """
    rewrites = []

    def drop(pw):
        (e0, c0) = pw.args[0]
        if _implied(c0, free):
            rewrites.append(Rewrite(c0, next(iter(sorted(c0.free_symbols & set(free), key=str)), free[0])))
            return e0
        return pw

    for _ in range(10):
        new = expr.doit().replace(lambda e: isinstance(e, sp.Piecewise), drop)
        if new == expr:
            break
        expr = new
    return expr, rewrites


def _canonical(expr):
    """Pulls factors independent of the summation variable out of every Sum, then expands."""
    expr = expr.replace(lambda e: isinstance(e, sp.Sum), lambda s: factor_sum(s))
    return sp.expand(expr)


def same(lhs, rhs) -> bool:
    """Returns True when lhs - rhs is 0 after pulling constant factors out of the sums and expanding."""
    return lhs == rhs or _canonical(lhs - rhs) == 0 or _canonical(lhs) == _canonical(rhs)


@dataclass
class Proof:
    """One symbolic-width derivation: the claimed right-hand side, what SymPy derived, the steps."""

    name: str
    lhs: sp.Basic
    derived: sp.Basic
    claimed: sp.Basic
    steps: list
    rewrites: list

    @property
    def holds(self) -> bool:
        return same(self.derived, self.claimed)

    def statement(self):
        return sp.Eq(self.lhs, self.claimed, evaluate=False)
