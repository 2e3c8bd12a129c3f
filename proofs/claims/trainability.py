"""Beyond the chapter: the chapter's network named in its phase, and the trainability phase diagram
(Schoenholz et al. 2017: random networks train only where L is below about 6 xi_c)."""

from __future__ import annotations

import numpy as np

from numeric import streams
from numeric.experiments import correlation, phase
from numeric.figures.phase import phase_figure

from ..claim import Claim, Evidence, Fact, Part, display
from ..figures import save

PHASE_WITHIN = ("each spawning 2 (initial draws, then one child per sigma_w^2; shuffling, shared by the "
                "replica's sigma_w^2): numeric.networks.phase_stack.Stack")
SCHOENHOLZ = ("random networks train only where L is below about 6 xi_c (Schoenholz et al. 2017, Sec. 5 and "
              "Fig. 5: tanh, sigma_b^2 = 0.05, MNIST and CIFAR-10, SGD and RMSProp)")


def _rate(values: np.ndarray) -> float:
    """Returns the geometric mean factor per layer of a positive sequence, (v_last / v_2)^(1/(len - 2))."""
    return float((values[-1] / values[1]) ** (1 / (len(values) - 2)))


def measure_chapter(run, replica: int, p) -> dict:
    """Returns ``phase.chapter_network`` for replica k of the run (stream ``numeric.streams.replica(seed, k)``)."""
    return phase.chapter_network(p, run.data(), streams.replica(run.seed, replica))


def chapter_facts(runs: list, chi_1: float, p=phase.CHAPTER_NETWORK) -> list[Fact]:
    """The criteria on the measured runs (one per seed) against mean field's sqrt(chi_1) per layer."""
    c, xi = dict(p.settings) | vars(p.thresholds()), -1 / np.log(chi_1)
    spread = np.median([r["spread"] for r in runs], axis=0)
    rms = np.exp(np.mean([np.log(r["rms"]) for r in runs], axis=0))
    ratio = rms[0] / rms[-1]
    rates = {"forward (spread)": _rate(spread), "backward (RMS of delta, top down)": _rate(rms[::-1])}
    acc = {depth: float(np.median([r["accuracy"][depth] for r in runs])) for depth in (c["depth"], 1)}
    within = lambda v: 1 / c["rate_factor"] <= v / np.sqrt(chi_1) <= c["rate_factor"]  # noqa: E731
    return [
        Fact(f"network2's initialisation (sigma_w = sigma_b = 1, sigmoid) is in the ordered phase: chi_1 = "
             f"{chi_1:.4f} < 1, "
             f"c* = 1, xi_c = xi_grad = {xi:.3f} layers, so depth {c['depth']} lies beyond 6 xi_c = {6 * xi:.2f}",
             chi_1 < 1 and c["depth"] > 6 * xi, "mean field (numeric.experiments.meanfield, mpmath)"),
        Fact(f"forward collapse, measured: the median relative spread |z_a - z_b| / |z_a| of two digits at layer "
             f"{c['depth']} is at most {c['max_spread']:g}, and it shrinks per layer within a factor "
             f"{c['rate_factor']:g} of sqrt(chi_c) = sqrt(chi_1) = {np.sqrt(chi_1):.4f}",
             spread[-1] <= c["max_spread"] and within(rates["forward (spread)"]),
             f"{c['pairs']} pairs x {len(runs)} seeds, geometric mean over layers 2-{c['depth']}",
             {"spread_by_layer": [float(f"{v:.3g}") for v in spread],
              "per_layer": round(rates["forward (spread)"], 4)}),
        Fact(f"vanishing gradients, measured: RMS ||delta^1|| / RMS ||delta^{c['depth']}|| is at most "
             f"{c['max_ratio']:g}, "
             f"and it shrinks per layer within a factor {c['rate_factor']:g} of sqrt(chi_1) (the same rate: in the "
             "ordered phase chi_c = chi_1)", ratio <= c["max_ratio"] and within(rates["backward (RMS of delta, "
                                                                                      "top down)"]),
             f"per-example RMS over {c['examples']} digits, {len(runs)} seeds",
             {"ratio": float(f"{ratio:.3g}"), "per_layer": round(rates["backward (RMS of delta, top down)"], 4)}),
        Fact(f"and it does not train: after {c['epochs']} epoch of network2's SGD (mini-batch "
             f"{c['mini_batch_size']}, eta "
             f"{c['eta']}) the median validation accuracy at depth {c['depth']} is at most "
             f"{c['chance_max']:.0%}, while "
             f"one hidden layer reaches {c['shallow_min']:.0%}",
             acc[c["depth"]] <= c["chance_max"] and acc[1] >= c["shallow_min"], "numeric.networks.network.Network.SGD, "
                                                                                "embedded digits",
             {str(k): round(v, 4) for k, v in acc.items()}),
    ]


def chapter_parts(ctx) -> list:
    """One part per replica k (numeric.streams.replica(seed, k)) of the run's chapter-network protocol."""
    p = ctx.protocol(phase.CHAPTER_NETWORK)
    return [Part.of(ctx.run, measure_chapter, k, p) for k in range(p.seeds)]


def check_chapter(ctx) -> Evidence:
    chi_1 = float(correlation.depth_scales("sigmoid", 1, 1, dps=15)["chi_1"])  # ordered: one-dimensional integrals
    p = ctx.protocol(phase.CHAPTER_NETWORK)
    runs = [ctx.compute(part) for part in chapter_parts(ctx)]
    facts = chapter_facts(runs, chi_1, p)
    spread = float(np.median([r["spread"][-1] for r in runs]))
    ratio = float(np.exp(np.mean([np.log(r["rms"][0] / r["rms"][-1]) for r in runs])))
    acc = float(np.median([r["accuracy"][p.depth] for r in runs]))
    row = {"quantity": "the chapter's network at depth 10 (network2 init): phase; spread of two digits at layer 10; "
                       "RMS delta^1 / delta^10; accuracy", "book": "stays at chance (the write-ups); "
                       "ordered phase: collapse and vanishing at rate sqrt(chi_1) (mean field)",
           "run": f"ordered, xi_c = {-1 / np.log(chi_1):.3f}; {spread:.2g}; {ratio:.2g}; {acc:.1%}",
           "caveat": f"[784, 30 x 10, 10], {len(runs)} seeds, one epoch of the embedded 4,000 digits; this "
                     f"suite's protocol"}
    return Evidence("verified", facts, latex=display(
        r"\chi_1 = \chi_c < 1:\ \frac{|z^{l+1}_a - z^{l+1}_b|}{|z^l_a - z^l_b|} \approx "
        r"\frac{\|\delta^l\|}{\|\delta^{l+1}\|} \approx \sqrt{\chi_1}"),
        headline=f"network2, depth 10: chi_1 = {chi_1:.4f} (ordered); spread at layer 10 {spread:.2g}; "
                 f"delta^1/delta^10 {ratio:.2g}; accuracy {acc:.1%}",
        numbers={"protocol": {**p.as_dict(), "caption": p.label, "seeds_used": [ctx.run.seed],
                              "streams": streams.describe(ctx.run.seed, len(runs))},
                 "chi_1": chi_1, "runs": runs, "book_vs_run": [row]})


def train_part(run, depth: int, replica: int, p) -> dict:
    d = run.data().training
    return phase.train_group(p, depth, streams.replica(run.seed, replica), d.x, d.y)


def _cells(p) -> list:
    return [(d, k) for d in p.depths for k in range(p.seeds)]


def phase_parts(ctx) -> list:
    p = ctx.protocol(phase.PHASE)
    return [Part.of(ctx.run, train_part, d, k, p) for d, k in _cells(p)]


def check_diagram(ctx) -> Evidence:
    p = ctx.protocol(phase.PHASE)
    c = p.thresholds()
    groups = {cell: ctx.compute(part) for cell, part in zip(_cells(p), phase_parts(ctx))}  # by (depth, replica)
    grid = phase.cells(p, groups)
    xi_c = correlation.depth_scales_curve(p.activation, p.sigma_w2s, p.sigma_b2)["xi_c"]
    verdict = phase.criterion(p, grid["median"], xi_c)
    thin = int(np.sum(np.abs(grid["median"] - c.trains_at) < grid["spread"]))
    facts = [Fact(f"beyond {c.beyond:g} xi_c at most {c.max_beyond_train:.0%} of the cells train, and well inside "
                  f"(L <= {c.inside:g} xi_c) at most {c.max_inside_fail:.0%} fail; at least {c.min_cells:g} cells "
                  f"on each "
                  f"side (a cell trains at median training accuracy >= {c.trains_at:.0%})", verdict["holds"],
                  "mean field's xi_c (float64 route) against the trained grid",
                  {k: verdict[k] for k in ("beyond", "beyond_trained", "inside", "inside_failed")})]
    edge = float(correlation.critical_sigma_w2(p.activation, p.sigma_b2, dps=15)["sigma_w2"])
    fine = np.linspace(min(p.sigma_w2s) - 0.1, max(p.sigma_w2s) + 0.2, 41)
    curve = correlation.depth_scales_curve(p.activation, fine, p.sigma_b2)["xi_c"]
    figures = save(ctx, phase_figure(p.sigma_w2s, p.depths, grid["median"], fine, np.minimum(curve, 1e4), edge,
                                     c.beyond, c.inside, f"Training accuracy after {p.steps} SGD steps, "
                                                         f"{p.activation}, "
                                               f"$\\sigma_b^2 = {p.sigma_b2:g}$, width {p.width}"), "phase-diagram")
    diverged, total = int(grid["diverged"].sum()), grid["accuracy"].size
    table = [{"sigma_w2": s2, "depth": d, "xi_c": float(xi_c[j]), "accuracy_median": float(grid["median"][i, j]),
              "accuracy_spread": float(grid["spread"][i, j]), "accuracy": grid["accuracy"][i, j].tolist(),
              "diverged": int(grid["diverged"][i, j]), "seeds": p.seeds, "trains": bool(verdict["trains"][i][j])}
             for i, d in enumerate(p.depths) for j, s2 in enumerate(p.sigma_w2s)]
    run = (f"beyond 6 xi_c: {verdict['beyond_trained']:.0%} of {verdict['beyond']} cells train; inside 2 xi_c: "
           f"{verdict['inside_failed']:.0%} of {verdict['inside']} fail; diverged {diverged}/{total}"
           + (f"; {thin} cells within their seed spread of the threshold" if thin else ""))
    row = {"quantity": "which tanh networks train (sigma_b^2 = 0.05, sigma_w^2 across the edge, depth 10-80)",
           "book": SCHOENHOLZ, "run": run,
           "caveat": f"the embedded 4,000 digits, {p.steps} SGD steps of {p.batch} ({p.steps * p.batch:,} digits "
                     f"seen), "
                     f"width {p.width}, eta {p.eta0:g}/L, {p.seeds} seeds: far shorter training than the paper's"}
    return Evidence("verified", facts, figures=figures, latex=display(
        r"\text{trainable} \iff L \lesssim 6\,\xi_c,\quad \xi_c = -1/\ln\chi_c"),
        headline=run, numbers={"protocol": {**p.as_dict(), "caption": phase.describe(p), "seeds_used": [ctx.run.seed],
                                            "streams": streams.describe(ctx.run.seed, p.seeds, PHASE_WITHIN)},
                               "criterion": {k: verdict[k] for k in ("beyond", "beyond_trained", "inside",
                                                                    "inside_failed", "holds")},
                               "critical_sigma_w2": edge, "diverged": diverged, "replicas": total,
                               "thin_margin_cells": thin, "grid": table, "book_vs_run": [row]})


CLAIMS = [
    Claim("phase-chapter-network", "Schoenholz et al. 2017; ch. 5", "The chapter's network at depth 10 in its phase: "
          "forward collapse and vanishing gradients at one rate, sqrt(chi_1), both measured", check_chapter,
          group="phase", cost=2.0, parts=chapter_parts,
          latex_title="The chapter's network in the ordered phase: collapse and vanishing at one rate",
          cites=("schoenholz2017", "nielsen2015")),
    Claim("phase-diagram", "Schoenholz et al. 2017, Fig. 5", "The trainability phase diagram: tanh networks across "
          "the edge of chaos, with 6 xi_c over it", check_diagram, group="phase", figures=("phase-diagram",),
          cost=24.0, parts=phase_parts,
          latex_title=r"Which networks train: the phase diagram against $6\,\xi_c$",
          cites=("schoenholz2017",)),
]
