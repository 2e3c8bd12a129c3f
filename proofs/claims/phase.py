"""Beyond the chapter: which networks can train. Depth scales, the chapter's network in its phase, and the
trainability phase diagram (Poole et al. 2016; Schoenholz et al. 2017).

``python -m proofs --only phase`` runs this claim, the two of proofs.claims.propagation (signals and gradients
through depth) and the two of proofs.claims.trainability (the chapter's network, the phase diagram).
Protocols are this suite's (labelled), their thresholds fixed in numeric.experiments.phase and below before the run.
"""

from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp

from numeric.experiments import correlation, phase
from numeric.experiments import meanfield as mf
from theory import correlation as correlation_theory

from ..book import SCHOENHOLZ_TANH_EDGE_SIGMA_W2
from ..claim import Claim, Evidence, Fact, display, exact_number

SCHOENHOLZ_EDGE = f"{SCHOENHOLZ_TANH_EDGE_SIGMA_W2:.3g}"  # their critical sigma_w^2, tanh, sigma_b^2 = 0.05, as printed
XI_AT = (1.0, 2.0, 3.0)  # sigma_w^2 where xi_c is computed by both routes (ordered, chaotic near the edge, chaotic)
ROUTES_AGREE = 1e-9  # mpmath against float64, relative
PAIR_DPS = 15  # digits of the two-dimensional (pair) integrals: their cost grows as the square of the digits


def check_depth_scales(ctx) -> Evidence:
    price, one = correlation_theory.price_identity(), correlation_theory.fixed_point_at_one()
    xi, edge = correlation_theory.depth_scales(), correlation_theory.critical_condition()
    dps = min(ctx.run.dps, 30)
    tanh = correlation.critical_sigma_w2("tanh", "0.05", dps=dps)
    sig = correlation.critical_sigma_w2("sigmoid", 1, dps=min(dps, 30))
    float_edge = mf.critical_sigma_w("tanh", 0.05 ** 0.5, bracket=(0.5, 4.0)) ** 2
    sb = mpmath.sqrt(mpmath.mpf(5) / 100)
    hi = {s2: correlation.depth_scales("tanh", mpmath.sqrt(s2), sb, dps=PAIR_DPS) for s2 in XI_AT}
    lo = correlation.depth_scales_curve("tanh", XI_AT, 0.05)
    worst = max(abs(float(hi[s2][k]) / float(lo[k][i]) - 1) for i, s2 in enumerate(XI_AT)
                for k in ("c_star", "chi_c", "xi_c"))
    chaotic = XI_AT[-1]
    with mpmath.workdps(PAIR_DPS + 5):  # Price's slope against a centred difference of the map itself, chaotic c*
        h, s, step = hi[chaotic], mpmath.sqrt(chaotic), mpmath.mpf(10) ** -5
        diff = (correlation.c_map("tanh", h["c_star"] + step, s, sb, h["q_star"], dps=PAIR_DPS)
                - correlation.c_map("tanh", h["c_star"] - step, s, sb, h["q_star"], dps=PAIR_DPS)) / (2 * step)
    sigma_w2s = sorted({s2 for i in range(len(phase.PHASE.depths)) for _, _, s2 in phase.cells(phase.PHASE, i)})
    grid = correlation.depth_scales_curve("tanh", sigma_w2s, phase.PHASE.sigma_b2)
    near = int(np.argmin(np.abs(np.asarray(sigma_w2s) - float(tanh["sigma_w2"]))))
    ordered = grid["chi_1"] < 1
    facts = [
        Fact("c = 1 is a fixed point of the correlation map wherever q* is one of the length map (at c = 1, u_2 = u_1)",
             one["u2_equals_u1_at_c_1"] and one["at_q_star"] == 1, "SymPy: substitution of q* = sigma_w^2 E + "
                                                                   "sigma_b^2"),
        Fact("the map's slope is chi_c = sigma_w^2 E[phi'(u_1) phi'(u_2)] (Price's theorem: d/dc E[phi(u_1) "
             "phi(u_2)] = "
             "q* E[phi'(u_1) phi'(u_2)]), and at c = 1 it is chi_1: proved for every cubic phi",
             price["difference"] == 0 and price["slope_minus_chi_1_at_one"] == 0, "exact Gaussian moments, expand"),
        Fact("xi = -1/ln chi gives chi^l = exp(-l/xi), the RMS gradient ratio chi_1^((L-l)/2) = exp(-(L-l)/(2 "
             "xi_grad)), "
             "and xi -> oo as chi -> 1 (both depth scales diverge at the edge)",
             xi["decay_identity"] == 0 and xi["rms_identity"] == 0 and xi["edge_limit"] == sp.oo,
             "SymPy: powsimp, limit"),
        Fact("the edge chi_1 = 1 with q = sigma_w^2 E[phi^2] + sigma_b^2 is sigma_w^2 = 1/E[phi'^2], q = "
             "E[phi^2]/E[phi'^2] "
             "+ sigma_b^2", edge["sigma_w2"] == 1 / edge["B"]
             and sp.simplify(edge["q"] - edge["A"] / edge["B"] - correlation_theory.sigma_b**2) == 0, "sympy.solve"),
        Fact(f"tanh, sigma_b^2 = 0.05: chi_1 = 1 at sigma_w^2 = {mpmath.nstr(tanh['sigma_w2'], 15)}..., to "
             f"{dps - 5} digits "
             f"(residual by mpmath.quad), {SCHOENHOLZ_EDGE} to three digits as Schoenholz et al. print it, and "
             f"the float "
             "route's bisection within 1e-10", tanh["residual"] < mpmath.mpf(10) ** (5 - dps)
             and mpmath.nstr(tanh["sigma_w2"], 3) == SCHOENHOLZ_EDGE
             and abs(float(tanh["sigma_w2"]) / float_edge - 1) < 1e-10,
             "findroot of q = E[tanh^2]/E[tanh'^2] + sigma_b^2, trapezoid at the working precision",
             mpmath.nstr(tanh["residual"], 3)),
        Fact(f"sigmoid at network2's sigma_b = 1: chi_1 = 1 at sigma_w^2 = {mpmath.nstr(sig['sigma_w2'], 12)} "
             f"(sigma_w = "
             f"{mpmath.nstr(mpmath.sqrt(sig['sigma_w2']), 8)} > 4, as the sigmoid's bound requires)",
             sig["residual"] < mpmath.mpf(10) ** (5 - min(dps, 30)) and sig["sigma_w2"] > 16, "as above",
             mpmath.nstr(sig["residual"], 3)),
        Fact(f"xi_c at sigma_w^2 = {', '.join(map(str, XI_AT))}: the mpmath route ({PAIR_DPS} digits; pair "
             f"integrals by a 2-D "
             f"trapezoid, c* by Newton) and the float64 route agree within {ROUTES_AGREE:g} (c*, chi_c, xi_c)",
             worst < ROUTES_AGREE, "relative difference", f"{worst:.2g}"),
        Fact(f"chi_c at the chaotic c* (sigma_w^2 = {chaotic}) equals the map's own slope by a centred difference "
             f"(step 1e-5) within 1e-8", abs(diff / hi[chaotic]["chi_c"] - 1) < 1e-8, f"mpmath, {PAIR_DPS} digits",
             mpmath.nstr(diff / hi[chaotic]["chi_c"] - 1, 3)),
        Fact("on the phase diagram's grid: ordered points have c* = 1 and xi_c = xi_grad; chaotic points have c* "
             "< 1 and "
             "exploding gradients (xi_grad < 0); xi_c is largest at the point nearest the edge",
             bool(np.all(grid["c_star"][ordered] == 1) and np.allclose(grid["xi_c"][ordered], grid["xi_grad"][ordered])
                  and np.all(grid["c_star"][~ordered] < 1) and np.all(grid["xi_grad"][~ordered] < 0)
                  and int(np.argmax(grid["xi_c"])) == near), "float64 route",
             {f"{s2:.4g}": round(float(v), 3) for s2, v in zip(sigma_w2s, grid["xi_c"])}),
    ]
    digits = min(dps - 5, 30)
    rows = [{"quantity": "critical sigma_w^2, tanh, sigma_b^2 = 0.05", "book": f"about {SCHOENHOLZ_EDGE} "
                                                                               f"(Schoenholz et al. 2017)",
             "run": mpmath.nstr(tanh["sigma_w2"], 15), "caveat": "mean field (infinitely wide layers)"}]
    rows += [{"quantity": f"xi_c, xi_grad at sigma_w^2 = {s2:g}, tanh, sigma_b^2 = 0.05", "book": "xi_c = -1/ln chi_c, "
              "xi_grad = -1/ln chi_1", "run": f"{mpmath.nstr(hi[s2]['xi_c'], 6)}, {mpmath.nstr(hi[s2]['xi_grad'], 6)}",
              "caveat": "c* = 1 (ordered)" if hi[s2]["c_star"] == 1
              else f"c* = {mpmath.nstr(hi[s2]['c_star'], 4)} (chaotic)"}
             for s2 in XI_AT]
    return Evidence("verified", facts, statement=sp.Eq(sp.Symbol(r"\chi_c"), sp.Symbol(r"\sigma_w^2") * sp.Symbol(
        r"\mathbb{E}[\phi'(u_1)\phi'(u_2)]"), evaluate=False), latex=display(
        r"\chi_c = \sigma_w^2\,\mathbb{E}\bigl[\phi'(u_1)\phi'(u_2)\bigr],\quad \xi_c = -\frac{1}{\ln\chi_c},\quad "
        r"\xi_\nabla = -\frac{1}{\ln\chi_1},",
        rf"\chi_1 = 1 \text{{ at }} \sigma_w^2 \approx {mpmath.nstr(tanh['sigma_w2'], 4)}\ (\tanh,\ \sigma_b^2 "
        rf"= 0.05)"),
        headline=f"tanh, sigma_b^2 = 0.05: critical sigma_w^2 = {mpmath.nstr(tanh['sigma_w2'], digits)}; xi_c at "
                 + ", ".join(f"{s2:g}: {mpmath.nstr(hi[s2]['xi_c'], 8)}" for s2 in XI_AT),
        numbers={"critical_sigma_w2": {"tanh_sigma_b2_0.05": exact_number(tanh["sigma_w2"], digits),
                                       "sigmoid_sigma_b_1": exact_number(sig["sigma_w2"], min(digits, 25))},
                 "depth_scales": {f"{s2:g}": {k: exact_number(v, 15) for k, v in hi[s2].items()} for s2 in XI_AT},
                 "grid": {k: [float(v) for v in grid[k]] for k in ("c_star", "chi_c", "xi_c", "xi_grad")},
                 "book_vs_run": rows})


CLAIMS = [
    Claim("phase-depth-scales", "Poole et al. 2016; Schoenholz et al. 2017",
          "The correlation map, chi_c, xi_c and xi_grad; the edge of chaos of tanh at sigma_b^2 = 0.05 to the suite's "
          "precision", check_depth_scales, group="phase", cost=6.0,
          latex_title=r"The correlation map, $\chi_c$, $\xi_c$, $\xi_\nabla$ and the edge of chaos of $\tanh$",
          cites=("poole2016", "schoenholz2017")),
]
