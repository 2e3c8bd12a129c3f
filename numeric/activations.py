"""The activation table (each hidden activation once, one spelling), initialisations and output layers.

* ``ACTIVATIONS``: name -> (phi, phi') in NumPy, finite for any z (``numeric.networks.deep`` and the remedies);
* ``FROM_OUTPUT``: name -> (phi, phi' written through a = phi(z)) for the recurrent kernels (tanh, sigmoid);
* ``MP``: name -> (phi, phi') in mpmath, for mean field's Gaussian integrals (``numeric.experiments.meanfield``);
* ``SUP_DERIVATIVE``: name -> sup |phi'| (``theory.activations.sup_derivative`` proves each; the tests compare
  the three forms with the SymPy ones);
* ``INITS`` and ``weight_variance``: the initial weight distributions and their variances;
  ``draw_weights``: one weight matrix (n_out, n_in) drawn from a Generator;
* ``OUTPUTS``: the output layer and its cost: network2's sigmoid with cross-entropy or quadratic cost,
  or Glorot and Bengio's softmax with log-likelihood cost (Nielsen ch. 3, eq. 78-80):
  a^L = softmax(z^L), C = -ln a^L_y, delta^L = a^L - y.

Initialisations: "default" (network2: w ~ N(0, 1/n_in), b ~ N(0, 1)), "large" (w ~ N(0, 1), b ~ N(0, 1)),
"xavier-normal" (N(0, 2/(n_in + n_out))), "xavier-uniform" (U(+-sqrt(6/(n_in + n_out)))), "he" (N(0, 2/n_in)),
"orthogonal" (a random orthogonal matrix, QR of a Gaussian with the sign fix); the last four with zero biases,
as their papers use them. "glorot-2010" is Glorot and Bengio's "standard" U(+-1/sqrt(n_in)) with zero biases.
"""

from __future__ import annotations

import mpmath
import numpy as np

from .functions import COSTS

__all__ = ["ACTIVATIONS", "FROM_OUTPUT", "MP", "SUP_DERIVATIVE", "sigmoid_via_tanh",
           "INITS", "OUTPUTS", "sigmoid", "sigmoid_prime", "weight_variance", "draw_weights",
           "softmax", "LogLikelihoodCost", "output_layer", "BN_EPS", "BN_MOMENTUM"]

BN_EPS = 1e-5
BN_MOMENTUM = 0.9


def sigmoid(z):
    """Returns 1 / (1 + e^{-|z|}) or its mirror: ``numeric.functions.sigmoid``'s formula, in z's own float type."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0, e).astype(e.dtype) / (1.0 + e)


def sigmoid_prime(z):
    """Returns e^{-|z|} / (1 + e^{-|z|})^2, never above 1/4 (``numeric.functions.sigmoid_prime``), in z's type."""
    e = np.exp(-np.abs(z))
    return np.minimum(e / (1.0 + e) ** 2, 0.25)


def _relu(z):
    return np.maximum(z, 0.0)


def _leaky(z):
    return np.where(z > 0, z, 0.01 * z)


def _elu(z):
    return np.where(z > 0, z, np.expm1(np.minimum(z, 0.0)))


def _tanh_prime(z):
    e = np.exp(-2 * np.abs(z))  # sech^2 without overflow
    return 4 * e / (1 + e) ** 2


# name: (phi, phi'); ReLU-like derivatives take the right-hand value at 0 (a set of measure zero)
ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_prime),
    "tanh": (np.tanh, _tanh_prime),
    "relu": (_relu, lambda z: (z > 0).astype(z.dtype)),
    "leaky-relu": (_leaky, lambda z: np.where(z > 0, 1.0, 0.01).astype(z.dtype)),
    "elu": (_elu, lambda z: np.where(z > 0, 1.0, np.exp(np.minimum(z, 0.0))).astype(z.dtype)),
}
SUP_DERIVATIVE = {"sigmoid": 0.25, "tanh": 1.0, "relu": 1.0, "leaky-relu": 1.0, "elu": 1.0}


def sigmoid_via_tanh(z):
    """Returns 1/2 + tanh(z/2)/2 = 1 / (1 + e^{-z}): no overflow for any z, one transcendental call."""
    return 0.5 + 0.5 * np.tanh(0.5 * z)


# name: (phi(z), phi' written in terms of the output a = phi(z)): tanh' = 1 - a^2, sigma' = a (1 - a). Computing
# phi' from a spares a second transcendental per step; where |z| > ~19 it rounds phi' to 0 (true value < 1e-16)
FROM_OUTPUT = {"tanh": (np.tanh, lambda a: 1 - a * a), "sigmoid": (sigmoid_via_tanh, lambda a: a * (1 - a))}


def _mp_sigmoid_prime(x):
    e = mpmath.exp(-abs(x))
    return e / (1 + e) ** 2


# name: (phi, phi') in mpmath; ReLU's phi' is the step (its value at 0 does not matter under a Gaussian)
MP = {
    "sigmoid": (lambda x: 1 / (1 + mpmath.exp(-x)), _mp_sigmoid_prime),
    "tanh": (mpmath.tanh, lambda x: mpmath.sech(x) ** 2),
    "relu": (lambda x: max(x, 0), lambda x: mpmath.mpf(1) if x > 0 else mpmath.mpf(0)),
    "leaky-relu": (lambda x: x if x > 0 else x / 100, lambda x: mpmath.mpf(1) if x > 0 else mpmath.mpf(1) / 100),
    "elu": (lambda x: x if x > 0 else mpmath.expm1(x), lambda x: mpmath.mpf(1) if x > 0 else mpmath.exp(x)),
}
INITS = ("default", "large", "xavier-normal", "xavier-uniform", "he", "orthogonal", "glorot-2010")


def weight_variance(init: str, n_in: int, n_out: int) -> float:
    """The variance of one weight entry under ``init`` (orthogonal: 1/n of the longer side)."""
    return {"default": 1 / n_in, "large": 1.0, "xavier-normal": 2 / (n_in + n_out),
            "xavier-uniform": 2 / (n_in + n_out), "he": 2 / n_in, "orthogonal": 1 / max(n_in, n_out),
            "glorot-2010": 1 / (3 * n_in)}[init]


def _orthogonal(rng, n_out, n_in):
    a = rng.standard_normal((max(n_out, n_in), min(n_out, n_in)))
    q, r = np.linalg.qr(a)
    q *= np.sign(np.diag(r))  # the sign fix makes the distribution uniform (Haar)
    return q if n_out >= n_in else q.T


def draw_weights(init: str, rng: np.random.Generator, n_in: int, n_out: int) -> np.ndarray:
    """Returns an (n_out, n_in) weight matrix drawn under ``init`` (not "default"/"large": network2 draws those
    in its own order, biases first; see ``DeepNetwork``)."""
    if init == "orthogonal":
        return _orthogonal(rng, n_out, n_in)
    sd = np.sqrt(weight_variance(init, n_in, n_out))
    if init in ("xavier-uniform", "glorot-2010"):  # U(-c, c) has variance c^2 / 3
        return rng.uniform(-1, 1, (n_out, n_in)) * sd * np.sqrt(3)
    return rng.standard_normal((n_out, n_in)) * sd


def softmax(z):
    """Returns e^{z_j} / sum_k e^{z_k} along the last axis (shifted by max z: no overflow)."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


class LogLikelihoodCost:
    """C = -sum_j y_j ln a^L_j with a^L = softmax(z^L); delta^L = a^L - y (Nielsen ch. 3, eq. 80-81).

    The cost is computed from z as log-sum-exp(z) - z . y, finite for any z.
    """

    name = "log-likelihood"

    @staticmethod
    def fn(z, a, y):
        top = z.max(axis=-1, keepdims=True)
        lse = top[..., 0] + np.log(np.exp(z - top).sum(axis=-1))
        return lse * y.sum(axis=-1) - np.sum(z * y, axis=-1)

    @staticmethod
    def delta(z, a, y):
        return a - y


# output layer name: (its activation, the costs it takes)
OUTPUTS = {"sigmoid": (sigmoid, COSTS), "softmax": (softmax, {"log-likelihood": LogLikelihoodCost})}


def output_layer(output: str, cost: str | None):
    """Returns (the output activation, the cost class) for ``output`` and ``cost`` (None: the output's default,
    cross-entropy for sigmoid and log-likelihood for softmax); ValueError for a pair that does not go together."""
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {sorted(OUTPUTS)}, got {output!r}")
    fn, costs = OUTPUTS[output]
    cost = cost or ("cross-entropy" if output == "sigmoid" else "log-likelihood")
    if cost not in costs:
        raise ValueError(f"a {output} output layer takes cost {sorted(costs)}, got {cost!r}")
    return fn, costs[cost]

