"""The activation table (one record per activation, one spelling), initialisations and output layers.

* ``ACTIVATIONS``: name -> ``Activation``, the one record of an activation: phi and phi' in NumPy (from z, finite and
  accurate for any z), phi into a buffer and phi' through the output a = phi(z) (the training kernels), phi and phi'
  in mpmath (mean field's Gaussian integrals), sup |phi'|, the initialisation its literature pairs with it, and the
  name of its SymPy twin in ``theory.activations`` (tests/test_activation_table.py compares every form with it).
  Every module reads this record; adding an activation is one record and its test;
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

from collections.abc import Callable
from dataclasses import dataclass

import mpmath
import numpy as np

from .functions import COSTS

__all__ = ["ACTIVATIONS", "Activation", "activation", "sigmoid_via_tanh", "INITS", "OUTPUTS", "sigmoid",
           "sigmoid_prime", "weight_variance", "draw_weights", "softmax", "LogLikelihoodCost", "output_layer",
           "BN_EPS", "BN_MOMENTUM"]

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


def sigmoid_via_tanh(z):
    """Returns 1/2 + tanh(z/2)/2 = 1 / (1 + e^{-z}): no overflow for any z, one transcendental call."""
    return 0.5 + 0.5 * np.tanh(0.5 * z)


# -- the training forms: phi into a buffer, and phi' written through the output a = phi(z) ------------------------
# One transcendental per element and layer: phi' comes from a (sigma' = a(1 - a), tanh' = 1 - a^2, ELU' = a + 1 below
# 0), so a training step never evaluates exp twice. Where |z| is large the output form rounds phi' to 0 (sigmoid,
# tanh: true value below 1e-16 in float64); measurements that need the tails use ``prime`` (from z) instead.

def _sigmoid_(z, out):
    np.negative(z, out=z)  # z is overwritten (the training pass keeps a, not z): three passes over a contiguous z
    np.exp(z, out=z)  # e^{1000} -> inf -> sigma = 0, the correct limit (network2's arithmetic)
    z += 1.0
    return np.reciprocal(z, out=out)


def _elu_(z, out):
    np.maximum(z, np.expm1(np.minimum(z, 0.0)), out=out)  # e^z - 1 >= z, equality at 0
    return out


def _sigmoid_out(a, out):
    np.subtract(1.0, a, out=out)
    return np.multiply(out, a, out=out)


def _tanh_out(a, out):
    np.multiply(a, a, out=out)
    return np.subtract(1.0, out, out=out)


def _step_out(low):
    def prime(a, out):
        np.greater(a, 0.0, out=out)  # a > 0 exactly where z > 0 (phi is increasing through 0)
        return out if low == 0 else np.maximum(out, low, out=out)
    return prime


def _elu_out(a, out):
    np.add(a, 1.0, out=out)  # e^z = (e^z - 1) + 1 below 0
    return np.minimum(out, 1.0, out=out)


def _mp_sigmoid_prime(x):
    e = mpmath.exp(-abs(x))
    return e / (1 + e) ** 2


@dataclass(frozen=True)
class Activation:
    """Everything the suite knows of one activation, in one record (``ACTIVATIONS[name]``).

    ``phi`` and ``prime`` (phi' from z) in NumPy, finite and accurate for any z (measurements); ``apply_(z, out)``
    writes phi(z) into ``out`` (and may overwrite z: the training pass keeps a, not z) and ``from_output(a, out)``
    writes phi' through a = phi(z) (the training kernels: one transcendental per element); ``mp`` = (phi, phi') in
    mpmath (mean field's Gaussian integrals); ``sup`` = sup |phi'| (``theory.activations.sup_derivative`` proves it);
    ``init`` the initialisation its literature pairs with it (``INITS``); ``sympy`` the name of its SymPy twin in
    ``theory.activations.activations()``, or None where it has none (``no_sympy`` says why). ReLU-like derivatives
    take the right-hand value at 0 (a set of measure zero).
    """

    name: str
    phi: Callable
    prime: Callable
    apply_: Callable
    from_output: Callable
    mp: tuple
    sup: float
    init: str
    sympy: str | None
    no_sympy: str = ""

    def initial_variance(self, n_in: int, n_out: int) -> float:
        """The variance of one weight under this activation's own initialisation (``weight_variance``)."""
        return weight_variance(self.init, n_in, n_out)


_one = lambda x: mpmath.mpf(1)  # noqa: E731
ACTIVATIONS = {a.name: a for a in (
    Activation("sigmoid", sigmoid, sigmoid_prime, _sigmoid_, _sigmoid_out,
               (lambda x: 1 / (1 + mpmath.exp(-x)), _mp_sigmoid_prime), 0.25, "default", "sigmoid"),
    Activation("tanh", np.tanh, _tanh_prime, lambda z, out: np.tanh(z, out=out), _tanh_out,
               (mpmath.tanh, lambda x: mpmath.sech(x) ** 2), 1.0, "xavier-normal", "tanh"),
    Activation("relu", _relu, lambda z: (z > 0).astype(z.dtype), lambda z, out: np.maximum(z, 0.0, out=out),
               _step_out(0), (lambda x: max(x, 0), lambda x: _one(x) if x > 0 else mpmath.mpf(0)), 1.0, "he", "relu"),
    Activation("leaky-relu", _leaky, lambda z: np.where(z > 0, 1.0, 0.01).astype(z.dtype),
               lambda z, out: np.maximum(z, 0.01 * z, out=out), _step_out(0.01),
               (lambda x: x if x > 0 else x / 100, lambda x: _one(x) if x > 0 else mpmath.mpf(1) / 100), 1.0, "he",
               "leaky-relu"),
    Activation("elu", _elu, lambda z: np.where(z > 0, 1.0, np.exp(np.minimum(z, 0.0))).astype(z.dtype), _elu_,
               _elu_out, (lambda x: x if x > 0 else mpmath.expm1(x), lambda x: _one(x) if x > 0 else mpmath.exp(x)),
               1.0, "he", "elu"),
)}


def activation(name: str) -> Activation:
    """Returns the record of ``name``; ValueError naming the known ones otherwise."""
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[name]


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

