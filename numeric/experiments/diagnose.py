"""Mean field for one fully connected network, layer by layer: what ``python -m proofs diagnose`` predicts.

A network [n_0, n_1, ..., n_H, n_out] has H hidden layers and weight matrices W^1..W^{H+1} (W^{H+1} the read-out).
Layer l's parameters are described in mean field's convention, W^l_ij ~ N(0, (sigma_w^l)^2 / n_{l-1}) and
b^l_i ~ N(0, (sigma_b^l)^2): ``sigma_w[l - 1]``, ``sigma_b[l - 1]`` (0-based lists over the weight matrices; the
book's w^l is our W^l). Only the variances enter (uniform and orthogonal draws included: wide layers make every
pre-activation Gaussian). Everything here is a float64 function of the arguments, from the suite's own routes:

* ``first_q``: layer 1's q^1 = mean over the inputs of (sigma_w^1)^2 ||x||^2 / n_0 + (sigma_b^1)^2 (the data sets it;
  numeric.experiments.propagation.first_layer);
* ``layer_prediction``: q^{l+1} = (sigma_w^{l+1})^2 E[phi(sqrt(q^l) z)^2] + (sigma_b^{l+1})^2 and
  chi^l = (sigma_w^{l+1})^2 E[phi'(sqrt(q^l) z)^2], one layer at a time by
  numeric.experiments.meanfield.depth_prediction (so that a layer's own sigma_w, sigma_b enter); the per-example RMS
  of delta^l is then sqrt(chi^l) times that of delta^{l+1} (E||delta^l||^2 = chi^l E||delta^{l+1}||^2);
* ``correlation_prediction``: the correlation map (numeric.experiments.correlation.pair_map) for pairs of inputs,
  from their exact layer-1 covariance;
* ``fixed_point``: q*, chi_1, c*, chi_c, xi_c = -1/ln chi_c and xi_grad = -1/ln chi_1 at one (sigma_w, sigma_b)
  (correlation.depth_scales_curve; cached per activation, sigma_w, sigma_b);
* ``edge_sigma_w``, ``edge_sigma_b``: the edge of chaos chi_1 = 1 at the other parameter held (bisection of the same
  float64 curve, meanfield.chi_1_curve), or None where there is none;
* ``phase``: ordered (chi_1 < 1 - EDGE_TOLERANCE), chaotic (chi_1 > 1 + EDGE_TOLERANCE) or at the edge.

Where the variance map has no finite fixed point (ReLU-like activations with chi_1 >= 1 and sigma_b > 0: q^l grows
without bound), ``fixed_point`` says so (``bounded`` False) and gives chi_1 in the limit q -> infinity.
"""

from __future__ import annotations

from functools import lru_cache

import mpmath
import numpy as np

from . import correlation as C
from . import meanfield as mf
from . import propagation as P

__all__ = ["EDGE_TOLERANCE", "first_q", "layer_prediction", "correlation_prediction",
           "fixed_point", "edge_sigma_w", "edge_sigma_b", "phase", "bulk"]

EDGE_TOLERANCE = 0.01  # |chi_1 - 1| at most this: "at the edge" (a 50-layer network then changes by at most 1.28x)
_HUGE_Q = 1e12  # "q -> infinity" for chi_1 where the variance grows without bound
_SEARCH = (0.01, 50.0)  # where the edges are looked for (sigma_w; sigma_b from 0)


def first_q(x, sigma_w: float, sigma_b: float) -> float:
    """Returns q^1 = mean over the rows x of sigma_w^2 ||x||^2 / n_0 + sigma_b^2 (layer 1's variance, exact)."""
    return float(np.mean(P.first_layer(x, x, sigma_w, sigma_b)[0]))


def layer_prediction(activation: str, sigma_w, sigma_b, q1: float) -> dict:
    """Returns {"q": [q^1..q^H], "chi": [chi^1..chi^{H-1}], "factor": [sqrt(chi^l)], "first_over_last",
    "last_over_first"} for a network whose weight matrices have ``sigma_w``, ``sigma_b`` (H + 1 each, read-out last).

    factor^l = sqrt(chi^l) is the predicted RMS ||delta^l|| / RMS ||delta^{l+1}|| (per example); first_over_last =
    prod_l sqrt(chi^l) = RMS ||delta^1|| / RMS ||delta^H||, last_over_first its inverse
    (meanfield.depth_prediction's).
    """
    sigma_w, sigma_b = [float(v) for v in sigma_w], [float(v) for v in sigma_b]
    if len(sigma_w) != len(sigma_b) or len(sigma_w) < 2:
        raise ValueError(f"sigma_w and sigma_b need one value per weight matrix (at least 2), got {len(sigma_w)} "
                         f"and {len(sigma_b)}")
    q, chi = [float(q1)], []
    with np.errstate(over="ignore", invalid="ignore"):
        for l in range(1, len(sigma_w) - 1):  # W^{l+1} (index l) carries q^l to q^{l+1}, delta^{l+1} back to delta^l
            step = mf.depth_prediction(activation, sigma_w[l], sigma_b[l], q[-1], 2)
            q.append(step["q"][1])
            chi.append(step["chi"][0])
    factor = [float(np.sqrt(c)) for c in chi]
    first_over_last = float(np.prod(factor))
    return {"q": q, "chi": chi, "factor": factor, "first_over_last": first_over_last,
            "last_over_first": float(1 / first_over_last) if first_over_last > 0 else float("inf")}


def correlation_prediction(activation: str, sigma_w, sigma_b, xa, xb) -> list[float]:
    """Returns the mean over the pairs (xa[i], xb[i]) of the predicted correlation c^l of their pre-activations,
    hidden layers l = 1..H: c^1 exact from the inputs, then the correlation map with each layer's sigma_w, sigma_b
    (q_ab^{l+1} = sigma_w^2 E[phi(u_a) phi(u_b)] + sigma_b^2 at the pair's own q_a, q_b and c = q_ab/sqrt(q_a q_b))."""
    qa, qb, qab = P.first_layer(xa, xb, float(sigma_w[0]), float(sigma_b[0]))
    out = [float(np.mean(qab / np.sqrt(qa * qb)))]
    with np.errstate(over="ignore", invalid="ignore"):
        for l in range(1, len(sigma_w) - 1):
            qa, qb, qab = C.pair_map(activation, qa, qb, qab, float(sigma_w[l]), float(sigma_b[l]))
            out.append(float(np.mean(qab / np.sqrt(qa * qb))))
    return out


@lru_cache(maxsize=1024)
def fixed_point(activation: str, sigma_w: float, sigma_b: float) -> dict:
    """Returns {"q_star", "chi_1", "c_star", "chi_c", "xi_c", "xi_grad", "bounded"} at (sigma_w, sigma_b), floats.

    From correlation.depth_scales_curve (its q* and chi_1 are meanfield.chi_1_curve's). ``bounded`` False: the
    variance map has no finite fixed point; q_star is then inf, chi_1 its limit as q -> infinity, and c*, chi_c, xi_c
    are NaN (no fixed point to take them at). Cached: the screen, the verdict and the edges ask for the same points.
    """
    sigma_w, sigma_b = float(sigma_w), float(sigma_b)
    with np.errstate(all="ignore"):
        s = {k: float(v[0]) for k, v in C.depth_scales_curve(activation, [sigma_w**2], sigma_b**2).items()}
        if np.isfinite(s["q_star"]) and np.isfinite(s["chi_1"]):
            return s | {"bounded": True}
    with mpmath.workdps(15):  # quadrature split at 0: exact for the kink of ReLU-like phi' (the grid's is not)
        chi = float(mf.chi_1(activation, _HUGE_Q, sigma_w))
    nan = float("nan")
    return {"q_star": float("inf"), "chi_1": chi, "c_star": nan, "chi_c": nan, "xi_c": nan,
            "xi_grad": float(-1 / np.log(chi)) if chi != 1 else float("inf"), "bounded": False}


def _chi_minus_one(activation: str, sigma_w: float, sigma_b: float) -> float:
    return fixed_point(activation, sigma_w, sigma_b)["chi_1"] - 1


def _bisect(f, lo: float, hi: float) -> float:
    """Returns the root of f on [lo, hi] (f(lo) < 0 <= f(hi)) to a relative 1e-11."""
    while hi - lo > 1e-11 * hi:
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if f(mid) < 0 else (lo, mid)
    return (lo + hi) / 2


def _scan(f, grid) -> float | None:
    """Returns the root of f between the first two grid points where it turns from < 0 to >= 0, or None (f is
    evaluated in order and no further: points beyond the edge can be slow, their variance map diverging)."""
    previous = None
    for v in grid:
        fv = f(v)
        if previous is not None and previous[1] < 0 <= fv:
            return _bisect(f, previous[0], v)
        previous = (v, fv)
    return None


@lru_cache(maxsize=256)
def edge_sigma_w(activation: str, sigma_b: float) -> float | None:
    """Returns the sigma_w with chi_1(q*) = 1 at this sigma_b (bisection of meanfield.chi_1_curve, as
    meanfield.critical_sigma_w), or None when chi_1 - 1 keeps its sign for sigma_w in [0.01, 50].

    At sigma_b = 0 the variance map creeps to q* = 0 near the edge and the float route's 1000 iterations leave q* a
    little above it: the edge is then found to about three digits (tanh: 1.003 for sigma_w = 1)."""
    return _scan(lambda sw: _chi_minus_one(activation, sw, sigma_b), list(np.geomspace(*_SEARCH, 30)))


@lru_cache(maxsize=256)
def edge_sigma_b(activation: str, sigma_w: float) -> float | None:
    """Returns the sigma_b with chi_1(q*) = 1 at this sigma_w, or None where chi_1 - 1 keeps its sign for sigma_b in
    [0, 50] (ReLU: chi_1 = sigma_w^2/2 whatever sigma_b; tanh with sigma_w < 1: ordered at every sigma_b)."""
    f = lambda sb: -_chi_minus_one(activation, sigma_w, sb)  # noqa: E731  (chi_1 falls as sigma_b grows)
    grid = [0.0] + list(np.geomspace(1e-3, _SEARCH[1], 30))
    return _scan(f, grid)


def phase(chi_1: float, tolerance: float = EDGE_TOLERANCE) -> str:
    """Returns "ordered" (chi_1 < 1 - tolerance: gradients vanish, inputs' correlations go to 1), "chaotic"
    (chi_1 > 1 + tolerance: gradients explode, correlations fall to c* < 1) or "edge" (|chi_1 - 1| <= tolerance)."""
    if not np.isfinite(chi_1):
        raise ValueError(f"chi_1 must be finite to name a phase, got {chi_1}")
    return "ordered" if chi_1 < 1 - tolerance else "chaotic" if chi_1 > 1 + tolerance else "edge"


def bulk(values) -> float:
    """Returns the value of the hidden-to-hidden matrices W^2..W^H (their median; W^1 and the read-out only start
    and end the signal), or W^2 for a network of one hidden layer: where q* and chi_1 are taken."""
    values = [float(v) for v in values]
    inner = values[1:-1] or values[1:2]
    return float(np.median(inner))
