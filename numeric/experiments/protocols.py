"""Experiment protocols as data: what an experiment runs on, what it measures, and the criteria its claim
applies, with their thresholds, all frozen before the run and recorded with its results.

An experiment of ``numeric.experiments.experiments`` is a function of one ``Protocol`` (and a base seed); the
protocol travels into results.json and every table caption, so a number is never separated from how it
was made nor from the test it had to pass. The book's protocols (Nielsen ch. 5; ``shared/BOOK.md``) are
the defaults:

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

Seeds: a protocol says how many replicas; replica k draws from ``SeedSequence(base_seed).spawn(seeds)[k]``
(``numeric.streams``), never from base_seed + k.
"""

from __future__ import annotations

from .protocol import CHAPTER_NETWORKS, C, Criterion, Protocol

__all__ = ["Criterion", "Protocol", "BOOK_TRAINING_IMAGES", "BOOK_UPDATES", "CHAPTER_NETWORKS", "DEPTH_NETWORKS",
           "SPEED_AT_INIT", "SPEED_DURING_TRAINING", "SPEED_DURING_TRAINING_MINIBATCH", "ACCURACY", "ACCURACY_LITERAL",
           "ACCURACY_MATCHED_UPDATES", "WEIGHTS_BELOW_ONE", "MEANFIELD", "MEANFIELD_WIDTHS", "BOOK_ACCURACY_RANGE"]

BOOK_TRAINING_IMAGES = 50_000  # the book's training split; lmbda's scale refers to it
BOOK_UPDATES = 30 * BOOK_TRAINING_IMAGES // 10  # 150,000 SGD updates per network in the book's accuracy runs
DEPTH_NETWORKS = ((784, 30, 10),) + CHAPTER_NETWORKS
MEANFIELD_WIDTHS = (30, 100, 300, 1000)
BOOK_ACCURACY_RANGE = 0.9690 - 0.9648  # the book's four accuracies lie within 0.42 points (BOOK.md)
LEVEL = 0.95  # the median's order-statistic interval (numeric.stats.median_interval): the seed spread of a margin

# -- at initialisation -------------------------------------------------------------------------
SPEED_AT_INIT = Protocol(
    "book-init", "the book's protocol, at initialisation", images=1000, epochs=0, seeds=20,
    quantity="||delta^l||, the norm of each hidden layer's dC/db averaged over the images (averaged first, then "
             "the norm), per seed",
    criteria=(
        C("book-inside", "each of the book's ||delta^l|| and each of its ratios of successive layers lies inside "
                         "the seeds' [min, max]"),
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
SPEED_DURING_TRAINING = Protocol(
    "book-full-batch", "the book's protocol, full batch", images=1000, epochs=500, mini_batch_size=None, eta=0.1,
    lmbda=5.0, seeds=10,
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
                           "seeds' median of slowest-other/first is at least {min_ratio:g} (fragile where the margin is "
                           "less than the median's {level:.0%} interval reaches)", "reproduction",
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
ACCURACY = Protocol("book-per-update", "the book's protocol, lmbda per 50,000 images", networks=DEPTH_NETWORKS,
                    images=None, epochs=30, mini_batch_size=10, eta=0.1, lmbda=5.0, lmbda_per=BOOK_TRAINING_IMAGES,
                    seeds=5, quantity="validation accuracy after the last epoch, per seed and depth",
                    criteria=_ACCURACY_CRITERIA)
ACCURACY_LITERAL = ACCURACY.replace(name="book-literal-lmbda", label="the book's protocol, lmbda 5.0 literally",
                                    lmbda_per=None, seeds=3)  # shown beside: its first 3 seeds, paired with ACCURACY's
ACCURACY_MATCHED_UPDATES = ACCURACY.replace(
    name="matched-updates", label="the book's 150,000 updates, lmbda per 50,000 images (not the default run)",
    matched_updates=BOOK_UPDATES)

# -- mean field's per-layer factor (this suite's protocol; the book has none) --------------------
MEANFIELD = Protocol(
    "meanfield-init", "this suite's mean-field protocol", networks=tuple((784,) + (n,) * 4 + (10,) for n in MEANFIELD_WIDTHS),
    images=1000, epochs=0, seeds=12,
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
                                   "narrower than the distance from sqrt(chi_1) to each alternative formula", level=LEVEL),
        C("closer-than-alternatives", "at the widest layers the whole {level:.0%} interval of the median lies closer "
                                      "to sqrt(chi_1) than to each alternative formula", level=LEVEL),
    ))
