"""Greedy layer-wise pre-training of the chapter's sigmoid network: each hidden layer an autoencoder in turn.

Hidden layer l (weights W (n_out, n_in), biases b) is trained, before any label is seen, as a tied-weight
autoencoder of the layer below's activations a (the pixels for l = 1):

    h = sigma(a W^T + b),   r = sigma(h W + c),   C(a) = -sum_j [a_j ln r_j + (1 - a_j) ln(1 - r_j)]

(c: the decoder's own bias, dropped afterwards); then the next layer is trained on h, and so on up the stack.
The output layer keeps its draws. Fine-tuning is then the same backprop as every other configuration of
``numeric.experiments.remedies``. Bengio, Lamblin, Popovici and Larochelle (2007), "Greedy layer-wise training of deep
networks"; Hinton, Osindero and Teh (2006) use RBMs.

Why an autoencoder and not an RBM with CD-1: the autoencoder's cost has an exact gradient, so its backprop is
checked against finite differences like every other formula of the suite (CD-1 follows no cost's gradient and
draws Bernoulli samples at every step, so nothing exact checks it); Bengio et al. (2007) found the two comparable
as the building block on MNIST. Tied weights (the decoder is W^T) keep one matrix per layer, as an RBM does;
cross-entropy suits inputs in [0, 1] (pixels, sigmoid activations) and cancels the decoder's sigma', as
the chapter's output layer does (Nielsen ch. 3): dC/ds = r - a for s = h W + c. Its gradient, summed over a batch:

    dC/dc = sum (r - a),   dC/dh = (r - a) W^T,   dC/dz = dC/dh * h (1 - h),   dC/db = sum dC/dz,
    dC/dW = h^T (r - a)  [the decoder's use of W]  +  (dC/dz)^T a  [the encoder's].

Everything runs on a stack of S networks at once (arrays (S, ...)), each replica with its own shuffling
generator; the hyper-parameters are a frozen ``Pretraining`` record (data, recorded with the protocol).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..activations import sigmoid
from ..validate import check_positive

__all__ = ["Pretraining", "PRETRAINING", "encode", "reconstruction_cost", "autoencoder_gradient", "train_layer",
           "pretrain"]


@dataclass(frozen=True)
class Pretraining:
    """Greedy layer-wise pre-training as data: each hidden layer trained for ``epochs`` epochs of plain SGD with
    mini-batches of ``mini_batch_size`` and rate ``eta`` (the step is eta / m times the summed gradient, as
    network2) on the first ``images`` training digits (None: all), as a tied-weight autoencoder with
    cross-entropy reconstruction cost, in ``dtype`` (the fine-tuning's float32: 3-4x faster than float64 here).
    Calling it pre-trains networks in place (``pretrain``)."""

    epochs: int = 5
    eta: float = 0.3
    mini_batch_size: int = 10
    images: int | None = None
    tied: bool = True
    cost: str = "cross-entropy"
    dtype: str = "float32"

    def __post_init__(self):
        check_positive("epochs", self.epochs, allow_zero=True, integer=True)
        check_positive("eta", self.eta)
        check_positive("mini_batch_size", self.mini_batch_size, integer=True)
        if self.images is not None:
            check_positive("images", self.images, integer=True)
        if np.dtype(self.dtype).kind != "f":
            raise ValueError(f"dtype must be a float type, got {self.dtype!r}")
        if not self.tied or self.cost != "cross-entropy":
            raise ValueError("only tied weights with cross-entropy reconstruction cost are implemented")

    METHOD = "greedy layer-wise tied-weight autoencoders, cross-entropy"

    def as_dict(self) -> dict:
        """The record ``Remedy.as_dict`` carries into results.json."""
        return {"method": self.METHOD, **dataclasses.asdict(self)}

    def __call__(self, nets, x, rngs) -> dict:
        return pretrain(nets, x, rngs, self)


PRETRAINING = Pretraining()


def encode(W, b, a):
    """Returns sigma(a W^T + b) for every replica: W (S, n_out, n_in), b (S, n_out), a (S, n, n_in)."""
    return sigmoid(np.matmul(a, W.transpose(0, 2, 1)) + b[:, None, :])


def _softplus(s):
    return np.maximum(s, 0.0) + np.log1p(np.exp(-np.abs(s)))


def reconstruction_cost(W, b, c, a) -> np.ndarray:
    """Returns, per replica, the mean over the batch of C(a) = -sum_j [a_j ln r_j + (1 - a_j) ln(1 - r_j)],
    r = sigma(s), s = h W + c; computed as sum_j [softplus(s_j) - a_j s_j] (finite for any s)."""
    s = np.matmul(encode(W, b, a), W) + c[:, None, :]
    return np.sum(_softplus(s) - a * s, axis=2).mean(axis=1)


def autoencoder_gradient(W, b, c, a) -> tuple:
    """Returns (dC/dW, dC/db, dC/dc) summed over the batch a (S, n, n_in), for every replica (module docstring):
    the tied W collects the decoder's h^T (r - a) and the encoder's (dC/dz)^T a."""
    h = encode(W, b, a)
    d_s = sigmoid(np.matmul(h, W) + c[:, None, :]) - a  # cross-entropy cancels the decoder's sigma'
    d_z = np.matmul(d_s, W.transpose(0, 2, 1)) * h * (1 - h)
    nabla_w = np.matmul(h.transpose(0, 2, 1), d_s) + np.matmul(d_z.transpose(0, 2, 1), a)
    return nabla_w, d_z.sum(axis=1), d_s.sum(axis=1)


def train_layer(W, b, a, rngs, p: Pretraining) -> tuple[np.ndarray, np.ndarray]:
    """Trains (W, b) in place as autoencoders of a (S, n, n_in) (or (n, n_in), shared) by ``p``'s SGD, replica k
    shuffling with ``rngs[k]``; returns (cost before, cost after) per replica on all of a."""
    S = len(W)
    a = np.broadcast_to(a, (S,) + a.shape[-2:]) if a.ndim == 2 else a
    n = a.shape[1]
    c = np.zeros((S, a.shape[2]), dtype=W.dtype)  # the decoder's bias, dropped afterwards
    before = reconstruction_cost(W, b, c, a)
    rows, m = np.arange(S)[:, None], p.mini_batch_size
    for _ in range(p.epochs):
        orders = np.stack([r.permutation(n) for r in rngs])
        for k in range(0, n, m):
            batch = a[rows, orders[:, k:k + m]]
            nw, nb, nc = autoencoder_gradient(W, b, c, batch)
            step = W.dtype.type(p.eta / batch.shape[1])
            W -= step * nw
            b -= step * nb
            c -= step * nc
    return before, reconstruction_cost(W, b, c, a)


def pretrain(nets, x, rngs, p: Pretraining = PRETRAINING) -> dict:
    """Pre-trains the hidden layers of ``nets`` (sigmoid ``DeepNetwork``s of one architecture, no batch
    normalisation or residual blocks) in place, greedily from the first up, on the first ``p.images`` rows of x;
    ``rngs``: one Generator per network (its shuffling). Returns {"cost_before", "cost_after": [layer][network]}:
    each layer's mean reconstruction cost on its inputs before and after its training.
    """
    nets, rngs = list(nets), list(rngs)
    if not nets or len(rngs) != len(nets):
        raise ValueError(f"rngs must hold one Generator per network: {len(nets)} networks, {len(rngs)} rngs")
    if any(n.activation != "sigmoid" or n.batch_norm or n.residual for n in nets):
        raise ValueError("greedy pre-training here is for plain sigmoid networks (no batch norm, no residual)")
    if len({tuple(n.sizes) for n in nets}) != 1:
        raise ValueError("the networks must share one architecture")
    dt = np.dtype(p.dtype)
    x = np.asarray(x, dtype=dt)
    a = x if p.images is None else x[:p.images]
    out = {"cost_before": [], "cost_after": []}
    for l in range(len(nets[0].weights) - 1):  # the hidden layers
        W = np.stack([n.weights[l] for n in nets]).astype(dt)
        b = np.stack([n.biases[l] for n in nets]).astype(dt)
        before, after = train_layer(W, b, a, rngs, p)
        out["cost_before"].append(before.tolist())
        out["cost_after"].append(after.tolist())
        for k, net in enumerate(nets):
            net.weights[l], net.biases[l] = W[k].astype(np.float64), b[k].astype(np.float64)
        a = encode(W, b, np.broadcast_to(a, (len(nets),) + a.shape[-2:]) if a.ndim == 2 else a)
    return out
