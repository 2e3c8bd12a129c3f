"""The book's numbers, and the papers' beside them: what a claim compares its run with, in one place.

Nielsen, *Neural Networks and Deep Learning*, ch. 5, as shared/BOOK.md quotes it (section named beside each
group). Quoted, never evidence: a claim shows them beside its own result (``book_vs_run`` rows, titles) and may
test whether its measurement reproduces them (a fact of role "reproduction"); no computation starts from them.

Why here and not in ``numeric``: only claims compare a run with the book, and a number the book *reports* must not
become an input of an experiment (the book's *protocols*, which an experiment needs, are data in
``numeric.experiments.protocols``). ``theory`` derives its own values (sigma' <= 1/4, |w| >= 4) and never reads these.
"""

from __future__ import annotations

from fractions import Fraction

__all__ = ["SIGMA_PRIME_MAX", "SIGMA_PRIME_ARGMAX", "P_ABS_W_BELOW_ONE", "RATIO_B1_B3_BOUND", "EXPLODING_WEIGHT",
           "EXPLODING_FACTOR", "THRESHOLD_ABS_W", "WIDTH_ARGMAX_ABS_W", "WIDTH_MAX", "NORMS_AT_INIT",
           "LAST_OVER_FIRST", "ACCURACY", "SCHOENHOLZ_TANH_SIGMA_B2", "SCHOENHOLZ_TANH_EDGE_SIGMA_W2",
           "SCHOENHOLZ_TRAINABLE_XI_C", "PASCANU_GAMMA"]

# "The theory": sigma', the chain network, exploding gradients, the Problem on |w| >= 4 and eq. (123)
SIGMA_PRIME_MAX = Fraction(1, 4)  # "sigma' peaks at sigma'(0) = 1/4"
SIGMA_PRIME_ARGMAX = 0
P_ABS_W_BELOW_ONE = 0.683  # "|w_j| < 1 usually (probability 68.3 %)", w ~ N(0, 1)
RATIO_B1_B3_BOUND = Fraction(1, 16)  # "dC/db_1 is then at most 1/16 of dC/db_3"
EXPLODING_WEIGHT = 100  # "w_1 = ... = w_4 = 100 and biases chosen so that every z_j = 0"
EXPLODING_FACTOR = 25  # "each factor w_j sigma'(z_j) = 25, and the gradient grows by 25 per layer"
THRESHOLD_ABS_W = 4  # "|w sigma'(w a + b)| >= 1 can only hold when |w| >= 4"
WIDTH_ARGMAX_ABS_W = 6.9  # eq. (123): "that width is largest at |w| about 6.9,
WIDTH_MAX = 0.45  # where it is about 0.45"

# "Speed of learning at initialisation": ||delta^l|| of each hidden layer, one random initialisation each
NORMS_AT_INIT = {(784, 30, 30, 10): (0.07, 0.31), (784, 30, 30, 30, 10): (0.012, 0.060, 0.283),
                 (784, 30, 30, 30, 30, 10): (0.003, 0.017, 0.070, 0.285)}
# "Speed of learning during training": "with four hidden layers the first learns about 100 times slower than the last"
LAST_OVER_FIRST = 100
# "Accuracy against depth": validation accuracy by number of hidden layers, 30 epochs on full MNIST, one run each
ACCURACY = {1: 0.9648, 2: 0.9690, 3: 0.9657, 4: 0.9653}

# "Beyond the chapter": the papers' numbers
SCHOENHOLZ_TANH_SIGMA_B2 = 0.05  # Schoenholz et al. 2017: for tanh with sigma_b^2 = 0.05 ...
SCHOENHOLZ_TANH_EDGE_SIGMA_W2 = 1.76  # ... the edge of chaos is at sigma_w^2 of about 1.76
SCHOENHOLZ_TRAINABLE_XI_C = 6  # networks trained only where the depth was below about 6 xi_c
PASCANU_GAMMA = {"sigmoid": Fraction(1, 4), "tanh": 1}  # Pascanu et al. 2013: gamma, a bound on |phi'|
