"""Seed statistics for the experiments' criteria: the median's interval, a paired permutation test, a percentile.

Distribution-free, exact, and small: the experiments have 5 to 20 seeds.

* ``median_interval``: the order-statistic confidence interval of a median, (X_(k), X_(S-k+1)) with
  the largest k whose coverage 1 - 2 P(Binomial(S, 1/2) <= k - 1) is at least ``level``;
* ``sign_flip_p``: the exact one-sided p-value of the mean of paired differences (all 2^S sign flips);
* ``percentile``: where a value falls among the seeds (ties count half).
"""

from __future__ import annotations

from itertools import product
from math import comb

import numpy as np

__all__ = ["median_interval", "sign_flip_p", "percentile", "spread_toward"]


def _values(values, name: str = "values") -> np.ndarray:
    v = np.asarray(values, dtype=float).ravel()
    if v.size == 0:
        raise ValueError(f"{name} must hold at least one value")
    return v


def median_interval(values, level: float = 0.95) -> dict:
    """Returns {"median", "lo", "hi", "coverage", "k"}: the median and its order-statistic interval.

    P(X_(k) <= median of the distribution <= X_(S-k+1)) >= 1 - 2 P(Bin(S, 1/2) <= k - 1) (any continuous
    distribution). The largest k reaching ``level`` is used; with too few values for ``level`` (S < 6 at
    0.95) the interval is [min, max] and ``coverage`` says what it reaches. A NaN value (a diverged seed)
    makes the median NaN (it sorts last), so no criterion on it can hold.
    """
    v = np.sort(_values(values))
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level!r}")
    s = v.size
    cover = lambda k: 1 - 2 * sum(comb(s, i) for i in range(k)) / 2**s  # noqa: E731
    k = 1
    while k + 1 <= (s + 1) // 2 and cover(k + 1) >= level:
        k += 1
    return {"median": float(np.median(v)), "lo": float(v[k - 1]), "hi": float(v[s - k]),
            "coverage": float(cover(k)), "k": k}


def spread_toward(values, threshold: float, level: float = 0.95) -> float:
    """Returns how far the median's interval reaches from the median toward ``threshold``: median - lo when the
    threshold lies below the median, hi - median otherwise (the seed spread a margin is compared with)."""
    ci = median_interval(values, level)
    return ci["median"] - ci["lo"] if threshold <= ci["median"] else ci["hi"] - ci["median"]


def sign_flip_p(differences) -> float:
    """Returns the exact one-sided p-value for "the mean of the paired ``differences`` is > 0".

    Under the null hypothesis each difference is as likely negative as positive: p is the fraction of
    the 2^S sign patterns whose mean is at least the observed one. With S = 5 the smallest p is 1/32.
    """
    d = _values(differences, "differences")
    if d.size > 20:
        raise ValueError(f"sign_flip_p enumerates 2^S patterns: at most 20 differences, got {d.size}")
    if not np.isfinite(d).all():
        return float("nan")
    observed = d.mean()
    means = np.array([np.dot(signs, np.abs(d)) / d.size for signs in product((1.0, -1.0), repeat=d.size)])
    return float(np.mean(means >= observed - 1e-12 * max(1.0, abs(observed))))


def percentile(value: float, values) -> float:
    """Returns the percentage of ``values`` below ``value`` (ties count half): 0 below all, 100 above all."""
    v = _values(values)
    return float(100 * (np.sum(v < value) + 0.5 * np.sum(v == value)) / v.size)
