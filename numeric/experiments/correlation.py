"""The correlation map of mean field, its fixed point c*, slope chi_c and the depth scales (Schoenholz et al. 2017).

Two inputs with pre-activation variances q_a, q_b and covariance q_ab move from layer to layer by

    q_ab  ->  sigma_w^2 E[phi(u_a) phi(u_b)] + sigma_b^2,     u_a = sqrt(q_a) z_1,
              u_b = sqrt(q_b) (c z_1 + sqrt(1 - c^2) z_2),     c = q_ab / sqrt(q_a q_b),

(q_a and q_b by numeric.experiments.meanfield's length map). At q_a = q_b = q* the correlation c = q_ab/q* follows
c -> (sigma_w^2 E[phi(u_1) phi(u_2)] + sigma_b^2)/q* (their eq. 4); its stable fixed point c* is 1 in the ordered
phase (chi_1 < 1) and below 1 in the chaotic one; its slope there is chi_c = sigma_w^2 E[phi'(u_1) phi'(u_2)]
(their eq. 9), and the depth scales are xi_c = -1/ln chi_c and xi_grad = -1/ln chi_1 (their eqs. 10, 16; xi_grad
is negative where gradients explode). The edge of chaos chi_1 = 1 at the critical sigma_w^2 solves
q = E[phi(sqrt(q) z)^2]/E[phi'(sqrt(q) z)^2] + sigma_b^2 (theory.correlation), then sigma_w^2 = 1/E[phi'^2].

Two routes, as experiments.meanfield: mpmath at a stated precision (one-dimensional integrals by ``mpmath.quad`` at
the suite's digits; the pair integrals by a trapezoid rule whose step is set from the working precision and the
integrand's strip of analyticity, for tanh and the sigmoid), and float64 (trapezoid sums on grids) for curves and
simulations; the claims check one against the other.
"""

from __future__ import annotations

import mpmath
import numpy as np

from . import meanfield as mf

__all__ = ["critical_sigma_w2", "gauss", "q_star", "pair_expectation", "c_map", "depth_scales", "pair_map",
           "correlation_curve",
           "depth_scales_curve"]

_ANALYTIC = {"tanh": 1, "sigmoid": 2}  # pole distance of phi(x) from the real axis, in units of pi/2
_ODD = {"tanh"}  # phi odd (phi' even): the pair integrands are even under (z_1, z_2) -> (-z_1, -z_2)


def critical_sigma_w2(activation: str, sigma_b2, *, dps: int = 30) -> dict:
    """Returns {"sigma_w2", "q", "residual"} at the edge of chaos chi_1 = 1, to ``dps`` digits.

    Solves q = E[phi(sqrt(q) z)^2] / E[phi'(sqrt(q) z)^2] + sigma_b^2 (mpmath.findroot; trapezoid expectations),
    then sigma_w^2 = 1 / E[phi'(sqrt(q) z)^2]. ``residual`` is the larger of |chi_1 - 1| and |q_map(q) - q|/q
    recomputed by the other route, numeric.experiments.meanfield's mpmath.quad.
    """
    _check(activation)
    phi, dphi = mf.ACTIVATIONS[activation].mp
    with mpmath.workdps(dps + 10):
        sb2 = mpmath.mpf(sigma_b2)
        sw = mf.critical_sigma_w(activation, float(mpmath.sqrt(sb2)), bracket=(0.5, 20.0))  # the float route's edge
        q0 = mf.chi_1_curve(activation, [sw], float(mpmath.sqrt(sb2)))[0][0]
        a = lambda v: gauss(lambda x: phi(x) ** 2, v, activation, dps)  # noqa: E731
        b = lambda v: gauss(lambda x: dphi(x) ** 2, v, activation, dps)  # noqa: E731
        qc = mpmath.findroot(lambda v: a(v) / b(v) + sb2 - v, mpmath.mpf(q0))
        s2 = 1 / b(qc)
        residual = max(abs(mf.chi_1(activation, qc, mpmath.sqrt(s2)) - 1),
                       abs(mf.q_map(activation, qc, mpmath.sqrt(s2), mpmath.sqrt(sb2)) - qc) / qc)
        return {"sigma_w2": +s2, "q": +qc, "residual": +residual}


def _check(activation: str) -> None:
    if activation not in _ANALYTIC:
        raise ValueError(f"activation must be an analytic one of {sorted(_ANALYTIC)}, got {activation!r}")


def gauss(f, q, activation: str, dps: int) -> mpmath.mpf:
    """Returns E[f(sqrt(q) z)], z ~ N(0, 1), to about ``dps`` digits for f built from ``activation`` (trapezoid)."""
    with mpmath.workdps(dps + 5):
        s = mpmath.sqrt(mpmath.mpf(q))
        zs, ws = _nodes(q, dps, _ANALYTIC[activation])
        return mpmath.fsum(f(s * z) * w for z, w in zip(zs, ws))


def q_star(activation: str, sigma_w, sigma_b, *, dps: int = 20) -> mpmath.mpf:
    """Returns q* = sigma_w^2 E[phi(sqrt(q*) z)^2] + sigma_b^2 (findroot from the float route's q*; trapezoid)."""
    _check(activation)
    phi = mf.ACTIVATIONS[activation].mp[0]
    with mpmath.workdps(dps + 5):
        sw2, sb2 = mpmath.mpf(sigma_w) ** 2, mpmath.mpf(sigma_b) ** 2
        q0 = mf.chi_1_curve(activation, [float(sigma_w)], float(sigma_b))[0][0]
        return +mpmath.findroot(lambda v: sw2 * gauss(lambda x: phi(x) ** 2, v, activation, dps) + sb2 - v,
                                mpmath.mpf(q0))


def _nodes(q, dps: int, pole: int):
    """Returns trapezoid nodes and Gaussian weights on [-Z, Z] for integrands analytic in |Im z| < d_pole.

    The rule's error is about exp(d^2/2 - 2 pi d / h) for any strip half-width d below the poles (the Gaussian
    grows as exp(d^2/2) there); with d = min(0.9 d_pole, 3) the step h = 2 pi d / (D + d^2/2), D = (dps + 3) ln 10,
    makes it about 10^-(dps+3), and Z covers the Gaussian's tail to the same size.
    """
    d = min(mpmath.mpf(9) / 10 * pole * mpmath.pi / (2 * mpmath.sqrt(q)), 3)
    digits = (dps + 3) * mpmath.log(10)
    h = 2 * mpmath.pi * d / (digits + d * d / 2)
    n = int(mpmath.ceil(mpmath.sqrt(2 * digits) / h))
    zs = [k * h for k in range(-n, n + 1)]
    norm = h / mpmath.sqrt(2 * mpmath.pi)
    return zs, [mpmath.exp(-z * z / 2) * norm for z in zs]


def pair_expectation(activation: str, q, c, *, derivative: bool = False, dps: int = 20) -> mpmath.mpf:
    """Returns E[f(u_1) f(u_2)], f = phi (or phi' with ``derivative``), over the pair of variance q and
    correlation c, to about ``dps`` digits (a two-dimensional trapezoid rule; tanh and the sigmoid only)."""
    _check(activation)
    f = mf.ACTIVATIONS[activation].mp[1 if derivative else 0]
    with mpmath.workdps(dps + 5):
        q, c = mpmath.mpf(q), mpmath.mpf(c)
        if not -1 <= c <= 1:
            raise ValueError(f"a correlation c must lie in [-1, 1], got {c}")
        s, r = mpmath.sqrt(q), mpmath.sqrt(1 - c * c)
        zs, ws = _nodes(q, dps, _ANALYTIC[activation])
        total = mpmath.mpf(0)
        half = activation in _ODD  # f(u_1) f(u_2) is even under (z_1, z_2) -> (-z_1, -z_2): sum z_1 >= 0 only
        for z, w in zip(zs, ws):
            if half and z < 0:
                continue
            m = s * c * z
            term = f(s * z) * w * mpmath.fsum(f(m + s * r * y) * v for y, v in zip(zs, ws))
            total += 2 * term if half and z > 0 else term
        return +total


def c_map(activation: str, c, sigma_w, sigma_b, q_star, *, dps: int = 20) -> mpmath.mpf:
    """Returns (sigma_w^2 E[phi(u_1) phi(u_2)] + sigma_b^2) / q*: the next layer's correlation (their eq. 4)."""
    with mpmath.workdps(dps + 5):
        e = pair_expectation(activation, q_star, c, dps=dps)
        return (mpmath.mpf(sigma_w) ** 2 * e + mpmath.mpf(sigma_b) ** 2) / mpmath.mpf(q_star)


def depth_scales(activation: str, sigma_w, sigma_b, *, dps: int = 20, c0=None, newton: int = 1) -> dict:
    """Returns {"q_star", "chi_1", "c_star", "chi_c", "xi_c", "xi_grad"} in mpmath at ``dps`` digits.

    Ordered phase (chi_1 < 1): c* = 1 and chi_c = chi_1 (one-dimensional integrals only). Chaotic phase: c* < 1
    by Newton's method on c_map(c) - c (slope chi_c - 1), started from ``c0`` or the float route's c*.
    """
    with mpmath.workdps(dps + 5):
        sw2 = mpmath.mpf(sigma_w) ** 2
        q = q_star(activation, sigma_w, sigma_b, dps=dps)
        chi1 = sw2 * gauss(lambda x: mf.ACTIVATIONS[activation].mp[1](x) ** 2, q, activation, dps)
        if chi1 < 1:
            cs, chic = mpmath.mpf(1), chi1
        else:
            if c0 is None:
                c0 = depth_scales_curve(activation, [float(sigma_w) ** 2], float(sigma_b) ** 2)["c_star"][0]
            cs = mpmath.mpf(c0)
            for _ in range(newton):  # quadratic convergence: one step from the float route's ~1e-13 reaches 1e-20
                chic = sw2 * pair_expectation(activation, q, cs, derivative=True, dps=dps)
                cs -= (c_map(activation, cs, sigma_w, sigma_b, q, dps=dps) - cs) / (chic - 1)
            chic = sw2 * pair_expectation(activation, q, cs, derivative=True, dps=dps)
        return {"q_star": q, "chi_1": chi1, "c_star": cs, "chi_c": chic, "xi_c": -1 / mpmath.log(chic),
                "xi_grad": -1 / mpmath.log(chi1)}


# -- float64 route: curves, finite-depth predictions --------------------------------------------------
_Z = np.linspace(-9, 9, 121)  # h = 0.15: spectrally accurate (~1e-17) for tanh and the sigmoid at q up to ~5
_W = np.exp(-_Z**2 / 2) / np.sqrt(2 * np.pi) * (_Z[1] - _Z[0])
_Z1, _Z2 = np.meshgrid(_Z, _Z, indexing="ij")
_W2 = np.outer(_W, _W)


def _pair(f, qa, qb, c):
    """Returns E[f(u_a) f(u_b)] in float64 for variances qa, qb and correlation c (arrays broadcast)."""
    qa, qb, c = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (qa, qb, c)))
    fa = f(np.sqrt(qa)[..., None] * _Z)  # u_a depends on z_1 only
    ub = np.sqrt(qb)[..., None, None] * (c[..., None, None] * _Z1
                                         + np.sqrt(np.clip(1 - c * c, 0, None))[..., None, None] * _Z2)
    return np.einsum("...i,...ij,ij->...", fa, f(ub), _W2)


def pair_map(activation: str, qa, qb, qab, sigma_w, sigma_b):
    """Returns (q_a', q_b', q_ab') one layer up: the length map for each input and the covariance map for the pair."""
    phi = mf.ACTIVATIONS[activation].phi
    sw2, sb2 = float(sigma_w) ** 2, float(sigma_b) ** 2
    c = np.clip(np.asarray(qab) / np.sqrt(np.asarray(qa) * np.asarray(qb)), -1, 1)
    one = lambda v: sw2 * (phi(np.sqrt(np.asarray(v, dtype=float))[..., None] * _Z) ** 2 @ _W) + sb2  # noqa: E731
    return one(qa), one(qb), sw2 * _pair(phi, qa, qb, c) + sb2


def correlation_curve(activation: str, qa, qb, qab, sigma_w, sigma_b, depth: int) -> np.ndarray:
    """Returns c^1..c^depth (depth, ...) from layer 1's (q_a, q_b, q_ab) (arrays: one pair per entry), by pair_map."""
    out = [np.asarray(qab) / np.sqrt(np.asarray(qa) * np.asarray(qb))]
    for _ in range(depth - 1):
        qa, qb, qab = pair_map(activation, qa, qb, qab, sigma_w, sigma_b)
        out.append(qab / np.sqrt(qa * qb))
    return np.array(out)


def depth_scales_curve(activation: str, sigma_w2s, sigma_b2) -> dict:
    """Returns {"q_star", "chi_1", "c_star", "chi_c", "xi_c", "xi_grad"} as float64 arrays over ``sigma_w2s``.

    c* < 1 by bisection (46 halvings) of c_map(c) - c on [0, 1 - 1e-12] where chi_1 > 1 (the map lies above the diagonal
    at 0 by sigma_b^2 > 0 and crosses it once below 1); c* = 1 and chi_c = chi_1 where chi_1 <= 1.
    """
    s2 = np.asarray(sigma_w2s, dtype=float)
    sb2 = float(sigma_b2)
    q, chi1 = mf.chi_1_curve(activation, np.sqrt(s2), np.sqrt(sb2))
    phi, dphi = mf.ACTIVATIONS[activation].phi, mf.ACTIVATIONS[activation].prime
    cs, chic = np.ones_like(s2), chi1.copy()
    k = np.flatnonzero(chi1 > 1)
    if k.size:  # bisection of every chaotic point at once
        lo, hi = np.zeros(k.size), np.full(k.size, 1 - 1e-12)
        for _ in range(46):
            mid = (lo + hi) / 2
            above = (s2[k] * _pair(phi, q[k], q[k], mid) + sb2) / q[k] > mid
            lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
        cs[k] = (lo + hi) / 2
        chic[k] = s2[k] * _pair(dphi, q[k], q[k], cs[k])
    with np.errstate(divide="ignore"):
        return {"q_star": q, "chi_1": chi1, "c_star": cs, "chi_c": chic, "xi_c": -1 / np.log(chic),
                "xi_grad": -1 / np.log(chi1)}
