"""The trainability phase diagram (Schoenholz et al. 2017, Sec. 5, Fig. 5) as data: protocol, cells, criterion.

Returns plain data. A ``Protocol`` (``PHASE``) fixes, before any run, the grid (sigma_w^2 across the edge of chaos,
depths), the training (SGD steps, mini-batch, learning rate eta0 / L: one rule for every cell, set by depth
only, because at the edge every layer contributes to the curvature) and the criterion's thresholds:

* a cell **trains** when the median accuracy over its seeds on the first ``accuracy_images`` training digits
  (the papers' training accuracy) reaches ``trains_at``; a diverged replica (NaN or inf cost or weights) counts
  as chance and is counted per cell;
* **beyond** the bound: cells with L > ``beyond`` xi_c; at most ``max_beyond_train`` of them may train;
* **well inside**: cells with L <= ``inside`` xi_c; at most ``max_inside_fail`` of them may fail;
* each set holds at least ``min_cells`` cells (else the criterion says nothing).

``PHASE`` is the default run's grid (two seeds: about 25 s of one core); ``PHASE_LARGE`` the larger grid
(benchmarks/phase.py --large runs it; its numbers are in the README).
"""

from __future__ import annotations

import numpy as np

from ..activations import ACTIVATIONS
from ..networks.network import Network
from ..networks.phase_stack import Stack
from ..streams import purpose, sequence
from .meanfield import per_example_rms_norms
from .propagation import pair_inputs
from .protocol import Change, Protocol, register
from .protocol import criterion as C  # noqa: N812 - the criteria read as a table

__all__ = ["PHASE", "PHASE_LARGE", "eta", "describe", "train_group", "cells", "criterion", "CHAPTER_NETWORK",
           "chapter_network"]


def eta(p: Protocol, depth: int) -> float:
    """Returns the learning rate at ``depth``: eta0 / L, one rule for every cell."""
    return p.eta0 / depth


def describe(p: Protocol) -> str:
    """Returns one line for a caption: grid, network, training, criterion."""
    c = p.thresholds()
    grid = ", ".join(f"{v:g}" for v in p.sigma_w2s)
    network = (f"{p.activation}, sigma_b^2 = {p.sigma_b2:g}, sigma_w^2 in {{{grid}}}, depths {list(p.depths)}, "
               f"width {p.width}")
    training = (f"{p.steps} SGD steps of {p.batch} embedded digits, eta = {p.eta0:g}/L, softmax read-out, "
                f"{p.seeds} seeds")
    bar = f"median training accuracy >= {c.trains_at:.0%} ({p.accuracy_images:,} digits)"
    sides = (f"beyond L > {c.beyond:g} xi_c at most {c.max_beyond_train:.0%} may train, "
             f"inside L <= {c.inside:g} xi_c at most {c.max_inside_fail:.0%} may fail")
    return f"{p.label}: {network}, {training}; a cell trains at {bar}; {sides}"


def _check(p: Protocol) -> None:
    c = p.thresholds()
    if min(p.sigma_w2s) <= 0 or min(p.depths) < 1 or p.width < 1 or p.steps < 0:
        raise ValueError(f"{p.name}: sigma_w2s, depths and width must be positive, steps >= 0")
    if not 0 <= c.max_beyond_train <= 1 or not 0 <= c.max_inside_fail <= 1:
        raise ValueError(f"{p.name}: the criterion's fractions must lie in [0, 1]")


KIND = register("phase", check=_check, describe=describe)
PHASE = Protocol(
    "phase-default", "this suite's phase-diagram protocol (after Schoenholz et al. 2017, Fig. 5)", seeds=2,
    quick_seeds=1, kind=KIND,
    quantity="each cell's median training accuracy over its seeds after the SGD steps (a diverged replica at chance)",
    criteria=(
        C("trains", "a cell trains when its median accuracy over the seeds on the first training digits reaches "
                    "{trains_at:.0%}", trains_at=0.2),
        C("beyond", "beyond the bound (L > {beyond:g} xi_c) at most {max_beyond_train:.0%} of the cells train; the "
                    "set holds at least {min_cells:g} cells", "reproduction", beyond=6.0, max_beyond_train=0.10,
          min_cells=5),
        C("inside", "well inside (L <= {inside:g} xi_c) at most {max_inside_fail:.0%} of the cells fail; the set holds "
                    "at least {min_cells:g} cells", "reproduction", inside=2.0, max_inside_fail=0.20, min_cells=5),
    ),
    grid={"sigma_w2s": (1.0, 1.25, 1.5, 1.76, 2.0, 2.5, 3.0, 4.0), "depths": (10, 20, 40, 80)},
    settings={"sigma_b2": 0.05, "activation": "tanh", "width": 100, "steps": 50, "batch": 64,
              "eta0": 0.5,  # eta = eta0 / L
              "accuracy_images": 1000})
PHASE_LARGE = PHASE.replace(name="phase-large", label="this suite's larger phase-diagram protocol",
                            sigma_w2s=(1.0, 1.25, 1.5, 1.625, 1.76, 1.9, 2.0, 2.25, 2.5, 3.0, 3.5, 4.0),
                            depths=(10, 15, 20, 30, 40, 60, 80, 100), steps=100, seeds=3)


def train_group(protocol: Protocol, depth: int, seed: int, x, labels) -> dict:
    """Returns {"accuracy": (len(sigma_w2s),), "diverged": (len(sigma_w2s),) bool} for one depth and one seed:
    every sigma_w^2 of the grid trained together as one stack of replicas."""
    p = protocol
    st = Stack(depth, p.width, np.sqrt(p.sigma_w2s), [seed], sigma_b=float(np.sqrt(p.sigma_b2)),
               activation=p.activation)
    st.sgd(x, labels, p.steps, p.batch, eta(p, depth))
    n = p.accuracy_images
    return {"accuracy": st.accuracy(x[:n], labels[:n]), "diverged": st.diverged.copy()}


def cells(protocol: Protocol, groups: dict) -> dict:
    """Returns {"accuracy": (depths, sigma_w2s, seeds), "median", "spread" (max - min), "diverged" (counts)}
    from {(depth, seed): train_group(...)}."""
    p = protocol
    seeds = sorted({s for _, s in groups})
    acc = np.array([[groups[(d, s)]["accuracy"] for s in seeds] for d in p.depths]).transpose(0, 2, 1)
    div = np.array([[groups[(d, s)]["diverged"] for s in seeds] for d in p.depths]).transpose(0, 2, 1)
    return {"accuracy": acc, "median": np.median(acc, axis=2), "spread": acc.max(axis=2) - acc.min(axis=2),
            "diverged": div.sum(axis=2)}


def criterion(protocol: Protocol, median: np.ndarray, xi_c) -> dict:
    """Returns the criterion's verdict on median accuracies (depths, sigma_w2s) against xi_c (sigma_w2s,):
    {"beyond": cells, "beyond_trained": fraction, "inside": cells, "inside_failed": fraction, "holds": bool}."""
    p, c = protocol, protocol.thresholds()
    depth = np.asarray(p.depths, dtype=float)[:, None]
    xi = np.asarray(xi_c, dtype=float)[None, :]
    trains = np.asarray(median) >= c.trains_at
    beyond, inside = depth > c.beyond * xi, depth <= c.inside * xi
    nb, ni = int(beyond.sum()), int(inside.sum())
    fb = float(trains[beyond].mean()) if nb else float("nan")
    fi = float((~trains[inside]).mean()) if ni else float("nan")
    holds = nb >= c.min_cells and ni >= c.min_cells and fb <= c.max_beyond_train and fi <= c.max_inside_fail
    return {"beyond": nb, "beyond_trained": fb, "inside": ni, "inside_failed": fi, "trains": trains.tolist(),
            "holds": bool(holds)}


# -- the chapter's network in its phase ----------------------------------------------------------------------------
CHAPTER_NETWORK = Protocol(
    "phase-chapter", "this suite's protocol: the chapter's network [784, 30 x 10, 10] with network2's initialisation, "
                     "measured at initialisation and after one epoch", seeds=2, quick_seeds=1, kind=register("plain"),
    quantity="per seed: the median relative spread |z_a - z_b| / |z_a| of digit pairs at each layer, the per-example "
             "RMS of delta^l per hidden layer, and validation accuracy after one epoch at depths 10 and 1",
    criteria=(
        C("collapse", "forward collapse: the median relative spread at the last layer is at most {max_spread:g}, and "
                      "it shrinks per layer within a factor {rate_factor:g} of sqrt(chi_1)", "reproduction",
          max_spread=1e-5, rate_factor=2.0),
        C("vanishing", "vanishing gradients: RMS ||delta^1|| / RMS ||delta^L|| is at most {max_ratio:g}, shrinking per "
                       "layer within a factor {rate_factor:g} of sqrt(chi_1)", "reproduction", max_ratio=1e-4,
          rate_factor=2.0),
        C("does-not-train", "after one epoch the median validation accuracy at depth 10 is at most {chance_max:.0%}, "
                            "while one hidden layer reaches {shallow_min:.0%}", "reproduction", chance_max=0.20,
          shallow_min=0.60, history=(Change(
              was="shallow_min 0.80", showed="one hidden layer's median validation accuracy after one epoch was "
              "0.77-0.81 once the replicas drew from spawned streams (numeric.streams) instead of seed arithmetic",
              became="shallow_min 0.60", why="the criterion's point is the contrast with the deep network's chance "
              "level (10%); 0.80 sat inside the seeds' spread of the one-layer accuracy, so its verdict was a draw"),)),
    ),
    settings={"depth": 10, "width": 30, "pairs": 20, "examples": 200, "epochs": 1, "mini_batch_size": 10,
              "eta": 0.1})


def chapter_network(p: Protocol, data, stream) -> dict:
    """Returns the chapter's network at depth ``p.depth`` (network2 init, [784, width x depth, 10]) measured for the
    replica drawing from ``stream`` (its "init" and "shuffle" children): {"spread": the median relative spread
    |z_a - z_b| / |z_a| of digit pairs at each layer, "rms": per-example RMS of delta^l per hidden layer, "accuracy":
    {depth: validation accuracy after ``epochs`` epochs of network2's SGD} at depths ``p.depth`` and 1}."""
    init, shuffle = purpose(stream, "init"), purpose(stream, "shuffle")
    net = Network([784] + [p.width] * p.depth + [10], rng=np.random.default_rng(init))
    xa, xb = pair_inputs(data.training.x, p.pairs)
    sigma = ACTIVATIONS["sigmoid"].phi
    za, zb, spread = xa, xb, []
    for w, b in zip(net.weights[:-1], net.biases[:-1]):
        za, zb = (za if za is xa else sigma(za)) @ w.T + b, (zb if zb is xb else sigma(zb)) @ w.T + b
        spread.append(float(np.median(np.linalg.norm(za - zb, axis=1) / np.linalg.norm(za, axis=1))))
    x, y = data.training.x[:p.examples], data.training.y[:p.examples]
    rms = per_example_rms_norms(net, x, y)[:-1]
    accuracy = {}
    for depth, order in zip((p.depth, 1), sequence(shuffle).spawn(2)):
        train = Network([784] + [p.width] * depth + [10], rng=np.random.default_rng(init))
        train.SGD(data.training.x, data.training.y, p.epochs, p.mini_batch_size, p.eta, 0.0,
                  rng=np.random.default_rng(order))
        accuracy[depth] = train.accuracy(data.validation.x, data.validation.y) / len(data.validation)
    return {"spread": spread, "rms": rms.tolist(), "accuracy": accuracy}

