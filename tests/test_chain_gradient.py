"""Eq. 122 and its consequences against mpmath finite differences of the composed network."""

import math

import mpmath
import pytest
import sympy as sp
from hypothesis import example, given
from hypothesis import strategies as st

from lambdified import chain_forward, chain_gradient, cost_prime
from theory import chain_network, gradient_direct, gradient_formula, gradients_implicit, is_identity
from theory.chain import to_composed

finite = st.floats(-3, 3, allow_nan=False)


@st.composite
def chains(draw, max_depth=24):
    L = draw(st.integers(1, max_depth))
    w = draw(st.lists(finite, min_size=L, max_size=L))
    b = draw(st.lists(finite, min_size=L, max_size=L))
    return L, w, b, draw(finite), draw(st.floats(0, 1)), draw(st.sampled_from(["quadratic", "cross-entropy"]))


def cost_value(a, y, cost):
    y = mpmath.mpf(y)  # a float y would make 1 - y a rounded float
    if cost == "quadratic":
        return (a - y) ** 2 / 2
    return -(y * mpmath.log(a) + (1 - y) * mpmath.log(1 - a))


def finite_difference(L, w, b, a0, y, cost, j, wrt):
    """dC/db_j (or dC/dw_j) by mpmath's high-precision numerical differentiation."""

    def f(x):
        ww, bb = list(w), list(b)
        (bb if wrt == "b" else ww)[j - 1] = x
        return cost_value(chain_forward(ww, bb, a0)[1][-1], y, cost)

    return mpmath.diff(f, mpmath.mpf((b if wrt == "b" else w)[j - 1]))


def formula_value(L, w, b, a0, y, cost, j, wrt, module="mpmath"):
    zs, acts = chain_forward(w, b, a0)
    if module == "math":
        zs, acts = [float(v) for v in zs], [float(v) for v in acts]
    return chain_gradient(L, j, wrt=wrt, module=module)(zs, w, acts, cost_prime(cost)(acts[-1], y))


@given(chains(), st.data())
@example((4, [1.0, -2.0, 0.5, 3.0], [0.1, 0.2, -0.3, 0.0], 0.7, 1.0, "cross-entropy"), None)
@example((1, [0.0], [0.0], 0.0, 0.19177357243126242, "cross-entropy"), None)  # once caught a float 1 - y in the test
def test_product_formula_equals_finite_differences(net, data):
    """dC/db_j = sigma'(z_j) w_{j+1} sigma'(z_{j+1}) ... w_L sigma'(z_L) dC/da_L   (122), and
    dC/dw_j = a_{j-1} dC/db_j, against mpmath finite differences at 60 digits."""
    L, w, b, a0, y, cost = net
    j = data.draw(st.integers(1, L)) if data is not None else 1
    wrt = data.draw(st.sampled_from("bw")) if data is not None else "b"
    mpmath.mp.dps = 60
    exact = formula_value(L, w, b, a0, y, cost, j, wrt)
    numeric = finite_difference(L, w, b, a0, y, cost, j, wrt)
    assert mpmath.almosteq(exact, numeric, rel_eps=mpmath.mpf(10) ** -25, abs_eps=mpmath.mpf(10) ** -40)


@given(st.floats(3.4e-5, 4.8e-5), st.floats(0.0, 1.0))
@example(4e-5, 0.5)
def test_subnormal_gradients_agree(weight, a0):
    """Deep chains with small weights give dC/db_1 of subnormal size (below 2.2e-308); the
    float64 formula keeps it within a few subnormal ulps of the 400-digit finite difference."""
    L = 64
    w, b = [weight] * L, [0.0] * L
    mpmath.mp.dps = 400
    numeric = finite_difference(L, w, b, a0, 1.0, "quadratic", 1, "b")
    exact = formula_value(L, w, b, a0, 1.0, "quadratic", 1, "b")
    assert mpmath.almosteq(exact, numeric, rel_eps=mpmath.mpf(10) ** -30)
    as_float = formula_value(L, w, b, a0, 1.0, "quadratic", 1, "b", module="math")
    ref = float(numeric)
    assert math.isclose(as_float, ref, rel_tol=1e-12, abs_tol=4 * L * 5e-324)


def test_a_subnormal_case_is_really_subnormal():
    """The strategy above does reach the subnormal range (guards the test against drifting)."""
    mpmath.mp.dps = 50
    for weight in (3.4e-5, 4.8e-5):
        g = formula_value(64, [weight] * 64, [0.0] * 64, 0.5, 1.0, "quadratic", 1, "b", module="math")
        assert 0 < abs(g) < 2.2250738585072014e-308


@given(st.floats(-50, 50))
@example(0.0)
def test_sigma_prime_at_most_a_quarter(z):
    """max sigma' = sigma'(0) = 1/4: theory's exact sigma' (60 digits) and the network's float sigma' are <= 1/4
    everywhere, below it away from z = 0."""
    import numpy as np

    from lambdified import lambdify_exact
    from numeric.functions import sigmoid_prime as float_prime
    from theory.notation import sigmoid_prime as exact_prime

    mpmath.mp.dps = 60
    zz = sp.Symbol("z", real=True)
    exact = lambdify_exact([zz], exact_prime(zz), module="mpmath")(mpmath.mpf(z))
    assert exact <= mpmath.mpf(1) / 4 + mpmath.mpf(10) ** -58  # 60-digit rounding of e^{-z}/(1 + e^{-z})^2
    if abs(z) > 1e-25:  # 1/4 - sigma'(z) ~ z^2/16 is below 60 digits closer to 0
        assert exact < mpmath.mpf(1) / 4
    assert float_prime(np.array([z]))[0] <= 0.25


@given(st.lists(st.floats(-20, 20), min_size=3, max_size=3), st.floats(-1, 1), st.floats(-1, 1))
def test_ratio_b1_b3_at_most_one_sixteenth(z, w2, w3):
    """|(dC/db_1)/(dC/db_3)| = |sigma'(z_1) w_2 sigma'(z_2) w_3| <= 1/16 when |w_2|, |w_3| <= 1."""
    mpmath.mp.dps = 40
    zs = [mpmath.mpf(v) for v in z] + [mpmath.mpf(0)]
    acts = [mpmath.mpf(0)] * 5
    d1 = chain_gradient(4, 1)(zs, [1, w2, w3, 1], acts, 1)
    d3 = chain_gradient(4, 3)(zs, [1, w2, w3, 1], acts, 1)
    assert abs(d1 / d3) <= mpmath.mpf(1) / 16


def test_planted_error_is_caught():
    """A formula with one w_j dropped fails both the symbolic and the numeric check."""
    net = chain_network(4)
    wrong = gradient_formula(net, 1).subs(net.w[2], 1)
    assert not is_identity(gradients_implicit(net)[(4, 1)], wrong)
    assert not is_identity(gradient_direct(net, 1), to_composed(net, wrong))
    mpmath.mp.dps = 50
    w, b = [1.0, -2.0, 0.5, 3.0], [0.1, 0.2, -0.3, 0.0]
    zs, acts = chain_forward(w, b, 0.7)
    good = formula_value(4, w, b, 0.7, 1.0, "quadratic", 1, "b")
    assert mpmath.almosteq(good, finite_difference(4, w, b, 0.7, 1.0, "quadratic", 1, "b"), 1e-25)
    wrong_value = good / w[2]  # the same product without w_3
    assert not mpmath.almosteq(wrong_value, finite_difference(4, w, b, 0.7, 1.0, "quadratic", 1, "b"), 1e-6)


@pytest.mark.parametrize("L", [0, -1])
def test_depth_below_one_is_refused(L):
    with pytest.raises(ValueError, match="L must be an integer >= 1"):
        chain_network(L)


def test_depth_must_be_an_integer():
    with pytest.raises(TypeError, match="L must be an integer"):
        chain_network(2.5)


@pytest.mark.parametrize("j", [0, 5])
def test_layer_out_of_range_is_refused(j):
    with pytest.raises(ValueError, match="j must be"):
        gradient_formula(chain_network(4), j)


def test_non_symbolic_activation_is_refused():
    import math as m

    with pytest.raises(TypeError, match="activation must be a SymPy function class"):
        gradient_direct(chain_network(3), 1, activation=m.tanh)


def test_unknown_wrt_is_refused():
    with pytest.raises(ValueError, match="wrt must be 'b' or 'w'"):
        gradient_formula(chain_network(3), 1, wrt="a")



def test_deep_family_by_forward_substitution_matches_the_general_solve():
    """The bidiagonal route agrees with SymPy's general triangular solve, depth by depth, for w and b."""
    from theory.chain import formula_factors
    from theory.chain_implicit import gradient_factors_bidiagonal, same_product, truncated

    net = chain_network(7)
    for wrt in "bw":
        fast, general = gradient_factors_bidiagonal(net, wrt=wrt), gradients_implicit(net, wrt=wrt)
        assert fast.keys() == general.keys()
        for (m, j), factors in fast.items():
            assert is_identity(sp.Mul(*factors), general[(m, j)])
            assert same_product(factors, formula_factors(net, j, wrt=wrt, depth=m))
            assert formula_factors(net, j, wrt=wrt, depth=m) == formula_factors(truncated(net, m), j, wrt=wrt)


def test_deep_family_rejects_a_wrong_product():
    """A product with one factor dropped, repeated or swapped for its neighbour's is not the same product."""
    from theory.chain import formula_factors
    from theory.chain_implicit import gradient_factors_bidiagonal, same_product

    net = chain_network(40)
    got = gradient_factors_bidiagonal(net)[(40, 3)]
    right = formula_factors(net, 3)
    assert same_product(got, right) and same_product(got, tuple(reversed(right)))
    assert not same_product(got, right[:5] + right[6:])  # w_6 dropped
    assert not same_product(got, right + (net.w[5],))  # w_6 twice
    assert not same_product(got, right[:5] + (net.w[6],) + right[6:])  # w_7 for w_6
    assert not same_product(got, formula_factors(net, 3, depth=39))


def test_deep_family_refuses_a_layer_equation_that_is_not_a_chain(monkeypatch):
    """If layer k depended on z_{k-2} too, forward substitution would be wrong: it is refused."""
    import theory.chain_implicit as chain

    net = chain_network(5)
    real_sigma = chain.sigma

    class Skip(sp.Function):  # sigma(z_{k-1}) that also reads z_{k-2}
        def fdiff(self, argindex=1):
            return sp.Integer(1)

    def leaky(z):
        k = net.z.index(z) if z in net.z else -1
        return real_sigma(z) + (Skip(net.z[k - 1]) if k >= 1 else 0)

    monkeypatch.setattr(chain, "sigma", leaky)
    with pytest.raises(ValueError, match="bidiagonal"):
        chain.gradient_factors_bidiagonal(net)


def test_same_product_counts_multiplicities():
    """Products are multisets: w^2 sigma' is not w sigma'^2, and a fresh equal atom still matches."""
    from theory import sigma_prime
    from theory.chain_implicit import same_product

    w, z = sp.symbols("w z", real=True)
    s = sigma_prime(z)
    assert not same_product((w, w, s), (w, s, s))
    assert same_product((w, s, w), (w, w, s))
    assert same_product((sp.Symbol("w", real=True),), (w,))
