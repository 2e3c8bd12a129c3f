"""Every theory module's formula, checked by pytest alone: exact identities that decide both ways,
and the same expressions lambdified (through the one bridge) against numbers computed another way."""

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import example, given
from hypothesis import strategies as st

from lambdified import lambdify_exact
from numeric.experiments import width as numeric_width
from numeric.functions import CrossEntropyCost, QuadraticCost, sigmoid_prime
from theory import bounds, chain_network, cross_entropy_cost, gradient_formula, quadratic_cost
from theory.activations import activations, k, sup_derivative, z
from theory.cascade import cascade
from theory.consequences import exploding, ratio_b1_b3, weight_below_one
from theory.identity_neuron import Delta, identity_choice, tanh_bound_facts, u, w1
from theory.induction import base_case, bias_step, layer_symbols, weight_step
from theory.layered import delta_eq124, deltas_bp, deltas_implicit, layered_network
from theory.layered_steps import bp1_base, bp2_step, bp3_bias, bp4_weight
from theory.notation import sigma_prime
from theory.sigmoid_facts import derivative_identity, max_derivative

a_, y_ = sp.symbols("a y", real=True)


# -- notation: the exact costs against numeric's ---------------------------------------------
@given(st.floats(0.01, 0.99), st.floats(0, 1))
def test_exact_costs_equal_the_networks_costs(a, y):
    """quadratic (a - y)^2/2 and cross-entropy -(y ln a + (1 - y) ln(1 - a)), exact vs numeric (z = logit a)."""
    z_ = np.log(a / (1 - a))
    for exact, numeric in ((quadratic_cost, QuadraticCost), (cross_entropy_cost, CrossEntropyCost)):
        value = lambdify_exact([a_, y_], exact(a_, y_))(a, y)
        got = numeric.fn(np.array([[z_]]), np.array([[a]]), np.array([[y]]))[0]
        assert got == pytest.approx(float(value), rel=1e-9, abs=1e-12)


def test_exact_sigma_prime_is_the_derivative_of_sigma():
    from theory.notation import sigmoid
    from theory.notation import sigmoid_prime as exact_prime

    zz = sp.Symbol("z", real=True)
    assert sp.simplify(sp.diff(sigmoid(zz), zz) - exact_prime(zz)) == 0
    assert exact_prime(sp.Integer(0)) == sp.Rational(1, 4)


# -- sigmoid facts ---------------------------------------------------------------------------
def test_sigma_prime_identity_and_its_maximum():
    """sigma' = sigma(1 - sigma); 1/4 - s(1 - s) = (s - 1/2)^2; sigma(z) = 1/2 only at z = 0; sigma'(0) = 1/4."""
    assert derivative_identity()[1] == 0
    m = max_derivative()
    assert m["gap_minus_square"] == 0 and m["gap"] == sp.Rational(1, 4) - sp.Symbol("s", positive=True) * (
        1 - sp.Symbol("s", positive=True))
    assert m["solutions_of_sigma_eq_half"] == [0]
    assert m["sigma_prime_at_0"] == sp.Rational(1, 4)


# -- the chain: cascade, induction, consequences -----------------------------------------------
def test_cascade_coefficient_is_eq122():
    """The product of the cascade's local partials (114)-(121) is the product formula (122); the steps carry
    the book's numbers (shared/BOOK.md): (114) dC/db_1 ~ Delta C/Delta b_1 ... (120) Delta C, (121)-(122) dC/db_1."""
    steps, coeff = cascade(4)
    assert sp.expand(coeff - gradient_formula(chain_network(4), 1)) == 0
    assert [s.tag for s in steps if s.tag] == ["114", "115--116", "117--118", "119", "120", "121--122"]


def test_induction_base_and_steps_are_identities():
    """Base dC/db_L = sigma'(z_L) dC/da_L; step delta_j = sigma'(z_j) w_{j+1} delta_{j+1}; dC/dw_j = a_{j-1} dC/db_j."""
    for direct, claimed in (base_case(), bias_step(), weight_step()):
        assert sp.expand(direct - claimed) == 0


def test_induction_step_has_the_right_weight():
    """The step's factor is w_{j+1}: replacing it by w_j breaks the identity (so the test above can fail)."""
    d_bj, claimed = bias_step()
    s = layer_symbols()
    assert sp.expand(d_bj - claimed.xreplace({s["w_{j+1}"]: s["w_j"]})) != 0


def test_ratio_b1_b3_is_the_product_and_one_sixteenth_is_attained():
    r = ratio_b1_b3()
    net = chain_network(4)
    assert sp.expand(r["ratio"] - sigma_prime(net.z[0]) * net.w[1] * sigma_prime(net.z[1]) * net.w[2]) == 0
    assert r["value_at_extremum"] == sp.Rational(1, 16)


def test_exploding_construction_grows_by_25_per_layer():
    e = exploding(4, 100)
    assert e["zs"] == [0, 0, 0, 0]
    assert e["ratios"] == [25, 25, 25] and e["factor"] == 25
    assert exploding(3, 8)["ratios"] == [2, 2]


def test_probability_of_a_small_weight_is_erf():
    """P(|w| < c) for w ~ N(0, 1) is erf(c/sqrt 2): exact, and against mpmath's normal CDF."""
    for c in (1, 2, sp.Rational(1, 2)):
        d = weight_below_one(c)
        assert d["gap"] == 0
        mpmath.mp.dps = 30
        cdf = mpmath.ncdf(mpmath.mpf(c)) - mpmath.ncdf(-mpmath.mpf(c))
        assert mpmath.almosteq(sp.N(d["closed_form"], 30), cdf, rel_eps=mpmath.mpf(10) ** -25)


# -- the matrix form -------------------------------------------------------------------------
@pytest.mark.parametrize("widths", [[2, 3, 2], [3, 2, 2, 3], [1, 1, 1, 1]])
def test_eq124_equals_bp2_and_implicit_differentiation(widths):
    """delta^l = Sigma'(z^l)(w^{l+1})^T ... Sigma'(z^L) grad_a C (124) = BP1/BP2 = dC/db^l by implicit
    differentiation."""
    net = layered_network(widths)
    bp, implicit = deltas_bp(net), deltas_implicit(net)
    for l in range(1, net.L + 1):
        assert sp.expand(delta_eq124(net, l) - bp[l - 1]) == sp.zeros(widths[l], 1)
        assert sp.expand(bp[l - 1] - implicit[l - 1]) == sp.zeros(widths[l], 1)


@pytest.mark.parametrize("shape", [(2, 3, 2), (1, 2, 3), (3, 1, 2)])
def test_bp_steps_are_identities_for_unequal_widths(shape):
    """BP1 base, BP2 step (with the layers above abstract), BP3 and BP4 for widths that differ."""
    n_prev, n, n_next = shape
    for direct, claimed in (bp1_base(n_prev, n), bp2_step(n_prev, n, n_next), bp3_bias(n_prev, n),
                            bp4_weight(n_prev, n)):
        assert sp.expand(direct - claimed) == sp.zeros(*direct.shape)


# -- bounds: |w| >= 4 and eq. 123 --------------------------------------------------------------
def test_threshold_is_four():
    peak, region = bounds.threshold()
    assert sp.simplify(peak - bounds.W / 4) == 0 and region == sp.Interval(4, sp.oo)


@given(st.floats(4.001, 500))
@example(6.894151032272928)
def test_eq123_in_w_and_in_r_and_numeric_agree(abs_w):
    """(2/|w|) ln(|w|(1 + sqrt(1 - 4/|w|))/2 - 1) = (1 - r^2) artanh r, r = sqrt(1 - 4/|w|), = experiments.width."""
    book = lambdify_exact([bounds.W], bounds.book_width(), module="mpmath")
    in_r = lambdify_exact([bounds.r], bounds.width_in_r(), module="mpmath")
    mpmath.mp.dps = 40
    W = mpmath.mpf(abs_w)
    expected = numeric_width.width(abs_w, dps=40)
    assert mpmath.almosteq(book(W), expected, rel_eps=mpmath.mpf(10) ** -30)
    assert mpmath.almosteq(in_r(mpmath.sqrt(1 - 4 / W)), expected, rel_eps=mpmath.mpf(10) ** -30)


def test_certified_maximum_is_a_root_of_the_derived_slope():
    """numeric.experiments.width's maximiser is where theory's d width/dr vanishes, and d^2 width/dr^2 < 0 there;
    the maximum equals theory's eq. 123 at |w|* (ties the certificate to the derived formula)."""
    d1, d2 = bounds.width_derivatives()
    m = numeric_width.maximum(dps=50)
    mpmath.mp.dps = 50
    slope = lambdify_exact([bounds.r], d1, module="mpmath")(m["r"])
    assert abs(slope) < mpmath.mpf(10) ** -40
    assert lambdify_exact([bounds.r], d2, module="mpmath")(m["r"]) < 0
    book = lambdify_exact([bounds.W], bounds.book_width(), module="mpmath")
    assert mpmath.almosteq(book(m["abs_w"]), m["width"], rel_eps=mpmath.mpf(10) ** -40)
    assert mpmath.almosteq(numeric_width.slope(m["r"]), slope, abs_eps=mpmath.mpf(10) ** -40)
    assert mpmath.nstr(m["abs_w"], 4) == "6.894" and mpmath.nstr(m["width"], 4) == "0.4477"


@given(st.floats(4.5, 60), st.floats(-3, 3))
def test_interval_ends_are_where_the_factor_is_one(abs_w, b):
    """At the ends of interval(w, b) the factor |w sigma'(wa + b)| is exactly 1, and inside it is above 1."""
    lo, hi = numeric_width.interval(abs_w, b, dps=40)
    mpmath.mp.dps = 40
    f = lambda a: abs_w * mpmath.exp(-abs(abs_w * a + b)) / (1 + mpmath.exp(-abs(abs_w * a + b))) ** 2  # noqa: E731
    assert mpmath.almosteq(f(lo), 1, rel_eps=mpmath.mpf(10) ** -25)
    assert mpmath.almosteq(f(hi), 1, rel_eps=mpmath.mpf(10) ** -25)
    assert f((lo + hi) / 2) > 1


# -- the identity neuron: the expansion and both sides of its bounds ---------------------------
def test_identity_neuron_expansion():
    """(4/w_1) sigma(w_1 Delta) = 2/w_1 + Delta - w_1^2 Delta^3/12 + O(w_1^4): x + (2/w_1 - 1/2) + error."""
    c = identity_choice()
    assert c["pre_activation"] == w1 * Delta
    assert c["constant"] == 2 / w1 and c["linear"] == 1
    assert sp.expand(c["error_leading"] + w1**2 * Delta**3 / 12) == 0
    assert sp.simplify(c["offset_from_x"] - (2 / w1 - sp.Rational(1, 2))) == 0


def test_identity_neuron_error_bound_is_approached_as_w1_shrinks():
    """The bound w_1^2 |x - 1/2|^3 / 12 is tight: error/bound -> 1 as w_1 -> 0, and the uniform
    bound w_1^2/96 is reached at x = 0 and 1 (so a loosened bound fails, not only a broken one)."""
    for res in numeric_width.identity_errors([1e-2, 1e-3], points=21, dps=50):
        assert 0.99 <= res["max_error_over_bound"] <= 1
        assert 0.99 * res["uniform_bound"] <= res["max_error"] <= res["uniform_bound"]


def test_tanh_bound_is_tight_at_small_u():
    """|sigma(u) - 1/2 - u/4| <= |u|^3/48, with ratio -> 1 as u -> 0."""
    f = tanh_bound_facts()
    assert f["f(0)"] == 0 and f["g(0)"] == 0
    assert f["f' - (v^2 - tanh^2)"] == 0 and f["g' - tanh^2"] == 0
    assert sp.simplify(f["sigma - (1 + tanh(u/2))/2"]) == 0
    bound = lambdify_exact([u], f["bound at u"], module="mpmath")
    mpmath.mp.dps = 40
    err = lambda uu: abs(1 / (1 + mpmath.exp(-uu)) - mpmath.mpf(1) / 2 - uu / 4)  # noqa: E731
    for uu in (mpmath.mpf("1e-3"), mpmath.mpf("0.5"), mpmath.mpf(2)):
        assert err(uu) <= bound(uu)
    small = mpmath.mpf("1e-3")
    assert mpmath.almosteq(err(small) / bound(small), 1, rel_eps=1e-5)


# -- activations ------------------------------------------------------------------------------
def test_sup_of_activation_derivatives():
    """sup |phi'|: sigmoid 1/4, tanh 1, sigma(kz) k/4, softplus 1 (not attained), ReLU 1; each against sampling."""
    expected = {"sigmoid": sp.Rational(1, 4), "tanh": 1, "scaled sigmoid sigma(kz)": k / 4, "softplus": 1, "relu": 1}
    acts = activations()
    for name, value in expected.items():
        sup = sup_derivative(acts[name])
        assert sp.simplify(sup["sup"] - value) == 0, name
        if name != "relu":
            d = lambdify_exact([z], sup["derivative"].subs(k, 3), module="mpmath")
            sampled = max(d(mpmath.mpf(t) / 10) for t in range(-400, 401))
            assert sampled <= float(value.subs(k, 3) if hasattr(value, "subs") else value) + 1e-12
            assert sampled >= 0.9 * float(value.subs(k, 3) if hasattr(value, "subs") else value)


def test_numeric_sigma_prime_is_the_exact_one():
    """numeric.functions.sigmoid_prime against theory's e^{-z}/(1 + e^{-z})^2 lambdified, both tails."""
    from theory.notation import sigmoid_prime as exact_prime

    zz = sp.Symbol("z", real=True)
    f = lambdify_exact([zz], exact_prime(zz), module="mpmath")
    mpmath.mp.dps = 40
    for v in (-700.0, -40.0, -1.5, 0.0, 0.3, 37.0, 700.0):
        assert sigmoid_prime(np.array([v]))[0] == pytest.approx(float(f(mpmath.mpf(v))), rel=1e-13)
