"""Eq. 123 and the chapter's bounds against mpmath root finding and interval arithmetic."""

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import example, given
from hypothesis import strategies as st

from numeric.experiments import width as W
from numeric.functions import sigmoid_prime
from theory import bounds
from theory.identity_neuron import identity_choice


def boundary_width(w, b):
    """The width of {a : |w sigma'(wa + b)| >= 1}, from its two boundary points found by mpmath."""
    w, b = mpmath.mpf(w), mpmath.mpf(b)
    f = lambda a: abs(w) * mpmath.exp(-abs(w * a + b)) / (1 + mpmath.exp(-abs(w * a + b))) ** 2 - 1  # noqa: E731
    centre = -b / w
    far = 20 / abs(w)
    lo = mpmath.findroot(f, (centre - far, centre), solver="illinois", tol=mpmath.mpf(10) ** -70, verify=False)
    hi = mpmath.findroot(f, (centre, centre + far), solver="illinois", tol=mpmath.mpf(10) ** -70, verify=False)
    return hi - lo


@given(st.floats(4.01, 1000), st.floats(-5, 5), st.booleans())
@example(6.894, 0.0, False)
@example(4.01, 1.0, True)
def test_width_formula_equals_root_finding(abs_w, b, negative):
    """(2/|w|) ln(|w|(1 + sqrt(1 - 4/|w|))/2 - 1) (123) is the distance between the boundary roots, to 1e-25."""
    mpmath.mp.dps = 40
    w = -abs_w if negative else abs_w
    assert mpmath.almosteq(W.width(w, dps=40), boundary_width(w, b), rel_eps=mpmath.mpf(10) ** -25)
    lo, hi = W.interval(w, b, dps=40)
    assert mpmath.almosteq(hi - lo, W.width(w, dps=40), rel_eps=mpmath.mpf(10) ** -30)


@given(st.floats(0.001, 3.999), st.floats(-5, 5))
def test_no_input_reaches_one_below_four(abs_w, b):
    """For |w| < 4 the set is empty: the peak |w| sigma'(0) = |w|/4 is below 1, and interval() says so."""
    assert W.interval(abs_w, b) is None
    peak, region = bounds.threshold()
    assert float(peak.subs(bounds.W, abs_w)) < 1 and not region.contains(abs_w)
    a = np.linspace(-20, 20, 4001)
    assert np.max(abs_w * sigmoid_prime(abs_w * a + b)) < 1  # the network's sigma' agrees
    with pytest.raises(ValueError, match="< 4"):
        W.width(abs_w)


def test_certified_enclosure_contains_the_high_precision_root():
    c = W.certify(dps=50)
    assert c["certified"]
    fine = W.maximum(dps=120)
    assert c["r_enclosure"].a <= fine["r"] <= c["r_enclosure"].b
    assert c["abs_w_enclosure"].a <= fine["abs_w"] <= c["abs_w_enclosure"].b
    assert c["width_enclosure"].a <= fine["width"] <= c["width_enclosure"].b
    mpmath.mp.dps = 30
    assert mpmath.almosteq(fine["abs_w"], 6.894, rel_eps=1e-3) and mpmath.almosteq(fine["width"], 0.4477, rel_eps=1e-3)


def test_an_enclosure_on_the_wrong_side_is_not_certified():
    """Shifting the bracket off the root makes the interval check fail (the certificate can fail)."""
    c = W.certify(dps=30, radius_digits=3)
    assert c["certified"]
    from numeric.experiments import width as module
    real = module.maximum
    try:
        module.maximum = lambda dps: {**real(dps=dps), "r": real(dps=dps)["r"] + mpmath.mpf("0.01")}
        assert not module.certify(dps=30, radius_digits=5)["certified"]
    finally:
        module.maximum = real


@given(st.floats(1e-4, 0.5))
def test_identity_neuron_error_within_its_bound(w1):
    """|(4/w_1) sigma(w_1 x - w_1/2) - x - (2/w_1 - 1/2)| <= w_1^2 |x - 1/2|^3 / 12 on [0, 1]."""
    (res,) = W.identity_errors([w1], points=41, dps=50)
    assert res["max_error_over_bound"] <= 1
    assert res["max_error"] <= res["uniform_bound"]


def test_identity_neuron_needs_the_constant():
    """Without the constant 2/w_1 - 1/2 the output is far from x: the next layer's bias must absorb it."""
    c = identity_choice()
    assert c["constant"] == 2 / sp.Symbol("w_1", positive=True)


def test_a_wrong_width_formula_is_refuted(monkeypatch):
    """Planting 1/|w| for 2/|w| in (123) makes the SymPy identities fail."""
    _, facts = bounds.width_derivation()
    assert all(facts.values())  # the real formula passes every identity
    monkeypatch.setattr(bounds, "book_width",
                        lambda Wexpr=bounds.W: 1 / Wexpr * sp.log(Wexpr * (1 + sp.sqrt(1 - 4 / Wexpr)) / 2 - 1))
    _, facts = bounds.width_derivation()
    assert not facts["(123) equals (1 - r^2) artanh(r)"]


@pytest.mark.parametrize("dps,err", [(10, ValueError), (20000, ValueError), (50.5, TypeError)])
def test_bad_precision_is_refused(dps, err):
    with pytest.raises(err, match="dps"):
        W.maximum(dps=dps)


@pytest.mark.parametrize("w", [float("nan"), float("inf")])
def test_non_finite_weight_is_refused(w):
    with pytest.raises(ValueError):
        W.width(w)
