"""Returns a claim's values as results.json holds them: plain JSON, exact numbers beside floats, enclosures.

Re-exported by ``proofs.claim``, where the claims import them from.
"""

from __future__ import annotations

import sympy as sp

__all__ = ["jsonable", "exact_number", "enclosure"]


def jsonable(value):
    """Returns ``value`` as plain JSON data (SymPy objects become strings)."""
    if isinstance(value, (bool, int, str)) or value is None:
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else str(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, sp.Basic):
        return str(value)
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        return jsonable(value.item())
    return str(value)


def exact_number(value, digits: int | None = None) -> dict | str:
    """Returns {"value": a JSON number, "exact": the exact value as a string} for results.json.

    ``value`` is a SymPy number (exact, e.g. 1/4), an mpmath number (then ``exact`` is its first
    ``digits`` significant digits) or a float. A SymPy expression with free symbols (k/4) has no
    number: it stays a string.
    """
    import mpmath

    if isinstance(value, sp.Basic):
        if value.free_symbols:
            return str(value)
        return {"value": float(value), "exact": str(value)}
    if isinstance(value, (mpmath.mpf, mpmath.mpc)):
        return {"value": float(value), "exact": mpmath.nstr(value, digits or mpmath.mp.dps)}
    return {"value": float(value), "exact": repr(float(value))}


def enclosure(interval, digits: int) -> dict:
    """Returns {"lo": str, "hi": str} (``digits`` significant digits, rounded outward) and floats beside."""
    import mpmath

    with mpmath.workdps(digits + 10):
        a, b = mpmath.mpf(interval.a), mpmath.mpf(interval.b)
        lo, hi = mpmath.nstr(a, digits), mpmath.nstr(b, digits)
        # nstr rounds to nearest: step one unit in the last place outward where that lost the enclosure
        ulp = mpmath.mpf(10) ** (mpmath.floor(mpmath.log10(max(abs(a), abs(b)) or 1)) - digits + 1)
        if mpmath.mpf(lo) > a:
            lo = mpmath.nstr(mpmath.mpf(lo) - ulp, digits + 1)
        if mpmath.mpf(hi) < b:
            hi = mpmath.nstr(mpmath.mpf(hi) + ulp, digits + 1)
    return {"lo": lo, "hi": hi, "float": [float(a), float(b)]}
