"""The tests' bridge from exact expressions to numbers (``sympy.lambdify``): theory's formulas evaluated on the
network's numbers, an independent reference (``theory`` and ``numeric`` never import each other; the claims'
own lambdify is ``proofs.bridge``).
"""

from __future__ import annotations

from functools import lru_cache

import mpmath
import sympy as sp

from theory import C_prime, chain_network, gradient_formula, sigma_prime
from theory.layered import eq124_matrix_symbols

__all__ = ["chain_forward", "chain_gradient", "cost_prime", "COSTS", "lambdify_exact", "eq124_function"]


def _quadratic_prime(a, y):
    return a - y


def _cross_entropy_prime(a, y):
    return (a - y) / (a * (1 - a))


COSTS = {"quadratic": _quadratic_prime, "cross-entropy": _cross_entropy_prime}


def cost_prime(cost: str):
    """Returns dC/da for a named cost ('quadratic' or 'cross-entropy') as f(a, y)."""
    try:
        return COSTS[cost]
    except KeyError:
        raise ValueError(f"cost must be one of {sorted(COSTS)}, got {cost!r}") from None


def lambdify_exact(symbols, expr, *, module: str = "mpmath"):
    """Returns f(*values) evaluating the SymPy ``expr`` at values of ``symbols``.

    ``module`` is 'mpmath' (at mpmath's current precision), 'math' or 'numpy' (float64).
    """
    if module not in ("mpmath", "math", "numpy"):
        raise ValueError(f"module must be 'mpmath', 'math' or 'numpy', got {module!r}")
    return sp.lambdify(list(symbols), expr, modules=module)


def chain_forward(w, b, a0):
    """Returns (zs, activations) of the chain network in mpmath at the current precision.

    ``w`` and ``b`` are sequences of length L (index 0 is the book's layer 1); activations[0] = a0.
    """
    if len(w) != len(b) or not len(w):
        raise ValueError(f"w and b must be non-empty and of equal length, got {len(w)} and {len(b)}")
    a = mpmath.mpf(a0)
    zs, acts = [], [a]
    for wj, bj in zip(w, b):
        z = mpmath.mpf(wj) * a + mpmath.mpf(bj)
        a = 1 / (1 + mpmath.exp(-z))
        zs.append(z)
        acts.append(a)
    return zs, acts


@lru_cache(maxsize=512)
def _lambdified(L: int, j: int, wrt: str, module: str):
    net = chain_network(L)
    u = sp.Symbol("u")  # stands for dC/da_L, supplied by the caller's cost
    sp_ = sp.Function("sp_")  # sigma' as an opaque callable, supplied numerically
    expr = gradient_formula(net, j, wrt=wrt).xreplace({C_prime(net.a[L]): u}).replace(sigma_prime, sp_)
    args = [*net.z, *net.w, *net.a, u]
    return sp.lambdify(args, expr, modules=[{"sp_": _SIGMA_PRIME[module]}, module]), expr


def _sigma_prime_mp(z):
    e = mpmath.exp(-abs(z))
    return e / (1 + e) ** 2


def _sigma_prime_float(z):
    import math

    e = math.exp(-abs(z))
    return e / (1 + e) ** 2


_SIGMA_PRIME = {"mpmath": _sigma_prime_mp, "math": _sigma_prime_float}


def chain_gradient(L: int, j: int, *, wrt: str = "b", module: str = "mpmath"):
    """Returns f(zs, w, activations, dC_da) evaluating the product formula (eq. 122) numerically.

    The formula is the SymPy expression of ``theory.gradient_formula``, lambdified once per
    (L, j, wrt, module); ``module`` is 'mpmath' (arbitrary precision) or 'math' (float64, evaluated
    left to right in the book's factor order as SymPy's printer emits it).
    """
    if module not in _SIGMA_PRIME:
        raise ValueError(f"module must be 'mpmath' or 'math', got {module!r}")
    fn, _ = _lambdified(L, j, wrt, module)

    def evaluate(zs, w, acts, dC_da):
        return fn(*zs, *w, *acts, dC_da)

    return evaluate


@lru_cache(maxsize=256)
def _eq124_lambdified(widths: tuple, l: int):
    _, expr, (S, W, g) = eq124_matrix_symbols(widths, l)
    # LaTeX names such as w^{2} are not Python identifiers; lambdify would make them scalars
    plain = {m: sp.MatrixSymbol(f"M{i}", *m.shape) for i, m in enumerate([*S, *W, g])}
    args = [[plain[m] for m in S], [plain[m] for m in W], plain[g]]
    return sp.lambdify(args, expr.xreplace(plain), modules="numpy"), expr


def eq124_function(widths, l: int):
    """Returns f(sigma_primes, weights, grad) evaluating eq. 124 for layer l of a network of ``widths``.

    The expression is theory's product Sigma'(z^l)(w^{l+1})^T ... Sigma'(z^L) grad_a C of matrix
    symbols (``theory.layered.eq124_matrix_symbols``), lambdified to NumPy. ``sigma_primes`` are the vectors
    sigma'(z^l), ..., sigma'(z^L);
    ``weights`` the matrices w^{l+1}, ..., w^L; ``grad`` the vector grad_a C. Returns delta^l (n_l,).
    """
    import numpy as np

    widths = tuple(int(n) for n in widths)
    fn, _ = _eq124_lambdified(widths, int(l))

    def evaluate(sigma_primes, weights, grad):
        out = fn([np.diag(s) for s in sigma_primes], list(weights), np.asarray(grad).reshape(-1, 1))
        return np.asarray(out).ravel()

    return evaluate
