"""The induction behind eq. 124 for general widths: BP1 (base), BP2 (step), BP3, BP4.

Each function returns ``(direct, claimed)`` pairs of SymPy matrices for one pair of widths;
the layers above enter only through an abstract function R of the next layer's weighted
inputs (so the step holds however many layers R hides). The step's form does not depend on
the widths except through the length of the sum (w^{l+1})^T delta^{l+1}; the claims check
every pair of widths up to a stated size.
"""

from __future__ import annotations

import sympy as sp

from .layered import Cvec, GradC, Sigma_prime
from .notation import sigma

__all__ = ["Rvec", "DR", "bp1_base", "bp2_step", "bp3_bias", "bp4_weight"]


class DR(sp.Function):
    """dR/dz_k = delta_k of the layer R sees; args (k, z_1, ..., z_n)."""


class Rvec(sp.Function):
    """The cost as an abstract function of one layer's weighted inputs z_1, ..., z_n."""

    def fdiff(self, argindex=1):
        return DR(sp.Integer(argindex), *self.args)


def _vec(name, n):
    return sp.Matrix([sp.Symbol(f"{name}_{{{j + 1}}}", real=True) for j in range(n)])


def _mat(name, n, m):
    return sp.Matrix(n, m, lambda j, k: sp.Symbol(f"{name}_{{{j + 1}{k + 1}}}", real=True))


def bp1_base(n_prev: int, n: int):
    """Returns (dC/db^L, Sigma'(z^L) grad_a C) for an output layer of n neurons on n_prev inputs."""
    a, w, b, z = _vec("a^{L-1}", n_prev), _mat("w^L", n, n_prev), _vec("b^L", n), _vec("z^L", n)
    zL = w * a + b
    direct = sp.Matrix([sp.diff(Cvec(*zL.applyfunc(sigma)), bj) for bj in b])
    grad = sp.Matrix([GradC(sp.Integer(j + 1), *zL.applyfunc(sigma)) for j in range(n)])
    claimed = Sigma_prime(z).xreplace(dict(zip(z, zL))) * grad
    return direct, claimed


def bp2_step(n_prev: int, n: int, n_next: int):
    """Returns (dC/db^l, Sigma'(z^l)(w^{l+1})^T dC/db^{l+1}) with the layers above abstract.

    C = R(w^{l+1} sigma(w^l a^{l-1} + b^l) + b^{l+1}); both gradients by SymPy differentiation.
    """
    a, w, b = _vec("a^{l-1}", n_prev), _mat("w^l", n, n_prev), _vec("b^l", n)
    w_next, b_next = _mat("w^{l+1}", n_next, n), _vec("b^{l+1}", n_next)
    z = w * a + b
    cost = Rvec(*(w_next * z.applyfunc(sigma) + b_next))
    d_b = sp.Matrix([sp.diff(cost, bj) for bj in b])
    d_b_next = sp.Matrix([sp.diff(cost, bj) for bj in b_next])
    return d_b, Sigma_prime(z) * w_next.T * d_b_next


def bp3_bias(n_prev: int, n: int):
    """Returns (dC/db^l, dC/dz^l): with C = R(w^l a^{l-1} + b^l), the two agree (BP3)."""
    a, w, b, z = _vec("a^{l-1}", n_prev), _mat("w^l", n, n_prev), _vec("b^l", n), _vec("z^l", n)
    zl = w * a + b
    d_b = sp.Matrix([sp.diff(Rvec(*zl), bj) for bj in b])
    d_z = sp.Matrix([sp.diff(Rvec(*z), zj) for zj in z]).xreplace(dict(zip(z, zl)))
    return d_b, d_z


def bp4_weight(n_prev: int, n: int):
    """Returns (dC/dw^l, delta^l (a^{l-1})^T) with delta^l = dC/db^l, C = R(w^l a^{l-1} + b^l) (BP4)."""
    a, w, b = _vec("a^{l-1}", n_prev), _mat("w^l", n, n_prev), _vec("b^l", n)
    cost = Rvec(*(w * a + b))
    d_w = sp.Matrix(n, n_prev, lambda j, k: sp.diff(cost, w[j, k]))
    delta = sp.Matrix([sp.diff(cost, bj) for bj in b])
    return d_w, delta * a.T
