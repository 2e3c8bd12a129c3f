"""The recurrent experiments: the sweep over lengths T and the per-step gradient norms ||dC/dh_t||.

* ``sweep``: trains one model at each length in turn (``recurrent_task.train``) and says whether it learns
  it: the median test accuracy over the seeds, at the rate the validation rule chose, a diverged seed
  counted at chance, at least ``protocol.learned``. A model is run until the first length it does not
  learn, and further only up to ``through`` (the length whose trained networks the gradient claim reads);
  ``longest`` is the longest length learned with every shorter one learned too.
* ``gradient_profile``: for each seed's network, each example's ||dC_x/dh_t|| for t = 0..T (for the LSTM
  also ||dC_x/dc_t|| and the whole state's norm), in float64, on the test sequences; the largest singular
  value of the recurrent matrix; the per-step factors ||dC/dh_{t-1}|| / ||dC/dh_t||.
* ``fitted_rate``: exp of the least-squares slope of ln(median over examples of the state's gradient norm)
  against T - t: the geometric rate per step (< 1 decays).
"""

from __future__ import annotations

import numpy as np

from ..networks.lstm import LSTM
from ..networks.rnn import GAMMA, RNN, spectral_norms
from .protocol import Protocol
from .recurrent_task import PROTOCOL, first_symbol, make, streams, train

__all__ = [
    "learned",
    "sweep",
    "longest",
    "chosen_networks",
    "initial_networks",
    "gradient_profile",
    "fitted_rate",
    "state_norms",
]


def learned(run: dict, protocol: Protocol = PROTOCOL) -> bool:
    """True when the median test accuracy at the chosen rate (diverged seeds at chance) reaches ``learned``."""
    return bool(np.median(run["test_chosen"]) >= protocol.learned)


def summary(run: dict, protocol: Protocol = PROTOCOL) -> dict:
    """Returns the plain numbers of one run (no networks): for results.json and the claim."""
    return {
        "T": run["T"],
        "lr": run["lr"],
        "steps": run["steps"],
        "test": [float(v) for v in run["test_chosen"]],
        "median": float(np.median(run["test_chosen"])),
        "diverged": run["diverged_chosen"],
        "diverged_any_rate": int(run["diverged"].sum()),
        "learned": learned(run, protocol),
    }


def sweep(
    model: str, protocol: Protocol = PROTOCOL, seed: int = 0, *, through: int = 0, lengths=None
) -> list[dict]:
    """Returns the runs of ``model`` over ``lengths`` (the protocol's by default) in increasing order, stopping
    after the first length not learned once every length <= ``through`` has run."""
    out = []
    for T in sorted(lengths or protocol.lengths):
        run = train(model, T, protocol, seed)
        out.append(run)
        if not learned(run, protocol) and T >= through:
            break
    return out


def longest(summaries: list[dict]) -> int:
    """Returns the longest T learned with every shorter length of the sweep learned too (0 if the first fails)."""
    best = 0
    for s in sorted(summaries, key=lambda s: s["T"]):
        if not s["learned"]:
            break
        best = s["T"]
    return best


def _select(net, rows):
    kind = type(net)
    arrays = {k: np.asarray(v[rows], dtype=np.float64) for k, v in net.arrays().items()}
    return kind(**arrays, activation=net.activation) if kind is RNN else kind(**arrays)


def chosen_networks(run: dict):
    """Returns the seeds' networks trained at the chosen rate (replica s * len(lrs) + chosen), in float64."""
    L = len(run["lrs"])
    rows = np.arange(len(run["test_chosen"])) * L + run["chosen"]
    return _select(run["net"], rows)


def initial_networks(model: str, protocol: Protocol = PROTOCOL, seed: int = 0):
    """Returns the seeds' networks at initialisation (the same draws ``train`` starts from), in float64."""
    _, per_seed = streams(seed, protocol.seeds)
    net, _, _ = make(model, protocol, [np.random.default_rng(init) for init, _ in per_seed])
    return net


def gradient_profile(model: str, net, T: int, protocol: Protocol = PROTOCOL, seed: int = 0) -> dict:
    """Returns {"dh", "dc" (LSTM), "state": per-example norms (R, N, T + 1); "W_norm": (R,); "gamma";
    "factors": (R, N, T) = ||dC/dh_{t-1}|| / ||dC/dh_t||} on ``protocol.gradient_examples`` test sequences."""
    (_, test_ss), _ = streams(seed, protocol.seeds)
    x, y = first_symbol(
        np.random.default_rng(test_ss), protocol.gradient_examples, T, protocol.symbols, protocol.distractors
    )
    _, forward, backward = make(model, protocol, [np.random.default_rng(0)])
    R = net.V.shape[0]
    out = backward(net, forward(net, np.broadcast_to(x, (R, *x.shape))), np.broadcast_to(y, (R, len(y))))
    dh = np.linalg.norm(out["dh"], axis=-1).transpose(1, 2, 0)  # (R, N, T + 1)
    prof = {"dh": dh, "T": T}
    if isinstance(net, LSTM):
        prof["dc"] = np.linalg.norm(out["dc"], axis=-1).transpose(1, 2, 0)
        prof["state"] = np.hypot(dh, prof["dc"])
        prof["W_norm"] = spectral_norms(net.Wh)
        prof["gamma"] = None
    else:
        prof["state"] = dh
        prof["W_norm"] = spectral_norms(net.W)
        prof["gamma"] = GAMMA[net.activation]
    with np.errstate(divide="ignore", invalid="ignore"):
        prof["factors"] = dh[..., :-1] / dh[..., 1:]
    return prof


def state_norms(prof: dict) -> np.ndarray:
    """Returns the median over examples of the state's gradient norm, (R, T + 1), index t."""
    return np.median(prof["state"], axis=1)


def fitted_rate(prof: dict) -> np.ndarray:
    """Returns each network's fitted geometric rate per step, exp(slope of ln median norm against T - t), (R,)."""
    med = state_norms(prof)
    T = prof["T"]
    lag = T - np.arange(T + 1)
    rates = []
    for row in med:
        ok = np.isfinite(row) & (row > 0)
        slope = np.polyfit(lag[ok], np.log(row[ok]), 1)[0] if ok.sum() >= 2 else np.nan
        rates.append(np.exp(slope))
    return np.array(rates)
