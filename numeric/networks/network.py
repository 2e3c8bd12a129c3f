"""A feed-forward sigmoid network with the semantics of Nielsen's ``network2.py``, vectorized.

Same model as network2: ``sizes`` lists the layer widths; ``weights[l]`` has shape
(sizes[l+1], sizes[l]) so that w[j, k] connects neuron k of one layer to neuron j of the
next; sigmoid neurons; cross-entropy or quadratic cost; L2 regularisation applied as
w -> (1 - eta lmbda / n) w; the default initialisation draws biases N(0, 1) and weights
N(0, 1/n_in), the "large" one weights N(0, 1), biases first, as network2 does.

Where it departs from network2, on purpose:
* one example per **row**: x has shape (n, sizes[0]) and a whole mini-batch goes through each
  layer as one matrix product (network2 loops over examples with 784 x 1 columns);
* biases are 1-D arrays (n_l,), not (n_l, 1) columns;
* randomness is explicit (network2 uses both ``np.random`` and Python's ``random``): ``rng`` is a
  ``numpy.random.Generator``, a ``numpy.random.SeedSequence`` or an int seed s, which is numpy's
  ``default_rng(s)``, the stream of ``SeedSequence(s)`` itself. The initial draws and the shuffling
  are two purposes and should draw from two independent children, never from s and s + 1:
  ``init, shuffle = numpy.random.SeedSequence(s).spawn(2)``; ``Network(sizes, rng=init)``, then
  ``net.SGD(..., rng=shuffle)``. The experiments give replica k of a run from seed s the children
  ``numeric.streams.purpose(SeedSequence(s).spawn(S)[k], "init")`` and ``"shuffle"``;
* ``sigmoid_prime`` is evaluated without cancellation (see ``numeric.functions``) in ``backprop``; training uses
  network2's a(1 - a).
Forward, backprop and SGD run on ``numeric.networks.stacked``, the suite's one kernel, as a stack of one replica.
Layer indices are 0-based: ``weights[0]`` is the book's w^2.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..functions import COSTS
from ..validate import as_inputs, as_targets, check_positive, check_sizes, make_rng
from .stacked import Stack
from .stacked_sgd import sgd

__all__ = ["Network", "Gradients"]


@dataclass
class Gradients:
    """Backprop's output for a batch of n examples.

    ``nabla_b[l]`` (n_{l+1},) and ``nabla_w[l]`` (n_{l+1}, n_l) are **sums** over the batch
    (network2 accumulates per-example gradients the same way); ``deltas[l]`` is (n, n_{l+1}),
    the error delta^{l+2} of each example in the book's numbering.
    """

    nabla_b: list
    nabla_w: list
    deltas: list


class Network:
    """network2's Network, vectorized. See the module docstring for the semantics."""

    def __init__(self, sizes, *, cost: str = "cross-entropy", init: str = "default", rng=None,
                 dtype=np.float64):
        self.sizes = check_sizes(sizes)
        self.num_layers = len(self.sizes)
        if cost not in COSTS:
            raise ValueError(f"cost must be one of {sorted(COSTS)}, got {cost!r}")
        if init not in ("default", "large"):
            raise ValueError(f"init must be 'default' or 'large', got {init!r}")
        self.cost = COSTS[cost]
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise TypeError(f"dtype must be float32 or float64, got {self.dtype}")
        rng = make_rng(rng)
        pairs = list(zip(self.sizes[:-1], self.sizes[1:]))
        self.biases = [rng.standard_normal(n_out).astype(self.dtype) for _, n_out in pairs]
        scale = (lambda n_in: 1.0 / np.sqrt(n_in)) if init == "default" else (lambda n_in: 1.0)
        self.weights = [(rng.standard_normal((n_out, n_in)) * scale(n_in)).astype(self.dtype) for n_in, n_out in pairs]

    @classmethod
    def from_parameters(cls, weights, biases, *, cost: str = "cross-entropy") -> "Network":
        """Returns a network with these weights (n_{l+1}, n_l) and biases (n_{l+1},), copied; no random draws.

        All arrays must share one dtype (float32 or float64) and fit together layer by layer.
        """
        weights = [np.array(w) for w in weights]
        biases = [np.array(b) for b in biases]
        if not weights or len(weights) != len(biases):
            raise ValueError(f"need as many weight matrices as bias vectors (at least one), got {len(weights)} "
                             f"and {len(biases)}")
        sizes = [weights[0].shape[1] if weights[0].ndim == 2 else -1] + [w.shape[0] for w in weights]
        for l, (w, b) in enumerate(zip(weights, biases)):
            if w.shape != (sizes[l + 1], sizes[l]) or b.shape != (sizes[l + 1],):
                raise ValueError(f"layer {l}: weights {w.shape} and biases {b.shape} do not fit sizes {sizes}")
        dtypes = {a.dtype for a in weights + biases}
        if len(dtypes) != 1 or next(iter(dtypes)) not in (np.float32, np.float64):
            raise TypeError(f"weights and biases must all be float32 or all float64, got {sorted(map(str, dtypes))}")
        if cost not in COSTS:
            raise ValueError(f"cost must be one of {sorted(COSTS)}, got {cost!r}")
        net = cls.__new__(cls)
        net.sizes, net.num_layers = check_sizes(sizes), len(sizes)
        net.cost, net.dtype = COSTS[cost], weights[0].dtype
        net.weights, net.biases = weights, biases
        return net

    # -- forward and backward -------------------------------------------------------------
    def stack(self, dtype=None) -> Stack:
        """Returns this network as a ``Stack`` of one replica (copies of its parameters, in ``dtype``, default its
        own; the suite's one kernel)."""
        return Stack.from_arrays([w[None] for w in self.weights], [b[None] for b in self.biases], activation="sigmoid",
                                 output="sigmoid", cost=self.cost.name, dtype=dtype or self.dtype)

    def forward(self, x):
        """Returns (zs, activations) for inputs x (n, sizes[0]); activations[0] is x (sigma from z, exact)."""
        x = as_inputs(x, self.sizes[0])
        with np.errstate(over="ignore"):  # float64 inputs promote a float32 network's pass, as NumPy would
            zs, acts, _ = self.stack(np.result_type(x, self.dtype)).forward(x)
        return [z[0] for z in zs], [x] + [a[0] for a in acts[1:]]

    def feedforward(self, x):
        """Returns the output activations (n, sizes[-1]) for inputs x."""
        return self.forward(x)[1][-1]

    def backprop(self, x, y) -> Gradients:
        """Returns the gradient of the cost (no regularisation) for each example, summed.

        BP3 dC/db^l = delta^l; BP4 dC/dw^l = (delta^l)^T a^{l-1}, summed over the rows (``deltas``: BP1, BP2 with
        sigma' from z, accurate in both tails).
        """
        x = as_inputs(x, self.sizes[0])
        with np.errstate(over="ignore"):
            g = self.stack(np.result_type(x, self.dtype)).backprop(x, as_targets(y, len(x), self.sizes[-1]), exact=True)
        return Gradients([v[0] for v in g.nabla_b], [v[0] for v in g.nabla_w], [d[0] for d in g.examples])

    def deltas(self, x, y) -> list:
        """Returns the per-example errors [delta^2, ..., delta^L] (book's numbering), (n, n_l) each:
        BP1 delta^L = cost.delta(z^L, a^L, y); BP2 delta^l = (delta^{l+1} w^{l+1}) * sigma'(z^l)."""
        return self.backprop(x, y).deltas

    def mean_gradient(self, x, y, *, batch: int = 1000):
        """Returns (nabla_b, nabla_w) averaged over the examples of (x, y), in batches."""
        x = as_inputs(x, self.sizes[0])
        y = as_targets(y, len(x), self.sizes[-1])
        batch = int(check_positive("batch", batch, integer=True))
        nb = [np.zeros(b.shape) for b in self.biases]
        nw = [np.zeros(w.shape) for w in self.weights]
        for k in range(0, len(x), batch):
            g = self.backprop(x[k:k + batch], y[k:k + batch])
            for acc, part in zip(nb + nw, g.nabla_b + g.nabla_w):
                acc += part
        return [v / len(x) for v in nb], [v / len(x) for v in nw]

    def bias_gradient_norms(self, x, y) -> list[float]:
        """Returns ||dC/db^l|| for each layer, the gradient averaged over (x, y).

        The book's "speed of learning" of each layer (ch. 5: ||delta^1||, ||delta^2||, ...).
        """
        return [float(np.linalg.norm(v)) for v in self.mean_gradient(x, y)[0]]

    # -- training and evaluation ----------------------------------------------------------
    def SGD(self, x, y, epochs: int, mini_batch_size: int, eta: float, lmbda: float = 0.0, *, rng=None,
            evaluation_data=None, monitor_evaluation_cost=False, monitor_evaluation_accuracy=False,
            monitor_training_cost=False, monitor_training_accuracy=False, callback=None):
        """Trains by mini-batch stochastic gradient descent, as network2.SGD does.

        ``x`` (n, sizes[0]) and ``y`` (integer labels or one-hot rows) are the training data.
        Each epoch draws a permutation from ``rng`` (a Generator, a SeedSequence child or an int seed; see the
        module docstring for independent streams), then for each mini-batch of m examples:
        w -> (1 - eta lmbda / n) w - (eta / m) sum nabla_w and b -> b - (eta / m) sum nabla_b.
        Returns network2's four lists (evaluation_cost, evaluation_accuracy, training_cost,
        training_accuracy), one entry per epoch for each ``monitor_*`` flag set; accuracies are
        counts of correct images, costs include the L2 term. ``evaluation_data`` is (x, labels).
        ``callback(epoch, network)`` runs after each epoch (progress, custom measurements).
        """
        x = as_inputs(x, self.sizes[0]).astype(self.dtype, copy=False)
        y = as_targets(y, len(x), self.sizes[-1]).astype(self.dtype, copy=False)
        epochs = int(check_positive("epochs", epochs, allow_zero=True, integer=True))
        m = min(int(check_positive("mini_batch_size", mini_batch_size, integer=True)), len(x))
        eta = check_positive("eta", eta)
        lmbda = check_positive("lmbda", lmbda, allow_zero=True)
        rng = make_rng(rng)
        if (monitor_evaluation_cost or monitor_evaluation_accuracy) and evaluation_data is None:
            raise ValueError("evaluation_data (x, labels) is needed to monitor the evaluation cost or accuracy")
        history = ([], [], [], [])
        stack = self.stack()

        def after(epoch):
            for l, (w, b) in enumerate(zip(stack.weights, stack.biases)):  # the network's own arrays, in place
                self.weights[l][...], self.biases[l][...] = w[0], b[0]
            if stack.diverged.any():
                raise FloatingPointError(f"training diverged: weights became NaN or inf in epoch {epoch} with "
                                         f"eta = {eta:g}; lower eta")
            if monitor_evaluation_cost:
                history[0].append(self.total_cost(*evaluation_data, lmbda))
            if monitor_evaluation_accuracy:
                history[1].append(self.accuracy(*evaluation_data))
            if monitor_training_cost:
                history[2].append(self.total_cost(x, y, lmbda))
            if monitor_training_accuracy:
                history[3].append(self.accuracy(x, y))
            if callback is not None:
                callback(epoch, self)

        sgd(stack, x, y, epochs, m, eta, shuffles=[rng], lmbda=lmbda, on_epoch=after)
        return history

    def accuracy(self, x, labels) -> int:
        """Returns how many inputs the network classifies as their integer ``labels``."""
        out = self.feedforward(x)
        labels = np.asarray(labels)
        if labels.ndim == 2 and labels.shape[1] == self.sizes[-1]:
            labels = labels.argmax(axis=1)
        if labels.shape != (len(out),) or labels.dtype.kind not in "iu":
            raise ValueError(f"labels must be {len(out)} integer labels (or one-hot rows), got dtype "
                             f"{labels.dtype} shape {labels.shape}")
        return int(np.sum(out.argmax(axis=1) == labels))

    def total_cost(self, x, y, lmbda: float = 0.0) -> float:
        """Returns the mean cost over (x, y) plus the L2 term (lmbda / 2n) sum ||w||^2."""
        lmbda = check_positive("lmbda", lmbda, allow_zero=True)
        zs, acts = self.forward(x)
        y = as_targets(y, len(acts[0]), self.sizes[-1])
        reg = 0.5 * (lmbda / len(y)) * sum(float(np.sum(w.astype(np.float64) ** 2)) for w in self.weights)
        return float(np.mean(self.cost.fn(zs[-1], acts[-1], y))) + reg

    # -- persistence ----------------------------------------------------------------------
    def save(self, path, *, overwrite: bool = False) -> Path:
        """Writes the network to an .npz file (no pickles), atomically: a failed write (a full disk)
        leaves the previous file intact. Refuses to replace a file unless ``overwrite``."""
        from ..data.persist import write_network

        return write_network(self, path, overwrite=overwrite)

    @classmethod
    def load(cls, path) -> "Network":
        """Returns the network saved at ``path``; a damaged or foreign file raises ValueError."""
        from ..data.persist import read_network

        return read_network(cls, path)
