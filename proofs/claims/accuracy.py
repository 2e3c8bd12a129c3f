"""Accuracy against depth (Nielsen ch. 5, opening), tested on both sides of the book's statement.

The book: one more hidden layer helps a little (96.48 -> 96.90 %), more do not help and may hurt (96.57, 96.53 %),
a drop it calls "probably not statistically significant". The criteria (``numeric.experiments.chapter.ACCURACY``):
every depth learned (a check); more hidden layers do not help (a reproduction, its margin beside the seeds'
paired spread); and deeper networks do not hurt beyond the book's own spread: the drop from the best depth
to the deepest is either within the range of the book's four values or not significant by an exact paired
sign-flip test over the seeds (a reproduction). A miss with every check holding is "not reproduced".

The cause this data can show: the embedded 4,000 images give 12.5 times fewer SGD updates per epoch than the
book's 50,000, and the deeper networks are still climbing at epoch 30 (the gain over the last 5 epochs is
recorded); ``experiments.chapter.ACCURACY_MATCHED_UPDATES`` (the book's 150,000 updates) tests whether the drop
closes (``scripts/accuracy_matched_updates.py``; a slow test).
"""

from __future__ import annotations

import numpy as np

from numeric.experiments import chapter
from numeric.figures.experiments import accuracy_figure
from numeric.stats import median_interval, sign_flip_p, spread_toward

from ..claim import Claim, Evidence, Fact, Part, display, margin_fact
from ..experiment_records import BOOK_ACCURACY, data_caveat, protocol_record
from ..figures import save
from ..voice import paper

__all__ = ["CLAIMS", "check_accuracy_by_depth", "accuracy_parts", "depth_facts"]

LATE_EPOCHS = 5  # the gain over the last few epochs: is a depth still climbing when training stops?


def _accuracy_part(run, protocols: tuple):
    d = run.data()
    return chapter.accuracy_by_depth(protocols, d.training, d.validation, run.seed)


def _accuracy_protocols(ctx, n: int) -> list:
    main, literal = ctx.protocol(chapter.ACCURACY), ctx.protocol(chapter.ACCURACY_LITERAL)
    # On full MNIST (n = 50,000) both are the book's protocol, lmbda 5.0: run it once.
    return [main] if chapter.effective_lmbda(main, n) == chapter.effective_lmbda(literal, n) else [main, literal]


def accuracy_parts(ctx) -> list:
    """The accuracy claim's independent pieces: one ``Part`` per network, every protocol in it."""
    protocols = _accuracy_protocols(ctx, len(ctx.data().training))
    parts = [tuple(q.replace(networks=(sizes,)) for q in protocols) for sizes in protocols[0].networks]
    return [_part(ctx, part) for part in parts]


def _part(ctx, protocols: tuple) -> Part:
    return Part.of(ctx.run, _accuracy_part, protocols)


def depth_facts(p, final: dict, n: int) -> tuple[list, dict]:
    """Returns (facts, drop record) of the protocol's criteria on ``final`` {hidden layers: accuracies (S,)}."""
    med = {h: float(np.median(v)) for h, v in final.items()}
    learned = p.criterion("learned")
    facts = [Fact(f"{learned.describe()} under {p.label}", all(v >= learned["min_accuracy"] for v in med.values()),
                  f"{chapter.epochs_on(p, n)} epochs on {n:,} images", med, role=learned.role)]
    drop = {}
    if 1 in med and len(med) > 1:
        c = p.criterion("deeper-does-not-help")
        deeper = max((h for h in med if h > 1), key=med.get)
        gain = med[deeper] - med[1]
        diffs = final[deeper] - final[1]  # paired: replica k of every depth shares its shuffling stream
        facts.append(margin_fact(f"{c.describe()}: best deeper ({deeper} hidden) {gain:+.2%} (book: "
                                 f"{max(BOOK_ACCURACY.values()) - BOOK_ACCURACY[1]:+.2%})", gain, c["max_gain"],
                                 spread_toward(diffs, c["max_gain"], c["level"]), above=False, role=c.role,
                                 how="difference of median validation accuracies; spread from the paired differences",
                                 value={"gain": gain, "per_seed": diffs.tolist()}))
        c = p.criterion("drop-not-significant")
        best, deepest = max(med, key=med.get), max(med)
        d = final[best] - final[deepest]
        p_value = sign_flip_p(d) if best != deepest else 1.0
        ci = median_interval(d)
        size = med[best] - med[deepest]
        significant = bool(p_value < c["alpha"])
        drop = {"from": best, "to": deepest, "drop": size, "per_seed": d.tolist(), "p_value": p_value,
                "significant": significant, "median_interval": [ci["lo"], ci["hi"]], "coverage": ci["coverage"]}
        facts.append(Fact(f"{c.describe()}: {best} -> {deepest} hidden layers drops {size:.2%} (per seed "
                          f"{ci['lo']:.2%} to {ci['hi']:.2%}), p = {p_value:.3g}: "
                          + ("significant" if significant else "not significant")
                          + (f" (the smallest p {len(d)} seeds allow: every seed dropped)"
                             if p_value <= 2.0 ** -len(d) + 1e-12 else ""),
                          bool(size <= c["book_spread"] or not significant), "exact sign-flip test over the seeds' "
                          "paired drops (numeric.stats.sign_flip_p)", drop, role=c.role))
    if n == chapter.BOOK_TRAINING_IMAGES:  # the book's data: its numbers are a criterion too
        c = p.criterion("book-values")
        near = {h: abs(v - BOOK_ACCURACY[h]) <= c["max_difference"] for h, v in med.items() if h in BOOK_ACCURACY}
        facts.append(Fact(c.describe(), all(near.values()), "absolute difference", near, role=c.role))
    return facts, drop


def check_accuracy_by_depth(ctx, protocols: list | None = None) -> Evidence:
    """The first protocol carries the verdict; the others are reported beside it, labelled."""
    data = ctx.data()
    n = len(data.training)
    if protocols is None:
        protocols = _accuracy_protocols(ctx, n)
    main = protocols[0]
    runs = {q.name: {} for q in protocols}
    for sizes in main.networks:
        part = tuple(q.replace(networks=(sizes,)) for q in protocols)
        got = ctx.compute(_part(ctx, part))
        for key, curves in got.items():
            runs[key] |= curves
    summary, rows, series = {}, [], {}
    for p in protocols:
        at_chance = p.criterion("learned")["at_chance"]
        acc = {len(s) - 2: curve for s, curve in runs[p.name].items()}  # hidden layers -> (epochs, S)
        late = min(LATE_EPOCHS, len(next(iter(acc.values()))) - 1)
        summary[p.name] = {
            "caption": chapter.describe(p, n),
            "final": {h: c[-1].tolist() for h, c in acc.items()},
            "median_final": {h: float(np.median(c[-1])) for h, c in acc.items()},
            "at_chance": [h for h, c in acc.items() if np.median(c[-1]) <= at_chance],
            "median_by_epoch": {h: np.median(c, axis=1).tolist() for h, c in acc.items()},
            f"median_gain_last_{late}_epochs": {h: float(np.median(c[-1] - c[-1 - late])) for h, c in acc.items()},
        }
        label = paper(p.label).replace("lmbda", r"$\lambda$")  # a figure's words: a paper's
        series[label] = tuple(zip(*[(np.median(c[-1]), c[-1].min(), c[-1].max()) for c in acc.values()]))
        for h, c in acc.items():
            note = " (AT CHANCE)" if np.median(c[-1]) <= at_chance else ""
            caveat = data_caveat(ctx, n, chapter.BOOK_TRAINING_IMAGES)
            if p is not protocols[0]:
                caveat = "shown beside, not evidence for the verdict; " + caveat
            epochs = chapter.epochs_on(p, n)
            rows.append({"quantity": f"validation accuracy, {h} hidden layer{'s' if h > 1 else ''}, {epochs} "
                                     f"epochs, median [min, max] of {p.seeds} seeds ({p.label}, n = {n:,})",
                         "book": f"{BOOK_ACCURACY[h]:.2%}" if h in BOOK_ACCURACY else "",
                         "run": f"{np.median(c[-1]):.2%} [{c[-1].min():.2%}, {c[-1].max():.2%}]{note}",
                         "caveat": caveat})
    final = {len(s) - 2: c[-1] for s, c in runs[main.name].items()}
    facts, drop = depth_facts(main, final, n)
    if drop:
        summary[main.name]["drop"] = drop
        rows.append({"quantity": f"drop in validation accuracy from {drop['from']} to {drop['to']} hidden layers, "
                                 f"median [95% interval] of {main.seeds} paired seeds ({main.label})",
                     "book": f"{BOOK_ACCURACY[2] - BOOK_ACCURACY[4]:.2%} (2 -> 4), 'probably not statistically "
                             "significant'",
                     "run": f"{drop['drop']:.2%} [{drop['median_interval'][0]:.2%}, {drop['median_interval'][1]:.2%}], "
                            f"p = {drop['p_value']:.3g} ("
                            + ("significant)" if drop["significant"] else "not significant)"),
                     "caveat": f"exact paired sign-flip test; {data_caveat(ctx, n, chapter.BOOK_TRAINING_IMAGES)}"})
    hidden = sorted(len(s) - 2 for s in main.networks)
    book = [BOOK_ACCURACY.get(h, np.nan) for h in hidden]
    series["book (one run, full MNIST)"] = (book, book, book)
    figures = save(ctx, accuracy_figure(hidden, series, 0.1, f"error against depth, n = {n:,} digits"),
                   "accuracy-vs-depth")
    literal = next((q for q in protocols if not q.lmbda_per), None)
    why = (f"lmbda is scaled by n/{main.lmbda_per:,} so that the regularisation per update, eta lmbda/n, is the "
           f"book's; with lmbda {literal.lmbda:g} on n = {n:,} images it is "
           f"{chapter.effective_lmbda(literal, n) / chapter.effective_lmbda(main, n):g} times the book's"
           ) if literal is not None and main.lmbda_per else ""
    updates = chapter.epochs_on(main, n) * -(-n // chapter.batch(main, n))
    cause = (f"{updates:,} SGD updates per network against the book's {chapter.BOOK_UPDATES:,} "
             f"({chapter.BOOK_UPDATES / updates:.3g} times fewer); the median gain over the last epochs per depth is "
             + ", ".join(f"{h}h {v:+.2%}" for h, v in summary[main.name][f"median_gain_last_{late}_epochs"].items()))
    return Evidence("verified", facts, figures=figures,
                    latex=display(rf"\text{{accuracy of }} [784, 30^{{\times h}}, 10],\ h = 1, \dots, {max(hidden)}:",
                                  r"\text{more hidden layers neither help nor (significantly) hurt}"),
                    headline="; ".join(f"{p.name}: " + ", ".join(f"{h}h {v:.3f}" for h, v in summary[p.name]
                                                                 ["median_final"].items()) for p in protocols)
                             + (f"; drop {drop['drop']:.2%}, p = {drop['p_value']:.3g}" if drop else "")
                             + f"; cause shown: {updates:,} updates against the book's {chapter.BOOK_UPDATES:,}",
                    numbers={"protocols": [protocol_record(p, ctx, n) for p in protocols],
                             "verdict_protocol": main.name,
                             "why_two_protocols": why, "cause": cause, "data": data.source, "summary": summary,
                             "book_vs_run": rows, "paper_table": _paper_table(protocols, summary, drop, n),
                             "measured_words": _measured(summary[main.name], drop, main.seeds)})


def _paper_table(protocols: list, summary: dict, drop: dict, n: int) -> dict:
    """The paper's table: a row per depth, the book's value beside each protocol's median (range); the drop from the
    best depth to the deepest in its caption."""
    def acc(v: list) -> str:
        return f"{100 * float(np.median(v)):.1f} ({100 * min(v):.1f}--{100 * max(v):.1f})"

    heads = [rf"$\lambda$ scaled ({q.seeds} seeds)" if q.lmbda_per else rf"$\lambda = {q.lmbda:g}$ ({q.seeds} seeds)"
             for q in protocols]
    depths = sorted(summary[protocols[0].name]["final"])
    rows = [[str(h), f"{100 * BOOK_ACCURACY[h]:.2f}" if h in BOOK_ACCURACY else ""]
            + [acc(summary[q.name]["final"][h]) for q in protocols] for h in depths]
    said = ""
    if drop and drop["from"] in BOOK_ACCURACY and drop["to"] in BOOK_ACCURACY:
        book_drop = BOOK_ACCURACY[drop["from"]] - BOOK_ACCURACY[drop["to"]]
        said = (f"; from {drop['from']} to {drop['to']} hidden layers it drops {100 * drop['drop']:.2f} points, "
                f"p = {drop['p_value']:.2g} (the book: {100 * book_drop:.2f})")
    return {"columns": ["$H$", "Book"] + heads, "rows": rows,
            "caption": f"Validation accuracy (%) with $H$ hidden layers: the book's one run on 50,000 images, our "
                       f"median (range) on {n:,}, "
                       f"$\\lambda$ scaled to the book's per-update strength or as printed{said}"}


def _measured(main: dict, drop: dict, seeds: int) -> str:
    """What the run measured against the book's statement, in words (the finding says it where it did not hold)."""
    med = main["median_final"]
    deeper = max((h for h in med if h > 1), key=med.get, default=None)
    out = []
    if deeper is not None and 1 in med:
        out.append(f"the best deeper network ({deeper} hidden layers) is {100 * (med[deeper] - med[1]):+.2f} points "
                   f"from one hidden layer (the book: {100 * (max(BOOK_ACCURACY.values()) - BOOK_ACCURACY[1]):+.2f})")
    if drop:
        lo, hi = drop["median_interval"]
        out.append(f"from {drop['from']} to {drop['to']} hidden layers the median validation accuracy drops by "
                   f"{100 * drop['drop']:.2f} points (95% interval of the median {100 * lo:.2f} to "
                   f"{100 * hi:.2f}), p = "
                   f"{drop['p_value']:.2g} in an exact one-sided paired sign-flip test over {seeds} seeds, "
                   + ("significant" if drop["significant"] else "not significant"))
    return "; ".join(out)


CLAIMS = [
    Claim("accuracy-vs-depth", "ch. 5, opening", "More hidden layers do not help, and do not significantly hurt",
          check_accuracy_by_depth, group="experiments", figures=("accuracy-vs-depth",), cost=21.0,
          parts=accuracy_parts,
          latex_title="More hidden layers barely help",
          cites=("nielsen2015", "glorot2010")),
]
