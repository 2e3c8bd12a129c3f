"""The induction that proves the chain-network gradient (eq. 122) for every depth L.

Each function returns a ``(lhs, rhs)`` pair that SymPy has built by differentiation; the
claim holds when ``is_identity(lhs, rhs)``. The layers above layer j+1 enter only through an
abstract function R of z_{j+1} (the cost seen from z_{j+1}), so one check covers every depth
and every j: nothing in it depends on how many layers R hides.

Notation: symbols carry the book's symbolic indices, e.g. ``w_{j+1}``, ``a_{j-1}``.
"""

from __future__ import annotations

import sympy as sp

from .notation import C, C_prime, sigma, sigma_prime

__all__ = ["R", "abstract_function", "layer_symbols", "base_case", "bias_step", "weight_step"]


def abstract_function(name: str, derivative_latex: str, module: str, doc: str) -> tuple[type, type]:
    """Returns (F, F') : an undefined SymPy function F of one argument whose derivative is the undefined F',
    printed as ``derivative_latex``: the induction hypothesis's object (everything between two layers or steps,
    abstract). ``module`` is the defining module's ``__name__`` (so that the classes pickle by name)."""
    prime = type(f"{name}_prime", (sp.Function,), {
        "__module__": module, "__doc__": f"d{name}/d(argument), printed {derivative_latex}",
        "_latex": lambda self, printer, exp=None: derivative_latex})
    function = type(name, (sp.Function,), {
        "__module__": module, "__doc__": doc, "fdiff": lambda self, argindex=1: prime(self.args[0])})
    return function, prime


R, R_prime = abstract_function("R", r"\delta_{j+1}", __name__,
                               "The cost as a function of z_{j+1}: everything above layer j+1, abstract.")


def layer_symbols():
    """Returns a dict of the symbols a_{j-1}, w_j, b_j, z_j, w_{j+1}, b_{j+1}, z_{j+1}, w_L, b_L, a_{L-1}, a_L."""
    names = ["a_{j-1}", "w_j", "b_j", "z_j", "w_{j+1}", "b_{j+1}", "z_{j+1}", "w_L", "b_L", "z_L", "a_{L-1}", "a_L"]
    return {n: sp.Symbol(n, real=True) for n in names}


def base_case():
    """Returns (dC/db_L by SymPy, sigma'(z_L) dC/da_L): the output layer, for every L.

    $C = C(\\sigma(w_L a_{L-1} + b_L))$; a_{L-1} does not depend on b_L.
    """
    s = layer_symbols()
    z_L = s["w_L"] * s["a_{L-1}"] + s["b_L"]
    direct = sp.diff(C(sigma(z_L)), s["b_L"])
    claimed = sigma_prime(s["z_L"]) * C_prime(s["a_L"])
    return direct, claimed.xreplace({s["z_L"]: z_L, s["a_L"]: sigma(z_L)})


def bias_step():
    """Returns (dC/db_j, sigma'(z_j) w_{j+1} dC/db_{j+1}), both differentiated by SymPy.

    $C = R(w_{j+1}\\sigma(w_j a_{j-1} + b_j) + b_{j+1})$, R abstract: the step
    $\\delta_j = \\sigma'(z_j)\\, w_{j+1}\\, \\delta_{j+1}$ of the induction on j = L-1, ..., 1.
    """
    s = layer_symbols()
    z_j = s["w_j"] * s["a_{j-1}"] + s["b_j"]
    cost = R(s["w_{j+1}"] * sigma(z_j) + s["b_{j+1}"])
    d_bj = sp.diff(cost, s["b_j"])
    d_bj1 = sp.diff(cost, s["b_{j+1}"])
    return d_bj, sigma_prime(z_j) * s["w_{j+1}"] * d_bj1


def weight_step():
    """Returns (dC/dw_j, a_{j-1} dC/db_j) for $C = R_j(w_j a_{j-1} + b_j)$, R_j abstract.

    Proves $\\partial C/\\partial w_j = a_{j-1}\\,\\partial C/\\partial b_j$ for every depth and j.
    """
    s = layer_symbols()
    cost = R(s["w_j"] * s["a_{j-1}"] + s["b_j"])
    return sp.diff(cost, s["w_j"]), s["a_{j-1}"] * sp.diff(cost, s["b_j"])
