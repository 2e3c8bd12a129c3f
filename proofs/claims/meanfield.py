"""Beyond the chapter: mean-field theory predicts the per-layer ratio of gradient norms.

The chapter measures that each hidden layer's gradient is about 5 times smaller than the next one's
at initialisation (its norms give ratios 0.17-0.25). Mean-field theory (Poole et al. 2016; Schoenholz
et al. 2017) predicts that ratio from the initialisation alone: sqrt(chi_1), chi_1 = sigma_w^2
E[sigma'(sqrt(q*) z)^2] at the fixed point q* of the variance map. These claims compute it and put it
beside measurements at widths 30 to 1000 (``claims_meanfield_width``, with its protocol and criteria).
"""

from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp

from numeric.experiments import meanfield as mf
from numeric.figures.experiments import chi1_figure
from theory import to_latex
from theory.meanfield import relu_facts, sigma_w, sigmoid_chi_bound

from ..claim import Claim, Evidence, Fact, display, exact_number
from ..experiment_records import BOOK_RATIOS
from ..figures import save
from ..latex_text import truncate


def check_fixed_point(ctx) -> Evidence:
    dps = min(ctx.run.dps, 40)
    with mpmath.workdps(dps + 10):
        p = mf.predict("sigmoid", 1, 1, dps=dps)
        residual = abs(mf.q_map("sigmoid", p["q_star"], 1, 1) - p["q_star"])
        relu = mf.predict("relu", 1, 1, dps=20)
    exact = relu_facts()
    facts = [
        Fact(f"q* = sigma_w^2 E[sigma(sqrt(q*) z)^2] + sigma_b^2 holds to {dps - 5} digits (sigma_w = sigma_b = 1, "
             "network2's initialisation)", residual < mpmath.mpf(10) ** (5 - dps),
             f"mpmath.quad at {dps + 10} digits; iteration then findroot", mpmath.nstr(residual, 3)),
        Fact("chi_1 < 1: the gradient shrinks by sqrt(chi_1) per layer, the vanishing gradient problem",
             p["chi_1"] < 1, "mpmath.quad", mpmath.nstr(p["chi_1"], 12)),
        Fact(f"sqrt(chi_1) = {mpmath.nstr(p['ratio'], 5)} lies in the chapter's range of successive-layer ratios "
             f"{BOOK_RATIOS[0]}-{BOOK_RATIOS[1]} at initialisation", BOOK_RATIOS[0] <= p["ratio"] <= BOOK_RATIOS[1],
             "successive ratios of the book's nine norms at initialisation"),
        Fact("the quadrature reproduces ReLU's exact values (SymPy: E[relu(sqrt(q) z)^2] = q/2, so q* = 2 and "
             "chi_1 = 1/2 at sigma_w = sigma_b = 1)",
             exact["second_moment"] == sp.Symbol("q", positive=True) / 2 and exact["chi_1"] == sigma_w**2 / 2
             and abs(relu["q_star"] - 2) < 1e-15 and abs(relu["chi_1"] - mpmath.mpf(1) / 2) < 1e-15,
             "sympy.integrate against mpmath.quad", {"q_star": mpmath.nstr(relu["q_star"], 15)}),
    ]
    q_tex, chi_tex = (truncate(p[k], 12) for k in ("q_star", "chi_1"))  # digits before "..." are truncated
    latex = display(r"q^* = \sigma_w^2\,\mathbb{E}\bigl[\sigma(\sqrt{q^*}\,z)^2\bigr] + \sigma_b^2 = " + q_tex + r"\ldots,",
                    r"\chi_1 = \sigma_w^2\,\mathbb{E}\bigl[\sigma'(\sqrt{q^*}\,z)^2\bigr] = " + chi_tex + r"\ldots,",
                    rf"\sqrt{{\chi_1}} = {truncate(p['ratio'], 12)}\ldots \quad (\sigma_w = \sigma_b = 1)")
    digits = min(dps - 5, 30)
    return Evidence("verified", facts, latex=latex,
                    headline=f"q* = {mpmath.nstr(p['q_star'], digits)}  chi_1 = {mpmath.nstr(p['chi_1'], digits)}  "
                             f"sqrt(chi_1) = {mpmath.nstr(p['ratio'], digits)}",
                    numbers={"q_star": exact_number(p["q_star"], digits), "chi_1": exact_number(p["chi_1"], digits),
                             "ratio": exact_number(p["ratio"], digits), "sigma_w": 1, "sigma_b": 1,
                             "book_vs_run": [{"quantity": "||delta^l|| / ||delta^{l+1}|| at initialisation",
                                              "book": f"{BOOK_RATIOS[0]}-{BOOK_RATIOS[1]} (from its norms)",
                                              "run": f"sqrt(chi_1) = {mpmath.nstr(p['ratio'], 6)} (mean field)",
                                              "caveat": "a prediction for infinitely wide layers, per example"}]})


def _q_star(activation: str, sigma_w, dps: int):
    """Returns q* (sigma_b = 1) by mpmath's quadrature and root finder, started from the float64 curve's fixed
    point: the root is the mpmath map's own (the start only spares the cheap iterations at 15 digits)."""
    q0 = float(mf.chi_1_curve(activation, [float(sigma_w)], 1.0)[0][0])
    return mf.q_fixed_point(activation, sigma_w, 1, dps=dps, q0=q0)


def check_chi1_curves(ctx) -> Evidence:
    bound = sigmoid_chi_bound()
    relu = relu_facts()
    crit = {"sigmoid": mpmath.mpf(mf.critical_sigma_w("sigmoid", 1, bracket=(4, 14))),
            "tanh": mpmath.mpf(mf.critical_sigma_w("tanh", 1, bracket=(1, 4)))}
    at_crit = {k: mf.chi_1(k, _q_star(k, v, 20), v) for k, v in crit.items()}  # the quadrature's word
    sigma_ws = np.linspace(0.5, 14, 109)
    curves = {name: mf.chi_1_curve(name, sigma_ws)[1] for name in ("sigmoid", "tanh", "relu")}
    # the fast curves against the quadrature at two points each
    spot = [(name, sw) for name in ("sigmoid", "tanh") for sw in (1.0, 3.0, 10.0)]
    worst = max(abs(float(mf.chi_1_curve(name, [sw])[1][0])
                    / float(mf.chi_1(name, _q_star(name, sw, 15), sw)) - 1) for name, sw in spot)
    facts = [
        Fact("sigmoid: E[sigma'(sqrt(q) z)^2] <= 1/16 since sigma' <= 1/4, so chi_1 <= sigma_w^2/16 and chi_1 >= 1 "
             "needs sigma_w >= 4: the mean-field form of the chapter's |w| >= 4",
             bound["bound"] == sigma_w**2 / 16 and bound["chi_at_least_1_needs"] == sp.Interval(4, sp.oo),
             "sympy.integrate of the density; solve_univariate_inequality", bound["chi_at_least_1_needs"]),
        Fact(f"sigmoid, sigma_b = 1: chi_1 = 1 at sigma_w = {mpmath.nstr(crit['sigmoid'], 8)} (above 4, as the bound "
             "requires): network2's sigma_w = 1 is deep in the vanishing phase", crit["sigmoid"] > 4,
             "bisection on the float64 curve", mpmath.nstr(crit["sigmoid"], 12)),
        Fact("ReLU: chi_1 = sigma_w^2/2 exactly, so the edge of chaos is sigma_w = sqrt(2) (He initialisation)",
             relu["critical_sigma_w"] == [sp.sqrt(2)], "sympy.solve", relu["critical_sigma_w"]),
        Fact(f"tanh, sigma_b = 1: chi_1 = 1 at sigma_w = {mpmath.nstr(crit['tanh'], 8)}", 1 < crit["tanh"] < 4,
             "bisection on the float64 curve", mpmath.nstr(crit["tanh"], 12)),
        Fact("at both critical sigma_w the mpmath quadrature gives chi_1 = 1 within 1e-9",
             all(abs(v - 1) < 1e-9 for v in at_crit.values()), "mpmath.quad at 30 digits",
             {k: mpmath.nstr(v - 1, 3) for k, v in at_crit.items()}),
        Fact("the figure's float64 curves agree with the mpmath quadrature within 1e-9 (sigmoid and tanh at "
             "sigma_w = 1, 3, 10)", worst < 1e-9, "relative difference", f"{worst:.2g}"),
    ]
    figures = save(ctx, chi1_figure(sigma_ws, curves, {k: float(v) for k, v in crit.items()} | {"relu": 2**0.5}),
                   "chi1-against-sigma-w")
    latex = display(rf"\chi_1^{{\sigma}} \le {to_latex(bound['bound'])}"
                    r"\;\Rightarrow\; \chi_1^{\sigma} \ge 1 \text{ needs } \sigma_w \ge "
                    + to_latex(bound["chi_at_least_1_needs"].inf) + ",",
                    rf"\chi_1^{{\mathrm{{ReLU}}}} = {to_latex(relu['chi_1'])};\quad \chi_1 = 1 \text{{ at }}",
                    rf"\sigma_w = {mpmath.nstr(crit['sigmoid'], 5)}\ (\sigma),\; {mpmath.nstr(crit['tanh'], 5)}"
                    rf"\ (\tanh),\; {to_latex(relu['critical_sigma_w'][0])}\ (\mathrm{{ReLU}})")
    return Evidence("verified", facts, latex=latex, figures=figures,
                    statement=sp.Le(sp.Symbol(r"\chi_1"), bound["bound"], evaluate=False),
                    numbers={"critical_sigma_w": {k: exact_number(v, 12) for k, v in crit.items()}
                             | {"relu": exact_number(sp.sqrt(2))}, "sigma_b": 1,
                             "book_vs_run": [{"quantity": "|w| (or sigma_w) needed for a factor of at least 1, sigmoid",
                                              "book": "|w| >= 4", "run": "sigma_w >= 4 for chi_1 >= 1 (proved); "
                                              f"chi_1 = 1 at sigma_w = {mpmath.nstr(crit['sigmoid'], 6)}"}]})


CLAIMS = [
    Claim("meanfield-fixed-point", "Poole et al. 2016; Schoenholz et al. 2017",
          "Mean field: q* = 1.302..., chi_1 = 0.04195..., sqrt(chi_1) = 0.2048... for network2's initialisation",
          check_fixed_point, group="meanfield", cost=2.5,
          latex_title=r"Mean field: $q^*$, $\chi_1$ and $\sqrt{\chi_1}$ for the book's initialisation",
          cites=("poole2016", "schoenholz2017")),
    Claim("meanfield-chi1-curves", "Poole et al. 2016; ch. 5, |w| >= 4",
          "chi_1 against sigma_w: vanishing below 1, exploding above; the sigmoid needs sigma_w >= 4",
          check_chi1_curves, group="meanfield", figures=("chi1-against-sigma-w",), cost=4.0,
          latex_title=r"$\chi_1$ against $\sigma_w$: the sigmoid needs $\sigma_w \ge 4$",
          cites=("poole2016", "he2015", "nielsen2015")),
]
