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

GROUPS = {"chain": "The chain network (eq.~114--122)",
          "recurrent": "The chain unrolled in time: recurrent networks and the LSTM", "matrix": "The matrix form (eq.~124)",
          "bounds": "When can a gradient avoid vanishing? (eq.~123)", "experiments": "The chapter's experiments",
          "meanfield": "Beyond the chapter: mean-field theory",
          "remedies": "Beyond the chapter: the remedies measured",
          "pretraining": "Beyond the chapter: greedy layer-wise pre-training", "phase": "Beyond the chapter: which networks can train"}

__all__ = ["REFERENCES", "TITLES", "CITES", "FIGURE_CAPTIONS", "GROUPS"]

REFERENCES = r"""@book{nielsen2015,
  author = {Michael A. Nielsen},
  title = {Neural Networks and Deep Learning},
  publisher = {Determination Press},
  year = {2015},
  note = {Chapter 5, ``Why are deep neural networks hard to train?''}
}
@mastersthesis{hochreiter1991,
  author = {Sepp Hochreiter},
  title = {Untersuchungen zu dynamischen neuronalen {N}etzen},
  school = {Technische Universit{\"a}t M{\"u}nchen},
  year = {1991}
}
@incollection{hochreiter2001,
  author = {Sepp Hochreiter and Yoshua Bengio and Paolo Frasconi and J{\"u}rgen Schmidhuber},
  title = {Gradient flow in recurrent nets: the difficulty of learning long-term dependencies},
  booktitle = {A Field Guide to Dynamical Recurrent Neural Networks},
  publisher = {IEEE Press},
  year = {2001}
}
@incollection{lecun1998,
  author = {Yann LeCun and L{\'e}on Bottou and Genevieve B. Orr and Klaus-Robert M{\"u}ller},
  title = {Efficient {BackProp}},
  booktitle = {Neural Networks: Tricks of the Trade},
  publisher = {Springer},
  year = {1998}
}
@inproceedings{glorot2010,
  author = {Xavier Glorot and Yoshua Bengio},
  title = {Understanding the difficulty of training deep feedforward neural networks},
  booktitle = {Proceedings of the Thirteenth International Conference on Artificial Intelligence and Statistics (AISTATS)},
  year = {2010}
}
@article{hochreiter1997,
  author = {Sepp Hochreiter and J{\"u}rgen Schmidhuber},
  title = {Long short-term memory},
  journal = {Neural Computation},
  volume = {9},
  number = {8},
  pages = {1735--1780},
  year = {1997}
}
@article{gers2000,
  author = {Felix A. Gers and J{\"u}rgen Schmidhuber and Fred Cummins},
  title = {Learning to forget: continual prediction with {LSTM}},
  journal = {Neural Computation},
  volume = {12},
  number = {10},
  pages = {2451--2471},
  year = {2000}
}
@inproceedings{tallec2018,
  author = {Corentin Tallec and Yann Ollivier},
  title = {Can recurrent neural networks warp time?},
  booktitle = {International Conference on Learning Representations (ICLR)},
  year = {2018}
}
@inproceedings{pascanu2013,
  author = {Razvan Pascanu and Tomas Mikolov and Yoshua Bengio},
  title = {On the difficulty of training recurrent neural networks},
  booktitle = {Proceedings of the 30th International Conference on Machine Learning (ICML)},
  year = {2013}
}
@inproceedings{poole2016,
  author = {Ben Poole and Subhaneil Lahiri and Maithra Raghu and Jascha Sohl-Dickstein and Surya Ganguli},
  title = {Exponential expressivity in deep neural networks through transient chaos},
  booktitle = {Advances in Neural Information Processing Systems 29},
  year = {2016}
}
@inproceedings{schoenholz2017,
  author = {Samuel S. Schoenholz and Justin Gilmer and Surya Ganguli and Jascha Sohl-Dickstein},
  title = {Deep Information Propagation},
  booktitle = {International Conference on Learning Representations (ICLR)},
  year = {2017}
}
@inproceedings{he2015,
  author = {Kaiming He and Xiangyu Zhang and Shaoqing Ren and Jian Sun},
  title = {Delving Deep into Rectifiers: Surpassing Human-Level Performance on {ImageNet} Classification},
  booktitle = {Proceedings of the IEEE International Conference on Computer Vision (ICCV)},
  year = {2015}
}
@inproceedings{ioffe2015,
  author = {Sergey Ioffe and Christian Szegedy},
  title = {Batch Normalization: Accelerating Deep Network Training by Reducing Internal Covariate Shift},
  booktitle = {Proceedings of the 32nd International Conference on Machine Learning (ICML)},
  year = {2015}
}
@inproceedings{he2016,
  author = {Kaiming He and Xiangyu Zhang and Shaoqing Ren and Jian Sun},
  title = {Deep Residual Learning for Image Recognition},
  booktitle = {Proceedings of the IEEE Conference on Computer Vision and Pattern Recognition (CVPR)},
  year = {2016}
}
@inproceedings{hanin2018,
  author = {Boris Hanin},
  title = {Which Neural Net Architectures Give Rise to Exploding and Vanishing Gradients?},
  booktitle = {Advances in Neural Information Processing Systems 31},
  year = {2018}
}
@inproceedings{sutskever2013,
  author = {Ilya Sutskever and James Martens and George Dahl and Geoffrey Hinton},
  title = {On the importance of initialization and momentum in deep learning},
  booktitle = {Proceedings of the 30th International Conference on Machine Learning (ICML)},
  year = {2013}
}
@article{hinton2006,
  author = {Geoffrey E. Hinton and Simon Osindero and Yee-Whye Teh},
  title = {A Fast Learning Algorithm for Deep Belief Nets},
  journal = {Neural Computation},
  volume = {18},
  number = {7},
  pages = {1527--1554},
  year = {2006}
}
@inproceedings{bengio2007,
  author = {Yoshua Bengio and Pascal Lamblin and Dan Popovici and Hugo Larochelle},
  title = {Greedy Layer-Wise Training of Deep Networks},
  booktitle = {Advances in Neural Information Processing Systems 19},
  year = {2007}
}
"""

# A LaTeX title per claim (the registry's titles are plain text for terminals; a test checks every claim has one).
TITLES = {
    "sigmoid-derivative": r"The sigmoid's derivative: $\sigma' = \sigma(1 - \sigma)$",
    "sigmoid-prime-max": r"$\ugsigmaprime$ peaks at $\ugsigmaprime(0) = 1/4$",
    "eq115-121-cascade": r"The cascade of changes from $\Delta b_1$ to $\Delta C$, eq.~114--121",
    "eq122-chain-gradient": r"The chain-network gradient, every depth (induction)",
    "chain-weight-gradient": r"$\partial C/\partial w_j = a_{j-1}\,\partial C/\partial b_j$, every depth",
    "cross-entropy-output-layer": r"$\ugsigmaprime$ cancels in the output layer only",
    "ratio-b1-b3": r"$\partial C/\partial b_1$ against $\partial C/\partial b_3$: at most $1/16$ when $|w_j| \le 1$",
    "exploding-construction": r"$w = 100$, $z = 0$: growth by 25 per layer",
    "bp1-bp4-matrix-form": r"The four equations of backpropagation, for all widths $n_{l-1}, n_l, n_{l+1}$",
    "eq124-matrix-delta": r"$\delta^l$ as a product of $\ugSigmaprime$ and transposed weights, for all widths "
                          r"$n_0, \ldots, n_L$ and all depths $L$",
    "eq124-reduces-to-eq122": r"With one neuron per layer, (124) is the chain formula (122)",
    "delta-norm-bound": r"$\|\delta^l\| \le (1/4)^{L-l+1} \prod_k \|w^k\|\,\|\nabla_a C\|$",
    "w-at-least-4": r"$|w\,\ugsigmaprime(wa+b)| \ge 1$ needs $|w| \ge 4$",
    "eq123-interval-width": r"The width of the interval where $|w\,\ugsigmaprime(wa+b)| \ge 1$",
    "eq123-width-maximum": r"The largest width, about $0.45$ near $|w| = 6.9$ (certified)",
    "identity-neuron": r"A sigmoid neuron that approximates the identity",
    "larger-derivative-activations": r"Activations with a larger derivative: $\sup |\varphi'|$",
    "meanfield-fixed-point": r"Mean field: $q^*$, $\chi_1$ and $\sqrt{\chi_1}$ for network2's initialisation",
    "meanfield-ratio-vs-width": r"The predicted ratio $\sqrt{\chi_1}$ against measurements at widths 30--1000",
    "meanfield-chi1-curves": r"$\chi_1$ against $\sigma_w$: the sigmoid needs $\sigma_w \ge 4$",
    "remedies-theory": r"Glorot's and He's variance conditions, and mean field's regime for each initialisation",
    "remedies": r"The remedies side by side: the ratio at initialisation and after training, accuracy, mean field",
    "greedy-pretraining": r"Greedy layer-wise pre-training lets the chapter's deep sigmoid network learn",
    "glorot-saturation": r"The sigmoid's top hidden layer heads to 0 (Glorot and Bengio); tanh beside",
    "speed-of-learning-at-init": r"At initialisation each hidden layer learns about 5 times slower than the next",
    "speed-of-learning-during-training": r"While training, the first hidden layer stays about 100 times slower than the last",
    "accuracy-vs-depth": r"More hidden layers barely help",
    "recurrent-chain-jacobian": r"The recurrent chain: $\partial h_T/\partial h_k = \prod_{t=k+1}^{T} w\,\ugsigmaprime(z_t)$, "
                                r"every $T$ (induction)",
    "recurrent-matrix-jacobian": r"$\partial h_T/\partial h_k = \ugSigmaprime(z_T) W \cdots \ugSigmaprime(z_{k+1}) W$ "
                                 r"for all widths and all $T$",
    "recurrent-norm-bound": r"$\|\partial h_T/\partial h_k\| \le (\gamma \|W\|)^{T-k}$: vanishing when "
                            r"$\|W\| < 1/\gamma$",
    "lstm-cell-path": r"The LSTM's cell path $\partial c_t/\partial c_{t-1} = \operatorname{diag}(f_t)$ and the gates' paths",
    "recurrent-gradient-through-time": r"$\|\partial C/\partial h_t\|$ against $T - t$: the RNN's within the bound, "
                                       r"the LSTM's not vanishing",
    "recurrent-longest-length": r"The longest sequence each network learns: LSTM against RNN",
    "weights-below-one": r"With $\mathcal{N}(0, 1)$ weights, $|w| < 1$ with probability $\operatorname{erf}(1/\sqrt{2})$",
    "phase-depth-scales": r"The correlation map, $\chi_c$, $\xi_c$, $\xi_\nabla$ and the edge of chaos of $\tanh$",
    "phase-forward-correlation": r"The correlation of two digits through depth against the correlation map",
    "phase-backward-gradients": r"Per-example gradients through depth against $\prod \sqrt{\chi^l}$ and $e^{-(L-l)/(2\xi_\nabla)}$",
    "phase-chapter-network": r"The chapter's network in the ordered phase: collapse and vanishing at one rate",
    "phase-diagram": r"Which networks train: the phase diagram against $6\,\xi_c$",
}
CITES = {"delta-norm-bound": ["nielsen2015", "pascanu2013"], "exploding-construction": ["nielsen2015", "pascanu2013"],
         "accuracy-vs-depth": ["nielsen2015", "glorot2010"],
         "meanfield-fixed-point": ["poole2016", "schoenholz2017"],
         "meanfield-ratio-vs-width": ["schoenholz2017", "nielsen2015"],
         "meanfield-chi1-curves": ["poole2016", "he2015", "nielsen2015"],
         "remedies": ["glorot2010", "he2015", "sutskever2013", "pascanu2013", "ioffe2015", "he2016", "hanin2018",
                      "hinton2006", "bengio2007"],
         "glorot-saturation": ["glorot2010", "lecun1998"], "greedy-pretraining": ["hinton2006", "bengio2007"],
         "remedies-theory": ["glorot2010", "he2015", "poole2016"],
         "recurrent-chain-jacobian": ["hochreiter2001", "pascanu2013", "nielsen2015"],
         "recurrent-matrix-jacobian": ["pascanu2013"], "recurrent-norm-bound": ["pascanu2013"],
         "lstm-cell-path": ["hochreiter1997", "gers2000"],
         "recurrent-gradient-through-time": ["pascanu2013", "hochreiter1997", "tallec2018"],
         "recurrent-longest-length": ["hochreiter2001", "gers2000", "tallec2018"],
         "phase-depth-scales": ["poole2016", "schoenholz2017"], "phase-forward-correlation": ["poole2016", "schoenholz2017"],
         "phase-backward-gradients": ["schoenholz2017"], "phase-chapter-network": ["schoenholz2017", "nielsen2015"],
         "phase-diagram": ["schoenholz2017"]}

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
                         r"30 neurons: this run's protocols (median and range over the seeds) beside the book's "
                         r"values; the dotted line is chance",
    "meanfield-ratio": r"The per-layer ratio $(\|\delta^2\|/\|\delta^4\|)^{1/2}$ at initialisation against the "
                       r"hidden width, measured, beside mean field's prediction $\sqrt{\chi_1}$ and three wrong "
                       r"formulas (dotted)",
    "chi1-against-sigma-w": r"Mean field's $\chi_1$ at the fixed point $q^*$ against $\sigma_w$ for the sigmoid, "
                            r"$\tanh$ and ReLU, with the sigmoid's bound $\sigma_w^2/16$",
    "remedies-ratio-at-init": r"The ratio of the last hidden layer's gradient norm to the first's at "
                              r"initialisation, against depth, for each remedy",
    "remedies-accuracy": r"Validation accuracy after training against depth, for each remedy",
    "recurrent-gradient-through-time": r"The median per-example norm of the gradient of the state at step $t$ against "
                                       r"$T - t$ for the $\tanh$ and sigmoid RNNs and the LSTM, at initialisation "
                                       r"(dashed) and after training (solid), with the bound $(\gamma\|W\|)^{T-t}$",
    "recurrent-longest-length": r"Test accuracy on the first-symbol task against the sequence length $T$ (median and "
                                r"range over the seeds), with the criterion for a length learned and chance",
    "saturation": r"Mean activation of each sigmoid hidden layer in Glorot and Bengio's set-up (softmax output, "
                  r"$U(\pm 1/\sqrt{n_{\mathrm{in}}})$ weights) against SGD updates at the chosen $\eta$: the "
                  r"median over the seeds (thick) and each seed (thin)",
}
