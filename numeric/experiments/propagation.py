"""Signals and gradients measured through random networks, for comparison with mean field's maps.

Returns plain arrays. The networks are the ensemble of Poole et al. (2016): W^l ~ N(0, sigma_w^2 / n_{l-1}),
b^l ~ N(0, sigma_b^2), hidden activation phi, float64. For each seed the standard normal draws are made once
(child ``width`` of the replica's stream) and scaled by each sigma_w (common random numbers: the sigma_w of
one seed differ in nothing else). Replica k of a run from seed s is ``numeric.streams.replica(s, k)``.

* ``forward``: for pairs of inputs (x_a, x_b), the measured correlation of the hidden pre-activations
  c^l = <z^l_a, z^l_b> / (|z^l_a| |z^l_b|) and their relative spread |z^l_a - z^l_b| / |z^l_a| at each layer;
* ``backward``: the per-example RMS sqrt(mean_x ||delta^l(x)||^2) of each hidden layer's error vector, with a
  softmax read-out and the cross-entropy cost at initialisation (what chi_1 predicts: numeric.experiments.meanfield);
* ``first_layer``: the exact layer-1 variances and covariance of a pair, sigma_w^2 x.x'/n_0 + sigma_b^2, where
  mean field's maps start.
"""

from __future__ import annotations

import numpy as np

from ..activations import ACTIVATIONS
from ..streams import child
from .protocol import Protocol, register
from .protocol import criterion as C  # noqa: N812 - the criteria read as a table

__all__ = ["SIGNAL", "describe", "draws", "forward", "backward", "first_layer", "pair_inputs"]

SCHOENHOLZ_TANH_SIGMA_B2 = 0.05  # Schoenholz et al.'s tanh networks (their Fig. 5)


def describe(p: Protocol) -> str:
    """Returns the signal-propagation protocol in one line."""
    return (f"{p.label}: tanh, sigma_b^2 = {p.sigma_b2:g}, [784, n x {p.depth}, 10], n in {list(p.forward_widths)}, "
            f"{p.pairs} pairs of embedded digits (forward) and {p.examples} digits (backward, softmax read-out), "
            f"{p.seeds} seeds")


SIGNAL = Protocol(
    "phase-signal", "this suite's signal-propagation protocol", seeds=2, quick_seeds=1,
    kind=register("signal", describe=describe),
    quantity="the mean correlation of digit pairs at each layer (forward), and the per-example RMS of delta^l at each "
             "hidden layer (backward), against mean field's maps",
    criteria=(
        C("correlation", "at the widest layers the measured mean correlation is within {max_c_gap:g} of the map's c^l "
                         "at every layer", "reproduction", max_c_gap=0.05),
        C("slope", "log|c^l - c*| falls with slope -1/xi_c within {max_slope_gap:.0%} (ordered: measured; chaotic: the "
                   "map's own)", "reproduction", max_slope_gap=0.10),
        C("rms", "at the widest layers rms^l / rms^L is within {max_rms_gap:.0%} of the map's product at every layer",
          "reproduction", max_rms_gap=0.20),
    ),
    grid={"forward_sigma_w2s": (1.0, 2.0, 3.0),
          "backward_sigma_w2s": (1.0, 1.76, 3.0),  # ordered, the edge as Schoenholz et al. state it, chaotic
          "forward_widths": (100, 300, 1000), "backward_widths": (100, 1000)},
    settings={"sigma_b2": SCHOENHOLZ_TANH_SIGMA_B2, "depth": 20,
              "pairs": 40,  # digit pairs (rows 2i, 2i + 1 of the training split)
              "examples": 50,  # digits for the per-example RMS of delta^l
              "slope_layers": (8, 20)})  # fit window of log|c^l - c*|


def draws(stream, depth: int, width: int, n_in: int = 784, n_out: int = 10) -> tuple[list, list]:
    """Returns (weights, biases) of standard normal draws for [n_in, width x depth, n_out] from child ``width`` of
    ``stream`` (a replica's SeedSequence, numeric.streams.replica, or an int seed)."""
    rng = np.random.default_rng(child(stream, int(width)))
    sizes = [n_in] + [width] * depth + [n_out]
    ws = [rng.standard_normal((b, a)) for a, b in zip(sizes[:-1], sizes[1:])]
    return ws, [rng.standard_normal(b) for b in sizes[1:]]


def _scaled(net, sigma_w: float, sigma_b: float):
    ws, bs = net
    return [w * (sigma_w / np.sqrt(w.shape[1])) for w in ws], [b * sigma_b for b in bs]


def pair_inputs(x: np.ndarray, pairs: int) -> tuple[np.ndarray, np.ndarray]:
    """Returns (x_a, x_b): rows 0, 2, 4, ... and 1, 3, 5, ... of x, ``pairs`` of each."""
    if 2 * pairs > len(x):
        raise ValueError(f"pairs must be at most {len(x) // 2} for {len(x)} inputs, got {pairs}")
    return x[0:2 * pairs:2], x[1:2 * pairs:2]


def first_layer(xa, xb, sigma_w: float, sigma_b: float) -> tuple:
    """Returns (q_a, q_b, q_ab) of layer 1 for each pair: sigma_w^2 x.x'/n_0 + sigma_b^2."""
    n0, sw2, sb2 = xa.shape[1], sigma_w**2, sigma_b**2
    return (sw2 * np.sum(xa * xa, 1) / n0 + sb2, sw2 * np.sum(xb * xb, 1) / n0 + sb2,
            sw2 * np.sum(xa * xb, 1) / n0 + sb2)


def forward(net, xa, xb, sigma_w: float, sigma_b: float, activation: str = "tanh") -> dict:
    """Returns {"c": (depth, pairs), "spread": (depth, pairs)} measured in the hidden layers of ``net`` (draws)
    scaled to sigma_w, sigma_b, for the pairs (xa[i], xb[i])."""
    phi = ACTIVATIONS[activation].phi
    ws, bs = _scaled(net, sigma_w, sigma_b)
    za, zb = xa @ ws[0].T + bs[0], xb @ ws[0].T + bs[0]
    cs, spread = [], []
    for l in range(len(ws) - 1):
        if l:
            za, zb = phi(za) @ ws[l].T + bs[l], phi(zb) @ ws[l].T + bs[l]
        na, nb = np.linalg.norm(za, axis=1), np.linalg.norm(zb, axis=1)
        cs.append(np.sum(za * zb, 1) / (na * nb))
        spread.append(np.linalg.norm(za - zb, axis=1) / na)
    return {"c": np.array(cs), "spread": np.array(spread)}


def backward(net, x, labels, sigma_w: float, sigma_b: float, activation: str = "tanh") -> np.ndarray:
    """Returns sqrt(mean over examples of ||delta^l(x)||^2) for hidden layers l = 1..depth (softmax read-out,
    cross-entropy: delta^out = p - y; BP2 delta^l = (W^{l+1})^T delta^{l+1} * phi'(z^l))."""
    phi, dphi = ACTIVATIONS[activation].phi, ACTIVATIONS[activation].prime
    ws, bs = _scaled(net, sigma_w, sigma_b)
    zs, a = [], x
    for w, b in zip(ws[:-1], bs[:-1]):
        zs.append(a @ w.T + b)
        a = phi(zs[-1])
    logits = a @ ws[-1].T + bs[-1]
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    delta = p - np.eye(ws[-1].shape[0])[labels]
    rms = []
    for l in range(len(zs) - 1, -1, -1):
        delta = (delta @ ws[l + 1]) * dphi(zs[l])
        rms.append(np.sqrt(np.mean(np.sum(delta * delta, axis=1))))
    return np.array(rms[::-1])
