"""BP1-BP4 and eq. 124 with symbolic widths (theory.widths): the proofs hold, specialise to the
concrete-shape results SymPy gets by direct differentiation, and fail on planted errors."""

import pytest
import sympy as sp

from theory import eq124_widths as E124
from theory import indexed as I
from theory import is_identity, sigma, sigma_prime
from theory import widths as W
from theory.layered_steps import DR, bp1_base, bp2_step, bp3_bias, bp4_weight


def test_every_equation_is_proved_for_symbolic_widths():
    for proof in (W.bp1(), W.bp2(), W.bp3(), W.bp4()):
        assert proof.holds, proof.name
        assert proof.rewrites, f"{proof.name}: a range condition is expected and must be justified"
        first = proof.steps[0].rhs
        assert isinstance(first, sp.Sum) and first.limits[0][2].is_Symbol, "the chain rule sums to a symbolic width"
    for which in ("BP1", "BP2"):
        entry, indexed, _ = E124.matrix_entry(which)
        assert W.same(entry, indexed)
    induction = E124.eq124_induction()
    assert induction["base"] and induction["step"] and induction["display_shapes_chain"]
    assert induction["shape"] == induction["delta_shape"]


def test_the_step_shows_the_sum_over_the_symbolic_index():
    text = " ".join(sp.latex(s.rhs) if not isinstance(s.rhs, str) else s.rhs for s in W.bp2().steps)
    assert r"\sum_{j=1}^{n_{l+1}}" in text and r"\sum_{k=1}^{n_{l}}" in text
    assert r"\sigma'({z^{l}}_{p}) \sum_{j=1}^{n_{l+1}} {w^{l+1}}_{j,p} {\delta^{l+1}}_{j}" in sp.latex(
        W.bp2().statement().rhs, order="none")


# --- planted errors ----------------------------------------------------------------------------

def transposed_above(S, row):  # w^{l+1}_{k,j} where the book has w^{l+1}_{j,k}
    return sp.Sum(S.w_next[S.k, row] * sigma(W.z_layer(S, S.k)), (S.k, 1, S.n)) + S.b_next[row]


def linear_above(S, row):  # sigma dropped, so sigma' must disappear from the result
    return sp.Sum(S.w_next[row, S.k] * W.z_layer(S, S.k), (S.k, 1, S.n)) + S.b_next[row]


def transposed_layer(S, row):  # w^l_{i,k} where the book has w^l_{k,i}
    return sp.Sum(S.w[S.i, row] * S.a_prev[S.i], (S.i, 1, S.n_prev)) + S.b[row]


def shared_bias(S, row):  # one bias for the whole layer
    return sp.Sum(S.w[row, S.i] * S.a_prev[S.i], (S.i, 1, S.n_prev)) + S.b[S.p]


@pytest.mark.parametrize("planted", [transposed_above, linear_above], ids=["transposed-index", "missing-sigma"])
def test_bp2_fails_on_a_planted_error(planted):
    assert not W.bp2(layer_above=planted).holds


def test_bp4_and_bp3_fail_on_planted_errors():
    assert not W.bp4(layer=transposed_layer).holds
    assert not W.bp3(layer=shared_bias).holds


def test_bp1_fails_without_the_output_sigma():
    assert not W.bp1(output=lambda S, k: W.z_layer(S, k)).holds


def test_a_range_condition_is_dropped_only_when_the_range_implies_it():
    S = W.layers("l")
    assert I._implied(sp.Ge(S.n, S.p), (S.p,))
    assert I._implied(sp.And(sp.Ge(S.p, 1), sp.Le(S.p, S.n)), (S.p,))
    assert I._implied(sp.Gt(S.n + 1, S.p), (S.p,))
    assert not I._implied(sp.Ge(S.n_prev, S.p), (S.p,))  # p runs to n_l, not to n_{l-1}
    assert not I._implied(sp.Ge(S.n, S.p + 1), (S.p,))  # fails at p = n_l
    assert not I._implied(sp.Ge(S.p, 2), (S.p,))  # fails at p = 1
    pw = sp.Piecewise((S.w[S.p, 1], sp.Ge(S.n_prev, S.p)), (0, True))
    kept, rewrites = W.reduce(pw, (S.p,))
    assert kept == pw and rewrites == []


def test_the_matrix_form_needs_the_transpose_for_symbolic_shapes():
    n, m = sp.symbols("n m", integer=True, positive=True)
    Sig, Wn, d = sp.MatrixSymbol("S", n, n), sp.MatrixSymbol("W", m, n), sp.MatrixSymbol("d", m, 1)
    assert E124.shapes_chain([Sig, Wn.T, d])
    assert not E124.shapes_chain([Sig, Wn, d])  # SymPy itself accepts this product: it cannot tell n from m
    display = E124.eq124_display()
    assert E124.shapes_chain(display.rhs.args)
    factors = list(display.rhs.args)
    factors[1] = factors[1].T  # w^{l+1} without its transpose
    assert not E124.shapes_chain(factors)


# --- specialised to concrete widths, the symbolic results equal direct differentiation --------

def _concrete(n_prev: int, dr_args=None):
    """Returns a function mapping the indexed objects of theory.widths to layered_steps' symbols."""

    def sym(name, *idx):
        return sp.Symbol(f"{name}_{{{''.join(str(int(i)) for i in idx)}}}", real=True)

    def z(row, tag):
        return sp.Add(*[sym(f"w^{tag}", row, i) * sym("a^{l-1}" if tag == "l" else "a^{L-1}", i)
                        for i in range(1, n_prev + 1)]) + sym(f"b^{tag}", row)

    def to(e):
        name, idx = str(e.base.label), e.indices
        table = {"w^{l+1}": lambda: sym("w^{l+1}", *idx), "w^{l}": lambda: sym("w^l", *idx),
                 "w^{L}": lambda: sym("w^L", *idx), "a^{l-1}": lambda: sym("a^{l-1}", *idx),
                 "a^{L-1}": lambda: sym("a^{L-1}", *idx), "b^{l}": lambda: sym("b^l", *idx),
                 "b^{L}": lambda: sym("b^L", *idx), "z^{l}": lambda: z(int(idx[0]), "l"),
                 "z^{L}": lambda: z(int(idx[0]), "L"),
                 r"\delta^{l+1}": lambda: DR(sp.Integer(int(idx[0])), *dr_args),
                 r"\delta^{l}": lambda: DR(sp.Integer(int(idx[0])), *dr_args)}
        return table[name]()

    return to


def _specialise(expr, S, values: dict, sizes: tuple, dr_args=None):
    """Substitutes concrete widths and indices, expands the sums, and names the concrete symbols."""
    subs = {S.n_prev: sizes[0], S.n: sizes[1], S.n_next: sizes[2], **values}
    e = expr.xreplace(subs).doit()
    return e.replace(lambda x: isinstance(x, sp.Indexed), _concrete(sizes[0], dr_args))


@pytest.mark.parametrize("sizes", [(1, 1, 1), (2, 3, 2), (3, 1, 4), (1, 4, 2)])
def test_bp2_for_symbolic_widths_specialises_to_the_concrete_shapes(sizes):
    d_b, _ = bp2_step(*sizes)
    dr_args = next(iter(d_b.atoms(DR))).args[1:]
    proof, S = W.bp2(), W.layers("l")
    for p in range(1, sizes[1] + 1):
        got = _specialise(proof.claimed, S, {S.p: p}, sizes, dr_args)
        assert is_identity(got, d_b[p - 1]), (sizes, p)
    wrong = _specialise(W.bp2(layer_above=transposed_above).derived, S, {S.p: 1}, sizes, dr_args)
    assert sizes[1] == sizes[2] == 1 or not is_identity(wrong, d_b[0])


@pytest.mark.parametrize("sizes", [(1, 1, 1), (2, 3, 1), (3, 2, 1)])
def test_bp3_bp4_for_symbolic_widths_specialise_to_the_concrete_shapes(sizes):
    n_prev, n = sizes[:2]
    d_b, d_z = bp3_bias(n_prev, n)
    d_w, _ = bp4_weight(n_prev, n)
    dr_args = next(iter(d_b.atoms(DR))).args[1:]
    S = W.layers("l")
    for p in range(1, n + 1):
        assert is_identity(_specialise(W.bp3().claimed, S, {S.p: p}, sizes, dr_args), d_b[p - 1])
        for q in range(1, n_prev + 1):
            got = _specialise(W.bp4().claimed, S, {S.p: p, S.q: q}, sizes, dr_args)
            assert is_identity(got, d_w[p - 1, q - 1]), (sizes, p, q)


@pytest.mark.parametrize("sizes", [(1, 1), (2, 3), (3, 2)])
def test_bp1_for_symbolic_widths_specialises_to_the_concrete_shapes(sizes):
    from theory.layered import GradC

    direct, _ = bp1_base(*sizes)
    S = W.layers("L")
    args = next(iter(direct.atoms(GradC))).args[1:]
    for p in range(1, sizes[1] + 1):
        e = W.bp1().claimed.xreplace({S.n_prev: sizes[0], S.n: sizes[1], S.p: p}).doit()
        e = e.replace(lambda x: isinstance(x, sp.Indexed) and str(x.base.label) == r"(\nabla_{a} C)",
                      lambda x: GradC(sp.Integer(int(x.indices[0])), *args))
        e = e.replace(lambda x: isinstance(x, sp.Indexed), _concrete(sizes[0]))
        assert is_identity(e, direct[p - 1]), (sizes, p)
        assert e.has(sigma_prime)
