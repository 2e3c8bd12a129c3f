"""The limits on loading a stored statement (``proofs.statement``): what a SymPy constructor would compute or
allocate is bounded before it is called, and building stops after ``MAX_SECONDS`` as a last guard.

Each bound answers a payload of fewer than 50 characters that took from 30 s to hours, or gigabytes: a Float's
decimal of a huge exponent (``Float('1e1000000')``: 48 s), a matrix of a function (``ImmutableDenseMatrix(20000,
20000, f)``: gigabytes), a derivative of order 10^7, ``evaluate=True``.
"""

from __future__ import annotations

import sys
import time

import sympy as sp

__all__ = ["check_bounds", "Deadline", "TooLong", "MAX_TEXT", "MAX_DEPTH", "MAX_INT_DIGITS", "MAX_PRECISION",
           "MAX_NAME", "MAX_EXPONENT", "MAX_ENTRIES", "MAX_DIMENSION", "MAX_ORDER", "MAX_SECONDS", "MATRICES"]

MAX_TEXT = 20_000  # characters; the longest field today (bp1-bp4-matrix-form) has 2,015
MAX_DEPTH = 100  # nested calls and lists; the deepest field today nests about 12
MAX_INT_DIGITS = 1000  # an integer literal (a float's precision is bounded separately)
MAX_PRECISION = 100_000  # bits of a Float
MAX_NAME = 200  # characters of a symbol's or function's name
MAX_EXPONENT = 10_000  # of a Float's decimal (1e100000 takes 0.4 s, 1e1000000 48 s)
MAX_ENTRIES = 10_000  # of an explicit matrix
MAX_DIMENSION = 10**6  # a MatrixSymbol's integer rows or columns
MAX_ORDER = 1000  # of a derivative, per variable
MAX_SECONDS = 1.0  # building one statement; the suite's take milliseconds
MATRICES = ("ImmutableDenseMatrix", "MutableDenseMatrix")


def check_bounds(name: str, args: list, kwargs: dict) -> None:
    """Raises ValueError when a constructor's arguments would make it compute or allocate without bound."""
    if name == "Float":
        precision = kwargs.get("precision", 53)
        if not (len(args) == 1 and isinstance(args[0], str)) or set(kwargs) - {"precision"}:
            raise ValueError("a Float is its decimal string and, optionally, precision=")
        if not (type(precision) is int and 0 < precision <= MAX_PRECISION):
            raise ValueError(f"a Float's precision must be 1..{MAX_PRECISION} bits")
        mantissa, _, exponent = args[0].lower().partition("e")
        if sum(c.isdigit() for c in mantissa) > MAX_INT_DIGITS or len(exponent.lstrip("+-0")) > 6 \
                or abs(int(exponent or 0)) > MAX_EXPONENT:
            raise ValueError(f"a Float's decimal may have at most {MAX_INT_DIGITS} digits and an exponent of at most "
                             f"{MAX_EXPONENT}, got {args[0][:40]!r}")
    elif name in MATRICES:
        if len(args) != 1 or not isinstance(args[0], list) or kwargs:
            raise ValueError(f"a matrix ({name}) is given by its list of rows only, as srepr prints it")
        entries = sum(len(row) if isinstance(row, list) else 1 for row in args[0])
        if entries > MAX_ENTRIES:
            raise ValueError(f"a matrix of {entries:,} entries, more than {MAX_ENTRIES:,}")
    elif name == "MatrixSymbol":
        if any(isinstance(a, (int, sp.Integer)) and not 0 <= int(a) <= MAX_DIMENSION for a in args[1:]):
            raise ValueError(f"a MatrixSymbol's sizes must be 0..{MAX_DIMENSION}")
    elif name == "Derivative":
        orders = [a[1] for a in args[1:] if isinstance(a, (list, sp.Tuple)) and len(a) == 2]
        orders += [a for a in args[2:] if isinstance(a, (int, sp.Integer))]  # Derivative(f, x, n): n after x
        if any(isinstance(n, (int, sp.Integer)) and not 0 <= int(n) <= MAX_ORDER for n in orders):
            raise ValueError(f"a derivative's order must be 0..{MAX_ORDER}")


class TooLong(ValueError):
    """Building took longer than MAX_SECONDS."""


class Deadline:
    """A profile function (``sys.setprofile``) that stops the building after ``seconds``: it is called on every
    function call and return, so it stops SymPy's Python loops (not one long arithmetic operation in C: those are
    bounded by ``check_bounds``)."""

    def __init__(self, seconds: float):
        self.seconds, self.end, self.calls = seconds, time.monotonic() + seconds, 0

    def __call__(self, frame, event, arg):
        self.calls += 1
        if not self.calls & 255:
            self.check()

    def check(self) -> None:
        """Raises ValueError once the time is up (also called between constructors: SymPy code that catches the
        profile function's exception unsets it)."""
        if time.monotonic() > self.end:
            raise TooLong(f"building the statement took longer than {self.seconds:g} s (proofs.statement.MAX_SECONDS)")

    def __enter__(self):
        self.previous = sys.getprofile()
        sys.setprofile(self)
        return self

    def __exit__(self, *exc):
        sys.setprofile(self.previous)
