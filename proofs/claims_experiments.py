"""Claims measured on the NumPy network and real digits, by the book's protocols (``numeric.protocols``):
the speed of learning of each hidden layer at initialisation and while training, the per-neuron
picture, accuracy against depth, and how often |w| < 1.

Verdicts are *verified*: each rests on runs made here, from the run's seed, and on a criterion
stated against the book's numbers (``BOOK_*``, quoted from the chapter, never used as evidence)
that a wrong protocol, a wrong norm or a network that learned nothing fails (tests plant them).
"""

from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp

from numeric import protocols as P
from numeric.experiments import accuracy_by_depth, speed_at_init, speed_during_training
from numeric.figures import accuracy_figure, gradient_norms_figure, neuron_bars_figure
from numeric.functions import sigmoid_prime
from numeric.network import Network
from theory import to_latex
from theory.consequences import weight_below_one

from .claim import Claim, Evidence, Fact, display, exact_number
from .data import load_data
from .figures import save

# The book's numbers (Nielsen ch. 5; shared/BOOK.md), one random initialisation each.
BOOK_NORMS_AT_INIT = {(784, 30, 30, 10): (0.07, 0.31), (784, 30, 30, 30, 10): (0.012, 0.060, 0.283),
                      (784, 30, 30, 30, 30, 10): (0.003, 0.017, 0.070, 0.285)}
BOOK_LAST_OVER_FIRST = 100  # "with four hidden layers the first learns about 100 times slower than the last"
RATIO_RANGE = (50, 250)  # "about 100": the run's median must lie in this range
BOOK_ACCURACY = {1: 0.9648, 2: 0.9690, 3: 0.9657, 4: 0.9653}  # 30 epochs on full MNIST, one run each
LEARNED = 0.60  # a network "learned" when its median validation accuracy is at least this (chance: 0.10)
AT_CHANCE = 0.20  # at or below this a network is reported as at chance
DEPTH_MARGIN = 0.02  # deeper networks beat one hidden layer by at most this (book: +0.42 points)
BOOK_MARGIN = 0.015  # on full MNIST, each depth's median within this of the book's accuracy
SPEEDS_DROP = 0.1  # "the speeds drop quickly": every layer's median norm falls below this fraction
QUICK_SEEDS = {"speed-of-learning-during-training": 2, "accuracy-vs-depth": 1}


def protocol_for(ctx, claim_id: str, default: P.Protocol) -> P.Protocol:
    """Returns the protocol a claim runs: the book's, with --seeds or --quick applied."""
    p = default
    if getattr(ctx, "seeds", None):
        p = p.replace(seeds=int(ctx.seeds))
    if getattr(ctx, "quick", False) and claim_id in QUICK_SEEDS:
        p = p.quick(seeds=QUICK_SEEDS[claim_id])
    return p


def _protocol_record(p: P.Protocol, ctx, n: int) -> dict:
    return p.as_dict() | {"seeds_used": p.seed_list(ctx.seed), "caption": p.describe(n), "images_used": n}


def _data_caveat(ctx, n: int, book_n: int) -> str:
    """The caveat of a measured row: which digits, and how many against the book's."""
    source = ctx.data().source
    which = "the embedded 5,000-digit subset" if source.startswith("embedded") else source
    return f"{which}, {n:,} images" + ("" if n == book_n else f" (the book: {book_n:,})") + "; " + \
        "seeds spread shown, the book reports one run"


def _spread(v) -> str:
    """Returns "median [min, max]" of the values v, 3 significant digits."""
    return f"{np.median(v):.3g} [{np.min(v):.3g}, {np.max(v):.3g}]"


def _name(sizes) -> str:
    return str(list(sizes))


# -- speed of learning at initialisation -----------------------------------------------------
def check_speed_at_init(ctx, protocol: P.Protocol | None = None) -> Evidence:
    p = protocol or protocol_for(ctx, "speed-of-learning-at-init", P.SPEED_AT_INIT)
    split = ctx.data().training
    n = min(p.images or len(split), len(split))
    runs = speed_at_init(p, split, ctx.seed)
    other = "l1" if p.norm == "euclidean" else "euclidean"
    facts, table, rows, inside_other = [], {}, [], 0
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
                              {"min": lo.tolist(), "max": hi.tolist()}))
            book_ratio = book[:-1] / book[1:]
            rok = (ratios.min(axis=0) <= book_ratio) & (book_ratio <= ratios.max(axis=0))
            facts.append(Fact(f"{_name(sizes)}: the book's ratios of successive layers {np.round(book_ratio, 3).tolist()} "
                              "lie inside this run's seed range of ||delta^l|| / ||delta^(l+1)||", bool(rok.all()),
                              "min-max over seeds", table[_name(sizes)]["successive_ratio_min"]))
            inside_other += int(((alt.min(axis=0) <= book) & (book <= alt.max(axis=0))).sum())
            rows.append({"quantity": f"||delta^l|| at init, {_name(sizes)}, median [min, max] of {p.seeds} seeds "
                                     f"({p.norm} norm; {p.label})",
                         "book": ", ".join(f"{b:g}" for b in book),
                         "run": "; ".join(_spread(v[:, l]) for l in range(v.shape[1])),
                         "caveat": _data_caveat(ctx, n, p.images)})
    total = sum(len(b) for b in BOOK_NORMS_AT_INIT.values())
    facts.append(Fact(f"the {other} norm does not reproduce the book: {inside_other} of {total} book values inside its "
                      f"seed ranges (so the criterion tells the norms apart)", inside_other <= total // 3,
                      f"the same gradients, {other} norm", inside_other))
    # The per-neuron picture: [784, 30, 30, 10], first 6 neurons of each hidden layer.
    pic = runs.get((784, 30, 30, 10))
    figures, neurons = [], {}
    if pic is not None:
        first, second = (np.abs(g).mean(axis=1) for g in pic["neurons"])
        larger = int(np.sum(second > first))
        neurons = {"seed": ctx.seed, "layers": [g[0].tolist() for g in pic["neurons"]],
                   "seeds_second_layer_larger": larger}
        facts.append(Fact(f"[784, 30, 30, 10]: the bars of the second hidden layer are mostly larger than the first's "
                          f"(mean |dC/db_j| over the first 6 neurons) in {larger} of {p.seeds} seeds",
                          larger > p.seeds / 2, "first 6 neurons of each hidden layer", larger))
        figures += save(ctx, neuron_bars_figure([g[0] for g in pic["neurons"]],
                                                f"[784, 30, 30, 10] at initialisation, seed {ctx.seed}, {n} images"),
                        "neuron-gradients-at-init")
    headline = "; ".join(f"{k}: " + ", ".join(f"{m:.3g}" for m in t["median"]) for k, t in table.items())
    return Evidence("verified", facts, latex=r"\|\delta^1\| < \|\delta^2\| < \cdots < \|\delta^H\| "
                    r"\text{ at initialisation}", figures=figures, headline=f"median ||delta^l|| ({p.norm}): {headline}",
                    numbers={"protocol": _protocol_record(p, ctx, n), "table": table, "neurons": neurons,
                             "book_norm": "euclidean", "norm_reproducing_book": p.norm if inside_other <= total // 3
                             else "undecided", "book_vs_run": rows})


# -- speed of learning during training -------------------------------------------------------
def check_speed_during_training(ctx, protocol: P.Protocol | None = None) -> Evidence:
    p = protocol or protocol_for(ctx, "speed-of-learning-during-training", P.SPEED_DURING_TRAINING)
    split = ctx.data().training
    n = min(p.images or len(split), len(split))
    progress = getattr(ctx, "progress", None)
    runs = {}
    for one in _per_network(p):  # one task per network when an executor runs the claim's parts
        runs |= ctx.compute(("training", one, ctx.seed), speed_during_training, one, split, ctx.seed, progress)
    facts, figures, per_net, rows = [], [], {}, []
    for sizes, norms in runs.items():  # norms (epochs, S, H)
        med, lo, hi = np.median(norms, axis=1), norms.min(axis=1), norms.max(axis=1)
        ratio = norms[-1, :, -1] / norms[-1, :, 0]
        per_net[_name(sizes)] = {
            "median_by_epoch": med.tolist(), "range_epoch_0": [lo[0].tolist(), hi[0].tolist()],
            f"range_epoch_{len(norms) - 1}": [lo[-1].tolist(), hi[-1].tolist()],
            "last_over_first_final": ratio.tolist(), "last_over_first_final_median": float(np.median(ratio)),
        }
        lowest = int(np.sum(med.argmin(axis=1) == 0))
        facts.append(Fact(f"{_name(sizes)}: the first hidden layer has the lowest median ||delta^l|| at every recorded "
                          f"epoch ({lowest} of {len(med)})", lowest == len(med), "median over seeds, per epoch", lowest))
        drop = med[-1] / med[0]
        facts.append(Fact(f"{_name(sizes)}: the speeds drop: every layer's median ||delta^l|| at the last epoch is below "
                          f"{SPEEDS_DROP:g} of its value at initialisation", bool((drop < SPEEDS_DROP).all()),
                          "median over seeds", drop.tolist()))
        if len(sizes) == 6:
            in_range = RATIO_RANGE[0] <= np.median(ratio) <= RATIO_RANGE[1]
            facts.append(Fact(f"{_name(sizes)}: after {len(norms)} epochs the last hidden layer learns about "
                              f"{BOOK_LAST_OVER_FIRST} times faster than the first (book): median ||delta^4|| / "
                              f"||delta^1|| of {p.seeds} seeds within {RATIO_RANGE[0]}-{RATIO_RANGE[1]}",
                              bool(in_range), f"{p.label}; last recorded epoch", _spread(ratio)))
            rows.append({"quantity": f"||delta^4|| / ||delta^1|| after {len(norms)} epochs, {_name(sizes)}, median "
                                     f"[min, max] of {p.seeds} seeds ({p.label})",
                         "book": f"about {BOOK_LAST_OVER_FIRST}", "run": _spread(ratio),
                         "caveat": _data_caveat(ctx, n, p.images)})
        else:
            rows.append({"quantity": f"||delta^H|| / ||delta^1|| after {len(norms)} epochs, {_name(sizes)}, median "
                                     f"[min, max] of {p.seeds} seeds ({p.label})",
                         "book": "first layer much slower", "run": _spread(ratio),
                         "caveat": _data_caveat(ctx, n, p.images)})
        stem = f"speed-of-learning-{len(sizes) - 2}-hidden"
        title = f"{_name(sizes)}: {p.label}, {n} images, {p.seeds} seeds"
        figures += save(ctx, gradient_norms_figure(np.arange(len(med)), med, lo, hi, title), stem)
    return Evidence("verified", facts, figures=figures,
                    latex=display(r"\|\delta^1\| \ll \|\delta^H\| \text{ throughout training;}",
                                  rf"\|\delta^4\| / \|\delta^1\| \approx {BOOK_LAST_OVER_FIRST} \text{{ after {p.epochs} epochs}}"),
                    headline="; ".join(f"{k}: last/first {v['last_over_first_final_median']:.3g}" for k, v in per_net.items()),
                    numbers={"protocol": _protocol_record(p, ctx, n), "networks": per_net, "book_vs_run": rows})


def _per_network(p: P.Protocol) -> list:
    return [p.replace(networks=(sizes,)) for sizes in p.networks]


def _training_part(one: P.Protocol, mnist, seed: int):
    return speed_during_training(one, load_data(mnist).training, seed)


def training_parts(ctx) -> list:
    """The training claim's independent pieces: one (key, fn, args) per network."""
    p = protocol_for(ctx, "speed-of-learning-during-training", P.SPEED_DURING_TRAINING)
    return [(("training", one, ctx.seed), _training_part, (one, ctx.mnist, ctx.seed)) for one in _per_network(p)]


def _accuracy_part(part: tuple, mnist, seed: int):
    d = load_data(mnist)
    return accuracy_by_depth(part, d.training, d.validation, seed)


def _accuracy_protocols(ctx, n: int) -> list:
    main = protocol_for(ctx, "accuracy-vs-depth", P.ACCURACY)
    literal = protocol_for(ctx, "accuracy-vs-depth", P.ACCURACY_LITERAL)
    # On full MNIST (n = 50,000) both are the book's protocol, lmbda 5.0: run it once.
    return [main] if main.effective_lmbda(n) == literal.effective_lmbda(n) else [main, literal]


def accuracy_parts(ctx) -> list:
    """The accuracy claim's independent pieces: one (key, fn, args) per network, every protocol in it."""
    protocols = _accuracy_protocols(ctx, len(ctx.data().training))
    parts = [tuple(q.replace(networks=(sizes,)) for q in protocols) for sizes in protocols[0].networks]
    return [(("accuracy", part, ctx.seed), _accuracy_part, (part, ctx.mnist, ctx.seed)) for part in parts]


# -- accuracy against depth ------------------------------------------------------------------
def check_accuracy_by_depth(ctx, protocols: list[P.Protocol] | None = None) -> Evidence:
    """The first protocol carries the verdict; the others are reported beside it, labelled."""
    data = ctx.data()
    n = len(data.training)
    if protocols is None:
        protocols = _accuracy_protocols(ctx, n)
    main = protocols[0]
    runs = {q.name: {} for q in protocols}
    for sizes in main.networks:
        part = tuple(q.replace(networks=(sizes,)) for q in protocols)
        got = ctx.compute(("accuracy", part, ctx.seed), accuracy_by_depth, part, data.training, data.validation,
                          ctx.seed, getattr(ctx, "progress", None))
        for name, curves in got.items():
            runs[name] |= curves
    summary, rows, series = {}, [], {}
    for p in protocols:
        acc = {len(s) - 2: curve for s, curve in runs[p.name].items()}  # hidden layers -> (epochs, S)
        summary[p.name] = {
            "caption": p.describe(n),
            "final": {h: c[-1].tolist() for h, c in acc.items()},
            "median_final": {h: float(np.median(c[-1])) for h, c in acc.items()},
            "at_chance": [h for h, c in acc.items() if np.median(c[-1]) <= AT_CHANCE],
            "median_by_epoch": {h: np.median(c, axis=1).tolist() for h, c in acc.items()},
        }
        series[p.label] = tuple(zip(*[(np.median(c[-1]), c[-1].min(), c[-1].max()) for c in acc.values()]))
        for h, c in acc.items():
            note = " (AT CHANCE)" if np.median(c[-1]) <= AT_CHANCE else ""
            caveat = _data_caveat(ctx, n, P.BOOK_TRAINING_IMAGES)
            if p is not protocols[0]:
                caveat = "shown beside, not evidence for the verdict; " + caveat
            rows.append({"quantity": f"validation accuracy, {h} hidden layer{'s' if h > 1 else ''}, {p.epochs} epochs, "
                                     f"median [min, max] of {p.seeds} seeds ({p.label}, n = {n:,})",
                         "book": f"{BOOK_ACCURACY[h]:.2%}" if h in BOOK_ACCURACY else "",
                         "run": f"{np.median(c[-1]):.2%} [{c[-1].min():.2%}, {c[-1].max():.2%}]{note}",
                         "caveat": caveat})
    med = summary[main.name]["median_final"]
    facts = [Fact(f"every network learned under {main.label}: median validation accuracy at least {LEARNED:.0%} for "
                  f"each depth (chance is 10%)", all(v >= LEARNED for v in med.values()),
                  f"{main.epochs} epochs on {n:,} images", med)]
    if 1 in med and len(med) > 1:
        gain = max(v for h, v in med.items() if h > 1) - med[1]
        facts.append(Fact(f"more hidden layers barely help: the best deeper network beats one hidden layer by at most "
                          f"{DEPTH_MARGIN:.0%} (book: {max(BOOK_ACCURACY.values()) - BOOK_ACCURACY[1]:+.2%})",
                          bool(gain <= DEPTH_MARGIN), "difference of median validation accuracies", gain))
    if n == P.BOOK_TRAINING_IMAGES:  # the book's data: its numbers are the criterion
        near = {h: abs(v - BOOK_ACCURACY[h]) <= BOOK_MARGIN for h, v in med.items() if h in BOOK_ACCURACY}
        facts.append(Fact(f"on the book's 50,000 images each depth's median is within {BOOK_MARGIN:.1%} of the book's",
                          all(near.values()), "absolute difference", near))
    hidden = sorted(len(s) - 2 for s in main.networks)
    book = [BOOK_ACCURACY.get(h, np.nan) for h in hidden]
    series["book (one run, full MNIST)"] = (book, book, book)
    figures = save(ctx, accuracy_figure(hidden, series, 0.1, f"accuracy against depth, n = {n:,}"), "accuracy-vs-depth")
    why = ("lmbda is scaled by n/50,000 so that the regularisation per update, eta lmbda/n, is the book's; with lmbda 5.0 "
           f"on n = {n:,} images it is {5.0 * P.BOOK_TRAINING_IMAGES / n:g} times the book's") if len(protocols) > 1 else ""
    return Evidence("verified", facts, figures=figures,
                    latex=display(rf"\text{{accuracy of }} [784, 30^{{\times h}}, 10],\ h = 1, \dots, {max(hidden)}:",
                                  r"\text{depth barely helps}"),
                    headline="; ".join(f"{p.name}: " + ", ".join(f"{h}h {v:.3f}" for h, v in summary[p.name]
                                                                 ["median_final"].items()) for p in protocols),
                    numbers={"protocols": [_protocol_record(p, ctx, n) for p in protocols], "verdict_protocol": main.name,
                             "why_two_protocols": why, "data": data.source, "summary": summary, "book_vs_run": rows})


# -- how often |w| < 1 -----------------------------------------------------------------------
def check_weights_below_one(ctx) -> Evidence:
    exact = weight_below_one(1)
    dps = min(ctx.dps, 60)  # capped as identity-neuron's: the quadrature at 1000 digits took 11-40 s, 10000 an hour
    with mpmath.workdps(dps):
        quad = mpmath.quad(lambda t: mpmath.exp(-t**2 / 2) / mpmath.sqrt(2 * mpmath.pi), [-1, 1])
        closed = mpmath.erf(1 / mpmath.sqrt(2))
    p_exact = float(closed)
    split = ctx.data().training.head(P.SPEED_AT_INIT.images)
    sizes, seeds = (784, 30, 30, 30, 30, 10), P.SPEED_AT_INIT.seed_list(ctx.seed)
    measured = {}
    for init in ("large", "default"):
        below_w = below_f = count = 0
        for s in seeds:
            net = Network(sizes, rng=s, init=init)
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
        Fact(f"the network's N(0, 1) ('large') hidden-to-hidden weights have |w| < 1 in a fraction within 4 standard "
             f"errors of erf(1/sqrt 2) ({len(seeds)} seeds, {n_w} weights)",
             abs(large["weights_below_1"] - p_exact) <= 4 * stderr, f"standard error {stderr:.2g}",
             large["weights_below_1"]),
        Fact("since sigma' <= 1/4, every factor with |w| < 1 has |w sigma'(z)| < 1/4: the measured fraction of factors "
             "below 1/4 is at least that of weights below 1", large["factors_below_quarter"] >= large["weights_below_1"],
             f"first {len(split)} images", large["factors_below_quarter"]),
    ]
    rows = [{"quantity": "P(|w| < 1), w ~ N(0, 1)", "book": "68.3%", "run": f"erf(1/sqrt 2) = {p_exact:.4%}"},
            {"quantity": "factors |w_jk sigma'(z_j)| < 1/4, [784, 30^4, 10], N(0, 1) weights / default N(0, 1/n_in)",
             "book": "usually", "run": f"{large['factors_below_quarter']:.2%} / "
                                       f"{measured['default']['factors_below_quarter']:.2%}"}]
    w = exact["w"]
    probability = sp.Eq(sp.Integral(exact["density"], (w, -1, 1)), exact["integral"], evaluate=False)
    return Evidence("verified", facts, statement=probability,
                    latex=display(r"P\bigl(|w| < 1\bigr) = \int_{-1}^{1} \frac{e^{-w^2/2}}{\sqrt{2\pi}}\,dw",
                                  rf"= {to_latex(exact['integral'])} \approx {mpmath.nstr(closed, 3)}"),
                    headline=f"P(|w| < 1) = erf(1/sqrt 2) = {mpmath.nstr(closed, 30)}",
                    numbers={"probability": exact_number(closed, dps), "measured": measured, "book_vs_run": rows})


CLAIMS = [
    Claim("speed-of-learning-at-init", "ch. 5, 'The vanishing gradient problem'",
          "At initialisation each hidden layer learns about 5 times slower than the next", check_speed_at_init,
          group="experiments", figures=("neuron-gradients-at-init",), cost=1.0),
    Claim("speed-of-learning-during-training", "ch. 5, 'The vanishing gradient problem'",
          "While training, the first hidden layer stays about 100 times slower than the last", check_speed_during_training,
          group="experiments", figures=tuple(f"speed-of-learning-{len(n) - 2}-hidden" for n in P.CHAPTER_NETWORKS),
          cost=17.0, parts=training_parts),
    Claim("accuracy-vs-depth", "ch. 5, opening", "More hidden layers barely help", check_accuracy_by_depth,
          group="experiments", figures=("accuracy-vs-depth",), cost=17.0, parts=accuracy_parts),
    Claim("weights-below-one", "ch. 5, 'What's causing the vanishing gradient problem?'",
          "With N(0, 1) weights, |w| < 1 with probability erf(1/sqrt 2)", check_weights_below_one,
          group="experiments"),
]
