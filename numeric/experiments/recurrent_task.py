"""A long-range task for recurrent networks, its protocol as data, and training with a validation rule.

The task ("first symbol"): a sequence of T symbols drawn uniformly from K, each a one-hot vector, with
one more input channel that is 1 at the first step only (the marker); the label is the first symbol.
Chance is 1/K. Everything the network needs arrives at step 1 and the answer is read after step T, so
the error signal that would teach the network to keep the symbol has to travel back T - 1 steps: the
shortest route to the chapter's question (do gradients survive many factors?) with no perception
problem in the way (a sequence of embedded digits would add 784 inputs and a digit classifier to learn,
and the budget of the default run could not afford T = 100). The distractors are random symbols, not
blanks, so the network has to ignore input it can see.

Training: Adam (beta 0.9, 0.999) on mini-batches drawn fresh from each seed's own stream, every
gradient clipped to norm ``clip`` per network (Pascanu et al. 2013's remedy for explosion), the same for
every model. The learning rate is chosen per model and length from ``lrs`` by one rule on a validation
set (highest median accuracy over the seeds, the grid's first, smallest, rate on a tie); accuracy is then reported on a
test set never used to choose. All seeds and rates train at once as replicas. Training stops at the
first check where some rate has every seed at ``learned`` validation accuracy, else after ``steps``.
A replica whose cost or weights are not finite has diverged: it stops, is counted, and scores chance.

Initialisation: the RNNs take network2's N(0, 1/n_in) for every matrix, zero biases. The LSTM takes the chrono
initialisation (Tallec and Ollivier 2018, T_max the grid's longest length): with a constant forget bias of 1
(f = 0.73) the cell path shrinks the error by 0.73^49 = 2e-7 across T = 50 before any learning, and in
development runs (300-400 updates, 5 seeds, 8 hidden units) forget biases 3 and 5 learned T = 50 in 2 seeds,
chrono in all 5. ``forget_bias`` with ``chrono=False`` runs the constant-bias LSTM as a labelled variant.

``PROTOCOL`` is the default run's (T up to 50, about 15 s on 2 cores); ``LONG`` the variant with T up to 100
and 1,000 updates (``pytest -m slow``).

Streams: ``numpy.random.SeedSequence(seed).spawn(seeds + 1)``; child 0 draws the validation and test
sets (two children of its own), child s + 1 spawns (initial weights, training batches) for seed s.
"""

from __future__ import annotations

import numpy as np

from ..networks.lstm import init_lstm, lstm_backward, lstm_forward
from ..networks.rnn import init_rnn, rnn_backward, rnn_forward
from ..streams import sequence
from .protocol import Protocol, register
from .protocol import criterion as C  # noqa: N812 - the criteria read as a table

__all__ = ["PROTOCOL", "LONG", "MODELS", "caption", "first_symbol", "streams", "make", "train"]

MODELS = ("rnn-tanh", "rnn-sigmoid", "lstm")


def caption(p: Protocol) -> str:
    """Returns the protocol in one line: task, network, training, the rate's choice, seeds, initialisation."""
    return (
        f"this suite's protocol '{p.name}': the first of T one-hot symbols (K = {p.symbols}, chance "
        f"{1 / p.symbols:.0%}), {p.hidden} hidden units, Adam on mini-batches of {p.batch}, gradients "
        f"clipped to norm {p.clip:g}, at most {p.steps} updates, rate from {list(p.lrs)} by median "
        f"validation accuracy ({p.validation} sequences), test on {p.test}, {p.seeds} seeds; RNN weights "
        f"N(0, 1/n_in), LSTM "
        + (f"chrono initialisation (T_max = {max(p.lengths)})" if p.chrono else f"forget bias {p.forget_bias:g}")
    )


KIND = register("recurrent", describe=caption)
PROTOCOL = Protocol(
    "first-symbol", "this suite's recurrent protocol", seeds=5, quick_seeds=2, kind=KIND,
    quantity="per model: test accuracy at each length T (median over seeds, a diverged seed at chance), the longest "
             "T learned; ||dC/dh_t|| through time at T = gradient_length, at initialisation and after training",
    criteria=(
        C("learned", "a model learns length T when its median test accuracy over the seeds (a diverged seed at "
                     "chance) is at least {learned:.0%}", learned=0.9),
        C("gradient", "every RNN per-step factor is within {factor_slack:g} of gamma ||W||; the LSTM's D is at least "
                      "{lstm_over_rnn:g} times each RNN's, its fitted rate at least {lstm_rate:g}; BPTT equals "
                      "theory's products to {bridge:g}", "reproduction", factor_slack=1e-9, lstm_over_rnn=100.0,
          lstm_rate=0.9, bridge=1e-10),
    ),
    grid={"lengths": (5, 10, 20, 50), "models": MODELS, "lrs": (0.01, 0.03)},
    settings={"symbols": 4,
              "distractors": "random",  # the steps after the first: "random" symbols, or "blank" (all-zero input)
              "hidden": 8, "batch": 16, "steps": 500, "check_every": 50, "clip": 1.0, "validation": 256, "test": 512,
              "chrono": True,  # the LSTM's chrono initialisation with T_max = max(lengths), else a constant forget bias
              "forget_bias": 1.0, "gradient_length": 20, "gradient_examples": 256,
              "dtype": "float32"})  # training arithmetic (the gradient measurements run in float64)
LONG = PROTOCOL.replace(name="first-symbol-long", lengths=(5, 10, 20, 50, 100), steps=1000, gradient_length=50)


def first_symbol(rng: np.random.Generator, count: int, T: int, K: int, distractors: str = "random"):
    """Returns (x (count, T, K + 1), y (count,)): T uniform one-hot symbols (or the first and T - 1 blanks),
    a marker on step 1, y the first symbol."""
    if distractors not in ("random", "blank"):
        raise ValueError(f"distractors must be 'random' or 'blank', got {distractors!r}")
    symbols = rng.integers(0, K, (count, T))
    x = np.zeros((count, T, K + 1))
    np.put_along_axis(x[..., :K], symbols[..., None], 1.0, axis=-1)
    if distractors == "blank":
        x[:, 1:] = 0.0
    x[:, 0, K] = 1.0
    return x, symbols[:, 0]


def streams(seed: int, seeds: int) -> tuple[list, list]:
    """Returns ([validation, test] SeedSequences, [(init, data) SeedSequences for each seed])."""
    root = sequence(seed).spawn(seeds + 1)
    return root[0].spawn(2), [tuple(child.spawn(2)) for child in root[1:]]


def make(model: str, protocol: Protocol, rngs):
    """Returns (network, forward, backward) for ``model`` in MODELS, one replica per rng."""
    m, K = protocol.symbols + 1, protocol.symbols
    if model == "lstm":
        return (
            init_lstm(
                m,
                protocol.hidden,
                K,
                rngs,
                forget_bias=protocol.forget_bias,
                chrono=max(protocol.lengths) if protocol.chrono else None,
            ),
            lstm_forward,
            lstm_backward,
        )
    if model in ("rnn-tanh", "rnn-sigmoid"):
        return init_rnn(m, protocol.hidden, K, rngs, activation=model[4:]), rnn_forward, rnn_backward
    raise ValueError(f"model must be one of {MODELS}, got {model!r}")


def accuracy(net, forward, x, y, chunk: int = 64) -> np.ndarray:
    """Returns each replica's accuracy on the shared set (x (N, T, m), y (N,)), (R,)."""
    R = net.V.shape[0]
    hits = np.zeros(R)
    for s in range(0, len(x), chunk):
        xs = np.broadcast_to(x[s : s + chunk], (R, *x[s : s + chunk].shape))
        hits += (forward(net, xs)["logits"].argmax(axis=-1) == y[s : s + chunk]).sum(axis=1)
    return hits / len(x)


class _Adam:
    def __init__(self, arrays: dict, lr: np.ndarray):
        self.m = {k: np.zeros_like(v) for k, v in arrays.items()}
        self.v = {k: np.zeros_like(v) for k, v in arrays.items()}
        self.lr, self.t = lr, 0

    def step(self, arrays: dict, grads: dict, live: np.ndarray) -> None:
        self.t += 1
        c1, c2 = 1 - 0.9**self.t, 1 - 0.999**self.t
        for k, p in arrays.items():
            shape = (-1,) + (1,) * (p.ndim - 1)
            g = grads[k] * live.reshape(shape)
            self.m[k] = 0.9 * self.m[k] + 0.1 * g
            self.v[k] = 0.999 * self.v[k] + 0.001 * g * g
            p -= (self.lr * live).reshape(shape) * (self.m[k] / c1) / (np.sqrt(self.v[k] / c2) + 1e-8)


def _clip(grads: dict, clip: float) -> dict:
    norm = np.sqrt(sum(np.sum(g.reshape(g.shape[0], -1) ** 2, axis=1) for g in grads.values()))
    scale = np.minimum(1.0, clip / np.maximum(norm, 1e-300))
    return {k: g * scale.reshape((-1,) + (1,) * (g.ndim - 1)) for k, g in grads.items()}


def train(model: str, T: int, protocol: Protocol = PROTOCOL, seed: int = 0) -> dict:
    """Returns the run of ``model`` at length T: per rate and seed the validation and test accuracy, the
    divergence flags, the rate the rule chose, the steps taken, and the networks (all replicas).

    Replica r is seed r // len(lrs) with rate lrs[r % len(lrs)]; every rate of one seed starts from the same
    weights and sees the same batches (a paired comparison).
    """
    S, L, K = protocol.seeds, len(protocol.lrs), protocol.symbols
    (val_ss, test_ss), per_seed = streams(seed, S)
    xv, yv = first_symbol(np.random.default_rng(val_ss), protocol.validation, T, K, protocol.distractors)
    xt, yt = first_symbol(np.random.default_rng(test_ss), protocol.test, T, K, protocol.distractors)
    inits = [np.random.default_rng(init) for init, _ in per_seed]
    net, forward, backward = make(model, protocol, inits)
    for k, arr in net.arrays().items():  # every rate of a seed starts from the seed's weights
        setattr(net, k, np.repeat(arr, L, axis=0).astype(protocol.dtype))
    data = [np.random.default_rng(d) for _, d in per_seed]
    lr = np.tile(np.asarray(protocol.lrs, dtype=float), S)
    live = np.ones(S * L)
    opt = _Adam(net.arrays(), lr)
    steps = 0
    val = np.zeros(S * L)
    with np.errstate(over="ignore", invalid="ignore"):
        while steps < protocol.steps:
            batch = [first_symbol(g, protocol.batch, T, K, protocol.distractors) for g in data]
            x = np.repeat(np.stack([b[0] for b in batch]), L, axis=0)
            y = np.repeat(np.stack([b[1] for b in batch]), L, axis=0)
            out = backward(net, forward(net, x), y)
            finite = np.isfinite(out["cost"]) & np.all(
                [np.isfinite(g.reshape(S * L, -1)).all(axis=1) for g in out["grads"].values()], axis=0
            )
            live = live * finite
            grads = {k: np.where(np.isfinite(g), g, 0.0) for k, g in out["grads"].items()}
            opt.step(net.arrays(), _clip(grads, protocol.clip), live)
            steps += 1
            if steps % protocol.check_every == 0 or steps == protocol.steps:
                val = np.where(live > 0, accuracy(net, forward, xv, yv), 1 / K)
                if (val.reshape(S, L) >= protocol.learned).all(axis=0).any():
                    break
        test = np.where(live > 0, accuracy(net, forward, xt, yt), 1 / K)
    val, test, diverged = val.reshape(S, L), test.reshape(S, L), (live == 0).reshape(S, L)
    medians = np.median(val, axis=0)
    chosen = int(np.flatnonzero(medians == medians.max())[0])
    return {
        "model": model,
        "T": T,
        "lrs": list(protocol.lrs),
        "chosen": chosen,
        "lr": protocol.lrs[chosen],
        "validation": val,
        "test": test,
        "diverged": diverged,
        "steps": steps,
        "net": net,
        "test_chosen": test[:, chosen],
        "diverged_chosen": int(diverged[:, chosen].sum()),
    }
