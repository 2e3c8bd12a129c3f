"""The arithmetic a protocol needs: its matrix products, counted from the protocol (not from a run).

A product is a dict ``{"m", "k", "n", "batch", "dtype", "count"}``: ``count`` times, ``batch`` stacked replicas of an
(m x k) @ (k x n) product, 2 m k n FLOPs each. ``benchmarks/limit.py`` divides each by this machine's measured rate
for that shape and dtype (the arithmetic limit) and compares with the part's measured CPU seconds. What is counted:
the forward pass, the backward pass **without the first layer's input gradient** (nothing uses it), and the
evaluation passes; elementwise work (phi, phi', the updates) is not, so the limit is a lower bound a kernel can
approach but not reach. A protocol's inputs are counted at their full width (784 pixels) even where the kernel
leaves the always-zero pixels out (which is exact): the saving is the kernel's, not the arithmetic's.
"""

from __future__ import annotations

__all__ = ["product", "dense", "flops", "merge"]


def product(m: int, k: int, n: int, batch: int, dtype, count: int) -> dict:
    """Returns one product entry (see the module docstring)."""
    return {"m": int(m), "k": int(k), "n": int(n), "batch": int(batch), "dtype": str(dtype), "count": int(count)}


def dense(sizes, m: int, batch: int, dtype, count: int, *, backward: bool = True, input_gradient: bool = False,
          weight_gradient: bool = True) -> list[dict]:
    """Returns the products of ``count`` passes of m examples through ``batch`` stacked networks of layer widths
    ``sizes``: per layer the forward product (m x n_l) @ (n_l x n_{l+1}); with ``backward``, the weight gradient
    (n_l x m) @ (m x n_{l+1}) (unless ``weight_gradient`` is False: a measurement of the errors only) and, for every
    layer but the first (or every layer with ``input_gradient``), dC/da (m x n_{l+1}) @ (n_{l+1} x n_l)."""
    out = []
    for l, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        out.append(product(m, a, b, batch, dtype, count))
        if backward:
            if weight_gradient:
                out.append(product(a, m, b, batch, dtype, count))
            if l > 0 or input_gradient:
                out.append(product(m, b, a, batch, dtype, count))
    return out


def flops(products) -> int:
    """Returns the FLOPs of a list of products: sum of 2 m k n x batch x count."""
    return sum(2 * p["m"] * p["k"] * p["n"] * p["batch"] * p["count"] for p in products)


def merge(products) -> list[dict]:
    """Returns the products with equal shapes (m, k, n, batch, dtype) merged into one entry (counts added)."""
    out = {}
    for p in products:
        key = (p["m"], p["k"], p["n"], p["batch"], p["dtype"])
        if key in out:
            out[key]["count"] += p["count"]
        else:
            out[key] = dict(p)
    return list(out.values())
