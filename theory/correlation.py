"""Exact facts of the correlation map and the depth scales (SymPy), Poole et al. 2016; Schoenholz et al. 2017.

Two inputs whose pre-activations have variance q and correlation c are, in the wide limit, the Gaussian pair

    u_1 = sqrt(q) z_1,   u_2 = sqrt(q) (c z_1 + sqrt(1 - c^2) z_2),      z_1, z_2 ~ N(0, 1) independent,

and at the fixed point q* of the length map their correlation moves from layer to layer by

    c  ->  (sigma_w^2 E[phi(u_1) phi(u_2)] + sigma_b^2) / q*                 (Schoenholz et al., eq. 4).

What SymPy derives here, for any phi (an undefined function) or for every cubic phi (symbolic coefficients):
* c = 1 is a fixed point of the map whenever q* is one of the length map (the two equations are one at c = 1);
* the slope d/dc of the map is sigma_w^2 E[phi'(u_1) phi'(u_2)] (Price's theorem, Gaussian integration by parts:
  d/dc E[f(u_1) g(u_2)] = q E[f'(u_1) g'(u_2)]), proved exactly for cubic phi by the Gaussian moments; at c = 1
  it is chi_1 = sigma_w^2 E[phi'(sqrt(q*) z)^2], so chi_c = chi_1 in the ordered phase (c* = 1);
* the depth scales xi_c = -1/ln chi_c, xi_grad = -1/ln chi_1 (chi^l = exp(-l/xi)), both infinite as chi -> 1
  (the edge of chaos), and the per-example RMS of delta^l falls as chi_1^((L-l)/2) = exp(-(L-l)/(2 xi_grad));
* the edge: sigma_w^2 E[phi'^2] = 1 and q = sigma_w^2 E[phi^2] + sigma_b^2 give sigma_w^2 = 1/E[phi'^2] and the
  one equation q = E[phi^2]/E[phi'^2] + sigma_b^2 for the critical q (numeric.experiments.correlation solves it).
"""

from __future__ import annotations

import sympy as sp

from .meanfield import sigma_b, sigma_w

__all__ = ["c", "q", "z1", "z2", "phi", "pair", "gaussian_moment", "expect", "price_identity",
           "fixed_point_at_one", "depth_scales", "critical_condition", "cubic"]

c = sp.Symbol("c", real=True)
q = sp.Symbol("q^*", positive=True)
z1, z2 = sp.symbols("z_1 z_2", real=True)
phi = sp.Function(r"\phi")
_l, _chi = sp.Symbol("l", nonnegative=True), sp.Symbol(r"\chi", positive=True)


def pair(qv=q, cv=c) -> tuple:
    """Returns (u_1, u_2) = (sqrt(q) z_1, sqrt(q)(c z_1 + sqrt(1 - c^2) z_2)): variance q each, correlation c."""
    return sp.sqrt(qv) * z1, sp.sqrt(qv) * (cv * z1 + sp.sqrt(1 - cv**2) * z2)


def gaussian_moment(k: int):
    """Returns E[z^k] for z ~ N(0, 1): (k - 1)!! for even k, 0 for odd k."""
    return sp.Integer(0) if k % 2 else sp.factorial2(k - 1)


def expect(expr):
    """Returns E[expr] over independent z_1, z_2 ~ N(0, 1) for a polynomial in z_1, z_2 (exact, by moments)."""
    poly = sp.Poly(sp.expand(expr), z1, z2)
    return sp.expand(sum(coef * gaussian_moment(i) * gaussian_moment(j) for (i, j), coef in poly.terms()))


def cubic(x, name: str = "a"):
    """Returns a_0 + a_1 x + a_2 x^2 + a_3 x^3 with symbolic coefficients: every cubic activation at once."""
    a = sp.symbols(f"{name}_0:4", real=True)
    return sum(ak * x**k for k, ak in enumerate(a))


def price_identity(make=cubic) -> dict:
    """Returns {"lhs": d/dc E[phi(u_1) phi(u_2)], "rhs": q E[phi'(u_1) phi'(u_2)], "difference": lhs - rhs
    (0 exactly), "slope_at_one": the map's slope at c = 1, "chi_1": sigma_w^2 E[phi'(sqrt(q) z)^2]} for
    phi = make(x) (a cubic with symbolic coefficients by default), so chi_c = sigma_w^2 E[phi'(u_1) phi'(u_2)]
    and chi_c(c = 1) = chi_1.
    """
    x = sp.Symbol("x", real=True)
    f = make(x)
    fp = sp.diff(f, x)
    u1, u2 = pair()
    mean = expect(f.subs(x, u1) * f.subs(x, u2))
    lhs = sp.expand(sp.diff(mean, c))
    rhs = expect(q * fp.subs(x, u1) * fp.subs(x, u2))
    slope = sp.expand(sigma_w**2 * lhs / q)
    chi_1 = sp.expand(sigma_w**2 * expect(fp.subs(x, sp.sqrt(q) * z1) ** 2))
    return {"lhs": lhs, "rhs": rhs, "difference": sp.expand(lhs - rhs), "slope_at_one": slope.subs(c, 1),
            "chi_1": chi_1, "slope_minus_chi_1_at_one": sp.expand(slope.subs(c, 1) - chi_1)}


def fixed_point_at_one() -> dict:
    """Returns the correlation map at c = 1 for an abstract phi, and what it becomes at q* of the length map (1).

    At c = 1, u_2 = u_1 exactly; with E := E[phi(sqrt(q*) z)^2], q* = sigma_w^2 E + sigma_b^2 gives
    (sigma_w^2 E + sigma_b^2)/q* = 1.
    """
    u1, u2 = pair()
    same = sp.simplify(u2.subs(c, 1) - u1) == 0
    E = sp.Symbol(r"\mathbb{E}[\phi(u)^2]", positive=True)
    at_one = (sigma_w**2 * E + sigma_b**2) / q
    fixed = sp.solve(sp.Eq(q, sigma_w**2 * E + sigma_b**2), E)[0]
    return {"u2_equals_u1_at_c_1": same, "map_at_one": at_one, "at_q_star": sp.simplify(at_one.subs(E, fixed))}


def depth_scales() -> dict:
    """Returns xi(chi) = -1/ln chi, its limit at the edge chi -> 1^-, chi^l - exp(-l/xi) (0), and the RMS ratio
    of delta^l to delta^L, chi_1^((L - l)/2), written as exp(-(L - l)/(2 xi_grad))."""
    xi = -1 / sp.log(_chi)
    L = sp.Symbol("L", positive=True)
    rms = _chi ** ((L - _l) / 2)
    return {"xi": xi, "edge_limit": sp.limit(xi, _chi, 1, "-"),
            "decay_identity": sp.simplify(sp.powsimp(sp.exp(-_l / xi)) - _chi**_l),
            "rms_identity": sp.simplify(sp.exp(-(L - _l) / (2 * xi)) - rms), "chi": _chi, "l": _l}


def critical_condition() -> dict:
    """Returns the edge of chaos for an abstract phi: from chi_1 = sigma_w^2 B = 1 and q = sigma_w^2 A + sigma_b^2
    (A = E[phi(sqrt(q) z)^2], B = E[phi'(sqrt(q) z)^2]): sigma_w^2 = 1/B and q = A/B + sigma_b^2."""
    A, B, s2 = sp.symbols("A B s2", positive=True)
    sol = sp.solve([sp.Eq(s2 * B, 1), sp.Eq(q, s2 * A + sigma_b**2)], [s2, q], dict=True)[0]
    return {"sigma_w2": sol[s2], "q": sol[q], "A": A, "B": B}
