"""Eq. 124 for every width and depth, from BP1-BP4 with symbolic widths (``theory.widths``).

``matrix_entry`` computes, entry by entry, the bridge from the indexed component form to the matrix form;
``eq124_induction`` proves delta^l = Sigma'(z^l) (w^{l+1})^T ... Sigma'(z^L) grad_a C for every depth by induction
with BP2 as the step, on matrix symbols whose shapes are the width symbols; ``shapes_chain`` checks that a
product's shapes chain (SymPy's own check cannot tell two width symbols apart).
"""

from __future__ import annotations

import sympy as sp

from .indexed import Index, reduce
from .notation import sigma_prime
from .widths import bp1_rhs, bp2_rhs, layers

__all__ = ["matrix_entry", "eq124_statement", "shapes_chain", "eq124_display", "eq124_induction"]


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
