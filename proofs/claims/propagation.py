"""Beyond the chapter: correlations and gradients through random tanh networks against mean field's maps.

Schoenholz et al. (2017): two inputs' correlation moves by the correlation map to c* at the rate chi_c
(|c^l - c*| ~ exp(-l/xi_c)); the per-example gradient moves by sqrt(chi^l) per layer (exp(-(L-l)/(2 xi_grad))
at q*). Measured on pairs of embedded digits at widths 100-1000, tanh, sigma_b^2 = 0.05, sigma_w^2 ordered,
near the edge, chaotic. The protocol is this suite's (labelled); its thresholds are fixed below, before the run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from numeric import streams
from numeric.experiments import correlation as C
from numeric.experiments import meanfield as mf
from numeric.experiments import propagation as P
from numeric.figures.phase import correlation_figure, gradient_figure

from ..book import SCHOENHOLZ_TANH_EDGE_SIGMA_W2 as EDGE
from ..book import SCHOENHOLZ_TANH_SIGMA_B2
from ..claim import Claim, Evidence, Fact, Part, display
from ..data import load_data
from ..figures import save


@dataclass(frozen=True)
class SignalProtocol:
    """What the forward and backward claims measure and the thresholds they are judged by."""

    name: str = "phase-signal"
    sigma_b2: float = SCHOENHOLZ_TANH_SIGMA_B2
    forward_sigma_w2s: tuple = (1.0, 2.0, 3.0)
    backward_sigma_w2s: tuple = (1.0, EDGE, 3.0)  # ordered, Schoenholz et al.'s edge, chaotic
    forward_widths: tuple = (100, 300, 1000)
    backward_widths: tuple = (100, 1000)
    depth: int = 20
    pairs: int = 40  # digit pairs (rows 2i, 2i + 1 of the training split)
    examples: int = 50  # digits for the per-example RMS of delta^l
    seeds: int = 2
    max_c_gap: float = 0.05  # |measured - map| of the mean correlation, every layer, widest layers
    slope_layers: tuple = (8, 20)  # fit window of log|c^l - c*|
    max_slope_gap: float = 0.10  # relative, ordered phase (measured) and chaotic phase (the map's own slope)
    max_rms_gap: float = 0.20  # relative, rms^l / rms^L against the map's product, every layer, widest layers

    def caption(self, seeds: int) -> str:
        return (f"this suite's signal-propagation protocol: tanh, sigma_b^2 = {self.sigma_b2:g}, [784, n x "
                f"{self.depth}, 10], n in {list(self.forward_widths)}, {self.pairs} pairs of embedded digits "
                f"(forward) and {self.examples} digits (backward, softmax read-out), {seeds} seeds")


SIGNAL = SignalProtocol()
WITHIN = "its child number n draws the network of width n (numeric.experiments.propagation.draws)"


def _seeds(ctx) -> int:
    return ctx.seeds_for(SIGNAL.seeds, 1)


def measure_forward(width: int, seed: int, replica: int, mnist) -> dict:
    """Returns {sigma_w^2: (depth,) mean measured correlation over the pairs} for one width and replica k of the
    run from ``seed`` (numeric.streams.replica)."""
    xa, xb = P.pair_inputs(load_data(mnist).training.x, SIGNAL.pairs)
    net = P.draws(streams.replica(seed, replica), SIGNAL.depth, width)
    sb = SIGNAL.sigma_b2 ** 0.5
    return {s2: P.forward(net, xa, xb, s2 ** 0.5, sb)["c"].mean(axis=1) for s2 in SIGNAL.forward_sigma_w2s}


def measure_backward(width: int, seed: int, replica: int, mnist) -> dict:
    """Returns {sigma_w^2: (depth,) per-example RMS of delta^l} for one width and replica k of the run from
    ``seed``."""
    d = load_data(mnist).training
    net = P.draws(streams.replica(seed, replica), SIGNAL.depth, width)
    x, y = d.x[:SIGNAL.examples], d.y[:SIGNAL.examples]
    return {s2: P.backward(net, x, y, s2 ** 0.5, SIGNAL.sigma_b2 ** 0.5) for s2 in SIGNAL.backward_sigma_w2s}


def _parts(fn, tag, widths):
    def parts(ctx):
        return [Part((tag, n, k, ctx.seed), fn, (n, ctx.seed, k, ctx.mnist)) for n in widths
                for k in range(_seeds(ctx))]
    return parts


def _gather(ctx, fn, tag, widths) -> dict:
    return {n: [ctx.compute(Part((tag, n, k, ctx.seed), fn, (n, ctx.seed, k, ctx.mnist))) for k in range(_seeds(ctx))]
            for n in widths}


def map_correlations(mnist, sigma_w2: float) -> np.ndarray:
    """Returns the correlation map's mean c^1..c^depth over the protocol's pairs (each pair from its layer-1
    covariance, numeric.experiments.correlation.correlation_curve)."""
    xa, xb = P.pair_inputs(load_data(mnist).training.x, SIGNAL.pairs)
    sw, sb = sigma_w2 ** 0.5, SIGNAL.sigma_b2 ** 0.5
    return C.correlation_curve("tanh", *P.first_layer(xa, xb, sw, sb), sw, sb, SIGNAL.depth).mean(axis=1)


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
    runs = _gather(ctx, measure_forward, "phase-fw", SIGNAL.forward_widths)
    measured = {n: {s2: np.mean([r[s2] for r in rs], axis=0) for s2 in SIGNAL.forward_sigma_w2s}
                for n, rs in runs.items()}
    predicted = {s2: map_correlations(ctx.mnist, s2) for s2 in SIGNAL.forward_sigma_w2s}
    curve = C.depth_scales_curve("tanh", SIGNAL.forward_sigma_w2s, SIGNAL.sigma_b2)
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
        numbers={"protocol": {"name": SIGNAL.name, "caption": SIGNAL.caption(seeds), **asdict(SIGNAL),
                              "seeds_used": [ctx.seed],
                              "streams": streams.describe(ctx.seed, seeds, WITHIN)},
                 "measured": {n: {str(k): v.tolist() for k, v in m.items()} for n, m in measured.items()},
                 "map": {str(k): v.tolist() for k, v in predicted.items()},
                 "scales": {str(k): v for k, v in scales.items()},
                 "book_vs_run": rows})


def predicted_rms(sigma_w2: float, mnist) -> tuple[np.ndarray, np.ndarray]:
    """Returns (the map's exact product rms^l / rms^L, exp(-(L - l)/(2 xi_grad))) for l = 1..L.

    The product uses chi^l = sigma_w^2 E[phi'(sqrt(q^l) z)^2] along the finite-depth q^l from the digits' layer-1
    variance (numeric.experiments.meanfield.depth_prediction); the exponential uses xi_grad at q*.
    """
    x = load_data(mnist).training.x[:SIGNAL.examples]
    sw, sb = sigma_w2 ** 0.5, SIGNAL.sigma_b2 ** 0.5
    q1 = float(np.mean(P.first_layer(x, x, sw, sb)[0]))
    chi = np.array(mf.depth_prediction("tanh", sw, sb, q1, SIGNAL.depth)["chi"])
    product = np.array([np.prod(np.sqrt(chi[l:])) for l in range(SIGNAL.depth)])
    xi = float(C.depth_scales_curve("tanh", [sigma_w2], SIGNAL.sigma_b2)["xi_grad"][0])
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
    runs = _gather(ctx, measure_backward, "phase-bw", SIGNAL.backward_widths)
    measured = {n: {s2: np.exp(np.mean([np.log(r[s2] / r[s2][-1]) for r in rs], axis=0))
                    for s2 in SIGNAL.backward_sigma_w2s} for n, rs in runs.items()}
    pred = {s2: predicted_rms(s2, ctx.mnist) for s2 in SIGNAL.backward_sigma_w2s}
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
        numbers={"protocol": {"name": SIGNAL.name, "caption": SIGNAL.caption(seeds), **asdict(SIGNAL),
                              "seeds_used": [ctx.seed],
                              "streams": streams.describe(ctx.seed, seeds, WITHIN)},
                 "measured": {n: {str(k): v.tolist() for k, v in m.items()} for n, m in measured.items()},
                 "product": {str(k): v.tolist() for k, v in product.items()}, "book_vs_run": rows})


CLAIMS = [
    Claim("phase-forward-correlation", "Poole et al. 2016; Schoenholz et al. 2017",
          "Correlation of two digits through depth against the correlation map, widths 100-1000", check_forward,
          group="phase", figures=("phase-correlation",), cost=3.0,
          parts=_parts(measure_forward, "phase-fw", SIGNAL.forward_widths),
          latex_title="The correlation of two digits through depth against the correlation map",
          cites=("poole2016", "schoenholz2017")),
    Claim("phase-backward-gradients", "Schoenholz et al. 2017",
          "Per-example RMS of delta^l through depth against mean field's product and exp(-(L-l)/(2 xi_grad))",
          check_backward, group="phase", figures=("phase-gradients",), cost=3.0,
          parts=_parts(measure_backward, "phase-bw", SIGNAL.backward_widths),
          latex_title=r"Per-example gradients through depth against $\prod \sqrt{\chi^l}$ and "
                      r"$e^{-(L-l)/(2\xi_\nabla)}$",
          cites=("schoenholz2017",)),
]
