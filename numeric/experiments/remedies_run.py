"""Running the remedies protocol (``numeric.experiments.remedies``): one configuration and depth at a time, every
(eta, seed) replica trained side by side in one ``Stack``; the width sweep; the learning-rate choice.

Everything returned is plain data (lists and floats), so that a claim's parts can run anywhere.
"""

from __future__ import annotations

import numpy as np

from ..data import Split
from ..networks.deep import DeepNetwork
from ..networks.stacked import Stack
from ..networks.stacked_sgd import sgd
from ..streams import replica_generators
from .remedies import CHANCE, REMEDIES, RemediesProtocol

__all__ = ["splits", "streams", "run_config", "width_sweep", "choose", "summary", "ratios"]

PURPOSES = ("init", "shuffle", "pretrain")


def splits(data, protocol: RemediesProtocol) -> dict:
    """Returns {"train", "validation", "test": Split, "description": str}; no image sits in two splits.

    See ``RemediesProtocol`` for the rule (embedded digits: training head, training tail, validation split;
    full MNIST: the book's three splits).
    """
    def head(split: Split, n):
        return split if n is None else split.head(min(n, len(split)))

    tr = data.training
    if data.test is None:
        n_tr, n_va = protocol.train_images or len(tr), protocol.validation_images or 1000
        if n_tr + n_va > len(tr):
            raise ValueError(f"train_images + validation_images = {n_tr + n_va} exceed the {len(tr)} training digits")
        out = {"train": tr.head(n_tr), "validation": Split(tr.pixels[len(tr) - n_va:], tr.y[len(tr) - n_va:]),
               "test": head(data.validation, protocol.test_images)}
        out["description"] = (f"embedded digits: training = the first {n_tr:,} of the {len(tr):,}-digit training "
                              f"split, validation = its last {n_va:,}, test = the first {len(out['test']):,} of the "
                              f"{len(data.validation):,}-digit validation split")
    else:
        out = {"train": head(tr, protocol.train_images),
               "validation": head(data.validation, protocol.validation_images),
               "test": head(data.test, protocol.test_images)}
        out["description"] = (f"full MNIST: the first {len(out['train']):,} of the {len(tr):,} training, "
                              f"{len(out['validation']):,} of the {len(data.validation):,} validation and "
                              f"{len(out['test']):,} of the {len(data.test):,} test images (the book's splits)")
    return out


def streams(seed: int, seeds: int) -> list[dict]:
    """Returns, per seed, {"init", "shuffle", "pretrain": Generator}: ``numeric.streams.replica_generators``."""
    return replica_generators(seed, seeds, PURPOSES)


def ratios(nets, x, y) -> dict:
    """Returns {"per_example", "averaged": [last/first per network]} of the hidden layers' bias gradients on (x, y)
    (float64), and the per-layer norms beside ({"per_example_layers", "averaged_layers"})."""
    rms, avg = Stack(nets).gradient_norms(x, y)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {"per_example": (rms[:, -1] / rms[:, 0]).tolist(), "averaged": (avg[:, -1] / avg[:, 0]).tolist(),
                "per_example_layers": rms.tolist(), "averaged_layers": avg.tolist()}


def _remedy(key: str):
    return next(r for r in REMEDIES if r.key == key)


def run_config(key: str, hidden: int, protocol: RemediesProtocol, data, seed: int) -> dict:
    """Trains configuration ``key`` with ``hidden`` hidden layers for every (eta, seed) of the protocol at once.

    Returns {"etas", "validation" and "test": [eta][seed] accuracy (NaN where diverged), "diverged": [eta][seed],
    "init": ratios at initialisation (after pre-training, for a pre-trained configuration), "trained": ratios
    after training at the chosen eta, "mean_square_input"}, and "pretraining" (what the hook returned) if any.
    """
    remedy, p = _remedy(key), protocol
    s = splits(data, p)
    x, y = s["train"].x, s["train"].y
    xn, yn = s["train"].x[:p.norm_images], s["train"].y[:p.norm_images]
    rngs = streams(seed, p.seeds)
    sizes = [784] + [p.width] * hidden + [10]
    nets = [DeepNetwork(sizes, rng=r["init"], **remedy.net) for r in rngs]
    pretraining = None
    if remedy.pretrain is not None:  # "init" is then the network after pre-training
        pretraining = remedy.pretrain(nets, x, [r["pretrain"] for r in rngs])
    init = ratios(nets, xn, yn)
    E = len(p.etas)
    stack = Stack([net for net in nets for _ in range(E)], dtype=p.dtype)  # replica g E + e: seed g, eta e
    options = {"lmbda": 0.0} | remedy.train
    sgd(stack, x, y, p.epochs, p.mini_batch_size, np.tile(p.etas, p.seeds), shuffles=[r["shuffle"] for r in rngs],
        **options)
    bad = stack.diverged | ~np.isfinite(stack.costs(x, y))
    acc = {name: np.where(bad, np.nan, stack.accuracy(s[name].x, s[name].y) / len(s[name]))
           for name in ("validation", "test")}
    grid = lambda v: v.reshape(p.seeds, E).T.tolist()  # noqa: E731  (eta, seed)
    out = {"etas": list(p.etas), "validation": grid(acc["validation"]), "test": grid(acc["test"]),
           "diverged": grid(bad), "init": init,
           "mean_square_input": float(np.mean(np.sum(xn**2, axis=1)))}
    e = choose(out["validation"], p.etas)
    trained = [stack.network(g * E + e) for g in range(p.seeds) if not bad[g * E + e]]
    out["trained"] = ratios(trained, xn, yn) if trained else {"per_example": [], "averaged": []}
    if pretraining is not None:
        out["pretraining"] = pretraining
    return out


def _scored(values) -> np.ndarray:
    """Accuracies with a diverged (NaN) seed counted as chance."""
    v = np.asarray(values, dtype=float)
    return np.where(np.isnan(v), CHANCE, v)


def choose(validation, etas) -> int:
    """Returns the index of the chosen eta: the highest median validation accuracy over seeds (diverged = chance);
    ties go to the smaller eta (``RemediesProtocol.SELECTION``)."""
    medians = np.median(_scored(validation), axis=1)
    return int(np.flatnonzero(medians == medians.max())[0])


def summary(cell: dict) -> dict:
    """Returns the row of one configuration and depth: the chosen eta, test accuracy median [min, max] over all
    seeds (diverged = chance), the diverged count there, and whether the choice sits on an edge of the grid."""
    e = choose(cell["validation"], cell["etas"])
    test = _scored(cell["test"][e])
    return {"eta": cell["etas"][e], "eta_index": e, "edge": e in (0, len(cell["etas"]) - 1) or len(cell["etas"]) == 1,
            "validation": float(np.median(_scored(cell["validation"][e]))),
            "test": float(np.median(test)), "test_min": float(test.min()), "test_max": float(test.max()),
            "diverged": int(np.sum(cell["diverged"][e])), "seeds": len(test),
            "diverged_anywhere": int(np.sum(cell["diverged"]))}


def width_sweep(key: str, protocol: RemediesProtocol, data, seed: int) -> dict:
    """Returns {width: ratios at initialisation} for configuration ``key`` at ``sweep_depth`` hidden layers, on the
    first ``sweep_images`` training digits (float64; the seeds' initial draws from ``streams``)."""
    remedy, p = _remedy(key), protocol
    x, y = data.training.x[:p.sweep_images], data.training.y[:p.sweep_images]
    out = {}
    for width in p.sweep_widths:
        nets = [DeepNetwork([784] + [width] * p.sweep_depth + [10], rng=r["init"], **remedy.net)
                for r in streams(seed, p.seeds)]
        out[width] = ratios(nets, x, y)
    return out
