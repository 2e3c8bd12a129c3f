"""The trainability phase diagram (Schoenholz et al. 2017, Sec. 5, Fig. 5) as data: protocol, cells, criterion.

Returns plain data. A ``PhaseProtocol`` fixes, before any run, the grid (sigma_w^2 across the edge of chaos,
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

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..networks.phase_stack import Stack

__all__ = ["PhaseProtocol", "PHASE", "PHASE_LARGE", "train_group", "cells", "criterion"]


@dataclass(frozen=True)
class PhaseProtocol:
    """How the phase diagram is measured, and how it is judged (see the module's docstring)."""

    name: str
    caption: str
    sigma_w2s: tuple = (1.0, 1.25, 1.5, 1.76, 2.0, 2.5, 3.0, 4.0)
    depths: tuple = (10, 20, 40, 80)
    sigma_b2: float = 0.05
    activation: str = "tanh"
    width: int = 100
    steps: int = 50
    batch: int = 64
    eta0: float = 0.5  # eta = eta0 / L
    seeds: int = 2
    accuracy_images: int = 1000
    trains_at: float = 0.2  # twice chance
    beyond: float = 6.0
    inside: float = 2.0
    max_beyond_train: float = 0.10
    max_inside_fail: float = 0.20
    min_cells: int = 5

    def __post_init__(self):
        if min(self.sigma_w2s) <= 0 or min(self.depths) < 1 or self.width < 1 or self.seeds < 1 or self.steps < 0:
            raise ValueError(f"{self.name}: sigma_w2s, depths, width and seeds must be positive, steps >= 0")
        if not 0 <= self.max_beyond_train <= 1 or not 0 <= self.max_inside_fail <= 1:
            raise ValueError(f"{self.name}: the criterion's fractions must lie in [0, 1]")

    def replace(self, **changes) -> PhaseProtocol:
        return dataclasses.replace(self, **changes)

    def eta(self, depth: int) -> float:
        return self.eta0 / depth

    def describe(self) -> str:
        """Returns one line for a caption: grid, network, training, criterion."""
        grid = ", ".join(f"{v:g}" for v in self.sigma_w2s)
        network = (f"{self.activation}, sigma_b^2 = {self.sigma_b2:g}, sigma_w^2 in {{{grid}}}, "
                   f"depths {list(self.depths)}, width {self.width}")
        training = (f"{self.steps} SGD steps of {self.batch} embedded digits, eta = {self.eta0:g}/L, softmax read-out, "
                    f"{self.seeds} seeds")
        bar = f"median training accuracy >= {self.trains_at:.0%} ({self.accuracy_images:,} digits)"
        sides = (f"beyond L > {self.beyond:g} xi_c at most {self.max_beyond_train:.0%} may train, "
                 f"inside L <= {self.inside:g} xi_c at most {self.max_inside_fail:.0%} may fail")
        return f"{self.caption}: {network}, {training}; a cell trains at {bar}; {sides}"

    def as_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["sigma_w2s"], d["depths"] = list(self.sigma_w2s), list(self.depths)
        return d


PHASE = PhaseProtocol("phase-default", "this suite's phase-diagram protocol (after Schoenholz et al. 2017, Fig. 5)")
PHASE_LARGE = PHASE.replace(name="phase-large", caption="this suite's larger phase-diagram protocol",
                            sigma_w2s=(1.0, 1.25, 1.5, 1.625, 1.76, 1.9, 2.0, 2.25, 2.5, 3.0, 3.5, 4.0),
                            depths=(10, 15, 20, 30, 40, 60, 80, 100), steps=100, seeds=3)


def train_group(protocol: PhaseProtocol, depth: int, seed: int, x, labels) -> dict:
    """Returns {"accuracy": (len(sigma_w2s),), "diverged": (len(sigma_w2s),) bool} for one depth and one seed:
    every sigma_w^2 of the grid trained together as one stack of replicas."""
    p = protocol
    st = Stack(depth, p.width, np.sqrt(p.sigma_w2s), [seed], sigma_b=float(np.sqrt(p.sigma_b2)),
               activation=p.activation)
    st.sgd(x, labels, p.steps, p.batch, p.eta(depth))
    n = p.accuracy_images
    return {"accuracy": st.accuracy(x[:n], labels[:n]), "diverged": st.diverged.copy()}


def cells(protocol: PhaseProtocol, groups: dict) -> dict:
    """Returns {"accuracy": (depths, sigma_w2s, seeds), "median", "spread" (max - min), "diverged" (counts)}
    from {(depth, seed): train_group(...)}."""
    p = protocol
    seeds = sorted({s for _, s in groups})
    acc = np.array([[groups[(d, s)]["accuracy"] for s in seeds] for d in p.depths]).transpose(0, 2, 1)
    div = np.array([[groups[(d, s)]["diverged"] for s in seeds] for d in p.depths]).transpose(0, 2, 1)
    return {"accuracy": acc, "median": np.median(acc, axis=2), "spread": acc.max(axis=2) - acc.min(axis=2),
            "diverged": div.sum(axis=2)}


def criterion(protocol: PhaseProtocol, median: np.ndarray, xi_c) -> dict:
    """Returns the criterion's verdict on median accuracies (depths, sigma_w2s) against xi_c (sigma_w2s,):
    {"beyond": cells, "beyond_trained": fraction, "inside": cells, "inside_failed": fraction, "holds": bool}."""
    p = protocol
    depth = np.asarray(p.depths, dtype=float)[:, None]
    xi = np.asarray(xi_c, dtype=float)[None, :]
    trains = np.asarray(median) >= p.trains_at
    beyond, inside = depth > p.beyond * xi, depth <= p.inside * xi
    nb, ni = int(beyond.sum()), int(inside.sum())
    fb = float(trains[beyond].mean()) if nb else float("nan")
    fi = float((~trains[inside]).mean()) if ni else float("nan")
    holds = nb >= p.min_cells and ni >= p.min_cells and fb <= p.max_beyond_train and fi <= p.max_inside_fail
    return {"beyond": nb, "beyond_trained": fb, "inside": ni, "inside_failed": fi, "trains": trains.tolist(),
            "holds": bool(holds)}
