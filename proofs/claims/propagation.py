"""Beyond the chapter: correlations and gradients through random tanh networks against mean field's maps.

Schoenholz et al. (2017): two inputs' correlation moves by the correlation map to c* at the rate chi_c
(|c^l - c*| ~ exp(-l/xi_c)); the per-example gradient moves by sqrt(chi^l) per layer (exp(-(L-l)/(2 xi_grad))
at q*). Measured on pairs of embedded digits at widths 100-1000, tanh, sigma_b^2 = 0.05, sigma_w^2 ordered,
near the edge, chaotic. The protocol is this suite's (labelled); its thresholds are fixed below, before the run.
"""

from __future__ import annotations

import numpy as np

from numeric import streams
from numeric.experiments import correlation, meanfield, propagation
from numeric.figures.phase import correlation_figure, gradient_figure

from ..claim import Claim, Evidence, Fact, Part, display
from ..figures import save

SIGNAL = propagation.SIGNAL
WITHIN = "its child number n draws the network of width n (numeric.experiments.propagation.draws)"


def _seeds(ctx) -> int:
    return ctx.protocol(SIGNAL).seeds


def measure_forward(run, width: int, replica: int) -> dict:
    """Returns {sigma_w^2: (depth,) mean measured correlation over the pairs} for one width and replica k of the
    run (numeric.streams.replica)."""
    xa, xb = propagation.pair_inputs(run.data().training.x, SIGNAL.pairs)
    net = propagation.draws(streams.replica(run.seed, replica), SIGNAL.depth, width)
    sb = SIGNAL.sigma_b2 ** 0.5
    return {s2: propagation.forward(net, xa, xb, s2 ** 0.5, sb)["c"].mean(axis=1) for s2 in SIGNAL.forward_sigma_w2s}


def measure_backward(run, width: int, replica: int) -> dict:
    """Returns {sigma_w^2: (depth,) per-example RMS of delta^l} for one width and replica k of the run."""
    d = run.data().training
    net = propagation.draws(streams.replica(run.seed, replica), SIGNAL.depth, width)
    x, y = d.x[:SIGNAL.examples], d.y[:SIGNAL.examples]
    return {s2: propagation.backward(net, x, y, s2 ** 0.5, SIGNAL.sigma_b2 ** 0.5) for s2 in SIGNAL.backward_sigma_w2s}


def _parts(fn, widths):
    def parts(ctx):
        return [Part.of(ctx.run, fn, n, k) for n in widths for k in range(_seeds(ctx))]
    return parts


def _gather(ctx, fn, widths) -> dict:
    return {n: [ctx.part(fn, n, k) for k in range(_seeds(ctx))] for n in widths}


def map_correlations(data, sigma_w2: float) -> np.ndarray:
    """Returns the correlation map's mean c^1..c^depth over the protocol's pairs (each pair from its layer-1
    covariance, numeric.experiments.correlation.correlation_curve)."""
    xa, xb = propagation.pair_inputs(data.training.x, SIGNAL.pairs)
    sw, sb = sigma_w2 ** 0.5, SIGNAL.sigma_b2 ** 0.5
    return correlation.correlation_curve("tanh", *propagation.first_layer(xa, xb, sw, sb), sw, sb,
                                         SIGNAL.depth).mean(axis=1)


def forward_facts(measured: dict, predicted: dict, scales: dict) -> list[Fact]:
    """The criteria on {width: {sigma_w^2: mean c^l}}, {sigma_w^2: map c^l}, {sigma_w^2: {"c_star", "xi_c"}}."""
    p, wide, narrow = SIGNAL, max(measured), min(measured)
    gap = {n: {s2: float(np.abs(measured[n][s2] - predicted[s2]).max()) for s2 in predicted} for n in measured}
    layers = np.arange(1, p.depth + 1)
    sel = (layers >= p.slope_layers[0]) & (layers <= p.slope_layers[1])
    ordered = min(scales)  # the grid's smallest sigma_w^2 is in the ordered phase (c* = 1; checked below)
    chaotic = max(scales)
    slope = lambda c, s2: float(np.polyfit(layers[sel], np.log(np.abs(c[sel] - scales[s2]["c_star"])), 1)[0])  # noqa: E731
    target = {s2: -1 / scales[s2]["xi_c"] for s2 in (ordered, chaotic)}
    got = {"ordered (measured)": slope(measured[wide][ordered], ordered),
           "chaotic (map)": slope(predicted[chaotic], chaotic),
           "chaotic (measured, not judged)": slope(measured[wide][chaotic], chaotic)}
    return [
        Fact(f"at width {wide} the measured mean correlation of the digit pairs is within {p.max_c_gap} of the map's "
             f"c^l at every layer 1..{p.depth}, for sigma_w^2 = {', '.join(map(str, predicted))}",
             all(v <= p.max_c_gap for v in gap[wide].values()), "max over layers of |measured - map|",
             {n: {str(k): round(v, 4) for k, v in g.items()} for n, g in gap.items()}),
        Fact(f"the gap narrows as the layers widen (width {narrow} against {wide}) at every sigma_w^2",
             all(gap[wide][s2] < gap[narrow][s2] for s2 in predicted), "max over layers"),
        Fact(f"ordered phase (sigma_w^2 = {ordered}, c* = 1): log(1 - c^l) measured at width {wide} falls with slope "
             f"-1/xi_c within {p.max_slope_gap:.0%} (layers {p.slope_layers[0]}-{p.slope_layers[1]})",
             scales[ordered]["c_star"] == 1 and abs(got["ordered (measured)"] / target[ordered] - 1) <= p.max_slope_gap,
             "least squares", {k: round(v, 4) for k, v in got.items()}
             | {"-1/xi_c": {str(k): round(v, 4) for k, v in target.items()}}),
        Fact(f"chaotic phase (sigma_w^2 = {chaotic}, c* = {scales[chaotic]['c_star']:.4f} < 1): the map's own "
             f"log|c^l - c*| falls with slope -1/xi_c within {p.max_slope_gap:.0%}, and the measured c^l has moved "
             "towards c* (|c^L - c*| below half of |c^1 - c*|)",
             scales[chaotic]["c_star"] < 1 and abs(got["chaotic (map)"] / target[chaotic] - 1) <= p.max_slope_gap
             and abs(measured[wide][chaotic][-1] - scales[chaotic]["c_star"])
             < abs(measured[wide][chaotic][0] - scales[chaotic]["c_star"]) / 2, "least squares"),
    ]


def check_forward(ctx) -> Evidence:
    runs = _gather(ctx, measure_forward, SIGNAL.forward_widths)
    measured = {n: {s2: np.mean([r[s2] for r in rs], axis=0) for s2 in SIGNAL.forward_sigma_w2s}
                for n, rs in runs.items()}
    predicted = {s2: map_correlations(ctx.data(), s2) for s2 in SIGNAL.forward_sigma_w2s}
    curve = correlation.depth_scales_curve("tanh", SIGNAL.forward_sigma_w2s, SIGNAL.sigma_b2)
    scales = {s2: {"c_star": float(curve["c_star"][i]), "xi_c": float(curve["xi_c"][i])}
              for i, s2 in enumerate(SIGNAL.forward_sigma_w2s)}
    facts = forward_facts(measured, predicted, scales)
    wide = max(measured)
    labels = {s2: f"$\\sigma_w^2 = {s2:g}$" for s2 in predicted}
    figures = save(ctx, correlation_figure(np.arange(1, SIGNAL.depth + 1),
                                           {labels[k]: measured[wide][k] for k in labels},
                                           {labels[k]: v for k, v in predicted.items()},
                                           {labels[k]: scales[k]["c_star"] for k in labels}), "phase-correlation")
    seeds = _seeds(ctx)
    rows = [{"quantity": f"correlation of two digits at layer {SIGNAL.depth}, tanh, sigma_w^2 = {s2:g}, width {wide}",
             "book": "c^l -> c* at rate exp(-l/xi_c) (Schoenholz et al. 2017)",
             "run": f"{measured[wide][s2][-1]:.3f}; map {predicted[s2][-1]:.3f}; c* = {scales[s2]['c_star']:.3f}, "
                    f"xi_c = {scales[s2]['xi_c']:.3g}",
             "caveat": f"{SIGNAL.pairs} pairs of embedded digits, {seeds} seeds; this suite's protocol"}
            for s2 in SIGNAL.forward_sigma_w2s]
    return Evidence("verified", facts, figures=figures, latex=display(
        r"c^{l+1} = \frac{\sigma_w^2\,\mathbb{E}[\phi(u_1)\phi(u_2)] + \sigma_b^2}{q^*},",
        r"|c^l - c^*| \sim e^{-l/\xi_c},\quad \xi_c = -1/\ln\chi_c"),
        headline="; ".join(f"sigma_w^2={s2:g}: c^{SIGNAL.depth} {measured[wide][s2][-1]:.3f} (map "
                           f"{predicted[s2][-1]:.3f})"
                           for s2 in predicted),
        numbers={"protocol": {**ctx.protocol(SIGNAL).as_dict(), "caption": propagation.describe(ctx.protocol(SIGNAL)),
                              "seeds_used": [ctx.run.seed],
                              "streams": streams.describe(ctx.run.seed, seeds, WITHIN)},
                 "measured": {n: {str(k): v.tolist() for k, v in m.items()} for n, m in measured.items()},
                 "map": {str(k): v.tolist() for k, v in predicted.items()},
                 "scales": {str(k): v for k, v in scales.items()},
                 "book_vs_run": rows})


def predicted_rms(sigma_w2: float, data) -> tuple[np.ndarray, np.ndarray]:
    """Returns (the map's exact product rms^l / rms^L, exp(-(L - l)/(2 xi_grad))) for l = 1..L.

    The product uses chi^l = sigma_w^2 E[phi'(sqrt(q^l) z)^2] along the finite-depth q^l from the digits' layer-1
    variance (numeric.experiments.meanfield.depth_prediction); the exponential uses xi_grad at q*.
    """
    x = data.training.x[:SIGNAL.examples]
    sw, sb = sigma_w2 ** 0.5, SIGNAL.sigma_b2 ** 0.5
    q1 = float(np.mean(propagation.first_layer(x, x, sw, sb)[0]))
    chi = np.array(meanfield.depth_prediction("tanh", sw, sb, q1, SIGNAL.depth)["chi"])
    product = np.array([np.prod(np.sqrt(chi[l:])) for l in range(SIGNAL.depth)])
    xi = float(correlation.depth_scales_curve("tanh", [sigma_w2], SIGNAL.sigma_b2)["xi_grad"][0])
    return product, np.exp(-(SIGNAL.depth - np.arange(1, SIGNAL.depth + 1)) / (2 * xi))


def backward_facts(measured: dict, product: dict, asymptote: dict) -> list[Fact]:
    """The criteria on {width: {sigma_w^2: rms^l / rms^L}} against the map's product and the asymptote."""
    wide, narrow, tol = max(measured), min(measured), np.log1p(SIGNAL.max_rms_gap)
    gap = {n: {s2: float(np.abs(np.log(measured[n][s2] / product[s2])).max()) for s2 in product} for n in measured}
    half = slice(SIGNAL.depth // 2, None)
    tail = {s2: float(np.abs(np.log(measured[wide][s2][half] / asymptote[s2][half])).max()) for s2 in product}
    return [
        Fact(f"at width {wide} the per-example RMS of delta^l over that of delta^L is within {SIGNAL.max_rms_gap:.0%} "
             f"of mean field's exact product prod sqrt(chi^k) at every layer, sigma_w^2 = "
             f"{', '.join(map(str, product))} (vanishing, edge, exploding)", all(v <= tol for v in gap[wide].values()),
             "max over layers of |log(measured / predicted)|",
             {n: {str(k): round(v, 4) for k, v in g.items()} for n, g in gap.items()}),
        Fact(f"the gap narrows as the layers widen (width {narrow} against {wide}), summed over sigma_w^2",
             sum(gap[wide].values()) < sum(gap[narrow].values()), "sum of the per-sigma_w^2 gaps"),
        Fact(f"in the upper half of the network (layers where q^l has reached q*) the measured ratio is within "
             f"{SIGNAL.max_rms_gap:.0%} of exp(-(L - l)/(2 xi_grad))", all(v <= tol for v in tail.values()),
             "max |log(measured / asymptote)|", {str(k): round(v, 4) for k, v in tail.items()}),
    ]


def check_backward(ctx) -> Evidence:
    runs = _gather(ctx, measure_backward, SIGNAL.backward_widths)
    measured = {n: {s2: np.exp(np.mean([np.log(r[s2] / r[s2][-1]) for r in rs], axis=0))
                    for s2 in SIGNAL.backward_sigma_w2s} for n, rs in runs.items()}
    pred = {s2: predicted_rms(s2, ctx.data()) for s2 in SIGNAL.backward_sigma_w2s}
    product, asymptote = {k: v[0] for k, v in pred.items()}, {k: v[1] for k, v in pred.items()}
    facts = backward_facts(measured, product, asymptote)
    wide, seeds = max(measured), _seeds(ctx)
    labels = {s2: f"$\\sigma_w^2 = {s2:g}$" for s2 in product}
    figures = save(ctx, gradient_figure(np.arange(1, SIGNAL.depth + 1), {labels[k]: measured[wide][k] for k in labels},
                                        {labels[k]: v for k, v in product.items()}), "phase-gradients")
    rows = [{"quantity": f"RMS ||delta^1|| / RMS ||delta^{SIGNAL.depth}||, tanh, sigma_w^2 = {s2:g}, width {wide}",
             "book": "exp(-(L - l)/(2 xi_grad)) (Schoenholz et al. 2017)",
             "run": f"{measured[wide][s2][0]:.3g}; product {product[s2][0]:.3g}; asymptote {asymptote[s2][0]:.3g}",
             "caveat": f"{SIGNAL.examples} embedded digits, softmax read-out at initialisation, {seeds} seeds"}
            for s2 in product]
    return Evidence("verified", facts, figures=figures, latex=display(
        r"\frac{\sqrt{\mathbb{E}_x\|\delta^l\|^2}}{\sqrt{\mathbb{E}_x\|\delta^L\|^2}} = \prod_{k=l}^{L-1}\sqrt{\chi^k}"
        r"\;\to\; e^{-(L-l)/(2\xi_\nabla)}"),
        headline="; ".join(f"sigma_w^2={s2:g}: {measured[wide][s2][0]:.3g} (map {product[s2][0]:.3g})"
                           for s2 in product),
        numbers={"protocol": {**ctx.protocol(SIGNAL).as_dict(), "caption": propagation.describe(ctx.protocol(SIGNAL)),
                              "seeds_used": [ctx.run.seed],
                              "streams": streams.describe(ctx.run.seed, seeds, WITHIN)},
                 "measured": {n: {str(k): v.tolist() for k, v in m.items()} for n, m in measured.items()},
                 "product": {str(k): v.tolist() for k, v in product.items()}, "book_vs_run": rows})


CLAIMS = [
    Claim("phase-forward-correlation", "Poole et al. 2016; Schoenholz et al. 2017",
          "Correlation of two digits through depth against the correlation map, widths 100-1000", check_forward,
          group="phase", figures=("phase-correlation",), cost=3.0,
          parts=_parts(measure_forward, SIGNAL.forward_widths),
          latex_title="The correlation of two digits through depth against the correlation map",
          cites=("poole2016", "schoenholz2017")),
    Claim("phase-backward-gradients", "Schoenholz et al. 2017",
          "Per-example RMS of delta^l through depth against mean field's product and exp(-(L-l)/(2 xi_grad))",
          check_backward, group="phase", figures=("phase-gradients",), cost=3.0,
          parts=_parts(measure_backward, SIGNAL.backward_widths),
          latex_title=r"Per-example gradients through depth against $\prod \sqrt{\chi^l}$ and "
                      r"$e^{-(L-l)/(2\xi_\nabla)}$",
          cites=("schoenholz2017",)),
]
