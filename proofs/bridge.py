"""The claims' bridge from exact expressions to numbers (``sympy.lambdify``).

``theory`` and ``numeric`` never import each other; a claim that evaluates a SymPy formula on numbers goes through
here (the tests' own lambdified references are ``tests/lambdified.py``).
"""

from __future__ import annotations

import mpmath
import sympy as sp

__all__ = ["sampled_max"]


def sampled_max(expr, symbol, lo: float = -50.0, hi: float = 50.0, points: int = 2001, dps: int = 30):
    """Returns the largest value of ``expr`` (lambdified to mpmath) on ``points`` equally spaced values."""
    f = sp.lambdify(symbol, expr, modules="mpmath")
    with mpmath.workdps(dps):
        step = (mpmath.mpf(hi) - lo) / (points - 1)
        return max(mpmath.re(f(lo + i * step)) for i in range(points))
