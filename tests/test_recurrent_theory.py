"""The recurrent chain, its matrix form, the bound and the LSTM's paths (theory.recurrent, theory.recurrent_matrix,
theory.lstm): each proof holds, each fails on a planted error, and the exact products agree with mpmath
finite differences of the unrolled recurrence (through a lambdify bridge kept here, in the tests)."""

import mpmath
import pytest
import sympy as sp
from hypothesis import example, given
from hypothesis import strategies as st

from numeric.networks.rnn import GAMMA
from proofs.claims import recurrent as CR
from theory import is_identity, sigma, sigma_prime
from theory import lstm as L
from theory import recurrent as R
from theory import recurrent_matrix as M
from theory.activations import activations, sup_derivative
from theory.widths import same


def no_w(w, h, u, x, b):
    return sigma(h + u * x + b)  # the planted error: the recurrent weight left out of the step


def test_base_and_induction_step_hold_and_fail_without_w():
    """dh_{k+1}/dh_k = w sigma'(z_{k+1}); dh_{T+1}/dh_k = w sigma'(z_{T+1}) dh_T/dh_k (H abstract)."""
    assert is_identity(*R.base_case()) and is_identity(*R.induction_step())
    assert not is_identity(*R.base_case(no_w)) and not is_identity(*R.induction_step(no_w))
    assert not is_identity(*R.induction_step(lambda w, h, u, x, b: sigma(w * w * h + u * x + b)))  # w^2 for w


def test_claim_facts_fail_on_a_missing_w():
    assert all(f.holds for f in CR.scalar_facts())
    bad = CR.scalar_facts(no_w, no_w)
    assert not bad[0].holds and not bad[1].holds


def test_formula_is_the_product_in_order_and_refuses_bad_k():
    net = R.recurrent_chain(3)
    assert R.jacobian_factors(net, 1) == (net.w, sigma_prime(net.z[1]), net.w, sigma_prime(net.z[2]))
    assert R.jacobian_formula(net, 0) == net.w**3 * sp.Mul(*(sigma_prime(z) for z in net.z))
    for bad in (-1, 3, 1.5, True):
        with pytest.raises(ValueError, match="k must be an integer in 0..T-1"):
            R.jacobian_formula(net, bad)
    with pytest.raises(ValueError, match="T must be an integer >= 1"):
        R.recurrent_chain(0)


def _unrolled_mp(w, u, b, xs, h):
    for x in xs:
        h = 1 / (1 + mpmath.exp(-(w * h + u * x + b)))
    return h


finite = st.floats(-3, 3, allow_nan=False)


@given(
    steps=st.integers(1, 6),
    w=finite,
    u=finite,
    b=finite,
    h=st.floats(0, 1),
    xs=st.lists(finite, min_size=6, max_size=6),
)
@example(steps=6, w=3.0, u=-3.0, b=3.0, h=1.0, xs=[3.0] * 6)
def test_product_equals_mpmath_finite_differences(steps, w, u, b, h, xs):
    """prod_{t=k+1}^T w sigma'(z_t), lambdified to mpmath (sigmoid), against a 60-digit central difference of the
    unrolled recurrence in h_k."""
    net = R.recurrent_chain(steps)
    expr = R.jacobian_formula(net, 0).replace(sigma_prime, lambda z: sp.exp(-z) / (1 + sp.exp(-z)) ** 2)
    f = sp.lambdify([*net.z, net.w], expr, modules="mpmath")
    with mpmath.workdps(60):
        w, u, b, h = (mpmath.mpf(v) for v in (w, u, b, h))  # mpf throughout: a float product would round to 16 digits
        xs = [mpmath.mpf(v) for v in xs]
        zs, hh = [], h
        for x in xs[:steps]:
            zs.append(w * hh + u * x + b)
            hh = 1 / (1 + mpmath.exp(-zs[-1]))
        eps = mpmath.mpf(10) ** -25
        fd = (_unrolled_mp(w, u, b, xs[:steps], h + eps) - _unrolled_mp(w, u, b, xs[:steps], h - eps)) / (2 * eps)
        exact = f(*zs, w)
        assert abs(fd - exact) <= mpmath.mpf(10) ** -30 * max(1, abs(exact)) + mpmath.mpf(10) ** -40


def test_matrix_form_for_symbolic_widths_and_its_planted_errors():
    one, step = M.one_step(), M.induction_step()
    assert same(one["derived"], one["claimed"]) and same(step["derived"], step["claimed"])
    good = CR.matrix_facts()  # with the explicit shapes (n >= 2: the order of the factors matters) and eq. (124)
    assert all(f.holds for f in good), [f.as_dict() for f in good if not f.holds]
    S = M.symbols()

    def no_W(S, row, h):  # the recurrent matrix left out
        return sigma(sp.Sum(h[S["j"]], (S["j"], 1, S["n"])) + S["b"][row])

    def transposed(S, row, h):  # W_{jp} for W_{pj}
        return sigma(sp.Sum(S["W"][S["j"], row] * h[S["j"]], (S["j"], 1, S["n"])) + S["b"][row])

    for bad in (no_W, transposed):
        assert not same(M.one_step(bad)["derived"], M.one_step(bad)["claimed"])
        assert not same(M.induction_step(bad)["derived"], M.induction_step(bad)["claimed"])
        assert not all(f.holds for f in CR.matrix_facts(bad)[:2])
    assert S["p"].upper == S["n"]


def test_explicit_product_is_the_jacobian_and_reduces_to_the_chain():
    net = M.explicit_network(1, 1, 3)
    zs, hT = M.state_explicit(net)
    nested = {a: b for z, ze in zip(net["z"], zs) for a, b in zip(z, ze)}
    assert sp.expand(hT.jacobian(net["h"])[0] - M.product_explicit(net).xreplace(nested)[0]) == 0
    chain = R.recurrent_chain(3)
    rename = {net["W"][0, 0]: chain.w} | {z[0]: cz for z, cz in zip(net["z"], chain.z)}
    assert is_identity(M.product_explicit(net)[0].xreplace(rename), R.jacobian_formula(chain, 0))
    with pytest.raises(ValueError, match="steps = 9 is above 8"):
        M.explicit_network(2, 1, 9)


def test_gamma_is_the_sup_of_phi_prime_everywhere_it_is_stated():
    """gamma = 1/4 (sigmoid), 1 (tanh): the fast square argument, activations' calculus and networks.rnn agree."""
    g = R.gamma()
    acts = activations()
    for name in ("sigmoid", "tanh"):
        assert g[name]["written_ok"] and g[name]["gap_is_square"] and g[name]["at_zero"] == g[name]["gamma"]
        assert sup_derivative(acts[name])["sup"] == g[name]["gamma"] == sp.nsimplify(GAMMA[name])


def test_bound_facts_hold():
    import numpy as np

    facts, gamma = CR.bound_facts(np.random.default_rng(1))
    assert all(f.holds for f in facts), [f.as_dict() for f in facts]


def forget_gate_ignored(c_prev, gate):
    c = c_prev + gate["i"] * gate["g"]
    return c, gate["o"] * sp.tanh(c)


def test_lstm_paths_hold_and_fail_when_the_forget_gate_is_ignored():
    """dc_t/dc_{t-1} = f_t (diag(f_t) for width n), the gates' paths, prod f_t by induction; the constant error
    carousel at f = 1. A cell that ignores its forget gate passes 1, not f_t: refused."""
    assert all(f.holds for f in CR.lstm_facts())
    bad = CR.lstm_facts(forget_gate_ignored)
    by_what = {f.what.split(" ")[0] + f.what.split(" ")[1]: f.holds for f in bad}
    assert not bad[0].holds  # dc_t/dc_{t-1}
    assert not all(f.holds for f in bad[4:6]) and not bad[-1].holds  # induction and diag(f_t)
    assert by_what


def test_lstm_vector_cell_path_is_diagonal():
    r = L.cell_path_widths()
    p, s = r["indices"]
    assert r["derived"].has(sp.KroneckerDelta) and r["derived"].subs(s, p) == r["claimed"].subs(s, p)
