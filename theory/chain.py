"""The chain network: one neuron per layer, any depth L (Nielsen ch. 5, eq. 114-122).

Layer j (1-based, as in the book) computes z_j = w_j a_{j-1} + b_j and a_j = sigma(z_j);
the cost is C(a_L). Three independent routes to dC/db_j live here:

* ``gradient_direct``: SymPy differentiates the composed (nested) network. Literal, but its
  cost grows faster than L^3 in SymPy, so it serves the smaller depths.
* ``gradients_implicit`` (``theory.chain_implicit``): SymPy differentiates the layer equations
  F_k = z_k - w_k a_{k-1} - b_k (all of depth 1) and solves the lower-triangular system dz/db = -(dF/dz)^{-1} dF/db
  (implicit function theorem, i.e. forward-mode differentiation). The leading m x m block of
  that system *is* the depth-m network, so one solve at depth L yields every depth m <= L.
* ``gradient_factors_bidiagonal`` (``theory.chain_implicit``): the same implicit differentiation for
  deep chains (L up to 256 in seconds): SymPy differentiates each layer equation, the Jacobian is checked to be unit
  lower bidiagonal, and forward substitution then multiplies one factor per layer, each product
  kept as its tuple of factors (a commutative product of atoms is determined by the multiset
  of its factors, so two products are equal exactly when their factor multisets are).
* ``gradient_formula``: the book's product sigma'(z_j) w_{j+1} sigma'(z_{j+1}) ... dC/da_L.

Indexing: Python tuples here are 0-based, so ``net.w[j - 1]`` is the book's w_j.
"""

from __future__ import annotations

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
    "formula_factors",
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
