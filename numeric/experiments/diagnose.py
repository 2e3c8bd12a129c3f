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
* ``edge_sigma_w``, ``edge_sigma_b``: the edge of chaos chi_1 = 1 at the other parameter held (a bracketed root of
  the same float64 curve, meanfield.chi_1_curve, to a relative 1e-11), or None where there is none;
* ``phase``: ordered (chi_1 < 1 - EDGE_TOLERANCE), chaotic (chi_1 > 1 + EDGE_TOLERANCE) or at the edge.

Where the variance map has no finite fixed point (ReLU-like activations with chi_1 >= 1: q^l grows without bound, or
at sigma_b = 0 on the edge keeps any q), ``fixed_point`` says so (``bounded`` False) and gives chi_1 in the limit
q -> infinity (mpmath's quadrature, exact at the kink). The float route's grid puts ReLU's chi^l about 0.1 % low per
layer (the step of phi' at 0 on a grid point; meanfield.depth_prediction says so), which adds up over many layers.
"""

from __future__ import annotations

from functools import lru_cache

import mpmath
import numpy as np

from . import correlation, propagation
from . import meanfield as mf

__all__ = ["EDGE_TOLERANCE", "first_q", "layer_prediction", "correlation_prediction",
           "fixed_point", "edge_sigma_w", "edge_sigma_b", "phase", "bulk"]

EDGE_TOLERANCE = 0.01  # |chi_1 - 1| at most this: "at the edge" (a 50-layer network then changes by at most 1.28x)
_HUGE_Q = 1e12  # "q -> infinity" for chi_1 where the variance grows without bound
_SEARCH = (0.001, 50.0)  # where the edge in sigma_w is looked for (sigma_b: from 0 to 50)


def first_q(x, sigma_w: float, sigma_b: float) -> float:
    """Returns q^1 = mean over the rows x of sigma_w^2 ||x||^2 / n_0 + sigma_b^2 (layer 1's variance, exact)."""
    return float(np.mean(propagation.first_layer(x, x, sigma_w, sigma_b)[0]))


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
    qa, qb, qab = propagation.first_layer(xa, xb, float(sigma_w[0]), float(sigma_b[0]))
    out = [float(np.mean(qab / np.sqrt(qa * qb)))]
    with np.errstate(over="ignore", invalid="ignore"):
        for l in range(1, len(sigma_w) - 1):
            qa, qb, qab = correlation.pair_map(activation, qa, qb, qab, float(sigma_w[l]), float(sigma_b[l]))
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
        # the map expands at q -> infinity (sigma_w^2 E[phi^2]/q > 1; E[phi^2]/q never grows with q for the table's
        # activations): no finite fixed point, and the float route would iterate 1000 times to overflow
        expands = mf.depth_prediction(activation, sigma_w, sigma_b, _HUGE_Q, 2)["q"][1] > _HUGE_Q * (1 + 1e-9)
        if not expands:
            curve = correlation.depth_scales_curve(activation, [sigma_w**2], sigma_b**2)
            s = {k: float(v[0]) for k, v in curve.items()}
            if np.isfinite(s["q_star"]) and np.isfinite(s["chi_1"]):
                return s | {"bounded": True}
    with mpmath.workdps(15):  # quadrature split at 0: exact for the kink of ReLU-like phi' (the grid's is not)
        chi = float(mf.chi_1(activation, _HUGE_Q, sigma_w))
    nan = float("nan")
    return {"q_star": float("inf"), "chi_1": chi, "c_star": nan, "chi_c": nan, "xi_c": nan,
            "xi_grad": float(-1 / np.log(chi)) if chi != 1 else float("inf"), "bounded": False}


def _chi_minus_one(activation: str, sigma_w: float, sigma_b: float) -> float:
    return fixed_point(activation, sigma_w, sigma_b)["chi_1"] - 1


def _bracket(f, start: float, low: float, high: float, step: float = 1.5):
    """Returns ((a, f(a)), (b, f(b))) with f(a) < 0 <= f(b) for an increasing f, found from ``start`` by factors of
    ``step`` within [low, high] (low = 0 is tried last, exactly), or None where f keeps its sign there."""
    a, fa = start, f(start)
    b, fb = a, fa
    if fa < 0:
        while fb < 0:
            a, fa, b = b, fb, b * step
            if b > high:
                return None
            fb = f(b)
        return (a, fa), (b, fb)
    while fa >= 0:
        b, fb, a = a, fa, a / step
        if a < max(low, 1e-3):
            if low > 0 or b == 0:
                return None
            a = 0.0
        fa = f(a)
    return (a, fa), (b, fb)


def _root(f, start: float, low: float, high: float, rtol: float = 1e-11) -> float | None:
    """Returns the root of an increasing f near ``start`` in [low, high], or None where there is none: the Illinois
    method (superlinear where f is smooth: each evaluation may iterate the variance map 1000 times), with a bisection
    whenever two steps fail to halve the bracket, and only bisections after three such (where f jumps: ReLU-like
    chi_1 at the border of a finite q*)."""
    found = _bracket(f, start, low, high)
    if found is None:
        return None
    (a, fa), (b, fb) = found
    side, c, widths, stalls = 0, b, [b - a, b - a], 0
    for _ in range(200):
        stalled = b - a > widths[-2] / 2  # the last two steps did not halve the bracket
        stalls += stalled
        widths.append(b - a)
        c = (a + b) / 2 if stalled or stalls >= 3 else (a * fb - b * fa) / (fb - fa)
        fc = f(c)
        if fc < 0:
            a, fa = c, fc
            fb, side = (fb / 2, -1) if side == -1 else (fb, -1)
        else:
            b, fb = c, fc
            fa, side = (fa / 2, 1) if side == 1 else (fa, 1)
        if fc == 0 or b - a <= rtol * b:
            break
    return float(c)


@lru_cache(maxsize=256)
def edge_sigma_w(activation: str, sigma_b: float, start: float = 1.0) -> float | None:
    """Returns the sigma_w with chi_1(q*) = 1 at this sigma_b (the root of meanfield.chi_1_curve's chi_1 - 1, as
    meanfield.critical_sigma_w finds it, to a relative 1e-11; searched from ``start``), or None when chi_1 - 1
    keeps its sign for sigma_w in [0.001, 50].

    At sigma_b = 0 the variance map creeps to q* = 0 near the edge and the float route's 1000 iterations leave q* a
    little above it: the edge is then found to about three digits."""
    return _root(lambda sw: _chi_minus_one(activation, sw, sigma_b), float(start), *_SEARCH)


@lru_cache(maxsize=256)
def edge_sigma_b(activation: str, sigma_w: float, start: float = 0.5) -> float | None:
    """Returns the sigma_b with chi_1(q*) = 1 at this sigma_w, or None where chi_1 - 1 keeps its sign for sigma_b in
    [0, 50] (ReLU: chi_1 = sigma_w^2/2 whatever sigma_b; tanh with sigma_w < 1: ordered at every sigma_b)."""
    return _root(lambda sb: -_chi_minus_one(activation, sigma_w, sb), max(float(start), 0.1), 0.0, _SEARCH[1])


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
