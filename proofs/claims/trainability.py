"""Beyond the chapter: the chapter's network named in its phase, and the trainability phase diagram
(Schoenholz et al. 2017: random networks train only where L is below about 6 xi_c)."""

from __future__ import annotations

import numpy as np

from numeric import streams
from numeric.experiments import correlation, phase
from numeric.figures.phase import phase_figure

from ..claim import Claim, Evidence, Fact, Part, display, margin_fact
from ..figures import save

PHASE_WITHIN = ("each spawning one child per depth (numeric.experiments.phase.depth_streams), which spawns 2 (initial "
                "draws, then one child per cell; shuffling, shared by the depth's cells): "
                "numeric.networks.phase_stack.Stack; the bootstrap draws from replica 0's child 1000")
SCHOENHOLZ = ("random networks train only where L is below about 6 xi_c, and the trainable depth grows with "
              "training time as a multiple of xi_c (Schoenholz et al. 2017, Sec. 5: tanh, sigma_b^2 = 0.05, MNIST and "
              "CIFAR-10, SGD and RMSProp)")


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


def train_part(run, i: int, p) -> dict:
    """Returns ``phase.train_depth`` for depth ``p.depths[i]`` of the run (seed streams ``phase.depth_streams``)."""
    d = run.data().training
    return phase.train_depth(p, i, phase.depth_streams(run.seed, i, p.seeds), d.x, d.y)


def phase_parts(ctx, protocol=phase.PHASE) -> list:
    """One part per depth: its cells and seeds train as one stack (numeric.networks.phase_stack)."""
    p = ctx.protocol(protocol)
    return [Part.of(ctx.run, train_part, i, p) for i in range(len(p.depths))]


def _xi_of(p):
    return lambda s2: correlation.depth_scales_curve(p.activation, s2, p.sigma_b2)["xi_c"]


def _interval(b: dict) -> str:
    side = {-1: "below ", 1: "above "}.get(b["censored"], "")
    return f"{side}{b['r']:.2f} [{b['low']:.2f}, {b['high']:.2f}]"


def diagram_facts(p, reading: dict) -> list[Fact]:
    """The criteria on ``phase.reading``: three checks (design, xi_c, the edge controls) and three reproductions (the
    boundary about 6 xi_c at the longest length, FRAGILE lowered; growing with training; one multiple on both
    sides of the edge)."""
    t, design, xi = p.thresholds(), reading["design"], reading["xi"]
    first, last = reading["boundaries"][0], reading["boundaries"][-1]
    edges = np.array([d["edge"] for d in last["depths"]])
    # the spread that can take an edge median below its bar is the one on the bar's side: median - lowest seed (the
    # control is FRAGILE when a seed is below the bar; [lowest, highest] is the median's distribution-free interval)
    spreads = [c["lengths"][-1]["median"] - min(c["lengths"][-1]["accuracy"]) for c in reading["cells"]
               if c["side"] == "edge"]
    lowest = int(np.argmin(edges))
    b = last["pooled"]
    inside = b["censored"] == 0 and t.low <= b["r"] <= t.high
    holds = inside and t.low <= b["low"] and b["high"] <= t.high
    fragile = inside and not holds
    growth = reading["growth"]
    moves = bool(growth["samples"] and growth["low"] > 1)
    o, c = last["ordered"], last["chaotic"]
    sides = bool(o["cells"] and c["cells"] and max(o["low"], c["low"]) <= min(o["high"], c["high"]))
    return [
        Fact(p.criterion("design").describe(), design["holds"], "the cells' L/xi_c from mean field's xi_c",
             {k: design[k] for k in ("between", "cells_per_side", "depth_steps", "seeds")}),
        Fact(p.criterion("xi").describe(), xi["holds"], "numeric.experiments.correlation.depth_scales_curve against "
             "issue 31's quadrature; critical_sigma_w2 (mpmath)",
             {name: float(f"{xi[name]:.2g}") for name in ("max_rel_error", "edge_offset")}),
        margin_fact(p.criterion("control").describe() + f" (lowest: depth {p.depths[lowest]}, {edges[lowest]:.0%})",
                    edges[lowest], t.edge_learns, spreads[lowest], value=[round(float(e), 3) for e in edges],
                    how=f"median over {design['seeds']} seeds, {p.accuracy_images:,} training digits, after "
                        f"{last['steps']:,} steps"),
        Fact(p.criterion("boundary").describe() + (f" - FRAGILE: {_interval(b)} crosses the band, lowered"
                                                   if fragile else ""), holds,
             f"isotonic crossing of 1/2, {p.bootstrap:,} resamplings of each depth's seeds",
             {"steps": last["steps"], "r": round(b["r"], 3), "low": round(b["low"], 3), "high": round(b["high"], 3),
              "censored": b["censored"], "fragile": fragile}, role="reproduction"),
        Fact(p.criterion("moves").describe(), moves, f"paired bootstrap, pooled boundary after {first['steps']:,} and "
             f"{last['steps']:,} steps", {"shortest": _interval(first["pooled"]), "longest": _interval(b),
                                          **{k: round(growth[k], 3) for k in ("ratio", "low", "high")}},
             role="reproduction"),
        Fact(p.criterion("sides").describe(), sides, f"each side's cells alone, after {last['steps']:,} steps",
             {"ordered": _interval(o), "chaotic": _interval(c)}, role="reproduction"),
    ]


def check_diagram(ctx, protocol=phase.PHASE) -> Evidence:
    p = ctx.protocol(protocol)
    runs = [ctx.compute(part) for part in phase_parts(ctx, protocol)]
    edge = float(correlation.critical_sigma_w2(p.activation, p.sigma_b2, dps=15)["sigma_w2"])
    rng = np.random.default_rng(phase.bootstrap_stream(ctx.run.seed))
    reading = phase.reading(p, runs, _xi_of(p), edge, rng)
    facts = diagram_facts(p, reading)
    found = reading["boundaries"]
    fragile = {b["steps"]: sum(c["lengths"][j]["fragile"] for c in reading["cells"] if c["side"] != "edge")
               for j, b in enumerate(found)}
    short = {b["steps"]: [d for d, e in zip(p.depths, b["depths"]) if not e["judged"]] for b in found}
    per_length = "; ".join(f"{b['steps']:,} steps: {_interval(b['pooled'])}"
                           + (f" (depths {short[b['steps']]} too short to judge)" if short[b["steps"]] else "")
                           for b in found)
    run = (f"boundary L/xi_c {per_length}; ordered side {_interval(found[-1]['ordered'])}, chaotic side "
           f"{_interval(found[-1]['chaotic'])} at {found[-1]['steps']:,}; FRAGILE cells "
           f"{fragile[found[-1]['steps']]}; diverged {reading['diverged']}/{reading['replicas']}")  # edges: the control
    s2 = [c["sigma_w2"] for c in reading["cells"]]
    fine = np.linspace(0.85 * min(s2), 1.05 * max(s2), 41)
    curve = np.minimum(_xi_of(p)(fine), 1e4)
    figures = save(ctx, phase_figure(reading["cells"], reading["boundaries"], fine, curve, edge, 6.0,
                                     f"Accuracy after {found[-1]['steps']:,} steps; boundary per length "
                                     r"(ordered $\mid$ chaotic)"), "phase-diagram")
    row = {"quantity": "where tanh networks stop training, as a multiple of xi_c (sigma_b^2 = 0.05, depth 10-80)",
           "book": SCHOENHOLZ, "run": run,
           "caveat": f"the embedded digits, width {p.width}, mini-batch {p.batch}, eta {p.eta0:g}/L, {p.seeds} seeds, "
                     f"{' and '.join(f'{s:,}' for s in p.lengths)} steps: far shorter training than the paper's, and "
                     f"the boundary moves with training; {p.lengths[-1]:,} steps chosen in development runs; after "
                     f"{phase.PHASE_LONG.lengths[-1]:,} the two sides part"}
    g = reading["growth"]
    headline = (f"boundary at {_interval(found[-1]['pooled'])} xi_c after {found[-1]['steps']:,} steps, "
                f"{_interval(found[0]['pooled'])} after {found[0]['steps']:,} (x{g['ratio']:.2f} [{g['low']:.2f}, "
                f"{g['high']:.2f}]); Schoenholz et al.: about 6, growing with training")
    return Evidence("verified", facts, figures=figures, latex=display(
        r"\text{trainable} \iff L \lesssim \rho(t)\,\xi_c,\quad \xi_c = -1/\ln\chi_c,\quad \rho \approx 6"),
        headline=headline, numbers={
            "protocol": {**p.as_dict(), "caption": phase.describe(p), "seeds_used": [ctx.run.seed],
                         "streams": streams.describe(ctx.run.seed, p.seeds, PHASE_WITHIN)},
            "boundaries": found, "growth": reading["growth"], "critical_sigma_w2": edge, "design": reading["design"],
            "xi": reading["xi"],
            "fragile_cells": fragile, "diverged": reading["diverged"], "replicas": reading["replicas"],
            "flops": phase.flops(p), "grid": reading["cells"], "book_vs_run": [row]})


CLAIMS = [
    Claim("phase-chapter-network", "Schoenholz et al. 2017; ch. 5", "The chapter's network at depth 10 in its phase: "
          "forward collapse and vanishing gradients at one rate, sqrt(chi_1), both measured", check_chapter,
          group="phase", cost=2.0, parts=chapter_parts,
          latex_title="The chapter's network in the ordered phase: collapse and vanishing at one rate",
          cites=("schoenholz2017", "nielsen2015")),
    Claim("phase-diagram", "Schoenholz et al. 2017, Fig. 5", "The trainability phase diagram: tanh networks across "
          "the edge of chaos, with 6 xi_c over it", check_diagram, group="phase", figures=("phase-diagram",),
          cost=15.0, parts=phase_parts,
          latex_title=r"Which networks train: the phase diagram against $6\,\xi_c$",
          cites=("schoenholz2017",)),
]
