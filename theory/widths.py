"""BP1-BP4 and eq. 124 with the layer widths as symbols: proved for every width, not sampled.

The widths n_{l-1}, n_l, n_{l+1} (and n_L) are positive integer symbols. The layer equations are
written with SymPy's ``IndexedBase``, ``Idx`` (ranges 1..n, n a symbol) and ``Sum``:

    z^l_k     = sum_{i=1}^{n_{l-1}} w^l_{k,i} a^{l-1}_i + b^l_k,
    z^{l+1}_j = sum_{k=1}^{n_l} w^{l+1}_{j,k} sigma(z^l_k) + b^{l+1}_j.

The cost above layer l+1 is an abstract function R of the vector z^{l+1} (as the chain induction
uses R for one neuron): its partials are named delta^{l+1}_j = dR/dz^{l+1}_j, and the one fact
about R used is the multivariate chain rule, dC/dx = sum_j delta^{l+1}_j dz^{l+1}_j/dx (``chain_rule``).
SymPy differentiates the Sums (a ``KroneckerDelta`` appears under the sum), ``Sum.doit()`` removes
the delta and leaves a ``Piecewise`` whose condition is a range condition on the free index
(e.g. n_l >= p), and ``reduce`` replaces each such condition by True only after checking that
the index's declared range implies it; each replacement is returned as a derivation step.

Eq. 124 then follows for every depth by induction with BP2 as the step, on matrix symbols whose
shapes are the width symbols (``theory.eq124_widths.eq124_induction``); the bridge from the indexed
component form to the matrix form is itself computed, entry by entry, by SymPy (``matrix_entry`` there).
The reduction engine (indexed sums, range conditions, ``same``, ``Proof``) is ``theory.indexed``.

Every ``bp*`` function takes the layer equation as an argument, so a planted error (a transposed
index, a missing sigma) can be fed in and must make the proof fail.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .indexed import Index, Proof, Rewrite, chain_rule, reduce, same
from .notation import Step, sigma, sigma_prime, to_latex

__all__ = ["Layers", "layers", "z_layer", "z_above", "chain_rule", "reduce", "same", "Rewrite",
           "bp1", "bp2", "bp3", "bp4", "bp1_rhs", "bp2_rhs", "Proof", "Index"]


@dataclass(frozen=True)
class Layers:
    """Symbols of three consecutive layers l-1, l, l+1 with symbolic widths (``tag`` 'l' or 'L').

    Summation indices i, k, j run over n_{l-1}, n_l, n_{l+1}; free indices q, p, r over the same.
    """

    n_prev: sp.Symbol
    n: sp.Symbol
    n_next: sp.Symbol
    i: sp.Idx
    k: sp.Idx
    j: sp.Idx
    q: sp.Idx
    p: sp.Idx
    r: sp.Idx
    a_prev: sp.IndexedBase
    w: sp.IndexedBase
    b: sp.IndexedBase
    z: sp.IndexedBase
    w_next: sp.IndexedBase
    b_next: sp.IndexedBase
    z_next: sp.IndexedBase
    delta: sp.IndexedBase
    delta_next: sp.IndexedBase
    grad: sp.IndexedBase


def layers(tag: str = "l") -> Layers:
    """Returns the symbols of layers tag-1, tag, tag+1 (``tag`` 'l' for a hidden layer, 'L' for the output)."""
    if tag not in ("l", "L"):
        raise ValueError(f"tag must be 'l' (a hidden layer) or 'L' (the output layer), got {tag!r}")
    n_prev, n, n_next = sp.symbols(f"n_{{{tag}-1}} n_{{{tag}}} n_{{{tag}+1}}", integer=True, positive=True)
    base = lambda name: sp.IndexedBase(name, real=True)  # noqa: E731
    return Layers(
        n_prev, n, n_next,
        Index("i", (1, n_prev)), Index("k", (1, n)), Index("j", (1, n_next)),
        Index("q", (1, n_prev)), Index("p", (1, n)), Index("r", (1, n_next)),
        base(f"a^{{{tag}-1}}"), base(f"w^{{{tag}}}"), base(f"b^{{{tag}}}"), base(f"z^{{{tag}}}"),
        base(f"w^{{{tag}+1}}"), base(f"b^{{{tag}+1}}"), base(f"z^{{{tag}+1}}"),
        base(rf"\delta^{{{tag}}}"), base(rf"\delta^{{{tag}+1}}"), base(r"(\nabla_{a} C)"),
    )


def z_layer(S: Layers, row):
    """Returns z^l_row = sum_i w^l_{row,i} a^{l-1}_i + b^l_row (the layer equation of layer l)."""
    return sp.Sum(S.w[row, S.i] * S.a_prev[S.i], (S.i, 1, S.n_prev)) + S.b[row]


def z_above(S: Layers, row):
    """Returns z^{l+1}_row = sum_k w^{l+1}_{row,k} sigma(z^l_k) + b^{l+1}_row (the book's layer equation)."""
    return sp.Sum(S.w_next[row, S.k] * sigma(z_layer(S, S.k)), (S.k, 1, S.n)) + S.b_next[row]


def _dC(x) -> sp.Symbol:
    """The display atom dC/dx for an indexed parameter x."""
    return sp.Symbol(rf"\frac{{\partial C}}{{\partial {to_latex(x)}}}")


def bp1_rhs(S: Layers):
    """sigma'(z^L_p) (grad_a C)_p: the right side of BP1 in components."""
    return sp.Mul(sigma_prime(S.z[S.p]), S.grad[S.p], evaluate=False)


def bp2_rhs(S: Layers):
    """sigma'(z^l_p) sum_j w^{l+1}_{jp} delta^{l+1}_j: the right side of BP2, in the book's order."""
    return sp.Mul(sigma_prime(S.z[S.p]), sp.Sum(sp.Mul(S.w_next[S.j, S.p], S.delta_next[S.j], evaluate=False),
                                                (S.j, 1, S.n_next)), evaluate=False)


def _named(S: Layers, expr, rows=()):
    """Names every z^l_row expression inside ``expr`` as the symbol z^l_row."""
    return expr.xreplace({z_layer(S, row): S.z[row] for row in (S.k, S.p, *rows)})


def bp2(layer_above=z_above) -> Proof:
    """BP2 for symbolic widths: dC/db^l_p = sigma'(z^l_p) sum_j w^{l+1}_{j,p} delta^{l+1}_j.

    C depends on b^l_p only through z^{l+1}_1..z^{l+1}_{n_{l+1}}; ``layer_above(S, j)`` is the layer
    equation of z^{l+1}_j (the book's by default; tests plant errors in it).
    """
    S = layers("l")
    x = S.b[S.p]
    inner = sp.diff(layer_above(S, S.j), x)  # dz^{l+1}_j / db^l_p, by SymPy
    chained = sp.Sum(S.delta_next[S.j] * inner, (S.j, 1, S.n_next))  # the chain rule through z^{l+1}
    derived, rewrites = reduce(chained, (S.p, S.j))
    derived = _named(S, derived)
    dz = sp.Symbol(rf"\frac{{\partial z^{{l+1}}_{{j}}}}{{\partial {to_latex(x)}}}")
    steps = [
        Step(sp.latex(_dC(x)), sp.Sum(S.delta_next[S.j] * dz, (S.j, 1, S.n_next)),
             why=r"chain rule: $C$ depends on $b^{l}_{p}$ only through $z^{l+1}_{1}, \ldots, z^{l+1}_{n_{l+1}}$; "
                 r"$\delta^{l+1}_{j} = \partial C/\partial z^{l+1}_{j}$"),
        Step(dz, _named(S, inner),
             why=r"differentiating the layer equation "
                 r"$z^{l+1}_{j} = \sum_{k} w^{l+1}_{j,k} \sigma(z^{l}_{k}) + b^{l+1}_{j}$"),
        *[rw.step() for rw in rewrites],
        Step(sp.latex(_dC(x)), derived,
             why=r"summing over $k$ keeps the term $k = p$; the range condition holds"),
    ]
    return Proof("BP2", S.delta[S.p], derived, bp2_rhs(S), steps, rewrites)


def _through_layer(S: Layers, layer, x, free):
    """dC/dx by the chain rule through z^l_1..z^l_{n_l} (C = R(z^l)), reduced; returns (chained, derived, steps)."""
    chained = chain_rule(S.delta, lambda k: layer(S, k), S.k, x)
    derived, rewrites = reduce(chained, free)
    steps = [Step(_dC(x), chained,
                  why=r"chain rule through $z^{l}_{1}, \ldots, z^{l}_{n_{l}}$; SymPy differentiates the layer "
                      "equation"),
             *[rw.step() for rw in rewrites]]
    return derived, steps, rewrites


def bp3(layer=z_layer) -> Proof:
    """BP3 for symbolic widths: dC/db^l_p = delta^l_p, with C = R(z^l) and delta^l_k = dR/dz^l_k."""
    S = layers("l")
    x = S.b[S.p]
    derived, steps, rewrites = _through_layer(S, layer, x, (S.p, S.k))
    return Proof("BP3", _dC(x), derived, S.delta[S.p], steps, rewrites)


def bp4(layer=z_layer) -> Proof:
    """BP4 for symbolic widths: dC/dw^l_{p,q} = a^{l-1}_q delta^l_p."""
    S = layers("l")
    x = S.w[S.p, S.q]
    derived, steps, rewrites = _through_layer(S, layer, x, (S.p, S.q, S.k, S.i))
    return Proof("BP4", _dC(x), derived, sp.Mul(S.a_prev[S.q], S.delta[S.p], evaluate=False), steps, rewrites)


def bp1(output=None) -> Proof:
    """BP1 for symbolic widths: dC/db^L_p = sigma'(z^L_p) dC/da^L_p, with C an abstract function of a^L.

    ``output(S, k)`` is a^L_k = sigma(z^L_k) by default.
    """
    S = layers("L")
    output = output or (lambda S, k: sigma(z_layer(S, k)))
    x = S.b[S.p]
    chained = chain_rule(S.grad, lambda k: output(S, k), S.k, x)
    derived, rewrites = reduce(chained, (S.p, S.k))
    steps = [Step(_dC(x), _named(S, chained),
                  why=r"chain rule through $a^{L}_{1}, \ldots, a^{L}_{n_{L}}$; SymPy differentiates "
                      r"$a^{L}_{k} = \sigma(z^{L}_{k})$"),
             *[rw.step() for rw in rewrites]]
    return Proof("BP1", S.delta[S.p], _named(S, derived), bp1_rhs(S), steps, rewrites)
