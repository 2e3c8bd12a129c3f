"""The chain network's gradient by implicit differentiation of its layer equations (``theory.chain``):
every depth at once, and deep chains (L up to 256) as products kept factor by factor.

* ``gradients_implicit``: SymPy differentiates the layer equations F_k = z_k - w_k a_{k-1} - b_k and solves the
  lower-triangular system dz/db = -(dF/dz)^{-1} dF/db; its leading m x m block is the depth-m network.
* ``gradient_factors_bidiagonal``: each layer equation differentiated, the Jacobian checked unit lower bidiagonal,
  forward substitution multiplying one factor per layer; two products compared as multisets of factors.
"""

from __future__ import annotations

from collections import Counter

import sympy as sp

from .chain import ChainNetwork, _interned, _wrt_symbol
from .notation import C, sigma

__all__ = ["gradients_implicit", "truncated", "factors_of", "same_product", "gradient_factors_bidiagonal"]


def gradients_implicit(net: ChainNetwork, *, wrt: str = "b") -> dict:
    """Returns {(m, j): dC_m/db_j} for every depth m <= L and layer j <= m.

    C_m is the cost C(a_m) of the depth-m network. SymPy differentiates the layer equations
    $F_k = z_k - w_k \\sigma(z_{k-1}) - b_k$ (with $\\sigma(z_0)$ read as a_0) in each of their symbols, solves
    $(\\partial F/\\partial z)\\, dz/db = -\\partial F/\\partial b$ by sparse forward substitution, and
    applies $dC_m/dz_m = C'(a_m)\\sigma'(z_m)$. Because $\\partial F/\\partial z$ is lower triangular,
    rows 1..m of the solution use only the depth-m network's own equations.
    """
    _wrt_symbol(net, 1, wrt)
    acts = [net.a[0]] + [sigma(zk) for zk in net.z[:-1]]
    F = [net.z[k] - (net.w[k] * acts[k] + net.b[k]) for k in range(net.L)]
    params = net.b if wrt == "b" else net.w
    named = {sigma(net.z[k]): net.a[k + 1] for k in range(net.L)}  # sigma(z_k) is a_k
    dF_dz, dF_dp = _jacobian(F, net.z), _jacobian(F, params, named)
    dz_dp = dF_dz.lower_triangular_solve(-dF_dp)
    out = {}
    for m in range(1, net.L + 1):
        dC_dz = sp.diff(C(sigma(net.z[m - 1])), net.z[m - 1]).xreplace({sigma(net.z[m - 1]): net.a[m]})
        for j in range(1, m + 1):
            out[(m, j)] = dC_dz * dz_dp[m - 1, j - 1]
    return out


def _jacobian(F: list, xs, named: dict | None = None) -> sp.SparseMatrix:
    """Returns the sparse Jacobian dF_k/dx_i (sympy.diff in every symbol F_k has; the others' derivatives are 0),
    with ``named`` applied to each entry (sigma(z_k) written a_k before the solve, not after on every product)."""
    entries = {}
    for k, f in enumerate(F):
        free = f.free_symbols
        for i, x in enumerate(xs):
            if x in free and (d := sp.diff(f, x)) != 0:
                entries[(k, i)] = d.xreplace(named) if named else d
    return sp.SparseMatrix(len(F), len(xs), entries)


def truncated(net: ChainNetwork, m: int) -> ChainNetwork:
    """Returns the depth-m network made of the first m layers of ``net``."""
    m = net.check_layer(m, "m")
    return ChainNetwork(L=m, w=net.w[:m], b=net.b[:m], z=net.z[:m], a=net.a[: m + 1], atoms=net.atoms)


def factors_of(expr) -> tuple:
    """Returns the factors of a product (a lone atom is a product of one factor; 1 has none)."""
    if expr == 1:
        return ()
    return expr.args if isinstance(expr, sp.Mul) else (expr,)


def same_product(lhs: tuple, rhs: tuple) -> bool:
    """Returns True when two products of atoms, given as factor tuples, are equal (same multiset)."""
    if len(lhs) != len(rhs):
        return False
    # interned atoms compare by identity (distinct live objects never share an id, so a match is
    # a real match); anything else falls back to comparing the atoms by value
    return dict.__eq__(Counter(map(id, lhs)), Counter(map(id, rhs))) or dict.__eq__(Counter(lhs), Counter(rhs))


def gradient_factors_bidiagonal(net: ChainNetwork, *, wrt: str = "b") -> dict:
    """Returns {(m, j): factors of dC_m/db_j} for every depth m <= L and j <= m, for deep chains.

    The implicit-function route of ``gradients_implicit`` without SymPy's general solve: SymPy
    differentiates every layer equation $F_k = z_k - w_k\\sigma(z_{k-1}) - b_k$ in every z and
    every parameter; the Jacobian dF/dz is checked to be unit lower bidiagonal and dF/dp diagonal
    (ValueError otherwise), so forward substitution is
    $dz_k/dp_j = -(\\partial F_k/\\partial z_{k-1})\\, dz_{k-1}/dp_j$, $dz_j/dp_j = -\\partial F_j/\\partial p_j$.
    Each product is kept as the tuple of its factors (compare with ``same_product``).
    """
    _wrt_symbol(net, 1, wrt)
    acts = [net.a[0]] + [sigma(zk) for zk in net.z[:-1]]
    params = net.b if wrt == "b" else net.w
    named = {sigma(net.z[k]): net.a[k + 1] for k in range(net.L)}  # sigma(z_k) is a_k
    sub, diag = [], []
    for k in range(net.L):
        F = net.z[k] - (net.w[k] * acts[k] + net.b[k])
        free = F.free_symbols  # every other symbol's derivative is 0
        dz = {zz: sp.diff(F, zz) for zz in net.z if zz in free}
        dp = {pp: sp.diff(F, pp) for pp in params if pp in free}
        below = {zz: v for zz, v in dz.items() if zz != net.z[k] and v != 0}
        if dz.get(net.z[k]) != 1 or set(below) - {net.z[k - 1] if k else None} or set(dp) != {params[k]}:
            raise ValueError(f"layer {k + 1}: the layer equations are not unit lower bidiagonal in z with a "
                             "diagonal dependence on the parameters; forward substitution does not apply")
        sub.append(_interned(net.atoms, factors_of(sp.Mul(-1, below[net.z[k - 1]]).xreplace(named))) if k else ())
        diag.append(_interned(net.atoms, factors_of(sp.Mul(-1, dp[params[k]]).xreplace(named))))
    out_layer = [_interned(net.atoms, factors_of(sp.diff(C(sigma(z)), z).xreplace(named))) for z in net.z]  # dC_m/dz_m
    out = {}
    for j in range(1, net.L + 1):
        x = diag[j - 1]
        for m in range(j, net.L + 1):
            if m > j:
                x = x + sub[m - 1]
            out[(m, j)] = x + out_layer[m - 1]
    return out
