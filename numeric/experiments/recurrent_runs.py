"""The recurrent experiments: one stacked training per family of models, and the per-step gradient norms.

* ``train``: every model of a family (``recurrent_task.families``), length, seed and configuration (rate x clipping)
  as one stack of replicas (``numeric.networks.rnn`` / ``lstm``), trained with Adam on the seeds' own batches (every
  configuration of a seed sees the same batches and starts from the same weights: a paired comparison); at each
  budget the validation and test accuracy of every replica still training, then successive halving (``ranking``:
  the rule that also chooses the configuration reported). A replica whose cost or gradient is not finite has
  diverged: it stops and scores chance from then on. One Python loop over time per update, for the whole family.
* ``initial``: the networks at initialisation (the gradient claim's); ``gradient_profile``: each example's
  ||dC_x/dh_t|| for t = 0..T (LSTM: also ||dC_x/dc_t|| and the state's norm), float64; the largest singular value
  of the recurrent matrix; the per-step factors; ``fitted_rate``: exp of the least-squares slope of ln(median norm)
  against T - t.
"""

from __future__ import annotations

import numpy as np

from ..networks.lstm import LSTM, init_lstm, lstm_backward, lstm_forward
from ..networks.recurrent_stack import Scratch, spectral_norms
from ..networks.rnn import GAMMA, RNN, init_rnn, rnn_backward, rnn_forward
from .protocol import Protocol
from .recurrent_task import MODELS, codebook, codes, configs, families, rng, symbols, width

__all__ = ["train", "ranking", "clip_norm", "Adam", "initial", "make", "gradient_profile", "fitted_rate", "state_norms",
           "replicas"]

KERNELS = {"rnn": (rnn_forward, rnn_backward), "lstm": (lstm_forward, lstm_backward)}


def make(model: str, p: Protocol, rngs) -> RNN | LSTM:
    """Returns ``model``'s initial networks under ``p``, one replica per Generator of ``rngs``, float64."""
    spec, m, K = MODELS[model], p.symbols + 1, p.symbols
    if spec.kernel == "lstm":
        return init_lstm(m, width(model, p), K, rngs, forget_bias=p.forget_bias,
                         chrono=max(p.lengths) if spec.chrono else None)
    return init_rnn(m, width(model, p), K, rngs, activation=spec.activation, init=spec.init)


def initial(model: str, p: Protocol, run_seed: int, seeds: int) -> RNN | LSTM:
    """Returns the initial networks of seeds 0..seeds-1 (each seed's "init" stream; what ``train`` starts from)."""
    return make(model, p, [rng(run_seed, s, "init") for s in range(seeds)])


def replicas(p: Protocol, family: tuple) -> list[tuple]:
    """Returns the family's replicas (T, model, seed, configuration), longest first: the stack's order."""
    models = families(p)[family]
    return [(T, mod, s, c) for T in sorted(p.lengths, reverse=True) for mod in models for s in range(p.seeds)
            for c in range(len(configs(p)))]


def _stack(p: Protocol, family: tuple, run_seed: int, reps: list) -> RNN | LSTM:
    models = families(p)[family]
    first = {mod: initial(mod, p, run_seed, p.seeds) for mod in models}
    rows = np.array([models.index(mod) * p.seeds + s for _, mod, s, _ in reps])
    flat = np.concatenate([first[mod].flat for mod in models])[rows].astype(p.dtype)
    net = first[models[0]]
    if family[0] == "lstm":
        return LSTM.from_flat(flat, net.shape)
    return RNN.from_flat(flat, net.shape, tuple(MODELS[mod].activation for _, mod, _, _ in reps))


def _evaluation(p: Protocol, run_seed: int, name: str, count: int, reps: list) -> tuple[np.ndarray, np.ndarray]:
    """Returns (codes (T_max, R, count), labels (R, count)) of each replica's seed's ``name`` sequences at its T."""
    T_max, K = max(p.lengths), p.symbols
    sets = {(T, s): symbols(rng(run_seed, s, name, T), count, T, K) for T in p.lengths for s in range(p.seeds)}
    idx = np.full((T_max, len(reps), count), 2 * K, np.int8)
    for r, (T, _, s, _) in enumerate(reps):
        idx[:T, r] = codes(sets[T, s], K, p.distractors)
    return idx, np.stack([sets[T, s][:, 0] for T, _, s, _ in reps])


def _accuracy(net, kernel: str, book, idx, y, lengths, scratch) -> np.ndarray:
    cache = KERNELS[kernel][0](net, codes=(book, idx), lengths=lengths, scratch=scratch, keep=False)
    return (cache["logits"].argmax(axis=-1) == y).mean(axis=1)


def clip_norm(g: np.ndarray, clip: np.ndarray) -> np.ndarray:
    """Returns each replica's gradient g (R, P) scaled to Euclidean norm at most ``clip`` (R,) (inf: unchanged), in
    place: Pascanu et al.'s remedy for explosion."""
    norm = np.sqrt(np.einsum("rp,rp->r", g, g))
    g *= np.minimum(1.0, clip / np.maximum(norm, 1e-30))[:, None]
    return g


class Adam:
    """Adam (Kingma and Ba 2015; beta 0.9, 0.999, eps 1e-8) on a stack's one parameter array, a rate per replica;
    ``live`` 0 stops a replica."""

    def __init__(self, flat: np.ndarray, lr: np.ndarray):
        self.m, self.v, self.lr, self.t = np.zeros_like(flat), np.zeros_like(flat), lr[:, None].astype(flat.dtype), 0

    def step(self, flat: np.ndarray, g: np.ndarray, live: np.ndarray) -> None:
        self.t += 1
        self.m *= 0.9
        self.m += 0.1 * g
        self.v *= 0.999
        self.v += 0.001 * g * g
        c1, c2 = 1 - 0.9**self.t, np.sqrt(1 - 0.999**self.t)
        flat -= (self.lr * live[:, None]) * (self.m / c1) / (np.sqrt(self.v) / c2 + 1e-8)


def _batches(p: Protocol, run_seed: int, chunk: int):
    """Yields, per update, the codes (T_max, len(lengths) * seeds, B) of every (length, seed)'s batch, drawn a
    chunk of updates at a time from each (seed, length)'s "data" stream."""
    T_max, K, B = max(p.lengths), p.symbols, p.batch
    gens = [(T, rng(run_seed, s, "data", T)) for T in sorted(p.lengths, reverse=True) for s in range(p.seeds)]
    done = 0
    while True:
        block = np.full((chunk, T_max, len(gens), B), 2 * K, np.int8)
        for q, (T, g) in enumerate(gens):
            block[:, :T, q] = codes(symbols(g, chunk * B, T, K).reshape(chunk, B, T), K, p.distractors).swapaxes(0, 1)
        for u in range(chunk):
            yield block[u]
        done += chunk


def ranking(val: np.ndarray, alive: np.ndarray) -> list[int]:
    """Returns the configurations still running (``alive``, (C,) bools), best first: by median validation accuracy
    over the seeds (``val``, (seeds, C)), ties in the grid's order (the smaller rate, clipped first)."""
    med = np.median(val, axis=0)
    return sorted(np.flatnonzero(alive).tolist(), key=lambda c: (-med[c], c))


class _Live:
    """The replicas of a family still training, and everything kept per replica (compacted by ``keep``)."""

    def __init__(self, p: Protocol, family: tuple, run_seed: int):
        self.reps = replicas(p, family)
        self.ids = np.arange(len(self.reps))
        self.net = _stack(p, family, run_seed, self.reps)
        cfg = configs(p)
        self.lengths = np.array([T for T, *_ in self.reps])
        self.q_of = np.array([sorted(p.lengths, reverse=True).index(T) * p.seeds + s for T, _, s, _ in self.reps])
        self.clip = np.array([np.inf if cfg[c][1] is None else cfg[c][1] for *_, c in self.reps], dtype=p.dtype)
        self.opt = Adam(self.net.flat, np.array([cfg[c][0] for *_, c in self.reps]))
        self.live = np.ones(len(self.reps), dtype=p.dtype)
        self.evals = {name: _evaluation(p, run_seed, name, getattr(p, name), self.reps)
                      for name in ("validation", "test")}

    def keep(self, rows: np.ndarray) -> None:
        opt = self.opt
        self.net = self.net.select(rows)
        opt.m, opt.v, opt.lr = opt.m[rows], opt.v[rows], opt.lr[rows]
        self.reps = [self.reps[r] for r in rows]
        for name in ("ids", "lengths", "q_of", "clip", "live"):
            setattr(self, name, getattr(self, name)[rows])
        self.evals = {k: (idx[:, rows], y[rows]) for k, (idx, y) in self.evals.items()}


def train(p: Protocol, family: tuple, run_seed: int) -> dict:
    """Returns the family's run: {"replicas": [(T, model, seed, configuration)], "validation", "test": accuracy
    (budgets, R) (NaN where the configuration was no longer running), "diverged": (budgets, R), "nets": float64
    parameters (R, P) where each replica stopped, "stopped": (R,) its last update, "shape"}.

    Successive halving (Jamieson and Talwalkar 2016) at every budget but the last: per model and length the
    configurations are ranked (``ranking``) and the best ``keep`` share of them keeps training."""
    kernel = family[0]
    L = _Live(p, family, run_seed)
    forward, backward = KERNELS[kernel]
    R, K, C = len(L.reps), p.symbols, len(configs(p))
    book = codebook(K).astype(p.dtype)
    train_scratch, eval_scratch = Scratch(), Scratch()
    out = {k: np.full((len(p.budgets), R), np.nan) for k in ("validation", "test")}
    out |= {"diverged": np.zeros((len(p.budgets), R), bool), "stopped": np.full(R, max(p.budgets)),
            "nets": L.net.flat.astype(np.float64)}
    batches = _batches(p, run_seed, min(p.chunk, max(p.budgets)))
    with np.errstate(over="ignore", invalid="ignore"):
        for u in range(1, max(p.budgets) + 1):
            idx = np.take(next(batches), L.q_of, axis=1)
            cache = forward(L.net, codes=(book, idx), lengths=L.lengths, scratch=train_scratch)
            res = backward(L.net, cache, idx[0].astype(np.intp) - K, keep=False, scratch=train_scratch)
            g = res["grads"]
            finite = np.isfinite(res["cost"]) & np.isfinite(g).all(axis=1)
            if not finite.all():
                L.live *= finite
                g[~finite] = 0.0
            L.opt.step(L.net.flat, clip_norm(g, L.clip), L.live)
            if u not in p.budgets:
                continue
            b = p.budgets.index(u)
            for name, (idx_e, y_e) in L.evals.items():
                acc = _accuracy(L.net, kernel, book, idx_e, y_e, L.lengths, eval_scratch)
                out[name][b, L.ids] = np.where(L.live > 0, acc, 1 / K)
            out["diverged"][b, L.ids] = L.live == 0
            out["nets"][L.ids] = L.net.flat
            if u < max(p.budgets):
                rows = _halve(p, out["validation"][b], L.ids, C, out)
                out["stopped"][L.ids[~np.isin(L.ids, rows)]] = u
                L.keep(np.flatnonzero(np.isin(L.ids, rows)))
    return out | {"replicas": replicas(p, family), "shape": L.net.shape}


def _halve(p: Protocol, val: np.ndarray, ids: np.ndarray, C: int, out: dict) -> np.ndarray:
    """Returns the replica ids that keep training: per (length, model), the best ``keep`` share of the
    configurations still running (all their seeds)."""
    S = p.seeds
    v = val.reshape(-1, S, C)  # replicas are (length, model, seed, configuration), the configuration fastest
    alive = np.zeros((v.shape[0], C), bool)
    alive.reshape(-1)[np.unique(ids // (S * C) * C + ids % C)] = True
    keep = []
    for cell in range(v.shape[0]):
        order = ranking(v[cell], alive[cell])
        n = max(1, int(np.ceil(len(order) * p.keep)))
        keep += [cell * S * C + s * C + c for c in order[:n] for s in range(S)]
    return np.array(sorted(set(keep) & set(ids.tolist())))


def gradient_profile(net, T: int, x: np.ndarray, y: np.ndarray) -> dict:
    """Returns {"dh", "dc" (LSTM), "state": per-example norms (R, N, T + 1); "W_norm": (R,); "gamma"; "factors":
    (R, N, T) = ||dC/dh_{t-1}|| / ||dC/dh_t||} of float64 networks ``net`` on each replica's sequences x (R, N, T, m),
    labels y (R, N)."""
    kernel = "lstm" if isinstance(net, LSTM) else "rnn"
    forward, backward = KERNELS[kernel]
    out = backward(net, forward(net, x), y)
    dh = np.linalg.norm(out["dh"], axis=-1).transpose(1, 2, 0)  # (R, N, T + 1)
    prof = {"dh": dh, "T": T}
    if kernel == "lstm":
        prof["dc"] = np.linalg.norm(out["dc"], axis=-1).transpose(1, 2, 0)
        prof |= {"state": np.hypot(dh, prof["dc"]), "W_norm": spectral_norms(net.Wh), "gamma": None}
    else:
        prof |= {"state": dh, "W_norm": spectral_norms(net.W), "gamma": np.array([GAMMA[a] for a in net.replicas()])}
    with np.errstate(divide="ignore", invalid="ignore"):
        prof["factors"] = dh[..., :-1] / dh[..., 1:]
    return prof


def state_norms(prof: dict) -> np.ndarray:
    """Returns the median over examples of the state's gradient norm, (R, T + 1), index t."""
    return np.median(prof["state"], axis=1)


def fitted_rate(prof: dict) -> np.ndarray:
    """Returns each network's fitted geometric rate per step, exp(slope of ln median norm against T - t), (R,)."""
    med = state_norms(prof)
    lag = prof["T"] - np.arange(prof["T"] + 1)
    rates = []
    for row in med:
        ok = np.isfinite(row) & (row > 0)
        slope = np.polyfit(lag[ok], np.log(row[ok]), 1)[0] if ok.sum() >= 2 else np.nan
        rates.append(np.exp(slope))
    return np.array(rates)
