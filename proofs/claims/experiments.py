"""Claims measured on the NumPy network and real digits, by the book's protocols (``numeric.experiments.chapter``):
the speed of learning of each hidden layer at initialisation, the per-neuron picture, and how often |w| < 1.

Verdicts are *verified* (or *not reproduced*: see ``proofs.claim``): each rests on runs made here, from
the run's seed, and on the criteria of its protocol (``numeric.experiments.chapter``: thresholds and roles written
before the run, recorded with it), stated against the book's numbers (``BOOK_*``, quoted from the chapter,
never used as evidence), which a wrong protocol, a wrong norm or a network that learned nothing fails
(tests plant them). The training and accuracy claims are ``claims_training`` and ``claims_accuracy``.
"""

from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp

from numeric.experiments import chapter
from numeric.figures import neuron_bars_figure
from numeric.functions import sigmoid_prime
from numeric.networks.network import Network
from numeric.streams import purpose, replica_streams
from theory import to_latex
from theory.consequences import weight_below_one

from .. import book
from ..claim import Claim, Evidence, Fact, display, exact_number
from ..experiment_records import BOOK_NORMS_AT_INIT
from ..experiment_records import data_caveat as _data_caveat
from ..experiment_records import name as _name
from ..experiment_records import protocol_record as _protocol_record
from ..experiment_records import spread as _spread
from ..figures import save

__all__ = ["CLAIMS", "check_speed_at_init", "check_weights_below_one"]


# -- speed of learning at initialisation -----------------------------------------------------
def check_speed_at_init(ctx, protocol=None) -> Evidence:
    p = protocol or ctx.protocol(chapter.SPEED_AT_INIT)
    split = ctx.data().training
    n = min(p.images or len(split), len(split))
    runs = chapter.speed_at_init(p, split, ctx.run.seed)
    other = "l1" if p.norm == "euclidean" else "euclidean"
    inside_c, misses_c, bars_c = (p.criterion(k) for k in ("book-inside", "other-norm-misses", "second-larger"))
    facts, table, rows, paper, inside_other = [], {}, [], [], 0
    for sizes, run in runs.items():
        book = np.array(BOOK_NORMS_AT_INIT.get(sizes, ()))
        v, alt = run[p.norm], run[other]
        lo, hi = v.min(axis=0), v.max(axis=0)
        ratios = v[:, :-1] / v[:, 1:]
        table[_name(sizes)] = {
            "norm": p.norm, "mean": v.mean(axis=0).tolist(), "median": np.median(v, axis=0).tolist(),
            "min": lo.tolist(), "max": hi.tolist(), "per_seed": v.tolist(),
            "successive_ratio_median": np.median(ratios, axis=0).tolist(),
            "successive_ratio_min": ratios.min(axis=0).tolist(), "successive_ratio_max": ratios.max(axis=0).tolist(),
            f"{other}_median": np.median(alt, axis=0).tolist(), f"{other}_min": alt.min(axis=0).tolist(),
            f"{other}_max": alt.max(axis=0).tolist(), "book": book.tolist(),
        }
        if book.size:
            ok = (lo <= book) & (book <= hi)
            facts.append(Fact(f"{_name(sizes)}: each of the book's ||delta^l|| {book.tolist()} lies inside this run's "
                              f"seed range ({p.norm} norm, {p.seeds} seeds)", bool(ok.all()),
                              f"min-max over seeds of the norm of the bias gradient averaged over the first {n} images",
                              {"min": lo.tolist(), "max": hi.tolist()}, role=inside_c.role))
            book_ratio = book[:-1] / book[1:]
            rok = (ratios.min(axis=0) <= book_ratio) & (book_ratio <= ratios.max(axis=0))
            facts.append(Fact(f"{_name(sizes)}: the book's ratios of successive layers {np.round(book_ratio, 3).tolist()} "
                              "lie inside this run's seed range of ||delta^l|| / ||delta^(l+1)||", bool(rok.all()),
                              "min-max over seeds", table[_name(sizes)]["successive_ratio_min"], role=inside_c.role))
            inside_other += int(((alt.min(axis=0) <= book) & (book <= alt.max(axis=0))).sum())
            rows.append({"quantity": f"||delta^l|| at init, {_name(sizes)}, median [min, max] of {p.seeds} seeds "
                                     f"({p.norm} norm; {p.label})",
                         "book": ", ".join(f"{b:g}" for b in book),
                         "run": "; ".join(_spread(v[:, l]) for l in range(v.shape[1])),
                         "caveat": _data_caveat(ctx, n, p.images)})
            paper += [[str(len(sizes) - 2) if l == 0 else "", str(l + 1), f"{b:g}", _spread(v[:, l])]
                      for l, b in enumerate(book)]
    total = sum(len(b) for b in BOOK_NORMS_AT_INIT.values())
    apart = inside_other <= misses_c["max_fraction"] * total
    facts.append(Fact(f"{misses_c.describe()}: the {other} norm brackets {inside_other} of {total}", apart,
                      f"the same gradients, {other} norm", inside_other, role=misses_c.role))
    # The per-neuron picture: [784, 30, 30, 10], first 6 neurons of each hidden layer.
    pic = runs.get((784, 30, 30, 10))
    figures, neurons = [], {}
    if pic is not None:
        first, second = (np.abs(g).mean(axis=1) for g in pic["neurons"])
        larger = int(np.sum(second > first))
        neurons = {"seed": ctx.run.seed, "layers": [g[0].tolist() for g in pic["neurons"]],
                   "seeds_second_layer_larger": larger}
        facts.append(Fact(f"{bars_c.describe()}: in {larger} of {p.seeds} seeds", larger > bars_c["min_fraction"] * p.seeds,
                          "first 6 neurons of each hidden layer", larger, role=bars_c.role))
        figures += save(ctx, neuron_bars_figure([g[0] for g in pic["neurons"]],
                                                f"[784, 30, 30, 10] at initialisation, seed {ctx.run.seed}, {n} images"),
                        "neuron-gradients-at-init")
    headline = "; ".join(f"{k}: " + ", ".join(f"{m:.3g}" for m in t["median"]) for k, t in table.items())
    return Evidence("verified", facts, latex=r"\|\delta^1\| < \|\delta^2\| < \cdots < \|\delta^H\| "
                    r"\text{ at initialisation}", figures=figures, headline=f"median ||delta^l|| ({p.norm}): {headline}",
                    numbers={"protocol": _protocol_record(p, ctx, n), "table": table, "neurons": neurons,
                             "book_norm": "euclidean", "norm_reproducing_book": p.norm if apart else "undecided",
                             "book_vs_run": rows, "paper_table": {
                                 "columns": ["$H$", "$l$", "Book", "Measured"], "rows": paper,
                                 "caption": rf"$\|\delta^l\|$ of hidden layer $l$ of $H$ at initialisation "
                                            f"(gradient over {n:,} images, {p.norm} norm), median [min, max] "
                                            f"over {p.seeds} seeds"}})


# -- how often |w| < 1 -----------------------------------------------------------------------
def check_weights_below_one(ctx) -> Evidence:
    exact = weight_below_one(1)
    dps = min(ctx.run.dps, 60)  # capped as identity-neuron's: the quadrature at 1000 digits took 11-40 s, 10000 an hour
    with mpmath.workdps(dps):
        quad = mpmath.quad(lambda t: mpmath.exp(-t**2 / 2) / mpmath.sqrt(2 * mpmath.pi), [-1, 1])
        closed = mpmath.erf(1 / mpmath.sqrt(2))
    p_exact = float(closed)
    p = ctx.protocol(chapter.WEIGHTS_BELOW_ONE)
    split = ctx.data().training.head(p.images)
    sizes, seeds = p.networks[0], replica_streams(ctx.run.seed, p.seeds)
    measured = {}
    for init in ("large", "default"):
        below_w = below_f = count = 0
        for s in seeds:
            net = Network(sizes, rng=purpose(s, "init"), init=init)
            zs, _ = net.forward(split.x)
            for l in range(1, len(sizes) - 2):  # weights into hidden layers 2..H, with sigma' of the receiving neuron
                w, sp_ = net.weights[l], sigmoid_prime(zs[l])  # (n_out, n_in), (images, n_out)
                below_w += int(np.sum(np.abs(w) < 1)) * len(split)
                below_f += int(np.sum(np.abs(w)[None, :, :] * sp_[:, :, None] < 0.25))
                count += w.size * len(split)
        measured[init] = {"weights_below_1": below_w / count, "factors_below_quarter": below_f / count, "factors": count}
    n_w = measured["large"]["factors"] // len(split)
    stderr = np.sqrt(p_exact * (1 - p_exact) / n_w)
    large = measured["large"]
    facts = [
        Fact("P(|w| < 1) for w ~ N(0, 1) is erf(1/sqrt 2) exactly: SymPy integrates the normal density from -1 to 1",
             exact["gap"] == 0, "sympy.integrate, exact", exact["integral"]),
        Fact(f"the quadrature of the density agrees with erf(1/sqrt 2) to {dps - 5} digits",
             abs(quad - closed) < mpmath.mpf(10) ** (5 - dps), f"mpmath.quad at {dps} digits",
             mpmath.nstr(closed, 20)),
        Fact(f"{p.criterion('binomial').describe()} ({len(seeds)} seeds, {n_w} weights)",
             abs(large["weights_below_1"] - p_exact) <= p.criterion("binomial")["max_standard_errors"] * stderr,
             f"standard error {stderr:.2g}", large["weights_below_1"]),
        Fact(p.criterion("factors").describe(), large["factors_below_quarter"] >= large["weights_below_1"],
             f"first {len(split)} images", large["factors_below_quarter"]),
    ]
    rows = [{"quantity": "P(|w| < 1), w ~ N(0, 1)", "book": f"{book.P_ABS_W_BELOW_ONE:.1%}", "run": f"erf(1/sqrt 2) = {p_exact:.4%}"},
            {"quantity": "factors |w_jk sigma'(z_j)| < 1/4, [784, 30^4, 10], N(0, 1) weights / default N(0, 1/n_in)",
             "book": "usually", "run": f"{large['factors_below_quarter']:.2%} / "
                                       f"{measured['default']['factors_below_quarter']:.2%}"}]
    w = exact["w"]
    probability = sp.Eq(sp.Integral(exact["density"], (w, -1, 1)), exact["integral"], evaluate=False)
    return Evidence("verified", facts, statement=probability,
                    latex=display(r"P\bigl(|w| < 1\bigr) = \int_{-1}^{1} \frac{e^{-w^2/2}}{\sqrt{2\pi}}\,dw",
                                  rf"= {to_latex(exact['integral'])} \approx {mpmath.nstr(closed, 3)}"),
                    headline=f"P(|w| < 1) = erf(1/sqrt 2) = {mpmath.nstr(closed, 30)}",
                    numbers={"probability": exact_number(closed, dps), "measured": measured,
                             "protocol": _protocol_record(p, ctx, len(split)), "book_vs_run": rows,
                             "paper_table": {
                                 "columns": ["Quantity", "Book", "Measured"],
                                 "rows": [["P(|w| < 1), w ~ N(0, 1)", f"{book.P_ABS_W_BELOW_ONE:.1%}",
                                           f"{p_exact:.2%} (exact)"],
                                          ["|w sigma'(z)| < 1/4, N(0, 1) weights", "usually",
                                           f"{large['factors_below_quarter']:.2%}"],
                                          ["the same, default weights", "",
                                           f"{measured['default']['factors_below_quarter']:.2%}"]],
                                 "caption": rf"How often a weight, and a factor $|w_{{jk}}\,\sigma'(z_j)|$ of "
                                            rf"$[784, 30^{{\times 4}}, 10]$ over {len(split):,} images, is small at "
                                            f"initialisation ({len(seeds)} seeds)"}})


CLAIMS = [
    Claim("speed-of-learning-at-init", "ch. 5, 'The vanishing gradient problem'",
          "At initialisation each hidden layer learns about 5 times slower than the next", check_speed_at_init,
          group="experiments", figures=("neuron-gradients-at-init",), cost=1.0,
          latex_title="At initialisation each hidden layer learns about 5 times slower than the next"),
    Claim("weights-below-one", "ch. 5, 'What's causing the vanishing gradient problem?'",
          "With N(0, 1) weights, |w| < 1 with probability erf(1/sqrt 2)", check_weights_below_one,
          group="experiments",
          latex_title=r"With $\mathcal{N}(0, 1)$ weights, $|w| < 1$ with probability $\operatorname{erf}(1/\sqrt{2})$"),
]
