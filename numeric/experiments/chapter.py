"""The chapter's experiments on real digits: their protocols as data, and the runs that measure what a claim judges.

The protocols (Nielsen ch. 5; ``shared/BOOK.md``; each a ``numeric.experiments.protocol.Protocol``) say which images,
steps, eta, lmbda, seeds and norm, what is measured and the criteria its claim applies:

* ``SPEED_AT_INIT``: ||delta^l|| of each hidden layer at initialisation, the gradient averaged
  over the first 1,000 training images (averaged over the examples first, then the norm);
* ``SPEED_DURING_TRAINING``: the same norms while training on those 1,000 images with **no
  mini-batches**: each epoch is one gradient-descent step on all of them, eta 0.1, lmbda 5.0,
  500 epochs, the norms recorded before each step;
* ``ACCURACY``: 30 epochs of mini-batch 10, eta 0.1, on the whole training split, validation
  accuracy, lmbda 5.0 *per 50,000 images*: lmbda is scaled by n / 50,000 so that the
  regularisation per update, eta lmbda / n, is the book's (on full MNIST it is exactly 5.0);
* ``ACCURACY_LITERAL``: the same with lmbda 5.0 whatever n (on the embedded 4,000 digits that
  is 12.5 times the book's regularisation per update);
* ``ACCURACY_MATCHED_UPDATES``: the book's number of SGD updates (150,000) on however many images
  there are (375 epochs on 4,000), lmbda per update as ``ACCURACY``: a labelled variant, run by
  ``scripts/accuracy_matched_updates.py`` and a slow test (too long for the default run);
* ``SPEED_DURING_TRAINING_MINIBATCH``: mini-batches of 10, a labelled variant (not the book's);
* ``MEANFIELD``: this suite's protocol for mean field's per-layer factor at widths 30-1000.

The runs, each a function of one protocol and a base seed, return plain data (NumPy arrays and lists):
``speed_at_init``, ``training_run`` (the norms at each epoch before its step), ``accuracy_by_depth`` (several
protocols side by side, paired by seed). Seeds: replica k draws from ``SeedSequence(base_seed).spawn(seeds)[k]``
(``numeric.streams``), never from base_seed + k.
"""

from __future__ import annotations

import numpy as np

from ..functions import sigmoid_prime
from ..networks.network import Network
from ..networks.replicas import Replicas
from ..streams import describe as describe_streams
from ..streams import replica_streams
from ..validate import as_targets
from . import work as work_of
from .protocol import Change, Criterion, Protocol, register
from .protocol import criterion as C  # noqa: N812 - the criteria read as a table

__all__ = ["Criterion", "Protocol", "BOOK_TRAINING_IMAGES", "BOOK_UPDATES", "CHAPTER_NETWORKS", "DEPTH_NETWORKS",
           "SPEED_AT_INIT", "SPEED_DURING_TRAINING", "SPEED_DURING_TRAINING_MINIBATCH", "ACCURACY", "ACCURACY_LITERAL",
           "ACCURACY_MATCHED_UPDATES", "WEIGHTS_BELOW_ONE", "MEANFIELD", "MEANFIELD_WIDTHS", "BOOK_ACCURACY_RANGE",
           "LEVEL", "chapter_protocol", "effective_lmbda", "batch", "epochs_on", "describe", "record", "norm_of",
           "speed_at_init", "training_run", "accuracy_by_depth", "norm_bound_ratios", "work"]

CHAPTER_NETWORKS = ((784, 30, 30, 10), (784, 30, 30, 30, 10), (784, 30, 30, 30, 30, 10))
NORMS = ("euclidean", "l1")
NEURONS_SHOWN = 6  # the chapter's bar figure shows the first 6 neurons of each hidden layer


def chapter_protocol(name: str, label: str, *, seeds: int, quick_seeds: int, quantity: str = "", criteria=(),
                     networks=CHAPTER_NETWORKS, images: int | None = 1000, epochs: int = 0,
                     mini_batch_size: int | None = None, eta: float = 0.1, lmbda: float = 5.0,
                     lmbda_per: int | None = None, init: str = "default", cost: str = "cross-entropy",
                     norm: str = "euclidean", matched_updates: int | None = None, dtype: str = "float64") -> Protocol:
    """Returns a chapter experiment's ``Protocol`` (network2's names for the hyper-parameters).

    ``images``: the first n training images (None: the whole training split); ``mini_batch_size``: None means full
    batch, one gradient step per epoch on all images; ``lmbda_per``: when set, lmbda is scaled by n / lmbda_per (the
    book's strength per update on n images); ``matched_updates``: when set, the epochs are as many as make that
    number of SGD updates on n images; ``norm``: of the averaged bias gradient of a layer ("euclidean", the book's,
    or "l1"); ``dtype`` the arithmetic's (network2's float64, or float32); the grid is the ``networks``.
    """
    return Protocol(name, label, seeds, quick_seeds, CHAPTER, quantity, criteria,
                    grid={"networks": tuple(tuple(int(s) for s in n) for n in networks)},
                    settings={"images": images, "epochs": epochs, "mini_batch_size": mini_batch_size, "eta": eta,
                              "lmbda": lmbda, "lmbda_per": lmbda_per, "init": init, "cost": cost, "norm": norm,
                              "matched_updates": matched_updates, "dtype": dtype})


def _check(p: Protocol) -> None:
    if p.norm not in NORMS:
        raise ValueError(f"norm must be one of {NORMS}, got {p.norm!r}")
    if p.epochs < 0 or (p.images is not None and p.images < 1):
        raise ValueError(f"{p.name}: epochs >= 0 and images positive or None, got {p.epochs}, {p.images}")
    if p.mini_batch_size is not None and p.mini_batch_size < 1:
        raise ValueError(f"mini_batch_size must be positive or None (full batch), got {p.mini_batch_size}")
    if p.matched_updates is not None and p.matched_updates < 1:
        raise ValueError(f"matched_updates must be positive or None, got {p.matched_updates}")


CHAPTER = register("chapter", check=_check, describe=lambda p: describe(p))


def effective_lmbda(p: Protocol, n: int) -> float:
    """Returns the lmbda used on n training images (scaled by n / lmbda_per when set)."""
    return p.lmbda * n / p.lmbda_per if p.lmbda_per else p.lmbda


def batch(p: Protocol, n: int) -> int:
    """Returns the mini-batch size on n images (n for full batch)."""
    return n if p.mini_batch_size is None else min(p.mini_batch_size, n)


def epochs_on(p: Protocol, n: int) -> int:
    """Returns the epochs run on n images: ``epochs``, or as many as make ``matched_updates`` updates."""
    if p.matched_updates is None:
        return p.epochs
    per_epoch = -(-n // batch(p, n))  # mini-batches per epoch (the last may be short)
    return -(-p.matched_updates // per_epoch)


def describe(p: Protocol, n: int | None = None) -> str:
    """Returns one line for a caption: images, steps, eta, lmbda, init, seeds; what is measured; the criteria."""
    imgs = f"first {p.images:,} training images" if p.images else "all training images"
    if n is not None:
        imgs += f" (n = {n:,})"
    kind = "full batch (one step per epoch)" if p.mini_batch_size is None else f"mini-batch {p.mini_batch_size}"
    lm = f"lmbda {p.lmbda:g}" + (f" x n/{p.lmbda_per:,}" if p.lmbda_per else "")
    if n is not None and p.lmbda_per:
        lm += f" = {effective_lmbda(p, n):g}"
    epochs = (f"{epochs_on(p, n)} epochs ({p.matched_updates:,} updates)" if p.matched_updates and n
              else f"{p.matched_updates:,} updates" if p.matched_updates else f"{p.epochs} epochs")
    parts = [imgs] + ([epochs, kind, f"eta {p.eta:g}", lm] if p.epochs or p.matched_updates else [])
    arithmetic = [] if p.dtype == "float64" else [f"{p.dtype} arithmetic"]
    line = f"{p.label}: " + ", ".join(parts + [f"{p.init} init", f"{p.seeds} seeds", f"{p.norm} norm"] + arithmetic)
    if p.quantity:
        line += f". Measured: {p.quantity}"
    if p.criteria:
        line += ". Criteria: " + "; ".join(f"({c.role}) {c.describe()}" for c in p.criteria)
    return line


def record(p: Protocol, base_seed: int, n: int) -> dict:
    """Returns the protocol as results.json records it: its fields, criteria, streams, caption and images."""
    return p.as_dict() | {"streams": describe_streams(base_seed, p.seeds), "seeds_used": [int(base_seed)],
                          "caption": describe(p, n), "images_used": n}


BOOK_TRAINING_IMAGES = 50_000  # the book's training split; lmbda's scale refers to it
BOOK_UPDATES = 30 * BOOK_TRAINING_IMAGES // 10  # 150,000 SGD updates per network in the book's accuracy runs
DEPTH_NETWORKS = ((784, 30, 10),) + CHAPTER_NETWORKS
MEANFIELD_WIDTHS = (30, 100, 300, 1000)
BOOK_ACCURACY_RANGE = 0.9690 - 0.9648  # the book's four accuracies lie within 0.42 points (BOOK.md)
LEVEL = 0.95  # the median's order-statistic interval (numeric.stats.median_interval): the seed spread of a margin

# -- at initialisation -------------------------------------------------------------------------
SPEED_AT_INIT = chapter_protocol(
    "book-init", "the book's protocol, at initialisation", images=1000, epochs=0, seeds=50, quick_seeds=20,
    quantity="||delta^l||, the norm of each hidden layer's dC/db averaged over the images (averaged first, then "
             "the norm), per seed",
    criteria=(
        C("book-inside", "each of the book's ||delta^l|| and each of its ratios of successive layers lies inside "
                         "the seeds' [min, max]", history=(Change(
                             was="20 seeds: the range of 20 draws",
                             showed="at root seeds 0-3 (issue 31's check of every verdict) it held at seeds 0-2 "
                                    "and failed at seed 3, where one of the book's ratios of [784, 30 x 4, 10] fell "
                                    "outside the 20 draws' range",
                             became="50 seeds; the criterion's words unchanged",
                             why="the book's numbers are one draw of the distribution the seeds sample: one value "
                                 "falls outside the range of n draws with chance 2/(n + 1), so with sixteen values a "
                                 "root seed failed at 20 seeds by chance alone; at 50 it holds at root seeds 0-3, and "
                                 "the other norm still brackets at most two of the book's nine values (the criterion "
                                 "still tells the norms apart)"),)),
        C("other-norm-misses", "the other norm (Euclidean against 1-norm) brackets at most {max_fraction:.3g} of the "
                               "book's nine values (so the criterion tells the norms apart)", max_fraction=1 / 3),
        C("second-larger", "[784, 30, 30, 10]: the second hidden layer's first 6 bars (mean |dC/db_j|) exceed the "
                           "first's in more than {min_fraction:.0%} of the seeds", min_fraction=0.5),
    ))

WEIGHTS_BELOW_ONE = SPEED_AT_INIT.replace(
    name="weights-at-init", label="the network's initial weights", networks=((784, 30, 30, 30, 30, 10),),
    quantity="the fraction of hidden-to-hidden weights with |w| < 1 under N(0, 1) ('large') weights, and of the "
             "factors |w_jk sigma'(z_j)| below 1/4 over the images",
    criteria=(
        C("binomial", "the fraction of N(0, 1) weights with |w| < 1 lies within {max_standard_errors:g} standard "
                      "errors of erf(1/sqrt 2)", max_standard_errors=4),
        C("factors", "the fraction of factors |w sigma'(z)| below 1/4 is at least that of weights below 1 "
                     "(sigma' <= 1/4)"),
    ))

# -- while training: the book's full-batch protocol ---------------------------------------------
SPEED_DURING_TRAINING = chapter_protocol(
    "book-full-batch", "the book's protocol, full batch", images=1000, epochs=500, mini_batch_size=None, eta=0.1,
    lmbda=5.0, seeds=10, quick_seeds=2, dtype="float32",
    quantity="||delta^l|| of each hidden layer at each epoch before its step (Euclidean norm of dC/db averaged over "
             "the images), per seed; per epoch and seed, slowest-other/first = min over l >= 2 of ||delta^l|| / "
             "||delta^1|| and last/first = ||delta^H|| / ||delta^1||",
    criteria=(
        C("speeds-drop", "gradient descent took effect: every hidden layer's median ||delta^l|| at the last epoch is "
                         "below {max_fraction:g} of its value at initialisation (this says the steps moved the "
                         "weights, not that the network classifies; a median training accuracy at or below "
                         "{at_chance:.0%} is marked AT CHANCE)", max_fraction=0.1, at_chance=0.20),
        C("learns", "the shallowest network's median training accuracy after the last epoch is at least "
                    "{min_accuracy:.0%} (chance 10%): the protocol trains a network that can learn", min_accuracy=0.5),
        C("first-slowest", "through all the epochs the first hidden layer learns the slowest: at every epoch the "
                           "seeds' median of slowest-other/first is at least {min_ratio:g} (fragile where the margin "
                           "is less than the median's {level:.0%} interval reaches)", "reproduction",
          min_ratio=1.0, level=LEVEL),
        C("about-100", "[784, 30, 30, 30, 30, 10]: the first hidden layer learns about 100 times slower than the last: "
                       "the seeds' median last/first lies within {low:g}-{high:g} at every epoch (fragile where the "
                       "margin is less than the median's {level:.0%} interval reaches)",
          "reproduction", low=50, high=250, level=LEVEL),
    ))
SPEED_DURING_TRAINING_MINIBATCH = SPEED_DURING_TRAINING.replace(
    name="minibatch-10", label="NOT the book's protocol: mini-batches of 10", mini_batch_size=10)

# -- accuracy against depth ---------------------------------------------------------------------
_ACCURACY_CRITERIA = (
    C("learned", "every depth learned: median validation accuracy at least {min_accuracy:.0%} (chance 10%; a median "
                 "at or below {at_chance:.0%} is marked AT CHANCE)", min_accuracy=0.60, at_chance=0.20),
    C("deeper-does-not-help", "more hidden layers do not help: the best deeper network's median beats one hidden "
                              "layer's by at most {max_gain:.1%} (fragile where the margin is less than the "
                              "{level:.0%} interval of the seeds' paired differences reaches)", "reproduction",
      max_gain=0.02, level=LEVEL),
    C("drop-not-significant", "deeper networks do not hurt beyond the book's own spread: the drop from the best depth "
                              "to the deepest is at most {book_spread:.2%} (the range of the book's four values) or "
                              "not significant (paired sign-flip test over the seeds, exact, one-sided, significant "
                              "when p < {alpha:g})", "reproduction", book_spread=BOOK_ACCURACY_RANGE, alpha=0.05),
    C("book-values", "on the book's 50,000 images each depth's median lies within {max_difference:.1%} of the "
                     "book's accuracy (applied with --mnist only)", "reproduction", max_difference=0.015),
)
ACCURACY = chapter_protocol("book-per-update", "the book's protocol, lmbda per 50,000 images",
                            networks=DEPTH_NETWORKS, images=None, epochs=30, mini_batch_size=10, eta=0.1, lmbda=5.0,
                            lmbda_per=BOOK_TRAINING_IMAGES, seeds=5, quick_seeds=1, dtype="float32",
                            quantity="validation accuracy after the last epoch, per seed and depth",
                            criteria=_ACCURACY_CRITERIA)
ACCURACY_LITERAL = ACCURACY.replace(name="book-literal-lmbda", label="the book's protocol, lmbda 5.0 literally",
                                    lmbda_per=None, seeds=3, quick_seeds=1)  # beside: its first 3 seeds, paired
ACCURACY_MATCHED_UPDATES = ACCURACY.replace(
    name="matched-updates", label="the book's 150,000 updates, lmbda per 50,000 images (not the default run)",
    matched_updates=BOOK_UPDATES)

# -- mean field's per-layer factor (this suite's protocol; the book has none) --------------------
MEANFIELD = chapter_protocol(
    "meanfield-init", "this suite's mean-field protocol",
    networks=tuple((784,) + (n,) * 4 + (10,) for n in MEANFIELD_WIDTHS), images=1000, epochs=0, seeds=12,
    dtype="float32",
    quick_seeds=6,  # --quick: the fewest seeds whose median interval reaches 95% (it is then [min, max])
    quantity="per seed, the per-layer factor of hidden layers 2-4, (R^2 / R^4)^(1/2), where R^l = sqrt(mean over the "
             "images of ||delta^l(x)||^2) is the per-example RMS norm mean field predicts (the geometric mean of the "
             "ratios 2/3 and 3/4, whose pre-activations are at q*; pair 1/2, at q^1 = 1 + mean ||x||^2/784, and the "
             "norm of the averaged gradient are shown beside)",
    criteria=(
        C("inside-range", "at every width sqrt(chi_1) lies inside the seeds' [min, max] of the factor"),
        C("narrows", "the seeds' spread (max - min) is smaller at the widest layers than at the narrowest"),
        C("near-at-widest", "at the widest layers the median factor is within {max_relative:.0%} of sqrt(chi_1)",
          max_relative=0.05),
        C("resolves-alternatives", "at the widest layers the median's {level:.0%} order-statistic interval is "
                                   "narrower than the distance from sqrt(chi_1) to each alternative formula",
          level=LEVEL),
        C("closer-than-alternatives", "at the widest layers the whole {level:.0%} interval of the median lies closer "
                                      "to sqrt(chi_1) than to each alternative formula", level=LEVEL),
    ))


# -- the runs ------------------------------------------------------------------------------------------
def norm_of(grads: np.ndarray, norm: str) -> np.ndarray:
    """Returns the norm of each gradient vector along the last axis ("euclidean" or "l1")."""
    if norm == "euclidean":
        return np.linalg.norm(grads, axis=-1)
    if norm == "l1":
        return np.abs(grads).sum(axis=-1)
    raise ValueError(f"norm must be 'euclidean' or 'l1', got {norm!r}")


def _images(protocol: Protocol, split):
    return split if protocol.images is None else split.head(protocol.images)


def speed_at_init(protocol: Protocol, split, base_seed: int) -> dict:
    """Returns {sizes: {"euclidean": (S, H), "l1": (S, H), "neurons": [(S, 6) per hidden layer]}}.

    The gradient of each hidden layer is averaged over the protocol's images first, then its norm
    is taken (the book's ||delta^l||); ``neurons`` are the first 6 neurons' averaged dC/db.
    """
    data = _images(protocol, split)
    out = {}
    for sizes in protocol.networks:
        reps = Replicas(sizes, replica_streams(base_seed, protocol.seeds), init=protocol.init, dtype=protocol.dtype)
        grads = reps.mean_bias_gradients(data.x, data.y)
        hidden = grads[:-1]
        out[sizes] = {norm: np.stack([norm_of(g, norm) for g in hidden], axis=1) for norm in ("euclidean", "l1")}
        out[sizes]["neurons"] = [g[:, :NEURONS_SHOWN] for g in hidden]
    return out


def training_run(protocol: Protocol, split, base_seed: int, progress=None, replicas=None) -> dict:
    """Returns {sizes: {"norms": (epochs, S, H), "accuracy": (S,)}}: ||dC/db^l|| of each hidden layer before each
    epoch's step, and each replica's accuracy on its training images after the last step (did it learn?).

    Full batch (the book's protocol): the recorded gradient is the one the step uses. With
    mini-batches, the gradient averaged over all the images is recorded at the start of each epoch.
    ``replicas`` (lo, hi): only those of the protocol's replicas (a part of the run; each replica's
    numbers do not depend on which others train beside it, up to rounding).
    """
    data = _images(protocol, split)
    streams = replica_streams(base_seed, protocol.seeds)[slice(*replicas) if replicas else slice(None)]
    out = {}
    for sizes in protocol.networks:
        reps = Replicas(sizes, streams, init=protocol.init, dtype=protocol.dtype)
        lmbda = effective_lmbda(protocol, len(data))
        report = (lambda e, s=sizes: progress(f"{list(s)}: epoch {e}/{protocol.epochs}")) if progress else None
        if protocol.mini_batch_size is None:
            grads = reps.full_batch_descent(data.x, data.y, protocol.epochs, protocol.eta, lmbda, progress=report)
        else:
            grads = _minibatch_record(reps, data, protocol, lmbda, report)
        out[sizes] = {"norms": np.stack([norm_of(g, protocol.norm) for g in grads[:-1]], axis=2),
                      "accuracy": reps.accuracy(data.x, data.y) / len(data)}
    return out


def _minibatch_record(reps: Replicas, data, protocol: Protocol, lmbda: float, report) -> list:
    """Returns the averaged dC/db per layer at the start of each epoch of mini-batch SGD."""
    history = [reps.mean_bias_gradients(data.x, data.y)]

    def record(epoch):
        if epoch + 1 < protocol.epochs:
            history.append(reps.mean_bias_gradients(data.x, data.y))
        if report and (epoch + 1) % 100 == 0:
            report(epoch + 1)

    reps.sgd(data.x, data.y, protocol.epochs, protocol.mini_batch_size, protocol.eta, lmbda, on_epoch=record)
    return [np.stack([h[l] for h in history]) for l in range(len(history[0]))]


def accuracy_by_depth(protocols, train, validation, base_seed: int, progress=None) -> dict:
    """Returns {protocol name: {sizes: accuracies (epochs, S)}}, the validation fraction after each epoch.

    The protocols must agree on everything but lmbda and their number of seeds (their replicas train in
    one loop); replica k of every protocol draws from the same stream (``SeedSequence(base_seed).spawn(S)[k]``),
    so it starts from the same weights and sees the same mini-batches: the protocols are paired by seed,
    and so are the depths (the same shuffling stream; the initial draws differ with the shape).
    """
    protocols = list(protocols)
    first = protocols[0]
    for p in protocols[1:]:
        if p.replace(name=first.name, label=first.label, lmbda=first.lmbda, lmbda_per=first.lmbda_per,
                     seeds=first.seeds) != first:
            raise ValueError(f"protocols {first.name} and {p.name} differ in more than lmbda and seeds; run them apart")
    data = _images(first, train)
    streams = replica_streams(base_seed, max(p.seeds for p in protocols))
    lmbdas = np.concatenate([np.full(p.seeds, effective_lmbda(p, len(data))) for p in protocols])
    ends = np.cumsum([0] + [p.seeds for p in protocols])
    out = {p.name: {} for p in protocols}
    for sizes in first.networks:
        reps = Replicas(sizes, [s for p in protocols for s in streams[:p.seeds]], init=first.init, dtype=first.dtype)
        curve = []

        def evaluate(epoch, reps=reps, curve=curve):
            curve.append(reps.accuracy(validation.x, validation.y) / len(validation))

        reps.sgd(data.x, data.y, epochs_on(first, len(data)), batch(first, len(data)), first.eta, lmbdas,
                 on_epoch=evaluate)
        curve = np.array(curve)
        for i, p in enumerate(protocols):
            out[p.name][sizes] = curve[:, ends[i]:ends[i + 1]]
        if progress:
            finals = ", ".join(f"{p.name} {np.median(out[p.name][sizes][-1]):.3f}" for p in protocols)
            progress(f"{list(sizes)}: median validation accuracy {finals}")
    return out


def norm_bound_ratios(net: Network, x, y) -> tuple[list[float], float]:
    """Returns (per layer, the largest ||delta^l|| / bound over the examples; the largest ||Sigma'(z)||_2).

    Quadratic cost, so grad_a C = a^L - y; bound = (1/4)^(L-l+1) ||w^{l+1}||_2 ... ||w^L||_2 ||grad_a C||_2.
    ||Sigma'(z)||_2 of a diagonal matrix is its largest entry, computed here from the network's z.
    """
    g = net.backprop(x, y)
    zs, acts = net.forward(x)
    grad = np.linalg.norm(acts[-1] - as_targets(y, len(x), net.sizes[-1]), axis=1)
    spectral = [np.linalg.norm(w, 2) for w in net.weights]
    L = len(net.weights)
    ratios = []
    for l in range(L):  # deltas[l] belongs to weights[l]
        bound = 0.25 ** (L - l) * np.prod(spectral[l + 1:]) * grad
        ratios.append(float(np.max(np.linalg.norm(g.deltas[l], axis=1) / bound)))
    return ratios, float(max(np.max(sigmoid_prime(z)) for z in zs))


def work(protocols, n: int, n_validation: int = 1000) -> list[dict]:
    """Returns the matrix products (``numeric.experiments.work``) of the chapter's protocols run side by side on n
    training images (their replicas stacked, as ``accuracy_by_depth`` stacks them): at initialisation one backprop
    of every replica on the images; full batch one step per epoch on all of them and the final accuracy; mini-batch
    SGD ``epochs_on(n)`` epochs of ceil(n / m) steps and the validation accuracy after each epoch."""
    protocols = list(protocols)
    first, stacked = protocols[0], sum(p.seeds for p in protocols)
    images = n if first.images is None else min(first.images, n)
    out = []
    for sizes in first.networks:
        if not (first.epochs or first.matched_updates):  # at initialisation: one backprop of every replica
            out += work_of.dense(sizes, images, stacked, first.dtype, 1)
        elif first.mini_batch_size is None:  # full batch: every epoch one step on all the images, then accuracy
            out += work_of.dense(sizes, images, stacked, first.dtype, first.epochs)
            out += work_of.dense(sizes, images, stacked, first.dtype, 1, backward=False)
        else:
            m = batch(first, images)
            steps = epochs_on(first, images) * -(-images // m)
            out += work_of.dense(sizes, m, stacked, first.dtype, steps)
            out += work_of.dense(sizes, n_validation, stacked, first.dtype, epochs_on(first, images), backward=False)
    return work_of.merge(out)
