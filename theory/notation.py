"""The book's notation as SymPy objects: sigma, sigma', the cost C and its partials.

Returns nothing by itself; it defines the printable building blocks every other
module of ``theory`` uses. ``sigma`` is abstract (a ``sympy.Function`` whose
derivative is ``sigma_prime``), so claims about the chain rule hold for any
differentiable activation; ``sigmoid`` and ``specialise_sigmoid`` turn it into
the logistic function where a claim is about the sigmoid itself.

The printers write what Nielsen writes: ``\\sigma'(z_{1})``,
``\\frac{\\partial C}{\\partial a_{4}}``, never ``Subs(Derivative(...))``.
"""

from __future__ import annotations

import re

import sympy as sp
from sympy.printing.latex import LatexPrinter

__all__ = [
    "sigma",
    "sigma_prime",
    "C",
    "C_prime",
    "PartialC",
    "sigmoid",
    "sigmoid_prime",
    "specialise_sigmoid",
    "quadratic_cost",
    "cross_entropy_cost",
    "to_latex",
    "check_activation",
    "check_positive_int",
    "Step",
    "is_identity",
]


def _arg_latex(printer, arg) -> str:
    return printer._print(arg)


class sigma(sp.Function):
    """The activation sigma(z), abstract: only its derivative ``sigma_prime`` is known."""

    def fdiff(self, argindex=1):
        return sigma_prime(self.args[0])

    def _latex(self, printer, exp=None):
        s = r"\sigma(%s)" % _arg_latex(printer, self.args[0])
        return s if exp is None else r"\left(%s\right)^{%s}" % (s, exp)


class sigma_prime(sp.Function):
    """sigma'(z), printed as the book prints it."""

    def _latex(self, printer, exp=None):
        s = r"\sigma'(%s)" % _arg_latex(printer, self.args[0])
        return s if exp is None else r"\left(%s\right)^{%s}" % (s, exp)


class C_prime(sp.Function):
    """dC/da evaluated at the output activation; prints as ``\\partial C/\\partial a_L``."""

    def _latex(self, printer, exp=None):
        arg = self.args[0]
        if isinstance(arg, sp.Symbol):
            s = r"\frac{\partial C}{\partial %s}" % _arg_latex(printer, arg)
        else:
            s = r"C'\left(%s\right)" % _arg_latex(printer, arg)
        return s if exp is None else r"\left(%s\right)^{%s}" % (s, exp)


class C(sp.Function):
    """The cost C(a_L), abstract: its derivative is ``C_prime``."""

    def fdiff(self, argindex=1):
        return C_prime(self.args[0])


class PartialC(sp.Function):
    """Display atom for the left-hand side dC/dx (x a bias, weight or activation).

    It is never differentiated: it names a gradient in a statement.
    """

    def _latex(self, printer, exp=None):
        s = r"\frac{\partial C}{\partial %s}" % _arg_latex(printer, self.args[0])
        return s if exp is None else r"\left(%s\right)^{%s}" % (s, exp)


def sigmoid(z):
    """Returns the logistic function 1/(1 + e^{-z}) as a SymPy expression."""
    return 1 / (1 + sp.exp(-z))


def sigmoid_prime(z):
    """Returns the exact derivative of the logistic function, e^{-z}/(1 + e^{-z})^2."""
    return sp.exp(-z) / (1 + sp.exp(-z)) ** 2


def specialise_sigmoid(expr):
    """Returns ``expr`` with the abstract sigma and sigma' replaced by the logistic function."""
    return expr.replace(sigma, sigmoid).replace(sigma_prime, sigmoid_prime)


def quadratic_cost(a, y):
    """Returns the quadratic cost (a - y)^2 / 2 of one output (network2's QuadraticCost)."""
    return (a - y) ** 2 / 2


def cross_entropy_cost(a, y):
    """Returns the cross-entropy -(y ln a + (1 - y) ln(1 - a)) of one output."""
    return -(y * sp.log(a) + (1 - y) * sp.log(1 - a))


class _BookPrinter(LatexPrinter):
    """SymPy's LaTeX printer with the book's index notation.

    An indexed symbol with a layer superscript prints as ``\\delta^{l}_{p}`` (indices stacked, as the book
    writes z^l_j), not SymPy's staggered ``{\\delta^{l}}_{p}``; a Kronecker delta prints as the indicator
    ``\\mathbf{1}[k = p]``, so it cannot be read as the error delta^l.
    """

    def _print_Indexed(self, expr):
        base = self._print(expr.base.label)
        idx = ",".join(self._print(i) for i in expr.indices)
        stackable = base.endswith(")") or re.fullmatch(r"\\?[A-Za-z]+\^\{[^{}]*\}", base)
        return f"{base}_{{{idx}}}" if stackable else f"{{{base}}}_{{{idx}}}"

    def _print_KroneckerDelta(self, expr, exp=None):
        tex = rf"\mathbf{{1}}[{self._print(expr.args[0])} = {self._print(expr.args[1])}]"
        return tex if exp is None else rf"\left({tex}\right)^{{{exp}}}"


def to_latex(expr) -> str:
    """Returns the LaTeX of ``expr`` with factors in the order they were built.

    Display forms are built with ``evaluate=False``; ``order='none'`` keeps the book's order, and
    logarithms print as the book's ln. Indices stack as the book's (``z^{l}_{p}``); a Kronecker delta
    prints as an indicator (``_BookPrinter``).
    """
    return _BookPrinter({"order": "none", "ln_notation": True}).doprint(expr)


def check_activation(activation) -> None:
    """Raises TypeError unless ``activation`` is a one-argument SymPy function class."""
    if not (isinstance(activation, sp.FunctionClass)):
        raise TypeError(
            "activation must be a SymPy function class such as theory.sigma "
            f"(a symbolic activation), got {activation!r} of type {type(activation).__name__}"
        )


def check_positive_int(name: str, value, minimum: int = 1, maximum: int | None = None, why: str = "") -> int:
    """Returns ``value`` as an int, or raises naming ``name`` if it is not an integer in minimum..maximum.

    ``why`` explains the maximum (a limit of what SymPy can handle in reasonable time and stack).
    """
    if isinstance(value, bool) or not isinstance(value, (int, sp.Integer)):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if int(value) < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if maximum is not None and int(value) > maximum:
        raise ValueError(f"{name} = {value} is above {maximum}, the largest this function supports"
                         + (f" ({why})" if why else ""))
    return int(value)


class Step:
    """One line of a derivation: ``lhs relation rhs`` with the book's tag, if any.

    ``lhs`` and ``rhs`` are SymPy objects, or LaTeX strings where SymPy cannot display the
    book's form. ``relation`` is ``"="``, ``"approx"``, ``"<="`` or ``">="``; ``why`` says in
    words what SymPy did.
    Plain data, so that ``proofs`` can render it as one line of an ``align*``.
    """

    __slots__ = ("lhs", "relation", "rhs", "tag", "why")

    def __init__(self, lhs, rhs, *, relation: str = "=", tag: str | None = None, why: str = ""):
        if relation not in ("=", "approx", "<=", ">="):
            raise ValueError(f"relation must be '=', 'approx', '<=' or '>=', got {relation!r}")
        self.lhs, self.rhs, self.relation, self.tag, self.why = lhs, rhs, relation, tag, why

    def __repr__(self) -> str:
        return f"Step({self.lhs} {self.relation} {self.rhs}, tag={self.tag!r})"


def is_identity(lhs, rhs) -> bool:
    """Returns True when ``lhs - rhs`` expands to exactly 0.

    Used on products and sums of products of atoms (symbols and applications of abstract
    functions), where ``expand`` is a canonical form: it decides fast in both directions,
    unlike ``simplify``, which can run for minutes on a false identity. Identical trees
    (SymPy's canonical Mul) short-cut the expansion.
    """
    lhs, rhs = sp.sympify(lhs), sp.sympify(rhs)
    return lhs == rhs or sp.expand(lhs - rhs) == 0
