"""High-precision numbers of the interval-width bound (Nielsen ch. 5, eq. 123), with mpmath.

W = |w|. For W >= 4 the inputs a with |w sigma'(wa + b)| >= 1 form one interval of width
(2/W) ln(W(1 + sqrt(1 - 4/W))/2 - 1) = (1 - r^2) artanh(r), r = sqrt(1 - 4/W) (proved in
``theory.bounds``). The width's slope in r, 1 - 2 r artanh(r), is strictly decreasing, so the
maximum sits at its one root r*, where 2 r* artanh(r*) = 1:
|w|* = 4/(1 - r*^2) and width* = (1 - r*^2) artanh(r*) = (1 - r*^2)/(2 r*).

``maximum`` finds r* with ``mpmath.findroot``; ``certify`` encloses it with interval
arithmetic (``mpmath.iv``): the slope's whole range over [0, r_lo] is > 0 and over
[r_hi, 1 - 10^-30] is < 0, so the width rises before the enclosure and falls after it.
"""

from __future__ import annotations

from contextlib import contextmanager

import mpmath

__all__ = ["check_dps", "width", "interval", "width_in_r", "slope", "maximum", "certify", "identity_errors"]

MIN_DPS, MAX_DPS = 15, 10000


def check_dps(dps) -> int:
    """Returns ``dps`` if it is an integer precision in 15..10000 decimal digits, else raises."""
    if isinstance(dps, bool) or not isinstance(dps, int):
        raise TypeError(f"dps must be an integer number of decimal digits, got {dps!r}")
    if not MIN_DPS <= dps <= MAX_DPS:
        raise ValueError(f"dps must be between {MIN_DPS} and {MAX_DPS} decimal digits, got {dps}")
    return dps


def _abs_w(w) -> mpmath.mpf:
    W = abs(mpmath.mpf(w))
    if not mpmath.isfinite(W):
        raise ValueError(f"w must be a finite number, got {w!r}")
    if W < 4:
        raise ValueError(f"|w| = {mpmath.nstr(W, 8)} < 4: |w sigma'(wa + b)| <= |w|/4 < 1 for every a, "
                         "so the set is empty and has no width (see interval(), which returns None)")
    return W


def width(w, *, dps: int = 50) -> mpmath.mpf:
    """Returns eq. (123) at |w| (any sign of w, |w| >= 4) to ``dps`` digits."""
    with mpmath.workdps(check_dps(dps) + 10):
        W = _abs_w(w)
        return 2 / W * mpmath.log(W * (1 + mpmath.sqrt(1 - 4 / W)) / 2 - 1)


def interval(w, b, *, dps: int = 50):
    """Returns (a_lo, a_hi), the inputs with |w sigma'(wa + b)| >= 1, or None when |w| < 4 (empty).

    sigma'(x) >= 1/|w| iff |x| <= ln((1 + r)/(1 - r)), x = wa + b, r = sqrt(1 - 4/|w|).
    """
    with mpmath.workdps(check_dps(dps) + 10):
        w, b = mpmath.mpf(w), mpmath.mpf(b)
        if not (mpmath.isfinite(w) and mpmath.isfinite(b)):
            raise ValueError(f"w and b must be finite numbers, got w = {w}, b = {b}")
        if w == 0 or abs(w) < 4:
            return None
        r = mpmath.sqrt(1 - 4 / abs(w))
        x = mpmath.log((1 + r) / (1 - r))
        ends = sorted([(-x - b) / w, (x - b) / w])
    return ends[0], ends[1]


def width_in_r(r):
    """Returns (1 - r^2) artanh(r) in the current precision (mpf or mpmath.iv interval)."""
    ctx = mpmath.iv if isinstance(r, mpmath.iv.mpf) else mpmath.mp
    return (1 - r * r) * (ctx.log(1 + r) - ctx.log(1 - r)) / 2


def slope(r):
    """Returns d width / dr = 1 - 2 r artanh(r) (mpf or interval)."""
    ctx = mpmath.iv if isinstance(r, mpmath.iv.mpf) else mpmath.mp
    return 1 - r * (ctx.log(1 + r) - ctx.log(1 - r))


def maximum(*, dps: int = 50) -> dict:
    """Returns {r, abs_w, width} at the maximum of the width, as mpf carrying ``dps`` + 10 digits.

    (mpf values keep their own precision: print them with ``mpmath.nstr(value, digits)``.)
    """
    with mpmath.workdps(check_dps(dps) + 10):
        r = mpmath.findroot(slope, mpmath.mpf("0.65"))
        return {"r": r, "abs_w": 4 / (1 - r * r), "width": width_in_r(r)}


def certify(*, dps: int = 50, radius_digits: int | None = None) -> dict:
    """Returns an interval-arithmetic certificate for the maximum.

    Keys: ``r_enclosure`` [r_lo, r_hi] around the findroot value (half-width 10^-(dps-5) unless
    ``radius_digits`` says otherwise); ``slope_before`` (the range of the slope over [0, r_lo]) and
    ``slope_after`` (over [r_hi, 1 - 1e-30]), both intervals; ``rises_before`` / ``falls_after``
    (True when those ranges are certainly > 0 / < 0); ``abs_w_enclosure`` and
    ``width_enclosure`` (enclosures of |w|* and width*); ``certified`` (all of it holds).
    """
    dps = check_dps(dps)
    centre = maximum(dps=dps)["r"]
    iv = mpmath.iv
    with mpmath.workdps(dps + 10), _iv_precision(dps + 10):
        radius = mpmath.mpf(10) ** -(radius_digits if radius_digits is not None else dps - 5)
        r_lo, r_hi = centre - radius, centre + radius
        before = slope(iv.mpf([0, r_lo]))
        after = slope(iv.mpf([r_hi, 1 - mpmath.mpf(10) ** -30]))
        enclosure = iv.mpf([r_lo, r_hi])
        abs_w = 4 / (1 - enclosure * enclosure)
        wmax = width_in_r(enclosure)
        rises, falls = bool(before.a > 0), bool(after.b < 0)
    return {"r_enclosure": enclosure, "slope_before": before, "slope_after": after, "rises_before": rises,
            "falls_after": falls, "abs_w_enclosure": abs_w, "width_enclosure": wmax, "certified": rises and falls}


@contextmanager
def _iv_precision(dps: int):
    old = mpmath.iv.dps
    mpmath.iv.dps = dps
    try:
        yield
    finally:
        mpmath.iv.dps = old


def identity_errors(w1_values, *, points: int = 201, dps: int = 50) -> list[dict]:
    """Returns, for each w_1, the largest |error| and the largest error/bound over x in [0, 1].

    error = (4/w_1) sigma(w_1 x - w_1/2) - x - (2/w_1 - 1/2); bound = w_1^2 |x - 1/2|^3 / 12
    (``theory.identity_neuron``). Evaluated on ``points`` equally spaced x, at ``dps`` digits.
    """
    out = []
    with mpmath.workdps(check_dps(dps)):
        for w1 in w1_values:
            w1 = mpmath.mpf(w1)
            if w1 <= 0:
                raise ValueError(f"w_1 must be positive, got {w1}")
            worst, ratio = mpmath.mpf(0), mpmath.mpf(0)
            for i in range(points):
                x = mpmath.mpf(i) / (points - 1)
                d = x - mpmath.mpf(1) / 2
                err = 4 / w1 / (1 + mpmath.exp(-w1 * d)) - x - (2 / w1 - mpmath.mpf(1) / 2)
                bound = w1**2 * abs(d) ** 3 / 12
                worst = max(worst, abs(err))
                if bound:
                    ratio = max(ratio, abs(err) / bound)
            out.append({"w1": w1, "max_error": worst, "max_error_over_bound": ratio, "uniform_bound": w1**2 / 96})
    return out
