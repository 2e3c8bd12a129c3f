"""Mean-field theory of signal and gradient propagation (Poole et al. 2016; Schoenholz et al. 2017).

For weights N(0, sigma_w^2 / n_in) and biases N(0, sigma_b^2), in the limit of wide layers the
pre-activations of one input are Gaussian with variance q, and q moves from layer to layer by

    q  ->  sigma_w^2 E[phi(sqrt(q) z)^2] + sigma_b^2,        z ~ N(0, 1),

towards a fixed point q*. A gradient travelling back through one layer at q* has its expected
squared norm multiplied by

    chi_1 = sigma_w^2 E[phi'(sqrt(q*) z)^2]:

E ||delta^l||^2 = chi_1 E ||delta^{l+1}||^2 for the **per-example** error vectors delta^l(x) of equal
or unequal widths (w^{l+1} has n_l inputs, so its variance sigma_w^2 / n_l cancels the sum over the n_l
neurons of layer l). The prediction is therefore about sqrt(mean_x ||delta^l(x)||^2), the root mean
square over examples; it says nothing directly about the norm of the gradient averaged over examples
(the book's ||dC/db^l||), whose size depends on how the examples' errors correlate. chi_1 < 1: the
gradient vanishes geometrically with depth; chi_1 > 1: it explodes; chi_1 = 1 is the edge of chaos.

Gaussian expectations are mpmath quadratures at the working precision; the fixed point is found by
iterating the map and then polishing with ``mpmath.findroot``. network2's initialisation is
sigma_w = sigma_b = 1.
"""

from __future__ import annotations

import mpmath
import numpy as np

from ..activations import ACTIVATIONS

__all__ = ["ACTIVATIONS", "ALTERNATIVE_LABELS", "gaussian_expectation", "q_map", "q_fixed_point", "chi_1", "predict",
           "alternatives",
           "per_example_rms_norms", "rms_norms", "critical_sigma_w", "chi_1_curve", "depth_prediction"]


def _check(name: str):
    """Returns (phi, phi') in mpmath from the activation's record; ValueError for an unknown name."""
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[name].mp


def gaussian_expectation(f, q) -> mpmath.mpf:
    """Returns E[f(sqrt(q) z)] for z ~ N(0, 1), by quadrature split at 0 (kinks of ReLU-like f sit there)."""
    q = mpmath.mpf(q)
    if q < 0:
        raise ValueError(f"a variance q must be >= 0, got {q}")
    s = mpmath.sqrt(q)
    density = lambda z: mpmath.exp(-z * z / 2) / mpmath.sqrt(2 * mpmath.pi)  # noqa: E731
    g = lambda z: f(s * z) * density(z)  # noqa: E731
    return mpmath.quad(g, [-mpmath.inf, 0]) + mpmath.quad(g, [0, mpmath.inf])


def q_map(activation: str, q, sigma_w, sigma_b) -> mpmath.mpf:
    """Returns sigma_w^2 E[phi(sqrt(q) z)^2] + sigma_b^2: the variance of the next layer's pre-activations."""
    phi, _ = _check(activation)
    return mpmath.mpf(sigma_w) ** 2 * gaussian_expectation(lambda x: phi(x) ** 2, q) + mpmath.mpf(sigma_b) ** 2


def q_fixed_point(activation: str, sigma_w=1, sigma_b=1, *, dps: int = 30, q0=1) -> mpmath.mpf:
    """Returns q* = q_map(q*) (the variance every layer's pre-activations settle to), to ``dps`` digits.

    Raises ValueError when the iteration does not settle (the variance grows without bound, as for
    ReLU with sigma_w^2 >= 2).
    """
    with mpmath.workdps(15):  # find the basin cheaply; the root is polished at full precision below
        q = mpmath.mpf(q0)
        for _ in range(200):
            nxt = q_map(activation, q, sigma_w, sigma_b)
            if nxt > mpmath.mpf(10) ** 6 * max(1, q0, mpmath.mpf(sigma_w) ** 2, mpmath.mpf(sigma_b) ** 2):
                raise ValueError(f"{activation}, sigma_w = {sigma_w}, sigma_b = {sigma_b}: the variance map has no "
                                 "finite fixed point (it grows without bound)")
            if abs(nxt - q) < mpmath.mpf(10) ** (-8):
                q = nxt
                break
            q = nxt
        else:
            raise ValueError(f"{activation}, sigma_w = {sigma_w}, sigma_b = {sigma_b}: the variance map did not "
                             "settle in 200 steps")
    with mpmath.workdps(dps + 10):
        q = mpmath.findroot(lambda v: q_map(activation, v, sigma_w, sigma_b) - v, q)
    return +q


def chi_1(activation: str, q, sigma_w=1) -> mpmath.mpf:
    """Returns sigma_w^2 E[phi'(sqrt(q) z)^2]: the factor on E||delta||^2 per layer, at variance q."""
    _, dphi = _check(activation)
    return mpmath.mpf(sigma_w) ** 2 * gaussian_expectation(lambda x: dphi(x) ** 2, q)


def predict(activation: str = "sigmoid", sigma_w=1, sigma_b=1, *, dps: int = 30) -> dict:
    """Returns {"q_star", "chi_1", "ratio"}: ratio = sqrt(chi_1), the predicted ||delta^l|| / ||delta^{l+1}||
    (root mean square over examples, per example's error vector) between successive hidden layers."""
    with mpmath.workdps(dps + 10):
        q = q_fixed_point(activation, sigma_w, sigma_b, dps=dps)
        c = chi_1(activation, q, sigma_w)
        return {"q_star": q, "chi_1": c, "ratio": mpmath.sqrt(c)}


# how a figure names each wrong formula of ``alternatives`` (matplotlib mathtext)
ALTERNATIVE_LABELS = {"E[phi'(sqrt(q*) z)]": r"$\sigma_w\,\mathrm{E}[\phi'(\sqrt{q^*}z)]$, the mean factor",
                      "q* = 1": r"$\sqrt{\chi_1}$ at $q = 1$, not $q^*$",
                      "sigma_b = 0": r"$\sqrt{\chi_1}$ without $\sigma_b^2$",
                      "chi_1": r"$\chi_1$, no square root"}


def alternatives(activation: str = "sigmoid", sigma_w=1, sigma_b=1, *, dps: int = 30) -> dict:
    """Returns plausible wrong predictions of the per-layer ratio, each a slip away from sqrt(chi_1):

    "E[phi'(sqrt(q*) z)]": sigma_w E[phi'] (the mean factor for the root mean square one; Jensen puts it below);
    "q* = 1": sqrt(chi_1) at q = 1 instead of the fixed point; "sigma_b = 0": sqrt(chi_1) at the fixed point
    of the variance map without the bias term; "chi_1": chi_1 itself, without the square root.
    A measurement that tells sqrt(chi_1) from the true formula must tell it from these.
    """
    dphi = _check(activation)[1]
    with mpmath.workdps(dps + 10):
        q = q_fixed_point(activation, sigma_w, sigma_b, dps=dps)
        return {"E[phi'(sqrt(q*) z)]": mpmath.mpf(sigma_w) * gaussian_expectation(dphi, q),
                "q* = 1": mpmath.sqrt(chi_1(activation, 1, sigma_w)),
                "sigma_b = 0": predict(activation, sigma_w, 0, dps=dps)["ratio"],
                "chi_1": chi_1(activation, q, sigma_w)}


def critical_sigma_w(activation: str, sigma_b=1.0, *, bracket=(0.5, 20.0)) -> float:
    """Returns the sigma_w at which chi_1(q*) = 1 (vanishing below, exploding above), to about 1e-12.

    Bisection on the float64 curve (``chi_1_curve``, checked against the quadrature); ValueError if
    chi_1 - 1 does not change sign on ``bracket``.
    """
    lo, hi = map(float, bracket)
    f = lambda sw: float(chi_1_curve(activation, [sw], sigma_b)[1][0]) - 1  # noqa: E731
    if f(lo) * f(hi) > 0:
        raise ValueError(f"{activation}: chi_1 - 1 has the same sign at sigma_w = {lo} and {hi}")
    while hi - lo > 1e-12 * hi:
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if f(lo) * f(mid) > 0 else (lo, mid)
    return (lo + hi) / 2


def per_example_rms_norms(net, x, y) -> np.ndarray:
    """Returns sqrt(mean over examples of ||delta^l(x)||^2) for each layer of ``net`` (what chi_1 predicts)."""
    return rms_norms(net.backprop(x, y).deltas)


def rms_norms(deltas) -> np.ndarray:
    """Returns sqrt(mean over the rows of ||delta^l(x)||^2) for each per-example error array (n, n_l) in ``deltas``."""
    return np.array([float(np.sqrt(np.mean(np.sum(d.astype(np.float64) ** 2, axis=1)))) for d in deltas])


# -- fast curves (float64, Gauss-Hermite) for figures; checked against the mpmath values above --------
# trapezoid sums on z in [-12, 12]: spectrally accurate for these smooth, Gaussian-damped integrands
_GRID = np.linspace(-12, 12, 8001)
_WEIGHTS = np.exp(-_GRID**2 / 2) / np.sqrt(2 * np.pi) * (_GRID[1] - _GRID[0])


def depth_prediction(activation: str, sigma_w: float, sigma_b: float, q1: float, hidden: int) -> dict:
    """Mean field at finite depth: from the first hidden layer's variance q1 (set by the input and the first
    weights), q^{l+1} = sigma_w^2 E[phi(sqrt(q^l) z)^2] + sigma_b^2 and chi^l = sigma_w^2 E[phi'(sqrt(q^l) z)^2].

    Returns {"q": [q^1..q^H], "chi": [chi^1..chi^{H-1}], "last_over_first": prod 1/sqrt(chi^l)}: the predicted
    ||delta^H|| / ||delta^1|| of the per-example error vectors (E||delta^l||^2 = chi^l E||delta^{l+1}||^2).
    Trapezoid sums in float64 (kinks at 0 cost ReLU-like activations a few digits; a prediction needs two).
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    phi, dphi = ACTIVATIONS[activation].phi, ACTIVATIONS[activation].prime
    qs = [float(q1)]
    for _ in range(hidden - 1):
        qs.append(sigma_w**2 * float(phi(np.sqrt(qs[-1]) * _GRID) ** 2 @ _WEIGHTS) + sigma_b**2)
    chi = [sigma_w**2 * float(dphi(np.sqrt(q) * _GRID) ** 2 @ _WEIGHTS) for q in qs[:-1]]
    return {"q": qs, "chi": chi, "last_over_first": float(np.prod([1 / np.sqrt(c) for c in chi]))}


def chi_1_curve(activation: str, sigma_ws, sigma_b=1.0) -> tuple[np.ndarray, np.ndarray]:
    """Returns (q*, chi_1) for each sigma_w, in float64 (a figure's resolution; the claim checks it against mpmath).

    Expectations are trapezoid sums on z in [-12, 12] (spectrally accurate for these smooth, Gaussian-damped
    integrands); the fixed point by iterating the variance map until it moves less than 1e-13.
    ReLU uses its exact E[relu(sqrt(q) z)^2] = q/2 and E[relu'^2] = 1/2 (q* = sigma_b^2 / (1 - sigma_w^2 / 2),
    inf from sigma_w^2 >= 2).
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    sw = np.asarray(sigma_ws, dtype=float)
    if activation == "relu":
        with np.errstate(divide="ignore"):
            q = np.where(sw**2 < 2, sigma_b**2 / (1 - sw**2 / 2), np.inf)
        return q, sw**2 / 2
    z, wts = _GRID, _WEIGHTS
    phi, dphi = ACTIVATIONS[activation].phi, ACTIVATIONS[activation].prime
    q = np.ones_like(sw)
    for _ in range(1000):  # the map contracts for these activations
        new = sw**2 * (phi(np.sqrt(q)[:, None] * z) ** 2 @ wts) + sigma_b**2
        done = np.max(np.abs(new - q) / new) < 1e-13
        q = new
        if done:
            break
    return q, sw**2 * (dphi(np.sqrt(q)[:, None] * z) ** 2 @ wts)
