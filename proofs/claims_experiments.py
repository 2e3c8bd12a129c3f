"""Claims measured on the NumPy network and real digits: the speed of learning of each layer
(at initialisation and while training) and accuracy against depth (Nielsen ch. 5, opening
sections). Verdicts are *verified*: they rest on runs made here, with the seed in the context.

The book's numbers are quoted as reference values (``BOOK_*``), never used as evidence; they
come from full MNIST (50,000 training images) and its own random draws, so a run on the
embedded 4,000 digits is compared in shape, not to the digit.
"""

from __future__ import annotations

import numpy as np

from numeric.experiments import ARCHITECTURES, Setup, accuracy_by_depth, speed_at_init, speed_during_training
from numeric.figures import gradient_norms_figure

from .claim import Claim, Evidence, Fact
from .figures import save

# Nielsen ch. 5, classification accuracies on MNIST's validation set (30 epochs, mini-batch 10,
# eta 0.1, lmbda 5.0), for one to four hidden layers of 30 neurons.
BOOK_ACCURACY = {1: 0.9648, 2: 0.9690, 3: 0.9657, 4: 0.9653}
SEEDS = 5
SPEED_IMAGES = 1000  # the book's "first 1,000 training images"
TRAINING_EPOCHS = 500  # the book trains 500 epochs on those images to watch the gradients
DEPTH_EPOCHS = 30
DEPTH_MARGIN = 0.02  # "deeper is not much better": no deeper net beats one hidden layer by more than this


def _progress(ctx):
    return getattr(ctx, "progress", None)


def check_speed_at_init(ctx) -> Evidence:
    data = ctx.data().training.head(SPEED_IMAGES)
    facts, table = [], {}
    for sizes in ARCHITECTURES[1:]:
        norms = np.array(speed_at_init(sizes, data.x, data.y, range(ctx.seed, ctx.seed + SEEDS)))
        mean = norms.mean(axis=0)
        slower = int(np.sum(norms[:, 0] < norms[:, -1]))
        table[str(sizes)] = {"mean_norms": [float(f"{v:.4g}") for v in mean], "seeds_first_slower": f"{slower}/{SEEDS}"}
        facts.append(Fact(f"{sizes}: averaged over {SEEDS} seeds, ||dC/db^1|| < ||dC/db^H|| (first hidden layer learns "
                          f"slower than the last); per seed in {slower} of {SEEDS}", bool(mean[0] < mean[-1]),
                          f"numpy backprop, gradient averaged over the first {SPEED_IMAGES} training images",
                          [f"{v:.4g}" for v in mean]))
    rows = [{"quantity": f"||dC/db^l|| at init, {k}", "book": "first hidden layer smallest", "run": str(v["mean_norms"])}
            for k, v in table.items()]
    return Evidence("verified", facts, latex=r"\|\delta^1\| < \|\delta^2\| < \cdots \text{ at initialisation}",
                    numbers={"table": table, "book_vs_run": rows})


def check_speed_during_training(ctx) -> Evidence:
    data = ctx.data().training.head(SPEED_IMAGES)
    setup = Setup(epochs=TRAINING_EPOCHS)
    facts, figures, summary = [], [], {}
    for sizes in ARCHITECTURES[1:]:
        run = speed_during_training(sizes, data.x, data.y, setup, ctx.seed, progress=_progress(ctx))
        norms = np.array(run["norms"])
        ratio = norms[0] / norms[-1]
        summary[str(sizes)] = {"median_first_over_last": float(f"{np.median(ratio):.4g}"),
                               "epochs_first_slower": f"{int(np.sum(ratio < 1))}/{len(ratio)}"}
        facts.append(Fact(f"{sizes}: over {setup.epochs} epochs the first hidden layer's ||dC/db|| stays below the "
                          f"last one's (median ratio < 1)", bool(np.median(ratio) < 1),
                          f"numpy, {setup.epochs} epochs, mini-batch {setup.mini_batch_size}, eta {setup.eta}, "
                          f"lmbda {setup.lmbda}", summary[str(sizes)]))
        stem = "speed-of-learning-" + "-".join(str(s) for s in sizes)
        figures += save(ctx, gradient_norms_figure(run["epochs"], run["norms"], f"{sizes}, {SPEED_IMAGES} images"), stem)
    rows = [{"quantity": f"||dC/db^1|| / ||dC/db^H|| while training, {k} (median)",
             "book": "below 1 throughout", "run": str(v["median_first_over_last"])} for k, v in summary.items()]
    return Evidence("verified", facts, latex=r"\|\delta^1\| \ll \|\delta^H\| \text{ throughout training}",
                    numbers={"summary": summary, "book_vs_run": rows}, figures=figures)


def check_accuracy_by_depth(ctx) -> Evidence:
    data = ctx.data()
    setup = Setup(epochs=DEPTH_EPOCHS)
    results = accuracy_by_depth(data.training, data.validation, setup, ctx.seed, progress=_progress(ctx))
    acc = {len(r["sizes"]) - 2: r["accuracy"] for r in results}
    gain = max(acc[h] for h in acc if h > 1) - acc[1]
    facts = [
        Fact("the one-hidden-layer network learned (validation accuracy above 80%), so the comparison is not vacuous",
             acc[1] > 0.8, f"numpy, {setup.epochs} epochs on {len(data.training)} images",
             {h: f"{v:.4f}" for h, v in acc.items()}),
        Fact(f"no deeper network beats one hidden layer by more than {DEPTH_MARGIN:.0%} (book: at most "
             f"{max(BOOK_ACCURACY.values()) - BOOK_ACCURACY[1]:+.2%})", bool(gain <= DEPTH_MARGIN),
             "difference of validation accuracies", f"{gain:+.4f}"),
    ]
    rows = [{"quantity": f"validation accuracy, {h} hidden layer{'s' if h > 1 else ''} ({setup.epochs} epochs)",
             "book": f"{BOOK_ACCURACY[h]:.2%}", "run": f"{acc[h]:.2%}"} for h in sorted(acc)]
    return Evidence("verified", facts, latex=r"\text{accuracy against depth: } [784, 30^{\times h}, 10],\ h = 1..4",
                    numbers={"accuracy": {str(h): v for h, v in acc.items()}, "data": data.source, "book_vs_run": rows})


CLAIMS = [
    Claim("speed-of-learning-at-init", "ch. 5, 'The vanishing gradient problem'",
          "Earlier hidden layers learn slower at initialisation", check_speed_at_init, group="experiments"),
    Claim("speed-of-learning-during-training", "ch. 5, 'The vanishing gradient problem'",
          "The first hidden layer stays slowest while training", check_speed_during_training, group="experiments"),
    Claim("accuracy-vs-depth", "ch. 5, opening", "More hidden layers barely help", check_accuracy_by_depth,
          group="experiments"),
]
