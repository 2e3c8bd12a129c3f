"""Glorot and Bengio's (2010) saturation experiment as they ran it, on this suite's digits.

Their set-up: sigmoid hidden layers, a softmax output layer with the log-likelihood cost, the "standard"
initialisation W ~ U(-1/sqrt(n_in), 1/sqrt(n_in)) with zero biases, mini-batches of 10. Their observation
(their Figure 2): the top hidden layer's mean activation drops quickly towards 0 (saturation) while the lower
layers stay near 0.5. ``SATURATION`` fixes this suite's version and the criterion before the run;
``run`` trains the seeds side by side (``numeric.networks.stacked``) and measures each hidden layer's mean activation on
a fixed probe of digits that are never trained on, before training and after every chunk of updates.
"""

from __future__ import annotations

import numpy as np

from ..networks.deep import DeepNetwork
from ..networks.stacked import Stack
from ..networks.stacked_sgd import sgd
from ..streams import replica_generators
from .protocol import Protocol, register
from .protocol import criterion as C  # noqa: N812 - the criteria read as a table

__all__ = ["SATURATION", "PURPOSES", "run", "setup_is_theirs", "caption", "updates_per_chunk"]

PURPOSES = ("init", "data", "shuffle")  # a seed's children: initial draws, each chunk's digits, shuffling


def updates_per_chunk(p: Protocol) -> int:
    """Returns the SGD updates of one chunk of training digits (the last mini-batch may be short)."""
    return -(-p.chunk_images // p.mini_batch_size)


def caption(p: Protocol) -> str:
    """Returns the protocol in one line: network, set-up, the rate's choice, training, probe, seeds."""
    return (f"{p.label}: [784, {p.width} x {p.hidden}, 10], {p.activation} hidden layers, {p.output} output, "
            f"{p.init} init, eta chosen from {list(p.etas)} on {p.validation_images} validation digits, mini-batches "
            f"of {p.mini_batch_size}, {p.chunks} chunks of {p.chunk_images} random training digits "
            f"({p.chunks * updates_per_chunk(p):,} updates), a probe of {p.probe_images} validation digits, "
            f"{p.seeds} seeds")


KIND = register("saturation", describe=caption)
SATURATION = Protocol(
    "glorot-saturation", "this suite's version of Glorot and Bengio's set-up", seeds=5, quick_seeds=2, kind=KIND,
    quantity="each hidden layer's mean activation over a probe of digits never trained on, before training and after "
             "every chunk of updates, per seed, at the eta chosen on validation digits",
    criteria=(
        C("saturates", "at some probe within the first {within_updates:,.0f} updates the median over seeds of the top "
                       "hidden layer's mean activation is below {top_below:g} while every lower layer's median mean "
                       "activation lies within [{lower_low:g}, {lower_high:g}]", "reproduction",
          within_updates=5000, top_below=0.1, lower_low=0.4, lower_high=0.6),
        C("learned", "the network learned: median probe accuracy at least {learned:g} at the end", learned=0.5),
    ),
    grid={"etas": (0.1, 0.3, 1.0, 3.0, 10.0)},
    settings={"hidden": 4, "width": 30, "activation": "sigmoid", "output": "softmax", "init": "glorot-2010",
              "mini_batch_size": 10, "chunks": 100,
              "chunk_images": 500,  # drawn afresh from the training digits for every chunk (their data were a stream)
              "probe_images": 500,  # the first of the validation split: never trained on
              "validation_images": 500,  # the next ones: choose eta (median final accuracy over seeds; ties: smaller)
              "dtype": "float32"})


def setup_is_theirs(stack: Stack) -> dict:
    """Returns what the stack actually is, against Glorot and Bengio's set-up: {"output", "cost", "biases_zero",
    "weights_within": max |w| sqrt(n_in) over every layer (<= 1 for U(+-1/sqrt(n_in))), "theirs": bool}."""
    within = max(float(np.max(np.abs(w)) * np.sqrt(w.shape[2])) for w in stack.weights)
    zero = all(not np.any(b) for b in stack.biases)
    theirs = stack.output == "softmax" and stack.cost.name == "log-likelihood" and zero and within <= 1
    return {"output": stack.output, "cost": stack.cost.name, "biases_zero": zero, "weights_within": within,
            "theirs": bool(theirs)}


def run(protocol: Protocol, data, seed: int) -> dict:
    """Returns {"activations": (probes, seeds, hidden) mean activation per layer at the chosen eta, "updates": per
    probe, "eta", "validation": [eta][seed] final accuracy (NaN: diverged), "accuracy": the chosen eta's final
    probe accuracy per seed, "setup": ``setup_is_theirs`` at initialisation, "diverged": [eta] counts}.

    Streams: ``numeric.streams.replica_generators(seed, seeds, PURPOSES)``: per seed, the initial draws, the
    chunks' digits and the shuffling within a chunk.
    """
    p = protocol
    rngs = [[g[name] for name in PURPOSES] for g in replica_generators(seed, p.seeds, PURPOSES)]
    sizes = [784] + [p.width] * p.hidden + [10]
    nets = [DeepNetwork(sizes, activation=p.activation, init=p.init, output=p.output, rng=r[0]) for r in rngs]
    E = len(p.etas)
    stack = Stack([n for n in nets for _ in range(E)], dtype=p.dtype)  # replica g E + e: seed g, eta e
    setup = setup_is_theirs(stack)
    probe, labels = data.validation.x[:p.probe_images], data.validation.y[:p.probe_images]
    val = slice(p.probe_images, p.probe_images + p.validation_images)
    train = data.training

    def measure():
        with np.errstate(all="ignore"):
            acts = stack.forward(probe)[1][1:-1]
        return np.stack([a.mean(axis=(1, 2)) for a in acts], axis=1)  # (replicas, hidden)

    rows = [measure()]
    for _ in range(p.chunks):  # one draw of digits per seed, shared by its etas
        idx = np.stack([r[1].choice(len(train), p.chunk_images, replace=False) for r in rngs])
        sgd(stack, train.x[idx], train.y[idx], 1, p.mini_batch_size, np.tile(p.etas, p.seeds),
            shuffles=[r[2] for r in rngs])
        rows.append(measure())
    bad = stack.diverged | ~np.isfinite(stack.costs(probe, labels))
    score = np.where(bad, np.nan, stack.accuracy(data.validation.x[val], data.validation.y[val]) / p.validation_images)
    grid = score.reshape(p.seeds, E).T
    medians = np.median(np.where(np.isnan(grid), 0.1, grid), axis=1)
    e = int(np.flatnonzero(medians == medians.max())[0])
    chosen = np.arange(p.seeds) * E + e
    return {"activations": np.stack(rows)[:, chosen].tolist(), "eta": p.etas[e], "validation": grid.tolist(),
            "updates": [k * updates_per_chunk(p) for k in range(p.chunks + 1)],
            "accuracy": (stack.accuracy(probe, labels)[chosen] / len(probe)).tolist(), "setup": setup,
            "diverged": bad.reshape(p.seeds, E).sum(axis=0).tolist()}
