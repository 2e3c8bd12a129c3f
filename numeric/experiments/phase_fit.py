"""The boundary of the trainable region as a multiple of xi_c: where the trains-fraction crosses 1/2, with a
bootstrap interval over seeds. Returns plain data (floats, arrays, dicts); no training here.

A cell of the phase diagram is one (depth L, sigma_w^2) with r = L / xi_c(sigma_w^2); each of its seeds either
trains or not (``numeric.experiments.phase``'s bar). Schoenholz et al. (2017) state that the trainable region ends
at a fixed multiple of xi_c. Pooling the cells of every depth by r, the trains-fraction falls with r; the boundary is

    r* = the r at which the non-increasing (isotonic, pool-adjacent-violators) fit of the trains-fraction against r
         crosses 1/2, interpolated linearly in log r between the last cell at or above 1/2 and the next one.

Nothing is assumed of the curve's shape beyond "falls with r". When every cell trains, r* is only known to lie above
the largest r ("censored above"); when none does, below the smallest ("censored below"); the value is then that
bound and the flag says so. The interval: resample each depth's seeds with replacement (a depth's seeds are the
independent unit: the cells of one seed share its mini-batches), recompute the bar, the trains-fractions and r*,
and take the percentiles; then widen it to the two cells around the crossing, because where every seed agrees the
resamplings all give one value while the boundary may lie anywhere between those cells. With 3 seeds a bootstrap
interval is narrower than more seeds would show; it says how much the seeds drawn move r*, not more.
"""

from __future__ import annotations

import numpy as np

__all__ = ["isotonic_decreasing", "crossing", "fit", "bootstrap", "interval", "read", "fits", "boundaries"]


def isotonic_decreasing(values, weights) -> np.ndarray:
    """Returns the weighted least-squares non-increasing fit of ``values`` (in their given order): pool adjacent
    violators."""
    blocks = []  # [mean, weight, count]
    for v, w in zip(np.asarray(values, dtype=float), np.asarray(weights, dtype=float)):
        blocks.append([v, w, 1])
        while len(blocks) > 1 and blocks[-2][0] < blocks[-1][0]:
            v2, w2, n2 = blocks.pop()
            v1, w1, n1 = blocks.pop()
            blocks.append([(v1 * w1 + v2 * w2) / (w1 + w2), w1 + w2, n1 + n2])
    return np.concatenate([np.full(n, v) for v, _, n in blocks]) if blocks else np.zeros(0)


def crossing(r, fraction, weight, level: float = 0.5) -> tuple[float, int, tuple]:
    """Returns (r*, censored, bracket) where the isotonic fit of ``fraction`` against ``r`` crosses ``level``:
    censored is 0 inside the cells' range, -1 when it lies below the smallest r (r* is then that r), +1 above the
    largest; ``bracket`` the two cells around the crossing, (0, smallest r) or (largest r, inf) when censored: the
    grid cannot place the boundary more finely than that, whatever the seeds say."""
    r = np.asarray(r, dtype=float)
    if r.size == 0:
        raise ValueError("crossing needs at least one cell")
    order = np.argsort(r, kind="stable")
    r, g = r[order], isotonic_decreasing(np.asarray(fraction, dtype=float)[order], np.asarray(weight)[order])
    below = np.flatnonzero(g < level)
    if below.size == 0:
        return float(r[-1]), 1, (float(r[-1]), float("inf"))
    i = int(below[0])
    if i == 0:
        return float(r[0]), -1, (0.0, float(r[0]))
    t = (g[i - 1] - level) / (g[i - 1] - g[i])
    return float(np.exp(np.log(r[i - 1]) + t * (np.log(r[i]) - np.log(r[i - 1])))), 0, (float(r[i - 1]), float(r[i]))


def fit(depths: list, level: float = 0.5) -> dict:
    """Returns {"r", "censored", "bracket", "cells"} for ``depths``: a list of {"r": (cells,), "trains": (cells,
    seeds) bool} (the judged depths of one length and one selection of cells); fractions over the seeds, weights the
    seed counts."""
    r = np.concatenate([np.asarray(d["r"], dtype=float) for d in depths]) if depths else np.zeros(0)
    if r.size == 0:
        return {"r": float("nan"), "censored": 0, "bracket": (float("nan"), float("nan")), "cells": 0}
    t = [np.asarray(d["trains"], dtype=float) for d in depths]
    fraction = np.concatenate([x.mean(axis=1) for x in t])
    weight = np.concatenate([np.full(len(x), x.shape[1]) for x in t])
    value, censored, bracket = crossing(r, fraction, weight, level)
    return {"r": value, "censored": censored, "bracket": bracket, "cells": int(r.size)}


def bootstrap(statistic, seeds: int, groups: int, rng: np.random.Generator, samples: int) -> dict:
    """Returns {name: [r* or nan, ...]} over ``samples`` resamplings, one entry per resampling (so that statistics of
    one resampling stay paired) and {name: [censored, ...]} under the key ("censored", name). ``statistic(idx)``
    takes seed indices (groups, seeds) (each depth's seeds drawn with replacement) and returns {name: ``fit``}."""
    values: dict = {}
    for _ in range(int(samples)):
        for name, out in statistic(rng.integers(0, seeds, size=(groups, seeds))).items():
            values.setdefault(name, []).append(out["r"] if out["cells"] else float("nan"))
            values.setdefault(("censored", name), []).append(out["censored"] != 0 if out["cells"] else False)
    return values


def interval(values, level: float) -> dict:
    """Returns {"low", "high", "samples"}: the central ``level`` interval of the finite ``values``."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not v.size:
        return {"low": float("nan"), "high": float("nan"), "samples": 0}
    low, high = np.quantile(v, [(1 - level) / 2, (1 + level) / 2])
    return {"low": float(low), "high": float(high), "samples": int(v.size)}


def read(accuracy: list, sides: list, *, chance: float, bar_fraction: float, edge_min: float, idx=None) -> list:
    """Returns, per depth, {"edge", "bar", "judged", "trains" (cells - 1, seeds) bool, "sides"} for one length:
    ``accuracy`` a list over depths of (seeds, cells) arrays, the edge cell first; ``idx`` (depths, seeds) picks each
    depth's seeds (a bootstrap resampling; default: all of them). A seed of a cell trains at chance + bar_fraction x
    (the depth's edge median - chance); a depth is judged when its edge median reaches ``edge_min``."""
    out = []
    for i, (acc, side) in enumerate(zip(accuracy, sides)):
        a = np.asarray(acc) if idx is None else np.asarray(acc)[idx[i]]
        edge = float(np.median(a[:, 0]))
        bar = chance + bar_fraction * (edge - chance)
        out.append({"edge": edge, "bar": bar, "judged": edge >= edge_min, "trains": (a[:, 1:] >= bar).T,
                    "sides": tuple(side[1:])})
    return out


def fits(view: list, r: list, level: float = 0.5) -> dict:
    """Returns {"pooled", "ordered", "chaotic"}: the ``fit`` of the judged depths' cells (edge cells left out) of
    both sides, and of each side alone; ``r`` a list over depths of (cells,) multiples L / xi_c, the edge first."""
    out = {}
    for name in ("pooled", "ordered", "chaotic"):
        sel = []
        for d, rr in zip(view, r):
            keep = np.array([name == "pooled" or s == name for s in d["sides"]], dtype=bool)
            if d["judged"] and keep.any():
                sel.append({"r": np.asarray(rr)[1:][keep], "trains": d["trains"][keep]})
        out[name] = fit(sel, level)
    return out


def boundaries(accuracy: list, sides: list, r: list, lengths, rng: np.random.Generator, *, chance: float,
               bar_fraction: float, edge_min: float, level: float, samples: int) -> dict:
    """Returns {"lengths": per length {"steps", "depths": [{"edge", "bar", "judged"}], "pooled", "ordered",
    "chaotic"} (each fit's r*, censoring and bootstrap interval ``low``-``high``), "growth": the pooled r* at the
    longest length over the shortest with its interval}. ``accuracy``: per depth (lengths, seeds, cells).

    One resampling of the seeds serves every length (the lengths are one run read at checkpoints, so their r* are
    paired), which is what makes the growth's interval a comparison of the same networks. A censored r* enters as
    its bound: below the cells at the shortest length, or above them at the longest, the true growth is larger."""
    opts = {"chance": chance, "bar_fraction": bar_fraction, "edge_min": edge_min}
    seeds = np.asarray(accuracy[0]).shape[1]
    at = [[np.asarray(a)[j] for a in accuracy] for j in range(len(lengths))]
    views = [read(x, sides, **opts) for x in at]

    def statistic(idx):
        return {(j, name): f for j, x in enumerate(at) for name, f in fits(read(x, sides, idx=idx, **opts), r).items()}

    drawn = bootstrap(statistic, seeds, len(accuracy), rng, samples)
    out = []
    for j, (steps, view) in enumerate(zip(lengths, views)):
        point = fits(view, r)
        found = {}
        for name, f in point.items():
            spread = interval(drawn[(j, name)], level)  # widened to the cells around the crossing (``crossing``)
            spread["low"], spread["high"] = min(spread["low"], f["bracket"][0]), max(spread["high"], f["bracket"][1])
            found[name] = f | spread | {"censored_share": float(np.mean(drawn[("censored", (j, name))]))}
        out.append({"steps": int(steps), "depths": [{k: d[k] for k in ("edge", "bar", "judged")} for d in view],
                    **found})
    first, last = out[0]["pooled"], out[-1]["pooled"]
    ratio = np.asarray(drawn[(len(lengths) - 1, "pooled")]) / np.asarray(drawn[(0, "pooled")])
    growth = {"ratio": last["r"] / first["r"] if first["cells"] and last["cells"] else float("nan")}
    growth |= interval(ratio, level)
    growth["low"] = min(growth["low"], last["bracket"][0] / first["bracket"][1])  # the grid's resolution, as above
    return {"lengths": out, "growth": growth}
