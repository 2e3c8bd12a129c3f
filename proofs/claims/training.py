"""Speed of learning while training (Nielsen ch. 5): the book's full-batch protocol, 500 epochs, >= 10 seeds.

The criteria (``numeric.experiments.chapter.SPEED_DURING_TRAINING``) are checked over every epoch, not the last only:
the first hidden layer is the slowest at every epoch (by the seeds' median of slowest-other/first, its
margin beside the seed spread: a thin one is flagged fragile), the four-hidden-layer network's last/first
stays "about 100" at every epoch, and the speeds drop (the network learns). Where the book's own values
fall among the seeds is shown as a percentile.
"""

from __future__ import annotations

import numpy as np

from numeric.experiments import chapter
from numeric.figures import gradient_norms_figure
from numeric.stats import percentile, spread_toward

from ..claim import Claim, Evidence, Fact, Part, display, margin_fact
from ..experiment_records import (
    BOOK_LAST_OVER_FIRST,
    BOOK_NORMS_AT_INIT,
    data_caveat,
    name,
    protocol_record,
    spread,
)
from ..figures import save

__all__ = ["CLAIMS", "check_speed_during_training", "training_parts"]


PARTS_PER_NETWORK = 2  # each network's replicas run as this many parts, so that two workers share the work


def _pieces(p) -> list:
    """The parts: (one network's protocol, (lo, hi) of its replicas), fixed by the protocol (not by --jobs)."""
    step = -(-p.seeds // PARTS_PER_NETWORK)
    return [(p.replace(networks=(sizes,)), (lo, min(lo + step, p.seeds)))
            for sizes in p.networks for lo in range(0, p.seeds, step)]


def _training_part(run, one, replicas: tuple):
    return chapter.training_run(one, run.data().training, run.seed, None, replicas)


def training_parts(ctx) -> list:
    """The training claim's independent pieces: one ``Part`` per network and group of replicas."""
    p = ctx.protocol(chapter.SPEED_DURING_TRAINING)
    return [_part(ctx, one, reps) for one, reps in _pieces(p)]


def _part(ctx, one, reps: tuple) -> Part:
    return Part.of(ctx.run, _training_part, one, reps)


def _first_slowest(p, label: str, other_first: np.ndarray) -> Fact:
    """The first hidden layer slowest at every epoch: the lowest median over epochs of slowest-other/first."""
    c = p.criterion("first-slowest")
    med = np.median(other_first, axis=1)
    worst = int(np.argmin(med))
    return margin_fact(f"{label}: {c.describe()}; lowest median {med[worst]:.3f} at epoch {worst}",
                       med[worst], c["min_ratio"], spread_toward(other_first[worst], c["min_ratio"], c["level"]),
                       above=True, how="median over seeds per epoch; spread: the median's interval at that epoch",
                       value={"epoch": worst, "median": float(med[worst]),
                              "epochs_below": int(np.sum(med < c["min_ratio"])),
                              "seeds_slowest_throughout": int(np.sum(other_first.min(axis=0) >= c["min_ratio"]))},
                       role=c.role)


def _about_100(p, last_first: np.ndarray) -> list[Fact]:
    """The four-hidden-layer ratio within the protocol's range at every epoch: its lowest and highest median."""
    c = p.criterion("about-100")
    med = np.median(last_first, axis=1)
    lo, hi = int(np.argmin(med)), int(np.argmax(med))
    how = "median over seeds per epoch; spread: the median's interval at that epoch"
    return [margin_fact(f"{c.describe()}; lowest median {med[lo]:.3g} at epoch {lo}", med[lo], c["low"],
                        spread_toward(last_first[lo], c["low"], c["level"]), above=True, how=how, role=c.role,
                        value={"epoch": lo, "median": float(med[lo])}),
            margin_fact(f"{c.describe()}; highest median {med[hi]:.3g} at epoch {hi}", med[hi], c["high"],
                        spread_toward(last_first[hi], c["high"], c["level"]), above=False, how=how, role=c.role,
                        value={"epoch": hi, "median": float(med[hi])})]


def check_speed_during_training(ctx, protocol=None) -> Evidence:
    p = protocol or ctx.protocol(chapter.SPEED_DURING_TRAINING)
    split = ctx.data().training
    n = min(p.images or len(split), len(split))
    runs, learned = {}, {}
    for one, reps in _pieces(p):  # tasks of their own when an executor runs the claim's parts
        got = ctx.compute(_part(ctx, one, reps))
        for sizes, run in got.items():
            norms, acc = run["norms"], run["accuracy"]
            runs[sizes] = norms if sizes not in runs else np.concatenate([runs[sizes], norms], axis=1)
            learned[sizes] = acc if sizes not in learned else np.concatenate([learned[sizes], acc])
    drop_c, learn_c = p.criterion("speeds-drop"), p.criterion("learns")
    facts, figures, per_net, rows, paper = [], [], {}, [], []
    for sizes, norms in runs.items():  # norms (epochs, S, H)
        label = name(sizes)
        med, lo, hi = np.median(norms, axis=1), norms.min(axis=1), norms.max(axis=1)
        last_first = norms[:, :, -1] / norms[:, :, 0]  # (epochs, S)
        other_first = norms[:, :, 1:].min(axis=2) / norms[:, :, 0]
        book = BOOK_NORMS_AT_INIT.get(sizes)
        ends = {"epoch 0 (the book's norms at initialisation)": (0, book[-1] / book[0])} if book else {}
        if len(sizes) == 6:
            ends[f"epoch {len(norms) - 1} (the book's 'about {BOOK_LAST_OVER_FIRST}')"] = (len(norms) - 1,
                                                                                       BOOK_LAST_OVER_FIRST)
        where = {k: {"book": v, "percentile": percentile(v, last_first[e]), "seeds": spread(last_first[e])}
                 for k, (e, v) in ends.items()}
        per_net[label] = {
            "median_by_epoch": med.tolist(), "range_epoch_0": [lo[0].tolist(), hi[0].tolist()],
            f"range_epoch_{len(norms) - 1}": [lo[-1].tolist(), hi[-1].tolist()],
            "last_over_first_final": last_first[-1].tolist(),
            "last_over_first_final_median": float(np.median(last_first[-1])),
            "last_over_first_median_by_epoch": np.median(last_first, axis=1).tolist(),
            "slowest_other_over_first_median_by_epoch": np.median(other_first, axis=1).tolist(),
            "book_in_seed_distribution": where,
        }
        facts.append(_first_slowest(p, label, other_first))
        drop = med[-1] / med[0]
        acc = float(np.median(learned[sizes]))
        at_chance = acc <= drop_c["at_chance"]
        facts.append(Fact(f"{label}: {drop_c.describe()}", bool((drop < drop_c["max_fraction"]).all()),
                          "median over seeds", drop.tolist(), role=drop_c.role))
        if sizes == min(runs, key=len):
            facts.append(margin_fact(f"{label} learns under this protocol: {learn_c.describe()}", acc,
                                     learn_c["min_accuracy"], spread_toward(learned[sizes], learn_c["min_accuracy"],
                                                                            chapter.LEVEL),
                                     above=True, how=f"median over {len(learned[sizes])} seeds, the {n:,} training "
                                     "images after the last epoch; spread: the median's interval", role=learn_c.role,
                                     value={"median": round(acc, 4), "seeds": learned[sizes].round(3).tolist()}))
        per_net[label]["training_accuracy"] = learned[sizes].tolist()
        if len(sizes) == 6:
            facts += _about_100(p, last_first)
        book_text = f"about {BOOK_LAST_OVER_FIRST}" if len(sizes) == 6 else "first layer much slower"
        placed = "; ".join(f"book's {v['book']:.3g} at the {v['percentile']:.0f}th percentile of the seeds at {k}"
                           for k, v in where.items())
        rows.append({"quantity": f"||delta^H|| / ||delta^1|| after {len(norms)} epochs, {label}, median [min, max] of "
                                 f"{p.seeds} seeds ({p.label})", "book": book_text, "run": spread(last_first[-1]),
                     "caveat": data_caveat(ctx, n, p.images) + (f"; {placed}" if placed else "")
                     + f"; training accuracy after the last epoch: median {acc:.1%}"
                     + (" (AT CHANCE: the speeds are those of a network still on its plateau)" if at_chance else "")})
        paper.append([str(len(sizes) - 2), book_text, spread(last_first[-1]),
                      f"{100 * acc:.1f}" + (" (chance)" if at_chance else "")])
        stem = f"speed-of-learning-{len(sizes) - 2}-hidden"
        title = f"{label}: {p.label}, {n} images, {p.seeds} seeds"
        figures += save(ctx, gradient_norms_figure(np.arange(len(med)), med, lo, hi, title), stem)
    return Evidence("verified", facts, figures=figures,
                    latex=display(r"\|\delta^1\| \ll \|\delta^H\| \text{ throughout training;}",
                                  rf"\|\delta^4\| / \|\delta^1\| \approx {BOOK_LAST_OVER_FIRST}"
                                  rf" \text{{ at every epoch of {p.epochs}}}"),
                    headline="; ".join(f"{k}: last/first {v['last_over_first_final_median']:.3g}"
                                       for k, v in per_net.items()),
                    numbers={"protocol": protocol_record(p, ctx, n), "networks": per_net, "book_vs_run": rows,
                             "paper_table": {
                                 "columns": ["$H$", "Book", "Measured", "Accuracy (%)"],
                                 "rows": paper,
                                 "caption": rf"$\|\delta^H\| / \|\delta^1\|$ of $H$ hidden layers after {p.epochs} "
                                            f"full-batch epochs on {n:,} images, median [min, max] over {p.seeds} "
                                            "seeds, and the median training accuracy at the end"}})


CLAIMS = [
    Claim("speed-of-learning-during-training", "ch. 5, 'The vanishing gradient problem'",
          "While training, the first hidden layer stays about 100 times slower than the last",
          check_speed_during_training,
          group="experiments",
          figures=tuple(f"speed-of-learning-{len(n) - 2}-hidden" for n in chapter.CHAPTER_NETWORKS),
          cost=34.0, parts=training_parts,
          latex_title="While training, the first hidden layer stays about 100 times slower than the last"),
]
