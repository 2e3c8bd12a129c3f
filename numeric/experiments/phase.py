"""The trainability phase diagram (Schoenholz et al. 2017, Sec. 5) as a measurement of its boundary: protocol, cells,
training read at several lengths, and the arithmetic it costs. Returns plain data.

Schoenholz et al. state that random tanh networks train only where the depth L is below about 6 xi_c, and that the
trainable depth grows with training time as a multiple of xi_c. So the protocol (``PHASE``, written before the run)
places each depth's cells by their multiple r = L / xi_c where the boundary can be, on both sides of the edge of
chaos, with an **edge cell at every depth** as the control that must train; trains every cell of a depth and all its
seeds as one stack for the longest length and reads it at each ``lengths`` checkpoint (one run, never a restart);
and its claim fits, per length, the r at which the trains-fraction crosses 1/2, with a bootstrap interval over seeds
(``numeric.experiments.phase_fit``). A seed of a cell **trains** when its accuracy on the first ``accuracy_images``
training digits reaches halfway from chance (10 %) to its depth's edge cell (median over seeds) at the same length.

Cost (``work`` lists the products, ``flops`` sums them): a training step of one replica is about 6 x batch x
(columns x width + L x width^2) flops, so a cell costs in proportion to its depth. ``PHASE``: width 50, mini-batch
32, 3 seeds, 22 cells over depths 10-80 trained for 300 steps and read on 500 digits: 468 GFLOP (452 with the 661
input columns the digits use), 13.4 s of one core at the kernel's 32-39 GFLOP/s (benchmarks/phase.py); the edge
cells alone are 29 % of it. ``PHASE_LONG`` reads 35 cells at 50, 300, 1,000 and 2,000 steps (5.3 TFLOP, a slow test and
``benchmarks/phase.py --long``).
"""

from __future__ import annotations

import numpy as np

from ..activations import ACTIVATIONS
from ..networks.network import Network
from ..networks.phase_stack import Stack
from ..streams import child, purpose, replica, sequence
from . import phase_fit
from .meanfield import per_example_rms_norms
from .propagation import pair_inputs
from .protocol import Change, Protocol, register
from .protocol import criterion as C  # noqa: N812 - the criteria read as a table

__all__ = ["PHASE", "PHASE_LONG", "CHANCE", "REFEREE_XI_C", "eta", "describe", "cells", "place", "depth_streams",
           "train_depth", "reading", "bootstrap_stream", "work", "flops", "CHAPTER_NETWORK", "chapter_network"]

CHANCE = 0.1  # ten digits: a network that learned nothing scores about 10 %
# xi_c by the referee's own quadrature (issue 31), printed to 4 digits: an implementation independent of this suite's
REFEREE_XI_C = ((1.0, 3.627), (1.25, 6.800), (1.5, 15.79), (2.0, 25.21), (2.5, 11.80), (3.0, 9.051), (4.0, 6.980))
SIDES = ("edge", "ordered", "chaotic")


def eta(p: Protocol, depth: int) -> float:
    """Returns the learning rate at ``depth``: eta0 / L, one rule for every cell of a depth."""
    return p.eta0 / depth


def cells(p: Protocol, i: int) -> tuple:
    """Returns depth ``p.depths[i]``'s cells as ((side, target r, sigma_w^2), ...), the edge cell first."""
    depth, row = p.cells[i]
    if depth != p.depths[i]:
        raise ValueError(f"{p.name}: cells[{i}] is for depth {depth}, depths[{i}] is {p.depths[i]}")
    return row


def place(depth: int, r: float, side: str, xi_of, *, digits: int = 5) -> float:
    """Returns the sigma_w^2 on ``side`` ("ordered": below the edge; "chaotic": above) at which depth / xi_c = r,
    rounded to ``digits`` significant digits: bisection of ``xi_of`` (sigma_w2s -> xi_c), which rises toward the edge
    on either side. How ``PHASE``'s cells were placed (tests check them with it)."""
    edge = 1.7609546396067367  # tanh, sigma_b^2 = 0.05 (numeric.experiments.correlation.critical_sigma_w2)
    lo, hi = (0.05, edge) if side == "ordered" else (edge, 60.0)
    for _ in range(60):
        mid = (lo + hi) / 2
        inside = xi_of([mid])[0] > depth / r  # a longer depth scale: nearer the edge than r asks
        lo, hi = ((lo, mid) if inside else (mid, hi)) if side == "ordered" else ((mid, hi) if inside else (lo, mid))
    return float(f"{(lo + hi) / 2:.{digits}g}")


def flops(p: Protocol) -> float:
    """Returns the run's floating-point operations (2 m k n per product of ``work``)."""
    return float(sum(2 * w["m"] * w["k"] * w["n"] * w["batch"] * w["count"] for w in work(p)))


def describe(p: Protocol) -> str:
    """Returns one line for a caption: grid, network, training, the trains bar and the cost."""
    t = p.thresholds()
    n = sum(len(cells(p, i)) for i in range(len(p.depths)))
    network = (f"{p.activation}, sigma_b^2 = {p.sigma_b2:g}, width {p.width}, depths {list(p.depths)}, {n} cells "
               f"(an edge cell at every depth; the others placed by L/xi_c on both sides of the edge)")
    lengths = ", ".join(f"{s:,}" for s in p.lengths)
    training = (f"plain SGD, mini-batch {p.batch}, eta = {p.eta0:g}/L, softmax read-out, read after {lengths} steps of "
                f"one run, {p.seeds} seeds; {flops(p) / 1e9:,.0f} GFLOP")
    bar = (f"a seed trains at accuracy >= chance + {t.bar_fraction:g} x (its depth's edge median - chance), chance "
           f"{t.chance:.0%}, on {p.accuracy_images:,} training digits")
    return f"{p.label}: {network}; {training}; {bar}"


def _check(p: Protocol) -> None:
    if len(p.cells) != len(p.depths) or not p.lengths or list(p.lengths) != sorted(set(p.lengths)):
        raise ValueError(f"{p.name}: one row of cells per depth, and increasing lengths, are needed")
    for i in range(len(p.depths)):
        row = cells(p, i)
        if row[0][0] != "edge" or any(side not in SIDES or s2 <= 0 for side, _, s2 in row):
            raise ValueError(f"{p.name}: depth {p.depths[i]}'s cells must start with the edge cell, sides in {SIDES}, "
                             f"sigma_w^2 > 0")
    if p.width < 1 or p.batch < 1 or min(p.depths) < 1:
        raise ValueError(f"{p.name}: width, batch and depths must be positive")


KIND = register("phase", check=_check, describe=describe)

# r = L / xi_c of each cell, placed (``place``) where the boundary can be after 50 and 300 steps (development runs,
# docs/phase-diagram.md); staggered from depth to depth so that, pooled by r, the cells sample 2.2-6.3 finely; the
# deep depths, the costliest, hold one cell well inside and one near or beyond the boundary
_EDGE = ("edge", 0.0, 1.76095)
CELLS = (
    (10, (_EDGE, ("ordered", 2.2, 1.094), ("ordered", 4.4, 0.79555), ("ordered", 8.8, 0.47837))),
    (20, (_EDGE, ("ordered", 2.4, 1.3209), ("ordered", 4.8, 1.0582), ("chaotic", 2.5, 3.3868))),
    (30, (_EDGE, ("ordered", 2.6, 1.4207), ("ordered", 5.2, 1.1886), ("chaotic", 3.3, 2.9886))),
    (40, (_EDGE, ("ordered", 2.85, 1.4721), ("ordered", 5.7, 1.2614), ("chaotic", 4.2, 2.8751))),
    (60, (_EDGE, ("ordered", 3.1, 1.5428), ("chaotic", 5.2, 2.5299))),
    (80, (_EDGE, ("ordered", 3.4, 1.5781), ("chaotic", 6.3, 2.4106))),
)
_FARTHER = {  # the longer protocol's extra cells, where the boundary can be after 1,000-2,000 steps
    10: (("ordered", 13.2, 0.30052),),
    20: (("ordered", 9.6, 0.75636), ("ordered", 14.4, 0.5706)),
    30: (("ordered", 10.4, 0.90123), ("chaotic", 5.2, 5.3662)),
    40: (("ordered", 11.4, 0.9859), ("chaotic", 6.3, 4.5868)),
    60: (("ordered", 6.2, 1.3689), ("ordered", 12.4, 1.1194), ("chaotic", 8.0, 3.6482)),
    80: (("ordered", 6.8, 1.4261), ("ordered", 13.6, 1.196), ("chaotic", 10.0, 3.3868)),
}
CELLS_LONG = tuple((depth, row + _FARTHER[depth]) for depth, row in CELLS)

_OLD = ("the grid sigma_w^2 in {1, 1.25, 1.5, 1.76, 2, 2.5, 3, 4} x depths (10, 20, 40, 80), 2 seeds, judged after 50 "
        "SGD steps (width 100, mini-batch 64, eta 0.5/L)")
_REFEREE = ("the referee's runs (issue 31; 3 seeds, median accuracy): after 50 steps cells at 4.4-5.9 xi_c failed "
            "and at depth 80 even the edge cell failed (16.8 %), and five of the six cells beyond 6 xi_c were at "
            "depth 80; after 500 steps L = 20 at 5.5 xi_c reached 0.89, L = 30 at 8.3 xi_c 0.41, L = 40 at 5.9 xi_c "
            "0.78 and at 11.0 xi_c 0.18, L = 60 at 8.8 xi_c 0.22, L = 40 at 4.4 xi_c (chaotic) 0.84 and at 5.7 xi_c "
            "0.10, L = 80 at 5.1 xi_c 0.48 and its edge cell 0.46: the boundary moved with training, passed 6 xi_c on "
            "the ordered side at a 20 % bar and looked like 6 xi_c only at a 50 % bar")
CRITERIA = (
    C("design", "every depth holds its edge cell and a cell between {inside:g} and {beyond:g} xi_c; at least "
                "{min_side:g} cells on each side of the edge; depths {min_depth:g}-{max_depth:g} at most "
                "{max_depth_step:g} layers apart; at least {min_seeds:g} seeds per cell", inside=2.0, beyond=6.0,
      min_side=4, min_depth=10, max_depth=80, max_depth_step=20, min_seeds=3, history=(Change(
          was=f"inside 2, beyond 6, min_cells 5: at least 5 cells within 2 xi_c and 5 beyond 6 xi_c, none required "
              f"between them; {_OLD}",
          showed="the 12 cells between 2 and 6 xi_c, where the boundary lies, were never judged; the grid had no depth "
                 "between 40 and 80; five of the six cells beyond 6 xi_c were at depth 80 (referee, issue 31)",
          became="inside 2, beyond 6, min_side 4, min_depth 10, max_depth 80, max_depth_step 20, min_seeds 3",
          why="a boundary is measured by the cells near it: every depth must hold one between 2 and 6 xi_c, and the "
              "depths must cover 10-80 without a gap"),)),
    C("xi", "xi_c (numeric.experiments.correlation, float64 route) agrees with the referee's independent quadrature at "
            "sigma_w^2 = 1-4 within {xi_rtol:g} (relative), and every edge cell lies within {edge_atol:g} of the "
            "critical sigma_w^2", xi_rtol=1e-3, edge_atol=1e-4),
    C("control", "the edge cell of every depth learns: its median accuracy reaches {edge_learns:.0%} at the longest "
                 "length (a network that learned nothing scores 10 % +- 1.3 % on the 500 balanced digits read); at any "
                 "length a depth whose edge median stays below {edge_min:.0%} is too short to judge and is left out of "
                 "that length's fit", edge_learns=0.15, edge_min=0.2, history=(Change(
                     was="edge_min 0.2 for both: the control failed unless every edge median reached 20 % after the "
                         "longest length (then 250 steps)",
                     showed="a development run (seed 0, 250 steps): depth 80's edge cell at 29 % with a seed spread "
                            "of 16 %, the control holding by less than its spread; at 300 steps 23-40 % over root "
                            "seeds 0-3",
                     became="edge_learns 0.15, edge_min 0.2; the longest length 300 steps",
                     why="'learned' and 'learned enough to judge' are two questions: an edge cell at 15 % has "
                         "learned (a network that learned nothing scores 10 % +- 1.3 %), and a depth whose edge is "
                         "below 20 % is said to be too short to judge rather than failing the run"), Change(
                     was="edge_learns 0.15, edge_min 0.2; FRAGILE when the median's margin over the bar is less than "
                         "the edge cell's whole range over seeds",
                     showed="the protocol on 6 seeds at root seed 3: depth 80's edge seeds at 0.244-0.488, every one "
                            "above 0.15 by 0.09 or more, flagged FRAGILE because one seed far above the median widened "
                            "the range (0.244) past the margin (0.178)",
                     became="edge_learns 0.15, edge_min 0.2; FRAGILE when the spread on the bar's side (median - "
                            "lowest seed) exceeds the margin, that is when a seed is below the bar",
                     why="only seeds below the median can take it under the bar; [lowest, highest] of 6 seeds is the "
                         "median's distribution-free interval (97 %), so a control is fragile when that interval "
                         "reaches the bar"),)),
    C("trains", "a seed of a cell trains when its accuracy reaches chance ({chance:.0%}) + {bar_fraction:g} x (its "
                "depth's edge median - chance) at the same length; a cell's trains-fraction is over its seeds",
      chance=0.1, bar_fraction=0.5, history=(Change(
          was=f"trains_at 0.2: a cell trained when its median accuracy reached 20 %; {_OLD}",
          showed=_REFEREE + "; five cells within their seed spread of 20 % raised no flag",
          became="chance 0.1, bar_fraction 0.5, per seed, relative to the depth's edge cell at the same length",
          why="a fixed bar measures how fast a depth trains at all (the edge cell at depth 80 needs hundreds of steps "
              "to leave chance, development runs in docs/phase-diagram.md) as much as xi_c; halfway from chance to "
              "what the depth's best-conditioned network learned in the same steps is the midpoint of the two "
              "outcomes, the same rule at every depth and length"),)),
    C("boundary", "at each length the boundary is the L/xi_c where the trains-fraction (isotonic in L/xi_c; the judged "
                  "depths' cells of both sides pooled, edge cells excluded) crosses 1/2, with a {level:.0%} bootstrap "
                  "interval over seeds; at the longest length its whole interval lies in [{low:g}, {high:g}] xi_c "
                  "(Schoenholz et al.'s 6 within a factor 1.5); an interval across the band's edge is FRAGILE and "
                  "does not hold", "reproduction", level=0.9, low=4.0, high=9.0, history=(Change(
                      was="beyond 6, max_beyond_train 0.10, min_cells 5 (at most 10 % of the cells beyond 6 xi_c "
                          "train) and inside 2, max_inside_fail 0.20, min_cells 5 (at most 20 % within 2 xi_c fail): "
                          + _OLD,
                      showed=_REFEREE,
                      became="level 0.9, low 4, high 9: the boundary fitted as a multiple of xi_c at every length, "
                             "judged at the longest against 6",
                      why="Schoenholz et al.'s statement is about where the boundary lies, and the boundary moves "
                          "with training time; cells far from it say nothing of 6. The band (a factor 1.5 around "
                          "6, their 'about') was fixed from their wording before the final run"), Change(
                      was="level 0.9, low 4, high 9, the interval the bootstrap's percentiles alone",
                      showed="the longer protocol (development run, seed 0): after 2,000 steps every resampling gave "
                             "the same crossing, 6.20 [6.20, 6.20], where every seed of the cells around it agreed",
                      became="level 0.9, low 4, high 9, the interval widened to the two cells around the crossing",
                      why="the grid cannot place the boundary more finely than its cells, whatever the seeds say"),
                      Change(
                      was="level 0.9, low 4, high 9 on 3 seeds per cell",
                      showed="a referee's independent draws (issue 31, second round; own code, 8 disjoint sets of 3 "
                             "seeds): the interval left [4, 9] in 2 of 8 sets and the sides did not overlap in 1; on 6 "
                             "seeds the boundary after 300 steps at 4.8-5.0 xi_c at root seeds 0-3",
                      became="level 0.9, low 4, high 9 on 6 seeds per cell (--quick: 3)",
                      why="a verdict that flips with the draws is a draw: the seeds must make the interval narrower "
                          "than its distance to the band's edge"))),
    C("moves", "the boundary grows with training (Schoenholz et al.): the ratio of the boundary at the longest length "
               "to the boundary at the shortest, bootstrapped over the same resamplings of the seeds at both (one run "
               "read twice), has its {level:.0%} interval above 1", "reproduction", level=0.9, history=(Change(
                   was="level 0.9: the longest length's interval above the shortest's, each bootstrapped alone",
                   showed="development runs at root seeds 1 and 2: 4.40 above 4.22 and 4.69 above 4.25, margins "
                          "inside what separate resamplings add to two readings of one run",
                   became="level 0.9: the interval of the ratio over shared resamplings above 1",
                   why="the two lengths are one run read twice: a comparison of the same networks is paired, and "
                       "unpaired intervals count the seeds' noise twice"),)),
    C("sides", "one multiple on both sides of the edge, as Schoenholz et al. draw 6 xi_c: at the longest length the "
               "ordered side's boundary and the chaotic side's, each fitted alone with its interval, overlap",
      "reproduction", history=(Change(
          was="no such criterion: the pooled boundary of both sides judged alone",
          showed="the longer protocol (development run, seed 0): after 2,000 steps the ordered side at 8.8 xi_c, the "
                 "chaotic side at 4.7, and the pooled fit at 6.2, inside the band only by mixing the two",
          became="the two sides' intervals overlap at the longest length",
          why="a pooled multiple means one boundary only where both sides of the edge agree on it"),)),
)
_SETTINGS = {"sigma_b2": 0.05, "activation": "tanh", "width": 50, "batch": 32, "eta0": 0.25, "lengths": (50, 300),
             "accuracy_images": 500, "n_in": 784, "bootstrap": 500}
PHASE = Protocol(
    "phase-default", "this suite's phase-diagram protocol (after Schoenholz et al. 2017, Sec. 5): the boundary as a "
    "multiple of xi_c after 50 and 300 SGD steps", seeds=6, quick_seeds=3, kind=KIND,
    quantity="per cell and length: each seed's accuracy on the first training digits (a diverged replica at chance); "
             "per length: the boundary r* = L/xi_c with its bootstrap interval",
    criteria=CRITERIA, grid={"depths": (10, 20, 30, 40, 60, 80), "cells": CELLS}, settings=_SETTINGS)
PHASE_LONG = PHASE.replace(name="phase-long", label="this suite's longer phase-diagram protocol: the boundary after "
                           "50, 300, 1,000 and 2,000 SGD steps, more cells beyond 6 xi_c", cells=CELLS_LONG,
                           lengths=(50, 300, 1000, 2000))


def depth_streams(root, i: int, seeds: int) -> list:
    """Returns depth i's seed streams: child i of replica k's stream (``numeric.streams.replica(root, k)``), k <
    seeds; each depth draws its own networks and mini-batches (a stack spawns (initial draws, shuffling) from each)."""
    return [child(replica(root, k), i) for k in range(seeds)]


def bootstrap_stream(root):
    """Returns the bootstrap's stream: child 1000 of replica 0's stream (its children 0..5 are the depths')."""
    return child(replica(root, 0), 1000)


def train_depth(p: Protocol, i: int, seeds: list, x, labels) -> dict:
    """Returns {"accuracy": (lengths, seeds, cells), "diverged": (lengths, seeds, cells) bool} for depth
    ``p.depths[i]``: its cells and ``seeds`` (streams) trained as one stack for the longest length, read at each."""
    depth, row = p.depths[i], cells(p, i)
    st = Stack(depth, p.width, np.sqrt([s2 for _, _, s2 in row]), seeds, sigma_b=float(np.sqrt(p.sigma_b2)),
               activation=p.activation, n_in=p.n_in)
    n, acc, div = p.accuracy_images, [], []

    def read(step):
        acc.append(st.accuracy(x[:n], labels[:n]).reshape(len(seeds), len(row)))
        div.append(st.diverged.reshape(len(seeds), len(row)).copy())

    st.sgd(x, labels, p.lengths[-1], p.batch, eta(p, depth), checkpoints=p.lengths, on_checkpoint=read)
    return {"accuracy": np.array(acc), "diverged": np.array(div)}


def work(p: Protocol, columns: int | None = None, chunk: int = 250) -> list[dict]:
    """Returns the run's matrix products as {"m", "k", "n", "batch", "dtype", "count"}: ``count`` calls of a batched
    product of ``batch`` (m x k) @ (k x n) matrices, as ``numeric.networks.stacked`` makes them (a column of ones
    before each layer's input: k = 1 + fan-in). Training, per step and depth (S = cells x seeds replicas, mini-batch
    m): forward, one product per layer; backward, each layer's weight gradient and every input gradient but the first
    layer's. Evaluation: the forward pass over ``accuracy_images`` in chunks of ``chunk``, at each length.
    ``columns``: input columns in use (the kernel leaves out those 0 in every input; default all ``n_in``)."""
    c, w, b, steps = int(columns or p.n_in), p.width, p.batch, p.lengths[-1]
    out = []
    for i, depth in enumerate(p.depths):
        S = len(cells(p, i)) * p.seeds
        layers = [(1 + c, w)] + [(1 + w, w)] * (depth - 1) + [(1 + w, 10)]  # (k, n) of each layer's product
        for k, n in layers:  # forward
            out.append({"m": b, "k": k, "n": n, "batch": S, "count": steps})
        for k, n in layers:  # weight gradients [1, a]^T delta
            out.append({"m": k, "k": b, "n": n, "batch": S, "count": steps})
        for k, n in layers[1:]:  # input gradients delta P[1:]^T, not the first layer's
            out.append({"m": b, "k": n, "n": k - 1, "batch": S, "count": steps})
        for start in range(0, p.accuracy_images, chunk):  # evaluation at every length
            m = min(chunk, p.accuracy_images - start)
            out += [{"m": m, "k": k, "n": n, "batch": S, "count": len(p.lengths)} for k, n in layers]
    return [dict(e, dtype="float32") for e in out]


def reading(p: Protocol, runs: list, xi_of, critical: float, rng: np.random.Generator) -> dict:
    """Returns what the claim judges, from ``runs`` (``train_depth`` per depth), ``xi_of`` (sigma_w2s -> xi_c) and
    the ``critical`` sigma_w^2: {"r": per depth (cells,), "design", "xi", "cells" (table rows), "boundaries" (per
    length) and "growth" (``phase_fit.boundaries``), "diverged", "replicas"}."""
    t = p.thresholds()
    rows = [cells(p, i) for i in range(len(p.depths))]
    r = [depth / np.asarray(xi_of([s2 for _, _, s2 in row]), dtype=float) for depth, row in zip(p.depths, rows)]
    sides = [tuple(side for side, _, _ in row) for row in rows]
    seeds = min(np.asarray(run["accuracy"]).shape[1] for run in runs)
    between = [any(s != "edge" and t.inside <= v <= t.beyond for s, v in zip(side, rr)) for side, rr in zip(sides, r)]
    count = {side: sum(s.count(side) for s in sides) for side in SIDES}
    steps = np.diff(p.depths)
    design = {"between": between, "edge_cells": [s[0] == "edge" for s in sides], "cells_per_side": count,
              "depth_steps": steps.tolist(), "seeds": int(seeds),
              "holds": bool(all(between) and all(s[0] == "edge" for s in sides) and count["ordered"] >= t.min_side
                            and count["chaotic"] >= t.min_side and min(p.depths) <= t.min_depth
                            and max(p.depths) >= t.max_depth and (steps <= t.max_depth_step).all()
                            and seeds >= t.min_seeds)}
    ref_s2, ref_xi = np.array(REFEREE_XI_C).T
    err = np.abs(np.asarray(xi_of(ref_s2), dtype=float) / ref_xi - 1)
    edge_off = max(abs(row[0][2] - critical) for row in rows)
    xi = {"max_rel_error": float(np.nanmax(np.where(np.isfinite(err), err, np.inf))), "edge_offset": float(edge_off)}
    xi["holds"] = bool(xi["max_rel_error"] <= t.xi_rtol and edge_off <= t.edge_atol)
    acc = [np.asarray(run["accuracy"])[:, :seeds] for run in runs]
    found = phase_fit.boundaries(acc, sides, r, p.lengths, rng, chance=t.chance, bar_fraction=t.bar_fraction,
                                 edge_min=t.edge_min, level=t.level, samples=p.bootstrap)
    table = []
    for i, (depth, row) in enumerate(zip(p.depths, rows)):
        for c, (side, target, s2) in enumerate(row):
            cell = {"depth": depth, "sigma_w2": s2, "side": side, "target": target, "r": float(r[i][c]), "lengths": []}
            for j, b in enumerate(found["lengths"]):
                a = acc[i][j][:, c]
                med, spread, bar = float(np.median(a)), float(a.max() - a.min()), b["depths"][i]["bar"]
                judged = b["depths"][i]["judged"]  # the edge cell is the bar's reference, never FRAGILE itself
                cell["lengths"].append({"steps": b["steps"], "accuracy": a.tolist(), "median": med, "spread": spread,
                                        "trains": float(np.mean(a >= bar)), "judged": judged,
                                        "fragile": judged and side != "edge" and bool(abs(med - bar) < spread)})
            table.append(cell)
    diverged = int(sum(np.asarray(run["diverged"])[-1].sum() for run in runs))
    return {"r": [x.tolist() for x in r], "design": design, "xi": xi, "cells": table, "boundaries": found["lengths"],
            "growth": found["growth"],
            "diverged": diverged, "replicas": int(sum(np.asarray(run["diverged"])[-1].size for run in runs))}


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

