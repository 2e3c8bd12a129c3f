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
shapes are the width symbols (``eq124_induction``); the bridge from the indexed component form
to the matrix form is itself computed, entry by entry, by SymPy (``matrix_entry``).

Every ``bp*`` function takes the layer equation as an argument, so a planted error (a transposed
index, a missing sigma) can be fed in and must make the proof fail.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy.simplify.simplify import factor_sum

from .notation import Step, sigma, sigma_prime, to_latex

__all__ = ["Layers", "layers", "z_layer", "z_above", "chain_rule", "reduce", "same", "Rewrite",
           "bp1", "bp2", "bp3", "bp4", "matrix_entry", "eq124_induction", "eq124_statement", "eq124_display",
           "shapes_chain", "Proof",
           "Index"]


class Index(sp.Idx):
    """An index with a symbolic range that prints as its bare name (j, not j_{1..n})."""

    def _latex(self, printer):
        return printer._print(self.label)


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


def chain_rule(partials: sp.IndexedBase, inner, index: sp.Idx, x):
    """Returns sum_index partials[index] * d inner(index)/dx: the chain rule for a function of a vector.

    ``inner(index)`` is the component of the vector the outer function reads; ``partials[index]``
    names the outer function's partial in that component (delta, or dC/da for the output layer).
    The derivative of each component is SymPy's.
    """
    return sp.Sum(partials[index] * sp.diff(inner(index), x), (index, index.lower, index.upper))


@dataclass(frozen=True)
class Rewrite:
    """A range condition replaced by True: ``condition`` holds because ``index`` runs over lower..upper."""

    condition: sp.Basic
    index: sp.Idx

    def step(self) -> Step:
        lo, hi = to_latex(self.index.lower), to_latex(self.index.upper)
        return Step(rf"\mathbf{{1}}[{to_latex(self.condition)}]", "1", relation="=",
                    why=f"${to_latex(self.index)}$ ranges over ${lo}, \\ldots, {hi}$ "
                        "(checked: the range implies the condition)")


def _nonneg_given_ranges(g, indices) -> bool:
    """True when the integer expression g >= 0 follows from each index lying in its declared range."""
    g = sp.expand(g)
    if g.is_nonnegative:
        return True
    for idx in indices:
        if idx not in g.free_symbols:
            continue
        u = sp.Dummy("u", integer=True, nonnegative=True)
        for end in (idx.lower + u, idx.upper - u):  # idx = lower + u, or idx = upper - u, u >= 0
            if sp.expand(g.xreplace({idx: end})).is_nonnegative:
                return True
    return False


def _implied(condition, indices) -> bool:
    if condition is sp.true:
        return True
    if isinstance(condition, sp.And):
        return all(_implied(c, indices) for c in condition.args)
    ge = {sp.GreaterThan: lambda c: c.lhs - c.rhs, sp.LessThan: lambda c: c.rhs - c.lhs,
          sp.StrictGreaterThan: lambda c: c.lhs - c.rhs - 1, sp.StrictLessThan: lambda c: c.rhs - c.lhs - 1}
    for kind, gap in ge.items():  # integers: a > b is a - b - 1 >= 0
        if isinstance(condition, kind):
            return _nonneg_given_ranges(gap(condition), indices)
    return False


def reduce(expr, free: tuple) -> tuple:
    """Returns (expr reduced, [Rewrite, ...]): Sum.doit() and implied range conditions, to a fixed point.

    ``free`` are the free indices (Idx with their ranges). A Piecewise whose first condition is
    implied by those ranges becomes its first expression; any other Piecewise is left as it is
    (so an unprovable condition stays visible and the comparison that follows fails).
    """
    rewrites = []

    def drop(pw):
        (e0, c0) = pw.args[0]
        if _implied(c0, free):
            rewrites.append(Rewrite(c0, next(iter(sorted(c0.free_symbols & set(free), key=str)), free[0])))
            return e0
        return pw

    for _ in range(10):
        new = expr.doit().replace(lambda e: isinstance(e, sp.Piecewise), drop)
        if new == expr:
            break
        expr = new
    return expr, rewrites


def _canonical(expr):
    """Pulls factors independent of the summation variable out of every Sum, then expands."""
    expr = expr.replace(lambda e: isinstance(e, sp.Sum), lambda s: factor_sum(s))
    return sp.expand(expr)


def same(lhs, rhs) -> bool:
    """Returns True when lhs - rhs is 0 after pulling constant factors out of the sums and expanding."""
    return lhs == rhs or _canonical(lhs - rhs) == 0 or _canonical(lhs) == _canonical(rhs)


@dataclass
class Proof:
    """One symbolic-width derivation: the claimed right-hand side, what SymPy derived, the steps."""

    name: str
    lhs: sp.Basic
    derived: sp.Basic
    claimed: sp.Basic
    steps: list
    rewrites: list

    @property
    def holds(self) -> bool:
        return same(self.derived, self.claimed)

    def statement(self):
        return sp.Eq(self.lhs, self.claimed, evaluate=False)


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
             why=r"SymPy differentiates the indexed layer equation "
                 r"$z^{l+1}_{j} = \sum_{k} w^{l+1}_{j,k} \sigma(z^{l}_{k}) + b^{l+1}_{j}$"),
        *[rw.step() for rw in rewrites],
        Step(sp.latex(_dC(x)), derived,
             why=r"summing over $k$ keeps the term $k = p$ (SymPy's Sum.doit); the range condition holds"),
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


def _to_indexed(expr, names: dict, shift_free: dict):
    """Maps 0-based matrix entries to 1-based indexed ones and shifts every 0-based Sum to start at 1.

    ``names[M](r, c)`` is the indexed object for entry (r + 1, c + 1) of M.
    """
    MatrixElement = sp.matrices.expressions.matexpr.MatrixElement
    expr = expr.replace(lambda e: isinstance(e, MatrixElement), lambda e: names[e.parent](e.i + 1, e.j + 1))
    expr = expr.xreplace(shift_free)

    def shift(s):
        (v, lo, hi), = s.limits
        return sp.Sum(s.function.xreplace({v: v - 1}), (v, lo + 1, hi + 1))

    return sp.expand(expr.replace(lambda e: isinstance(e, sp.Sum) and e.limits[0][1] == 0, shift))


def matrix_entry(which: str):
    """Returns (entry p of the matrix form, the indexed form, rewrites) for BP1 or BP2 with symbolic shapes.

    BP2: (Sigma'(z^l) (w^{l+1})^T delta^{l+1})_p with Sigma'(z^l) = diag(sigma'(z^l_1), ...), w^{l+1}
    an n_{l+1} x n_l matrix symbol and a real transpose; BP1: (Sigma'(z^L) grad_a C)_p. SymPy
    writes the entry as a Sum over 0-based indices; it is shifted to 1-based and compared with
    the component form the indexed proof derived (``same``).
    """
    S = layers("l" if which == "BP2" else "L")
    s = sp.MatrixSymbol("s", S.n, 1)  # the diagonal of Sigma'(z): s_p = sigma'(z_p)
    names = {s: lambda r, c: sigma_prime(S.z[r])}
    if which == "BP2":
        W = sp.MatrixSymbol("w^{l+1}", S.n_next, S.n)
        d = sp.MatrixSymbol(r"\delta^{l+1}", S.n_next, 1)
        product = sp.DiagMatrix(s) * W.T * d
        names |= {W: lambda r, c: S.w_next[r, c], d: lambda r, c: S.delta_next[r]}
        indexed = bp2_rhs(S)
    elif which == "BP1":
        g = sp.MatrixSymbol(r"\nabla_{a} C", S.n, 1)
        product = sp.DiagMatrix(s) * g
        names |= {g: lambda r, c: S.grad[r]}
        indexed = bp1_rhs(S)
    else:
        raise ValueError(f"which must be 'BP1' or 'BP2', got {which!r}")
    p0 = Index("p_0", (0, S.n - 1))  # SymPy's matrix entries are 0-based
    entry, rewrites = reduce(product[p0, 0], (p0,))
    as_indexed = _to_indexed(entry, names, {p0: S.p - 1})
    as_indexed = as_indexed.replace(  # the summation dummy is named j on both sides
        lambda e: isinstance(e, sp.Sum),
        lambda e: sp.Sum(e.function.xreplace({e.limits[0][0]: S.j}), (S.j, e.limits[0][1], e.limits[0][2])))
    return as_indexed, indexed, rewrites


def eq124_statement(l: str = "l"):
    """Returns Eq(delta^l, Sigma'(z^l)(w^{l+1})^T Pi^{l+1} grad_a C) on matrix symbols of symbolic shapes.

    Pi^{l+1} = Sigma'(z^{l+1})(w^{l+2})^T ... (w^L)^T Sigma'(z^L) is n_{l+1} x n_L; Pi^L = Sigma'(z^L).
    """
    n, n_next, nL = sp.symbols("n_{l} n_{l+1} n_{L}", integer=True, positive=True)
    Sig = sp.MatrixSymbol(r"\Sigma'(z^{l})", n, n)
    W = sp.MatrixSymbol(r"w^{l+1}", n_next, n)
    Pi = sp.MatrixSymbol(r"\Pi^{l+1}", n_next, nL)
    g = sp.MatrixSymbol(r"\nabla_{a} C", nL, 1)
    delta = sp.MatrixSymbol(r"\delta^{l}", n, 1)
    return delta, sp.MatMul(Sig, W.T, Pi, g, evaluate=False), (Sig, W, Pi, g)


def shapes_chain(factors) -> bool:
    """True when each factor's column count is, as a symbol, the next factor's row count.

    SymPy's own check only refuses shapes it can prove unequal; with symbolic widths it accepts
    n_l x n_{l+1} times n_l x 1, so the chain is checked here structurally.
    """
    factors = list(factors)
    return all(a.shape[1] == b.shape[0] for a, b in zip(factors, factors[1:]))


def eq124_display():
    """Returns Eq(delta^l, Sigma'(z^l)(w^{l+1})^T Sigma'(z^{l+1}) ... (w^L)^T Sigma'(z^L) grad_a C), the book's
    order, on matrix symbols whose shapes are the width symbols; the elided middle is one matrix
    symbol printed as a centred ellipsis, n_{l+1} x n_{L-1}, so every shape chains (checked by
    ``eq124_induction``)."""
    n, n1, nL1, nL = sp.symbols("n_{l} n_{l+1} n_{L-1} n_{L}", integer=True, positive=True)
    factors = [sp.MatrixSymbol(r"\Sigma'(z^{l})", n, n), sp.MatrixSymbol("w^{l+1}", n1, n).T,
               sp.MatrixSymbol(r"\Sigma'(z^{l+1})", n1, n1), sp.MatrixSymbol(r"\cdots", n1, nL1),
               sp.MatrixSymbol("w^{L}", nL, nL1).T, sp.MatrixSymbol(r"\Sigma'(z^{L})", nL, nL),
               sp.MatrixSymbol(r"\nabla_{a} C", nL, 1)]
    return sp.Eq(sp.MatrixSymbol(r"\delta^{l}", n, 1), sp.MatMul(*factors, evaluate=False), evaluate=False)


def eq124_induction() -> dict:
    """Eq. 124 for every depth L and layer l, by induction on l = L, L-1, ..., 1, with symbolic shapes.

    Base (l = L): delta^L = Sigma'(z^L) grad_a C = Pi^L grad_a C (BP1, matrix form).
    Step: if delta^{l+1} = Pi^{l+1} grad_a C then delta^l = Sigma'(z^l)(w^{l+1})^T delta^{l+1} (BP2,
    matrix form) = (Sigma'(z^l)(w^{l+1})^T Pi^{l+1}) grad_a C = Pi^l grad_a C. The shapes are checked
    to chain symbol by symbol (``shapes_chain``) and SymPy checks that the two bracketings are one
    product. Returns {'base': bool, 'step': bool, 'shape': (rows, cols)}.
    """
    delta, product, (Sig, W, Pi, g) = eq124_statement()
    n_next = W.shape[0]
    delta_next = sp.MatMul(Pi, g)  # the hypothesis delta^{l+1} = Pi^{l+1} grad_a C
    bp2_form = sp.MatMul(Sig, W.T, delta_next)
    Pi_l = sp.MatMul(Sig, W.T, Pi)  # the definition of Pi^l
    step = (shapes_chain([Sig, W.T, Pi, g]) and sp.MatMul(Pi_l, g).doit() == bp2_form.doit() == product.doit()
            and product.shape == delta.shape)
    SigL = sp.MatrixSymbol(r"\Sigma'(z^{L})", g.shape[0], g.shape[0])
    base = shapes_chain([SigL, g]) and Pi.shape == (n_next, g.shape[0])
    display = eq124_display()
    chained = shapes_chain(display.rhs.args) and display.rhs.shape == display.lhs.shape
    return {"base": bool(base), "step": bool(step), "shape": product.shape, "delta_shape": delta.shape,
            "display_shapes_chain": bool(chained),
            "lines": [(sp.MatrixSymbol(r"\delta^{L}", *g.shape), sp.MatMul(SigL, g, evaluate=False)),
                      (delta, bp2_form), (delta, sp.MatMul(Pi_l, g, evaluate=False))]}
