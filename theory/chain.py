"""The chain network: one neuron per layer, any depth L (Nielsen ch. 5, eq. 114-122).

Layer j (1-based, as in the book) computes z_j = w_j a_{j-1} + b_j and a_j = sigma(z_j);
the cost is C(a_L). Three independent routes to dC/db_j live here:

* ``gradient_direct``: SymPy differentiates the composed (nested) network. Literal, but its
  cost grows faster than L^3 in SymPy, so it serves the smaller depths.
* ``gradients_implicit``: SymPy differentiates the layer equations F_k = z_k - w_k a_{k-1} - b_k
  (all of depth 1) and solves the lower-triangular system dz/db = -(dF/dz)^{-1} dF/db
  (implicit function theorem, i.e. forward-mode differentiation). The leading m x m block of
  that system *is* the depth-m network, so one solve at depth L yields every depth m <= L.
* ``gradient_factors_bidiagonal``: the same implicit differentiation for deep chains (L up to
  256 in seconds): SymPy differentiates each layer equation, the Jacobian is checked to be unit
  lower bidiagonal, and forward substitution then multiplies one factor per layer, each product
  kept as its tuple of factors (a commutative product of atoms is determined by the multiset
  of its factors, so two products are equal exactly when their factor multisets are).
* ``gradient_formula``: the book's product sigma'(z_j) w_{j+1} sigma'(z_{j+1}) ... dC/da_L.

Indexing: Python tuples here are 0-based, so ``net.w[j - 1]`` is the book's w_j.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property

import sympy as sp

from .notation import C, C_prime, PartialC, check_activation, check_positive_int, sigma, sigma_prime

__all__ = [
    "ChainNetwork",
    "chain_network",
    "pre_activations",
    "composed_cost",
    "gradient_formula",
    "gradient_direct",
    "gradients_implicit",
    "gradient_factors_bidiagonal",
    "formula_factors",
    "same_product",
    "factors_of",
    "gradient_statement",
]


def _interned(atoms: dict, factors) -> tuple:
    """Returns ``factors`` with every atom replaced by the one instance of it in ``atoms`` (a network's table).

    Equal SymPy objects built at different times may be distinct instances; sharing them within one
    network lets dictionaries find equal keys by identity before comparing them, which keeps the
    deep-chain family fast. The table belongs to the network (and its truncations) and goes with it.
    """
    return tuple(atoms.setdefault(f, f) for f in factors)


@dataclass(frozen=True)
class ChainNetwork:
    """The symbols of a depth-L chain network: a_0 and, for j = 1..L, w_j, b_j, z_j, a_j."""

    L: int
    w: tuple
    b: tuple
    z: tuple
    a: tuple  # a[0] is the input a_0, a[j] the book's a_j
    atoms: dict = field(default_factory=dict, compare=False, repr=False)  # one instance per atom (see _interned)

    @cached_property
    def sigma_primes(self) -> tuple:
        """(sigma'(z_1), ..., sigma'(z_L)), built once per network."""
        return _interned(self.atoms, (sigma_prime(z) for z in self.z))

    def check_layer(self, j, name: str = "j") -> int:
        """Returns ``j`` if it names a layer 1..L, else raises ValueError naming ``name``."""
        j = check_positive_int(name, j)
        if j > self.L:
            raise ValueError(f"{name} must be a layer index in 1..L = 1..{self.L}, got {j}")
        return j


MAX_DEPTH = 4096  # chain networks deeper than this are refused, not left to hang
MAX_DIRECT_DEPTH = 30  # SymPy's nested differentiation hits Python's recursion limit at 37-38 (fresh process)


def chain_network(L: int) -> ChainNetwork:
    """Returns the symbols of the chain network of depth ``L`` >= 1 (all real)."""
    L = check_positive_int("L", L, maximum=MAX_DEPTH, why="symbols and solves grow with L; the suite checks up to 64")
    idx, atoms = range(1, L + 1), {}
    return ChainNetwork(
        L=L,
        w=_interned(atoms, (sp.Symbol(f"w_{j}", real=True) for j in idx)),
        b=_interned(atoms, (sp.Symbol(f"b_{j}", real=True) for j in idx)),
        z=_interned(atoms, (sp.Symbol(f"z_{j}", real=True) for j in idx)),
        a=_interned(atoms, (sp.Symbol(f"a_{j}", real=True) for j in range(L + 1))),
        atoms=atoms,
    )


def pre_activations(net: ChainNetwork, activation=sigma, *, start: int = 1) -> list:
    """Returns [z_start, ..., z_L] as nested expressions of a_{start-1}, w and b.

    $z_j = w_j \\sigma(z_{j-1}) + b_j$, with the layers below ``start`` summarised by the
    symbol a_{start-1} (they do not depend on b_j or w_j for j >= start).
    """
    check_activation(activation)
    start = net.check_layer(start, "start")
    x, zs = net.a[start - 1], []
    for j in range(start, net.L + 1):
        z = net.w[j - 1] * x + net.b[j - 1]
        zs.append(z)
        x = activation(z)
    return zs


def composed_cost(net: ChainNetwork, activation=sigma, cost=C, *, start: int = 1):
    """Returns the cost C(a_L) of the composed network, a nested expression in a_{start-1}, w, b.

    ``cost`` is a one-argument callable (the abstract ``C`` by default, or e.g.
    ``lambda a: quadratic_cost(a, y)``).
    """
    return cost(activation(pre_activations(net, activation, start=start)[-1]))


def _wrt_symbol(net: ChainNetwork, j: int, wrt: str):
    if wrt == "b":
        return net.b[j - 1]
    if wrt == "w":
        return net.w[j - 1]
    raise ValueError(f"wrt must be 'b' or 'w', got {wrt!r}")


def formula_factors(net: ChainNetwork, j: int, *, wrt: str = "b", depth: int | None = None) -> tuple:
    """Returns the factors of the book's product for dC/db_j (or dC/dw_j), in the book's order.

    (sigma'(z_j), w_{j+1}, sigma'(z_{j+1}), ..., w_m, sigma'(z_m), dC/da_m), preceded by a_{j-1}
    for w; m is ``depth`` (the network of the first m layers), L by default.
    """
    m = net.L if depth is None else net.check_layer(depth, "depth")
    j = net.check_layer(j)
    if j > m:
        raise ValueError(f"j must be a layer index in 1..depth = 1..{m}, got {j}")
    _wrt_symbol(net, j, wrt)
    sp_ = net.sigma_primes
    factors = [net.a[j - 1]] if wrt == "w" else []
    factors.append(sp_[j - 1])
    for k in range(j, m):
        factors += [net.w[k], sp_[k]]
    factors += _interned(net.atoms, [C_prime(net.a[m])])
    return tuple(factors)


def gradient_formula(net: ChainNetwork, j: int, *, wrt: str = "b", evaluate: bool = True):
    """Returns the book's product for dC/db_j (or dC/dw_j), in z symbols.

    $\\partial C/\\partial b_j = \\sigma'(z_j) w_{j+1}\\sigma'(z_{j+1}) \\cdots w_L\\sigma'(z_L)\\,
    \\partial C/\\partial a_L$  (eq. 122 for j = 1, L = 4), and
    $\\partial C/\\partial w_j = a_{j-1} \\partial C/\\partial b_j$.
    With ``evaluate=False`` the factors stay in the book's order for display.
    """
    return sp.Mul(*formula_factors(net, j, wrt=wrt), evaluate=evaluate)


def gradient_statement(net: ChainNetwork, j: int, *, wrt: str = "b"):
    """Returns the display equation dC/db_j = (product), factors in the book's order."""
    lhs = PartialC(_wrt_symbol(net, net.check_layer(j), wrt))
    return sp.Eq(lhs, gradient_formula(net, j, wrt=wrt, evaluate=False), evaluate=False)


def to_composed(net: ChainNetwork, expr, activation=sigma, *, start: int = 1):
    """Returns ``expr`` with z_k (k >= start) and a_L replaced by their nested expressions."""
    zs = pre_activations(net, activation, start=start)
    mapping = {net.z[k - 1]: zs[k - start] for k in range(start, net.L + 1)}
    mapping[net.a[net.L]] = activation(zs[-1])
    return expr.xreplace(mapping)


def gradient_direct(net: ChainNetwork, j: int, *, wrt: str = "b", activation=sigma, cost=C):
    """Returns dC/db_j (or dC/dw_j) by SymPy differentiation of the composed network.

    The layers below j are summarised by the symbol a_{j-1}: they contain neither b_j nor
    w_j, so this is the full derivative. The result is a nested expression; compare it with
    ``to_composed(net, gradient_formula(...), start=j)``.
    """
    j = net.check_layer(j)
    check_positive_int("the nesting depth L - j + 1", net.L - j + 1, maximum=MAX_DIRECT_DEPTH,
                       why="SymPy's nested differentiation exceeds Python's recursion limit at depth 37-38; "
                           "use gradients_implicit for deep chains")
    try:
        return sp.diff(composed_cost(net, activation, cost, start=j), _wrt_symbol(net, j, wrt))
    except RecursionError:  # the caller's own stack was deep already: say so rather than show SymPy's frames
        raise ValueError(f"the nesting depth L - j + 1 = {net.L - j + 1} exceeds what SymPy's nested "
                         "differentiation can reach from this call's stack; use gradients_implicit") from None


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
