"""Loading a record's ``sympy`` field back into SymPy without running code.

A results.json may come from someone else, so its text is data, never code: ``eval`` without builtins
is not a sandbox (``().__class__.__base__.__subclasses__()`` reaches every class in the process), and
SymPy's own ``sympify`` of a string evaluates it. ``load_statement`` parses the text with ``ast`` and
builds the object node by node from an allow-list:

* a call of an allowed constructor (SymPy's classes that ``srepr`` prints for the suite's statements,
  and the suite's own: sigma, sigma_prime, C, C_prime, PartialC, GradC, Cvec, Index), or of
  ``Function('name')`` (an undefined function applied to its arguments);
* an allowed singleton name (oo, pi, true, EmptySet, ...), minus before a number or a name;
* constants: integers of at most ``MAX_INT_DIGITS`` digits, booleans, None; strings only where a
  constructor takes a name (Symbol('x'), Function('f'), Str('j')) or a decimal (Float('0.5'));
* keywords with a plain name (``real=True``, ``precision=53``), and lists (a matrix's rows).

Everything else (attribute access, subscripts, operators, lambda, comprehensions, ``**kwargs``, a name
outside the lists, ``evaluate=``) is refused with a ValueError naming what was found, as are texts longer
than ``MAX_TEXT`` characters and nesting deeper than ``MAX_DEPTH``. What a constructor would compute is
bounded before it is called (each of these took from 30 s to hours, or gigabytes, with fewer than 50
characters): a Float's decimal has at most ``MAX_INT_DIGITS`` digits and an exponent of at most
``MAX_EXPONENT``; a matrix is given by its rows, at most ``MAX_ENTRIES`` entries; a MatrixSymbol's
integer sizes and a derivative's orders are bounded (``MAX_DIMENSION``, ``MAX_ORDER``). As a last guard,
building stops after ``MAX_SECONDS`` (checked as SymPy's Python code runs). A constructor that refuses
its arguments (TypeError, ...) is a ValueError too.
"""

from __future__ import annotations

import ast
import re

import sympy as sp
from sympy.concrete.expr_with_limits import AddWithLimits

from .statement_limits import (
    MAX_DEPTH,
    MAX_DIMENSION,
    MAX_ENTRIES,
    MAX_EXPONENT,
    MAX_INT_DIGITS,
    MAX_NAME,
    MAX_ORDER,
    MAX_SECONDS,
    MAX_TEXT,
    Deadline,
    TooLong,
    check_bounds,
)

__all__ = ["load_statement", "MAX_TEXT", "MAX_DEPTH", "MAX_INT_DIGITS", "MAX_EXPONENT", "MAX_ENTRIES", "MAX_DIMENSION",
           "MAX_ORDER", "MAX_SECONDS", "CONSTRUCTORS", "SINGLETONS"]

# SymPy's constructors that srepr prints: numbers, arithmetic, relations, logic, sets, the functions
# the theory uses, sums and indexed objects, matrices. None of them parses a string it is given
# except through the checks below (names and decimals only).
CONSTRUCTORS = (
    "Symbol", "Dummy", "Str", "Integer", "Rational", "Float", "Function",
    "Add", "Mul", "Pow", "Abs", "exp", "log", "sqrt", "sin", "cos", "tanh", "atanh", "erf", "Heaviside",
    "Max", "Min", "Piecewise", "ExprCondPair", "Derivative", "Subs", "Sum", "Product", "Order", "Limit", "Integral",
    "Eq", "Ne", "Lt", "Le", "Gt", "Ge", "Equality", "Unequality", "StrictLessThan", "LessThan",
    "StrictGreaterThan", "GreaterThan", "And", "Or", "Not", "Implies", "Equivalent", "Contains",
    "Interval", "FiniteSet", "Union", "Intersection", "Tuple", "Indexed", "IndexedBase", "Idx", "KroneckerDelta",
    "ImmutableDenseMatrix", "MutableDenseMatrix", "MatrixSymbol", "Transpose", "MatMul", "MatAdd",
    "HadamardProduct",
)
SINGLETONS = ("oo", "zoo", "nan", "pi", "E", "I", "true", "false", "EmptySet", "Reals", "Integers", "Naturals",
              "Naturals0")
SUITE = ("sigma", "sigma_prime", "C", "C_prime", "PartialC", "GradC", "Cvec", "Index")
NAMED = ("Symbol", "Dummy", "Str", "Function", "IndexedBase", "MatrixSymbol")  # first argument may be a name string
_DECIMAL = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\Z", re.IGNORECASE)


def _tables() -> tuple[dict, dict]:
    from sympy.core.symbol import Str
    from sympy.functions.elementary.piecewise import ExprCondPair

    import theory.layered as layered
    import theory.notation as notation
    import theory.widths as widths

    calls = {name: getattr(sp, name) for name in CONSTRUCTORS if name not in ("Str", "ExprCondPair")}
    calls |= {"Str": Str, "ExprCondPair": ExprCondPair}
    calls |= {k: getattr(notation, k) for k in ("sigma", "sigma_prime", "C", "C_prime", "PartialC")}
    calls |= {"GradC": layered.GradC, "Cvec": layered.Cvec, "Index": widths.Index}
    names = {name: getattr(sp, name) for name in SINGLETONS}
    return calls, names


class _Builder:
    """Builds one parsed text, refusing every node outside the allow-list."""

    def __init__(self):
        self.calls, self.names = _tables()
        self.deadline = None

    def build(self, node, depth: int = 0, string_as=None):
        if depth > MAX_DEPTH:
            raise ValueError(f"text nested deeper than {MAX_DEPTH} levels")
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        if isinstance(node, ast.Name):
            if node.id not in self.names:
                raise ValueError(f"name {node.id!r} is not an allowed constant (allowed: {', '.join(SINGLETONS)})")
            return self.names[node.id]
        if isinstance(node, ast.Constant):
            return self._constant(node.value, string_as)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(
                node.operand, (ast.Constant, ast.Name)):
            value = self.build(node.operand, depth + 1)
            if isinstance(value, (bool, str)) or value is None:
                raise ValueError("minus before a non-number")
            return -value
        if isinstance(node, ast.List):
            return [self.build(e, depth + 1) for e in node.elts]
        raise ValueError(f"{type(node).__name__} is not allowed in a statement (calls, names, constants, "
                         "keywords and lists only)")

    def _call(self, node: ast.Call, depth: int):
        if isinstance(node.func, ast.Name):
            name = node.func.id
            if name not in self.calls:
                raise ValueError(f"{name!r} is not an allowed constructor")
            func = self.calls[name]
        elif (isinstance(node.func, ast.Call) and isinstance(node.func.func, ast.Name)
              and node.func.func.id == "Function"):
            name, func = "Function(...)", self._call(node.func, depth + 1)  # an undefined function, applied
        else:
            raise ValueError(f"only a named constructor or Function('name') may be called, not "
                             f"{type(node.func).__name__}")
        strings = "name" if name in NAMED else "decimal" if name == "Float" else None
        args = [self.build(a, depth + 1, strings if i == 0 else None) for i, a in enumerate(node.args)]
        kwargs = {}
        for kw in node.keywords:
            if kw.arg is None or kw.arg.startswith("_"):
                raise ValueError("keywords must be plain names (no **mapping, no leading underscore)")
            if kw.arg == "evaluate":
                raise ValueError("evaluate= is refused: a statement is built as stored, never evaluated")
            kwargs[kw.arg] = self.build(kw.value, depth + 1)
        check_bounds(name, args, kwargs)
        if self.deadline is not None:
            self.deadline.check()
        try:
            return _as_stored(func(*args, **kwargs), args)
        except (TooLong, RecursionError, MemoryError):
            raise
        except Exception as exc:  # noqa: BLE001 - a constructor refusing its arguments (Idx: TypeError, ...)
            raise ValueError(f"{name} cannot be built from these arguments ({type(exc).__name__}: "
                             f"{str(exc)[:200]})") from None

    @staticmethod
    def _constant(value, string_as):
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int):
            if abs(value) >= 10**MAX_INT_DIGITS:
                raise ValueError(f"integer literal longer than {MAX_INT_DIGITS} digits")
            return value
        if isinstance(value, str):
            if string_as == "name" and len(value) <= MAX_NAME:  # a name is only stored, never parsed
                return value
            if string_as == "decimal" and _DECIMAL.match(value):
                return value
            raise ValueError(f"a string is allowed only as a symbol's name or a Float's decimal, got {value[:40]!r}")
        raise ValueError(f"constant of type {type(value).__name__} is not allowed")


def _as_stored(obj, args):
    """Returns ``obj``; for a Sum or Integral whose body SymPy wrapped as Mul(1, body) while building it
    unevaluated (its orientation, 1, times the body), the same object with the body as the text gave it,
    built as SymPy's AddWithLimits.__new__ builds it (the limits as SymPy checked them)."""
    if isinstance(obj, AddWithLimits) and args and obj.args[0] == sp.Mul(sp.S.One, args[0], evaluate=False) \
            and obj.args[0] != args[0]:
        stored = sp.Expr.__new__(type(obj))
        stored._args = (args[0], *obj.args[1:])
        stored.is_commutative = obj.is_commutative
        return stored
    return obj


def load_statement(text: str):
    """Returns the SymPy statement a record's ``sympy`` field holds, factors in the order stored.

    The field is ``sympy.srepr`` (printed with order="none", so the book's factor order survives).
    Nothing is evaluated: ``sympy.srepr(load_statement(text), order="none") == text``. Raises TypeError
    for a non-string, ValueError for text outside the allow-list (see the module docstring).
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str (a record's sympy field), got {type(text).__name__}")
    if len(text) > MAX_TEXT:
        raise ValueError(f"text is {len(text):,} characters, longer than {MAX_TEXT:,}")
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise ValueError(f"text is not a SymPy srepr expression: {type(exc).__name__}: {exc}") from None
    builder = _Builder()
    with sp.evaluate(False):
        try:
            with Deadline(MAX_SECONDS) as builder.deadline:
                return builder.build(tree.body)
        except RecursionError:
            raise ValueError(f"text nested too deeply to build (limit {MAX_DEPTH})") from None
        except MemoryError:
            raise ValueError("text asks for more memory than a statement needs") from None
