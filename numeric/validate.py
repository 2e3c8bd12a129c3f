"""Argument checks shared by the numeric code: each raises a ValueError/TypeError naming the
argument and what was expected, before NumPy can fail somewhere deep inside."""

from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = ["check_sizes", "check_positive", "as_inputs", "as_targets", "make_rng"]


def check_sizes(sizes) -> list[int]:
    """Returns ``sizes`` as a list of ints: at least 2 layers, every width a positive integer."""
    try:
        sizes = list(sizes)
    except TypeError:
        raise TypeError(f"sizes must be a list of layer widths such as [784, 30, 10], got {sizes!r}") from None
    if len(sizes) < 2:
        raise ValueError(f"sizes needs at least 2 layers (input and output), got {sizes}")
    for i, s in enumerate(sizes):
        if isinstance(s, bool) or not isinstance(s, numbers.Integral):
            raise TypeError(f"sizes[{i}] must be an integer width, got {s!r}")
        if s < 1:
            raise ValueError(f"sizes[{i}] must be a positive width, got {s}")
    return [int(s) for s in sizes]


def check_positive(name: str, value, *, allow_zero: bool = False, integer: bool = False):
    """Returns ``value`` if it is a finite number > 0 (>= 0 with ``allow_zero``), else raises."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    if integer and not float(value).is_integer():
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be finite and {bound}, got {value!r}")
    return value


def _finite_array(name: str, arr) -> np.ndarray:
    arr = np.asarray(arr)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        bad = "NaN" if np.isnan(arr).any() else "inf"
        raise ValueError(f"{name} contains {bad} values")
    return arr


def as_inputs(x, width: int) -> np.ndarray:
    """Returns inputs as a float (n, width) array; a single (width,) vector becomes one row."""
    x = _finite_array("x", x)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2 or x.shape[1] != width:
        raise ValueError(f"x must have shape (n, {width}) (one example per row), got {x.shape}")
    if x.shape[0] == 0:
        raise ValueError("x holds no examples")
    return x if x.dtype.kind == "f" else x.astype(np.float64)


def as_targets(y, n: int, width: int) -> np.ndarray:
    """Returns targets as a float (n, width) array: one-hot rows, or integer labels made one-hot."""
    y = _finite_array("y", y)
    if y.dtype.kind == "b":
        raise TypeError("y must hold integer labels or one-hot rows, not booleans")
    if y.ndim == 1 and y.dtype.kind in "iu":
        if y.shape[0] != n:
            raise ValueError(f"y has {y.shape[0]} labels for {n} examples")
        if y.size and (y.min() < 0 or y.max() >= width):
            raise ValueError(f"integer labels must be in 0..{width - 1}, got {y.min()}..{y.max()}")
        out = np.zeros((n, width))
        out[np.arange(n), y] = 1.0
        return out
    if y.ndim == 1 and n == 1 and y.shape[0] == width:
        y = y[None, :]  # the target of a single example given as a vector
    elif y.ndim == 1 and width == 1:
        y = y[:, None]
    if y.shape != (n, width):
        raise ValueError(f"y must be {n} integer labels or have shape ({n}, {width}), got {y.shape}")
    return y


def make_rng(rng) -> np.random.Generator:
    """Returns a Generator: ``rng`` itself, one drawing from a ``numpy.random.SeedSequence`` (a spawned child),
    or one seeded by an int s (numpy's ``default_rng(s)``, the stream of ``SeedSequence(s)``); None means seed 0."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng)
    if rng is None:
        return np.random.default_rng(0)
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be a numpy.random.Generator, a SeedSequence or an integer seed, got {rng!r}")
