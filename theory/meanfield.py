"""Exact mean-field facts (SymPy): the Gaussian expectations that have closed forms.

For z ~ N(0, 1) and weights N(0, sigma_w^2 / n_in), biases N(0, sigma_b^2):

* ReLU: E[relu(sqrt(q) z)^2] = q/2 and E[relu'(sqrt(q) z)^2] = 1/2, so q* = sigma_b^2 / (1 - sigma_w^2/2)
  (for sigma_w^2 < 2) and chi_1 = sigma_w^2 / 2: the edge of chaos is sigma_w = sqrt(2) (He et al. 2015).
* Sigmoid: sigma' <= 1/4 (claim sigmoid-prime-max), so E[sigma'(sqrt(q) z)^2] <= 1/16 and
  chi_1 <= sigma_w^2 / 16: the gradient can only stop vanishing (chi_1 >= 1) when sigma_w >= 4, the
  mean-field counterpart of the chapter's |w| >= 4.
"""

from __future__ import annotations

import sympy as sp

__all__ = ["z", "q", "sigma_w", "sigma_b", "density", "expectation", "relu_facts", "sigmoid_chi_bound"]

z = sp.Symbol("z", real=True)
q = sp.Symbol("q", positive=True)
sigma_w = sp.Symbol(r"\sigma_w", positive=True)
sigma_b = sp.Symbol(r"\sigma_b", nonnegative=True)
density = sp.exp(-z**2 / 2) / sp.sqrt(2 * sp.pi)


def expectation(f, lower=-sp.oo, upper=sp.oo):
    """Returns the exact integral of f(z) times the standard normal density over [lower, upper]."""
    return sp.integrate(f * density, (z, lower, upper))


def relu_facts() -> dict:
    """Returns SymPy's E[relu(sqrt(q) z)^2], E[relu'^2], the fixed point q*, chi_1 and the critical sigma_w.

    relu(x) = x for x > 0 and 0 otherwise, so each expectation is an integral over z > 0.
    """
    second_moment = sp.simplify(expectation((sp.sqrt(q) * z) ** 2, 0, sp.oo))
    slope_moment = sp.simplify(expectation(sp.Integer(1), 0, sp.oo))
    qs = sp.Symbol("q^*", positive=True)
    fixed = sp.solve(sp.Eq(qs, sigma_w**2 * second_moment.subs(q, qs) + sigma_b**2), qs)
    chi = sigma_w**2 * slope_moment
    critical = sp.solve(sp.Eq(chi, 1), sigma_w)
    return {"second_moment": second_moment, "slope_moment": slope_moment, "q_star": fixed, "chi_1": chi,
            "critical_sigma_w": critical, "total_probability": sp.simplify(expectation(sp.Integer(1)))}


def sigmoid_chi_bound() -> dict:
    """Returns the bound chi_1 <= sigma_w^2/16 for the sigmoid and the sigma_w it forces for chi_1 >= 1.

    E[sigma'(sqrt(q) z)^2] <= (1/4)^2 E[1] = 1/16 because 0 < sigma' <= 1/4 and the density integrates to 1.
    """
    peak = sp.Rational(1, 4)
    bound = sigma_w**2 * peak**2 * expectation(sp.Integer(1))
    needed = sp.solve_univariate_inequality(bound >= 1, sigma_w, relational=False).intersect(sp.Interval.open(0, sp.oo))
    return {"bound": sp.simplify(bound), "chi_at_least_1_needs": needed}
