"""Beyond the chapter: mean field's per-layer factor sqrt(chi_1) against measurements at widths 30 to 1000.

The measurement protocol is this suite's choice (BOOK.md has none for it), ``numeric.experiments.chapter.MEANFIELD``,
labelled as such: [784, n, n, n, n, 10] with network2's initialisation, the first 1,000 training digits,
the per-example root-mean-square norm of delta^l (what the theory predicts) of hidden layers 2-4 (their
pre-activations are at q*; the first hidden layer's are at q^1 = 1 + mean ||x||^2 / 784, shown beside with
its own prediction), and the book's norm of the averaged gradient beside it for comparison. Its criteria
include telling sqrt(chi_1) from plausible slips (``numeric.experiments.meanfield.alternatives``): at the widest layers
the median's interval must be narrower than the distance to each and lie on sqrt(chi_1)'s side of it.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from numeric.experiments import chapter
from numeric.experiments import meanfield as mf
from numeric.figures.experiments import meanfield_figure
from numeric.networks.network import Network
from numeric.networks.stacked import Stack
from numeric.stats import median_interval
from numeric.streams import purpose, replica_streams

from ..claim import Claim, Evidence, Fact, Part, display, margin_fact
from ..experiment_records import BOOK_RATIOS
from ..figures import save

__all__ = ["CLAIMS", "measure_width", "agreement", "meanfield_parts", "check_prediction"]

IMAGES = chapter.MEANFIELD.images
WIDEST_PARTS = 3  # the widest layers' seeds run as this many parts (the workers share the heaviest sweep)


def measure_width(run, n: int, seeds: int, images: int = IMAGES, lo: int = 0, hi: int | None = None,
                  dtype: str = "float64") -> dict:
    """Returns the per-layer ratios of [784, n, n, n, n, 10] at initialisation for replicas lo..hi of ``seeds``.

    Replica k draws its weights from the "init" child of ``SeedSequence(run.seed).spawn(seeds)[k]``. Keys:
    "factor" (S,): (R^2 / R^4)^(1/2) of the per-example RMS norms R^l (what mean field predicts); "pairs"
    (S, 3): R^l / R^{l+1} for hidden layer pairs 1/2, 2/3, 3/4; "book_factor" (S,) and "book" (S, 3): the same
    for the norm of the gradient averaged over the images (the book's ||delta^l||); "q1" (S,): the first hidden
    layer's pre-activation variance. One backward pass of the replicas, stacked in ``dtype``, gives both norms.
    """
    data = run.data().training.head(images)
    nets = [Network([784, n, n, n, n, 10], rng=purpose(stream, "init"))
            for stream in replica_streams(run.seed, seeds)[lo:hi]]
    stack = Stack.from_arrays([np.stack([net.weights[l] for net in nets]) for l in range(5)],
                              [np.stack([net.biases[l] for net in nets]) for l in range(5)], activation="sigmoid",
                              output="sigmoid", cost=nets[0].cost.name, dtype=np.dtype(dtype))
    r, b = stack.gradient_norms(data.x, data.y)  # (S, 4) each: per-example RMS, and the averaged gradient's norm
    return {"factor": np.sqrt(r[:, 1] / r[:, 3]), "pairs": r[:, :-1] / r[:, 1:],
            "book_factor": np.sqrt(b[:, 1] / b[:, 3]), "book": b[:, :-1] / b[:, 1:],
            "q1": np.array([float(np.mean((data.x @ net.weights[0].T + net.biases[0]) ** 2)) for net in nets])}


def _alternative_facts(predicted: float, values, alternatives: dict, protocol) -> list[Fact]:
    """The two criteria that tell sqrt(chi_1) from its plausible slips, on the widest layers' per-seed factors."""
    level = protocol.criterion("resolves-alternatives")["level"]
    ci = median_interval(values, level)
    width = ci["hi"] - ci["lo"]
    nearest = min(abs(a - predicted) for a in alternatives.values())
    crit = protocol.criterion("resolves-alternatives")
    facts = [Fact(f"{crit.describe()}: interval [{ci['lo']:.5f}, {ci['hi']:.5f}] ({ci['coverage']:.1%} coverage), "
                  f"width {width:.5f} against {nearest:.5f}", width < nearest,
                  "order-statistic interval of the median over seeds (numeric.stats.median_interval)",
                  {"interval": [ci["lo"], ci["hi"]], "coverage": ci["coverage"], "nearest_distance": nearest})]
    crit = protocol.criterion("closer-than-alternatives")
    for name, a in alternatives.items():
        mid = (a + predicted) / 2
        toward = ci["hi"] if a > predicted else ci["lo"]  # the interval's end nearest the alternative
        margin = (mid - ci["median"]) if a > predicted else (ci["median"] - mid)
        reach = abs(toward - ci["median"])
        facts.append(Fact(f"{crit.describe()}: {name} = {a:.5f} (midpoint {mid:.5f})",
                          bool(toward < mid if a > predicted else toward > mid),
                          "the interval's end toward the alternative lies on sqrt(chi_1)'s side of the midpoint",
                          {"median": ci["median"], "interval": [ci["lo"], ci["hi"]], "alternative": a},
                          margin=margin, spread=reach))
    return facts


def agreement(predicted: float, measured: dict, protocol=chapter.MEANFIELD,
              alternatives: dict | None = None) -> list[Fact]:
    """The protocol's criteria on per-seed factors ``measured`` {width: (S,)}: the prediction inside every width's
    seed range, near the median at the widest, the spread narrowing, and (with ``alternatives``) the widest
    median's interval telling the prediction from each alternative."""
    widths = sorted(measured)
    widest = np.asarray(measured[widths[-1]])
    inside = {n: bool(np.min(measured[n]) <= predicted <= np.max(measured[n])) for n in widths}
    gap = {n: float(abs(np.median(measured[n]) - predicted) / predicted) for n in widths}
    spread = {n: float(np.max(measured[n]) - np.min(measured[n])) for n in widths}
    near = protocol.criterion("near-at-widest")
    ci = median_interval(widest, protocol.criterion("resolves-alternatives")["level"])
    facts = [
        Fact(protocol.criterion("inside-range").describe(), all(inside.values()), "per-example RMS norms", inside),
        margin_fact(f"{near.describe()} (width {widths[-1]})", gap[widths[-1]], near["max_relative"],
                    max(ci["hi"] - ci["median"], ci["median"] - ci["lo"]) / predicted, above=False,
                    how="relative difference of the median", value={n: round(g, 4) for n, g in gap.items()}),
        Fact(f"{protocol.criterion('narrows').describe()} (width {widths[0]} against {widths[-1]})",
             spread[widths[-1]] < spread[widths[0]], "max - min of the factors",
             {n: round(s, 4) for n, s in spread.items()}),
    ]
    if alternatives:
        facts += _alternative_facts(predicted, widest, alternatives, protocol)
    return facts


def _protocol(ctx):
    return ctx.protocol(chapter.MEANFIELD)


def _chunks(p) -> list:
    """The parts: (width, lo, hi), the widest layers split so that the workers share them."""
    out = []
    for sizes in p.networks:
        n = sizes[1]
        step = max(1, -(-p.seeds // WIDEST_PARTS)) if n == max(z[1] for z in p.networks) else p.seeds
        out += [(n, lo, min(lo + step, p.seeds)) for lo in range(0, p.seeds, step)]
    return out


def meanfield_parts(ctx) -> list:
    p = _protocol(ctx)
    return [_part(ctx, p, n, lo, hi) for n, lo, hi in _chunks(p)]


def _part(ctx, p, n: int, lo: int, hi: int) -> Part:
    return Part.of(ctx.run, measure_width, n, p.seeds, p.images, lo, hi, p.dtype)


def _measure(ctx, p) -> dict:
    runs = {}
    for n, lo, hi in _chunks(p):
        got = ctx.compute(_part(ctx, p, n, lo, hi))
        runs.setdefault(n, []).append(got)
    return {n: {k: np.concatenate([g[k] for g in parts]) for k in parts[0]} for n, parts in runs.items()}


@lru_cache(maxsize=1)
def _predictions() -> tuple[float, dict]:
    """Returns (sqrt(chi_1), {name: alternative}) for network2's initialisation (mpmath quadrature, 20 digits)."""
    truth = float(mf.predict("sigmoid", 1, 1, dps=20)["ratio"])
    return truth, {k: float(v) for k, v in mf.alternatives("sigmoid", 1, 1, dps=20).items()}


def check_prediction(ctx, planted: str | None = None) -> Evidence:
    """``planted``: the name of an alternative formula put in place of sqrt(chi_1) (a test's planted flaw)."""
    p = _protocol(ctx)
    truth, alternatives = _predictions()
    predicted, name = truth, "sqrt(chi_1)"
    alternatives = dict(alternatives)
    if planted is not None:
        predicted, name = alternatives.pop(planted), planted
        alternatives["sqrt(chi_1)"] = truth
    runs = _measure(ctx, p)
    facts = agreement(predicted, {n: r["factor"] for n, r in runs.items()}, p, alternatives)
    rows, table, paper = [], {}, []
    for n, r in runs.items():
        f = r["factor"]
        ci = median_interval(f, p.criterion("resolves-alternatives")["level"])
        q1 = float(np.median(r["q1"]))
        first_pair = float(np.sqrt(mf.depth_prediction("sigmoid", 1.0, 1.0, q1, 2)["chi"][0]))
        table[str(n)] = {"seeds": p.seeds, "factor_median": ci["median"],
                         "factor_range": [float(f.min()), float(f.max())],
                         "median_interval": [ci["lo"], ci["hi"]], "interval_coverage": ci["coverage"],
                         "per_seed": f.tolist(), "pair_medians": np.median(r["pairs"], axis=0).tolist(),
                         "pair_1_2_prediction_at_q1": first_pair, "q1_median": q1,
                         "book_factor_median": float(np.median(r["book_factor"])),
                         "relative_gap": (ci["median"] - predicted) / predicted}
        rows.append({"quantity": f"per-layer factor (||delta^2|| / ||delta^4||)^(1/2), width {n}, median "
                                 f"[95% interval] of {p.seeds} seeds",
                     "book": f"{BOOK_RATIOS[0]}-{BOOK_RATIOS[1]} (width 30)",
                     "run": f"{ci['median']:.4g} [{ci['lo']:.4g}, {ci['hi']:.4g}]; predicted {predicted:.4g} "
                            f"({(ci['median'] - predicted) / predicted:+.1%})",
                     "caveat": "per-example RMS norm; the averaged gradient's norm gives "
                               f"{table[str(n)]['book_factor_median']:.4g}; "
                               f"pair 1/2 {table[str(n)]['pair_medians'][0]:.4g} "
                               f"(its own prediction at q^1 = {q1:.3f}: {first_pair:.4g}); embedded digits, "
                               f"{p.images:,} images; this suite's protocol"})
        paper.append([str(n), f"{ci['median']:.4g} [{ci['lo']:.3g}, {ci['hi']:.3g}]",
                      f"{table[str(n)]['pair_medians'][0]:.4g} ({first_pair:.3g})"])
    ws = sorted(runs)
    figures = save(ctx, meanfield_figure(ws, [runs[n]["factor"] for n in ws], predicted,
                                         [runs[n]["book_factor"] for n in ws], alternatives), "meanfield-ratio")
    latex = display(r"\Bigl(\frac{\sqrt{\mathbb{E}_x\|\delta^2(x)\|^2}}"
                    r"{\sqrt{\mathbb{E}_x\|\delta^4(x)\|^2}}\Bigr)^{1/2}"
                    r"\;\to\; \sqrt{\chi_1}", rf"\text{{measured at widths }} {', '.join(map(str, ws))}")
    return Evidence("verified", facts, latex=latex, figures=figures,
                    headline="; ".join(f"n={n}: {table[str(n)]['factor_median']:.4f}" for n in ws)
                             + f" against {name} = {predicted:.4f}",
                    numbers={"protocol": chapter.record(p, ctx.run.seed, p.images),
                             "predicted": predicted, "prediction": name, "alternatives": alternatives,
                             "widths": table, "book_vs_run": rows, "paper_table": {
                                 "columns": ["Width", "Layers 2--4", "Layers 1/2 (predicted)"],
                                 "rows": paper,
                                 "caption": rf"The per-example factor $(\|\delta^2\|/\|\delta^4\|)^{{1/2}}$ at "
                                            f"initialisation against the width, median [95% interval] over {p.seeds} "
                                            rf"seeds (predicted $\sqrt{{\chi_1}} = {predicted:.4f}$), and of layers "
                                            f"1/2 (own prediction); the book: {BOOK_RATIOS[0]}--{BOOK_RATIOS[1]}"}})


CLAIMS = [
    Claim("meanfield-ratio-vs-width", "Schoenholz et al. 2017; ch. 5 norms",
          "The predicted per-layer ratio sqrt(chi_1) against measurements at widths 30-1000", check_prediction,
          group="meanfield", figures=("meanfield-ratio",), cost=9.0, parts=meanfield_parts,
          latex_title=r"The predicted ratio $\sqrt{\chi_1}$ against measurements at widths 30--1000",
          cites=("schoenholz2017", "nielsen2015")),
]
