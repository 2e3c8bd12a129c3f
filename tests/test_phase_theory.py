"""The correlation map and the depth scales: SymPy (theory.correlation), mpmath and float64 (experiments.correlation),
and both against direct simulation of wide random networks."""

import mpmath
import numpy as np
import pytest
import sympy as sp

from numeric.experiments import correlation as C
from numeric.experiments import meanfield as mf
from theory import correlation as T

SB2 = 0.05


def test_price_identity_holds_for_every_cubic_and_fails_with_a_wrong_pair(monkeypatch):
    """d/dc E[phi(u_1) phi(u_2)] = q E[phi'(u_1) phi'(u_2)] and the slope at c = 1 is chi_1 (exact)."""
    p = T.price_identity()
    assert p["difference"] == 0 and p["slope_minus_chi_1_at_one"] == 0
    assert p["lhs"] != 0  # not vacuous: the cubic's coefficients survive
    # the wrong bivariate correlation (sqrt(1 - c) for sqrt(1 - c^2)) breaks the identity
    wrong = lambda qv=T.q, cv=T.c: (sp.sqrt(qv) * T.z1, sp.sqrt(qv) * (cv * T.z1 + sp.sqrt(1 - cv) * T.z2))  # noqa: E731
    monkeypatch.setattr(T, "pair", wrong)
    assert T.price_identity()["difference"] != 0


def test_gaussian_moments_and_the_pair_have_the_stated_covariance():
    u1, u2 = T.pair()
    assert T.expect(u1 * u1) == T.q and sp.simplify(T.expect(u2 * u2) - T.q) == 0 and T.expect(u1 * u2) == T.q * T.c
    assert [T.gaussian_moment(k) for k in range(7)] == [1, 0, 1, 0, 3, 0, 15]


def test_fixed_point_depth_scales_and_edge_are_exact():
    one = T.fixed_point_at_one()
    assert one["u2_equals_u1_at_c_1"] and one["at_q_star"] == 1
    d = T.depth_scales()
    assert d["edge_limit"] == sp.oo and d["decay_identity"] == 0 and d["rms_identity"] == 0
    e = T.critical_condition()
    assert e["sigma_w2"] == 1 / e["B"] and sp.simplify(e["q"] - e["A"] / e["B"] - T.sigma_b**2) == 0


def test_float_pair_expectation_has_the_right_correlation():
    """E[u_a u_b] = c sqrt(q_a q_b) and E[u_a^2 u_b^2] = q_a q_b (1 + 2 c^2) exactly for Gaussians."""
    qa, qb, c = 0.7, 1.9, np.array([-0.6, 0.0, 0.3, 0.95])
    assert np.allclose(C._pair(lambda x: x, qa, qb, c), c * np.sqrt(qa * qb), rtol=1e-12, atol=1e-14)
    assert np.allclose(C._pair(lambda x: x**2, qa, qb, c), qa * qb * (1 + 2 * c**2), rtol=1e-12)


def test_mpmath_pair_expectation_agrees_with_the_float_route_and_is_exact_at_c_1():
    with mpmath.workdps(25):
        for q, c in ((0.4, 0.2), (1.43, 0.7), (2.2, -0.3)):
            e = C.pair_expectation("tanh", q, c, dps=15)
            assert abs(float(e) - float(C._pair(np.tanh, q, q, c))) < 1e-13
        q = mpmath.mpf("1.3")
        at_one = C.pair_expectation("tanh", q, 1, dps=20)
        assert abs(at_one - mf.gaussian_expectation(lambda x: mpmath.tanh(x) ** 2, q)) < mpmath.mpf(10) ** -18
        sig = C.pair_expectation("sigmoid", q, mpmath.mpf("0.4"), derivative=True, dps=15)
        assert abs(float(sig) - float(C._pair(mf.ACTIVATIONS["sigmoid"].prime, 1.3, 1.3, 0.4))) < 1e-13
    with pytest.raises(ValueError, match="analytic"):
        C.pair_expectation("relu", 1, 0.5)
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        C.pair_expectation("tanh", 1, 1.5)


def test_critical_point_of_tanh_is_schoenholz_et_al_s_edge():
    r = C.critical_sigma_w2("tanh", "0.05", dps=25)
    assert mpmath.nstr(r["sigma_w2"], 3) == "1.76" and r["residual"] < mpmath.mpf(10) ** -20
    assert abs(float(r["sigma_w2"]) - mf.critical_sigma_w("tanh", SB2**0.5, bracket=(0.5, 4)) ** 2) < 1e-10
    with pytest.raises(ValueError, match="analytic"):
        C.critical_sigma_w2("relu", 0.05)


def test_depth_scales_routes_agree_and_phases_are_right():
    curve = C.depth_scales_curve("tanh", [1.0, 1.5, 2.5, 4.0], SB2)
    assert np.all(curve["c_star"][:2] == 1) and np.allclose(curve["xi_c"][:2], curve["xi_grad"][:2])
    assert np.all(curve["c_star"][2:] < 1) and np.all(curve["xi_grad"][2:] < 0) and np.all(curve["xi_c"] > 0)
    with mpmath.workdps(20):
        hi = C.depth_scales("tanh", mpmath.sqrt(mpmath.mpf("2.5")), mpmath.sqrt(mpmath.mpf("0.05")), dps=15)
    for k in ("q_star", "chi_1", "c_star", "chi_c", "xi_c", "xi_grad"):
        assert abs(float(hi[k]) / curve[k][2] - 1) < 1e-9, k


def test_chi_c_is_the_slope_of_the_map_at_its_fixed_point():
    """chi_c = sigma_w^2 E[phi'(u_1) phi'(u_2)] against a centred difference of the float map (chaotic c*)."""
    s2 = 3.0
    d = C.depth_scales_curve("tanh", [s2], SB2)
    q, cs = d["q_star"][0], d["c_star"][0]
    cmap = lambda c: (s2 * C._pair(np.tanh, q, q, c) + SB2) / q  # noqa: E731
    assert abs(cmap(cs) - cs) < 1e-12
    slope = (cmap(cs + 1e-5) - cmap(cs - 1e-5)) / 2e-5
    assert abs(slope / d["chi_c"][0] - 1) < 1e-7


def _wide_layer(q, c, sigma_w2, n, rng):
    """One layer of a wide random tanh network on an input pair of variance q and correlation c: returns the
    measured correlation of the next pre-activations."""
    z1, z2 = rng.standard_normal((2, n))
    ua, ub = np.sqrt(q) * z1, np.sqrt(q) * (c * z1 + np.sqrt(1 - c * c) * z2)
    w = rng.standard_normal((n, n)) * np.sqrt(sigma_w2 / n)
    b = rng.standard_normal(n) * np.sqrt(SB2)
    ha, hb = w @ np.tanh(ua) + b, w @ np.tanh(ub) + b
    return ha @ hb / (np.linalg.norm(ha) * np.linalg.norm(hb))


def test_fixed_point_and_slope_against_wide_random_networks():
    """A width-2000 random tanh network: the deep correlation of two inputs sits at c*; one wide layer's map at
    c* +- 0.15 has the predicted slope chi_c (Monte Carlo over neurons, both within a few standard errors)."""
    s2 = 3.0
    d = C.depth_scales_curve("tanh", [s2], SB2)
    q, cs, chic = d["q_star"][0], d["c_star"][0], d["chi_c"][0]
    rng = np.random.default_rng(np.random.SeedSequence(7))
    n, depth = 2000, 40
    h = rng.standard_normal((2, n))
    h[1] = 0.9 * h[0] + np.sqrt(1 - 0.81) * h[1]
    h *= np.sqrt(q)
    deep = []
    for l in range(depth):
        w = rng.standard_normal((n, n)) * np.sqrt(s2 / n)
        h = np.tanh(h) @ w.T + rng.standard_normal(n) * np.sqrt(SB2)
        if l >= depth - 10:
            deep.append(h[0] @ h[1] / np.linalg.norm(h, axis=1).prod())
    assert abs(np.mean(deep) - cs) < 0.03, (np.mean(deep), cs)
    up = np.mean([_wide_layer(q, cs + 0.15, s2, n, rng) for _ in range(3)])
    down = np.mean([_wide_layer(q, cs - 0.15, s2, n, rng) for _ in range(3)])
    assert abs((up - down) / 0.3 / chic - 1) < 0.15, ((up - down) / 0.3, chic)
    # the ordered phase: c* = 1 and a correlation moves towards it at rate chi_1
    o = C.depth_scales_curve("tanh", [1.0], SB2)
    gap = 1 - _wide_layer(o["q_star"][0], 0.99, 1.0, n, rng)
    assert abs(gap / 0.01 / o["chi_c"][0] - 1) < 0.15
