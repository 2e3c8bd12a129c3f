"""Random draws of one fully connected network, measured on digits: what ``python -m proofs diagnose`` measures.

Returns plain arrays. ``Init`` says how a network's weights are drawn: one of the suite's initialisations
(``numeric.activations.INITS``; "default" and "large" as network2 draws them: biases N(0, 1)) or mean field's own
"normal:SIGMA_W,SIGMA_B" (W^l_ij ~ N(0, SIGMA_W^2 / n_{l-1}), b^l_i ~ N(0, SIGMA_B^2)); ``Init.sigmas`` gives every
layer's sigma_w, sigma_b in mean field's convention (sigma_w^2 = n_in Var(w)). ``measure`` runs a stack of networks
(numeric.networks.stacked, float32, phi' from z) on inputs at initialisation and returns, per network and hidden
layer l = 1..H:

* ``rms``: the per-example RMS norm sqrt(mean_x ||delta^l(x)||^2) of the error vectors (what chi^l predicts;
  ``Stack.gradient_norms``), the read-out's cost at the given labels;
* ``q``: mean_x ||z^l(x)||^2 / n_l, the pre-activations' measured variance (mean field's q^l);
* ``c``: the mean over pairs (rows 2i, 2i + 1 of the inputs, numeric.experiments.propagation.pair_inputs) of the
  correlation <z^l_a, z^l_b> / (|z^l_a| |z^l_b|) of their pre-activations.

``measure_draws`` draws and measures k networks, network k from ``numeric.streams.replica_streams(seed, k)[k]``'s
"init" child, several at a time while their parameters fit ``GROUP_PARAMETERS``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import streams
from ..activations import INITS, draw_weights, weight_variance
from ..networks.deep import DeepNetwork
from ..networks.stacked import Stack
from .propagation import pair_inputs

__all__ = ["Init", "measure", "measure_draws", "stack_of", "layer_sigmas", "GROUP_PARAMETERS"]

GROUP_PARAMETERS = 4_000_000  # networks measured together while their parameters (float32) fit 16 MB


_WORDS = {"default": "network2's, w ~ N(0, 1/n_in), b ~ N(0, 1)", "large": "w ~ N(0, 1), b ~ N(0, 1)",
          "xavier-normal": "Glorot's normalised, w ~ N(0, 2/(n_in + n_out)), b = 0",
          "xavier-uniform": "Glorot's normalised, w ~ U(+-sqrt(6/(n_in + n_out))), b = 0",
          "he": "He et al.'s, w ~ N(0, 2/n_in), b = 0", "orthogonal": "a random orthogonal matrix, b = 0",
          "glorot-2010": "Glorot and Bengio's standard, w ~ U(+-1/sqrt(n_in)), b = 0"}


@dataclass(frozen=True)
class Init:
    """An initialisation: a suite name (``INITS``) or "normal" with mean field's sigma_w, sigma_b."""

    name: str
    sigma_w: float | None = None
    sigma_b: float | None = None

    def __post_init__(self):
        if self.name == "normal":
            for what, v in (("SIGMA_W", self.sigma_w), ("SIGMA_B", self.sigma_b)):
                if v is None or not math.isfinite(v) or v < 0 or (what == "SIGMA_W" and v == 0):
                    raise ValueError(f"normal:SIGMA_W,SIGMA_B needs a finite {what} "
                                     f"{'> 0' if what == 'SIGMA_W' else '>= 0'}, got {v}")
        elif self.name not in INITS:
            raise ValueError(f"init must be one of {list(INITS)} or normal:SIGMA_W,SIGMA_B, got {self.name!r}")

    @classmethod
    def parse(cls, text: str) -> Init:
        """Returns the Init named by ``text``: a suite initialisation, or "normal:SIGMA_W,SIGMA_B" (e.g. normal:1,1)."""
        text = str(text).strip()
        if not text.startswith("normal"):
            return cls(text)
        head, _, rest = text.partition(":")
        parts = rest.split(",")
        try:
            if head != "normal" or len(parts) != 2:
                raise ValueError
            sw, sb = (float(p) for p in parts)
        except ValueError:
            raise ValueError(f"init {text!r}: write normal:SIGMA_W,SIGMA_B with two numbers, e.g. normal:1.327,0.2236"
                             ) from None
        return cls("normal", sw, sb)

    def describe(self) -> str:
        """Returns the initialisation in words, for a caption."""
        if self.name == "normal":
            return f"w ~ N(0, {self.sigma_w:g}^2/n_in), b ~ N(0, {self.sigma_b:g}^2)"
        return _WORDS[self.name]

    def sigmas(self, sizes) -> tuple[list[float], list[float]]:
        """Returns (sigma_w, sigma_b) per weight matrix in mean field's convention: sigma_w^2 = n_in Var(w)."""
        pairs = list(zip(sizes[:-1], sizes[1:]))
        if self.name == "normal":
            return [float(self.sigma_w)] * len(pairs), [float(self.sigma_b)] * len(pairs)
        sw = [math.sqrt(n_in * weight_variance(self.name, n_in, n_out)) for n_in, n_out in pairs]
        return sw, [1.0 if self.name in ("default", "large") else 0.0] * len(pairs)

    def draw(self, sizes, rng: np.random.Generator) -> tuple[list, list]:
        """Returns (weights (n_out, n_in), biases (n_out,)) of one network drawn from ``rng``, float32: Gaussian draws
        at ``sigmas`` for "normal", "default" and "large"; ``numeric.activations.draw_weights`` for the others."""
        sw, sb = self.sigmas(sizes)
        weights, biases = [], []
        for (n_in, n_out), s_w, s_b in zip(zip(sizes[:-1], sizes[1:]), sw, sb):
            if self.name in ("normal", "default", "large"):
                w = rng.standard_normal((n_out, n_in), dtype=np.float32)
                w *= np.float32(s_w / math.sqrt(n_in))
            else:
                w = draw_weights(self.name, rng, n_in, n_out).astype(np.float32)
            weights.append(w)
            biases.append(rng.standard_normal(n_out, dtype=np.float32) * np.float32(s_b) if s_b else
                          np.zeros(n_out, np.float32))
        return weights, biases


def layer_sigmas(weights, biases) -> tuple[list[float], list[float]]:
    """Returns (sigma_w, sigma_b) per layer of given parameters: sigma_w^2 = n_in mean(w^2), sigma_b^2 = mean(b^2)
    (second moments: what the variance map uses, whatever the entries' mean)."""
    sw = [math.sqrt(w.shape[1] * float(np.mean(np.square(w, dtype=np.float64)))) for w in weights]
    return sw, [math.sqrt(float(np.mean(np.square(b, dtype=np.float64)))) for b in biases]


def stack_of(networks, activation: str, *, output: str = "softmax", cost: str | None = None,
             residual: bool = False, batch_norm: bool = False, rng=None) -> Stack:
    """Returns a float32 Stack of ``networks`` [(weights, biases), ...]; with ``residual`` or ``batch_norm`` through
    ``DeepNetwork``s (their own draws, from ``rng``, replaced by the given parameters)."""
    if not (residual or batch_norm):
        together = (lambda arrays: arrays[0][None]) if len(networks) == 1 else np.stack  # noqa: E731  (no copy for one)
        return Stack.from_arrays([together([n[0][l] for n in networks]) for l in range(len(networks[0][0]))],
                                 [together([n[1][l] for n in networks]) for l in range(len(networks[0][1]))],
                                 activation=activation, output=output, cost=cost, dtype=np.float32)
    nets = []
    for weights, biases in networks:
        sizes = [weights[0].shape[1]] + [w.shape[0] for w in weights]
        net = DeepNetwork(sizes, activation=activation, init="xavier-normal", output=output, cost=cost,
                          batch_norm=batch_norm, residual=residual, rng=rng)
        net.weights = [np.asarray(w, dtype=float) for w in weights]
        net.biases = [np.asarray(b, dtype=float) for b in biases]
        nets.append(net)
    return Stack(nets, dtype=np.float32)


def measure(stack: Stack, x, labels, pairs: int) -> dict:
    """Returns {"rms", "q", "c"}, each (networks, H), measured on inputs x (n, n_0) with ``labels`` (see the module
    docstring); ``pairs`` pairs from the first 2 pairs rows of x. Batch normalisation uses the batch's statistics.

    One forward and one backward pass of the kernel (``Stack.run_forward``, ``run_backward`` with phi' from z, as
    ``Stack.gradient_norms``), read in its buffers: z^l and each example's dC/db^l (dC/dbeta^l with batch norm).
    """
    x = np.asarray(x)
    pair_inputs(x, pairs)  # ValueError unless x holds 2 pairs rows
    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        w = stack.work(x)
        p0 = stack.first_layer(w.cols)
        stack.run_forward(w, p0, training=True, update_running=False)
        stack.run_backward(w, stack.targets(labels, len(w.x), len(x)), p0, exact=True)
        hidden = len(stack.sizes) - 2
        deltas = [w.d[l] if w.du[l] is None else w.du[l] for l in range(hidden)]
        rms = np.stack([np.sqrt(np.mean(np.sum(np.square(d, dtype=np.float64), axis=2), axis=1)) for d in deltas], 1)
        zs = [w.z[l] for l in range(hidden)]
        q = np.stack([np.mean(np.sum(np.square(z, dtype=np.float64), axis=2), axis=1) / z.shape[2] for z in zs], 1)
        c = []
        for z in zs:
            za, zb = z[:, 0:2 * pairs:2].astype(np.float64), z[:, 1:2 * pairs:2].astype(np.float64)
            c.append(np.mean(np.sum(za * zb, axis=2) / (np.linalg.norm(za, axis=2) * np.linalg.norm(zb, axis=2)), 1))
    return {"rms": rms, "q": q, "c": np.stack(c, axis=1)}


def measure_draws(sizes, activation: str, init: Init, draws: int, seed: int, x, labels, pairs: int, *,
                  residual: bool = False, batch_norm: bool = False, progress=None) -> dict:
    """Returns {"rms", "q", "c"}, each (draws, H): ``draws`` networks of ``sizes`` drawn under ``init`` (network k
    from replica k's "init" stream of ``seed``) and measured (``measure``); ``progress(done, total)`` after each
    group of networks measured together."""
    per = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    group = max(1, min(draws, GROUP_PARAMETERS // per))
    out = {"rms": [], "q": [], "c": []}
    children = streams.replica_streams(seed, draws)
    for start in range(0, draws, group):
        chunk = children[start:start + group]
        rngs = [streams.generator(s, "init") for s in chunk]
        stack = stack_of([init.draw(sizes, rng) for rng in rngs], activation, residual=residual,
                         batch_norm=batch_norm, rng=rngs[0])
        for key, value in measure(stack, x, labels, pairs).items():
            out[key].append(value)
        del stack
        if progress is not None:
            progress(start + len(chunk), draws)
    return {key: np.concatenate(v, axis=0) for key, v in out.items()}
