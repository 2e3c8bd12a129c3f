"""LaTeX export: a bundle under results/latex/ that a paper can \\input piece by piece, from any folder.

This module holds the bundle's words (section headings, a LaTeX title per claim, figure captions, the
bibliography and what each claim cites); the writers live beside it and read them:

* ``latex_fragments``: ``<id>.tex`` (the statement: an equation labelled ``ug:<id>``, the book's number as
  ``\\tag`` in ``equation*``; a finding said in words as a numbered ``ugfinding``), ``<id>-derivation.tex``
  (``align*``, each line's justification beneath it) and ``<id>-figures.tex`` (paths via ``\\ugfigurepath``);
* ``latex_tables``: ``<id>-table.tex`` (booktabs, math cells, a caption saying what it shows, the
  protocol and the shared caveats once; ``\\ugwidefloat`` for the tables too tall for a column);
* ``latex_main``: ``macros.tex``, ``references.bib``, ``main.tex`` and the whole bundle;
* ``latex_text``: escaping, ``$...$`` in running text, ASCII pseudo-math set as math, truncated digits.
Writers read result records only; the output is a pure function of them (byte-identical reruns).
"""

from __future__ import annotations

from importlib.resources import files

GROUPS = {"chain": "The chain network (eq.~114--122)",
          "recurrent": "The chain unrolled in time: recurrent networks and the LSTM", "matrix": "The matrix form (eq.~124)",
          "bounds": "When can a gradient avoid vanishing? (eq.~123)", "experiments": "The chapter's experiments",
          "meanfield": "Beyond the chapter: mean-field theory",
          "remedies": "Beyond the chapter: the remedies measured",
          "pretraining": "Beyond the chapter: greedy layer-wise pre-training", "phase": "Beyond the chapter: which networks can train"}

__all__ = ["REFERENCES", "FIGURE_CAPTIONS", "GROUPS"]

# The bibliography every claim's ``cites`` keys point into: a BibTeX file beside this module (package data).
REFERENCES = (files(__package__) / "references.bib").read_text(encoding="utf-8")

# A LaTeX title per claim (the registry's titles are plain text for terminals; a test checks every claim has one).
# A caption per figure: what it shows, in the paper's words (no run's number: the figure carries those).
FIGURE_CAPTIONS = {
    "sigma-prime": r"The sigmoid's derivative $\ugsigmaprime(z)$ and its maximum $\ugsigmaprime(0) = 1/4$",
    "interval-width": r"$|w\,\ugsigmaprime(wa + b)|$ against the input $a$ for three weights; shaded, the interval "
                      r"where the factor is at least 1, whose width is (123)",
    "width-maximum": r"The width (123) of the interval where $|w\,\ugsigmaprime(wa+b)| \ge 1$, against $|w|$, with "
                     r"its certified maximum marked",
    "neuron-gradients-at-init": r"$\partial C/\partial b^l_j$ of the first six neurons of each hidden layer of "
                                r"$[784, 30, 30, 10]$ at initialisation, averaged over the first 1,000 digits",
    "speed-of-learning-2-hidden": r"$\|\partial C/\partial b^l\|$ of each hidden layer of $[784, 30, 30, 10]$ while "
                                  r"training with the book's protocol (one full-batch step per epoch): median over "
                                  r"the seeds and their range",
    "speed-of-learning-3-hidden": r"$\|\partial C/\partial b^l\|$ of each hidden layer of $[784, 30, 30, 30, 10]$ "
                                  r"while training with the book's protocol: median over the seeds and their range",
    "speed-of-learning-4-hidden": r"$\|\partial C/\partial b^l\|$ of each hidden layer of "
                                  r"$[784, 30, 30, 30, 30, 10]$ while training with the book's protocol, where the "
                                  r"book reports the first layer about 100 times slower than the last",
    "accuracy-vs-depth": r"Validation error (one minus accuracy, log scale) against the number of hidden layers of "
                         r"30 neurons: our two protocols (median and range over the seeds) beside the book's "
                         r"values; the dotted line is chance",
    "meanfield-ratio": r"The per-layer ratio $(\|\delta^2\|/\|\delta^4\|)^{1/2}$ at initialisation against the "
                       r"hidden width, measured, beside mean field's prediction $\sqrt{\chi_1}$ and three wrong "
                       r"formulas (dotted)",
    "chi1-against-sigma-w": r"Mean field's $\chi_1$ at the fixed point $q^*$ against $\sigma_w$ for the sigmoid, "
                            r"$\tanh$ and ReLU, with the sigmoid's bound $\sigma_w^2/16$",
    "remedies-ratio-at-init": r"The per-example ratio of the last hidden layer's gradient norm to the first's at "
                              r"initialisation against depth, for each plain network (median over the seeds); dashed, "
                              r"mean field's prediction",
    "remedies-accuracy": r"Median test accuracy against depth for each configuration, at the learning rate chosen "
                         r"on validation (bars: range over the seeds; a red ring: seeds that diverged, counted as "
                         r"chance)",
    "remedies-width-sweep": r"The ratio of the last hidden layer's gradient norm to the first's at initialisation "
                            r"against the hidden width, per example and for the averaged gradient (median over the "
                            r"seeds); dashed, mean field's per-example prediction",
    "phase-diagram": (r"Median training accuracy of $\tanh$ networks in the $(\sigma_w^2, L)$ plane at the longest "
                      r"training length (outlined: within the seed spread of the bar); the fitted boundary "
                      r"$L = r^* \xi_c$ per length and side, with its interval, and $L = 6\,\xi_c$ dashed"),
    "phase-correlation": r"Mean correlation $c^l$ of two digits' pre-activations against the layer $l$ (dots: "
                         r"width 1000) beside the correlation map's iterates (lines) and its fixed point $c^*$ "
                         r"(dotted), for three values of $\sigma_w^2$",
    "phase-gradients": r"Per-example RMS gradient $\|\delta^l\|$ relative to the last layer's against the layer $l$ "
                       r"(dots: width 1000) beside mean field's product $\prod_k \sqrt{\chi^k}$ (lines), for three "
                       r"values of $\sigma_w^2$",
    "recurrent-gradient-through-time": (r"(a) Each model's gradient norm at step $t$ relative to step $T$ against "
                                        r"$T - t$: median over the seeds and their range, at initialisation (dashed) "
                                        r"and after training (solid); (b) each seed's $D$ at initialisation per "
                                        r"model, its median as a bar"),
    "recurrent-longest-length": (r"(a) Median test accuracy on the first-symbol task against the length $T$ at each "
                                 r"budget of updates (the seeds' range at the largest), with the criterion and "
                                 r"chance; (b) the longest length learned against the budget"),
    "saturation": (r"Mean activation of each sigmoid hidden layer in Glorot and Bengio's set-up against SGD updates: "
                   r"at the chosen $\eta$ (median over the seeds thick, each seed thin; dashed, the judged probe), "
                   r"at the control $\eta$, and in the run that chose $\eta$ with its validation accuracy"),
}
