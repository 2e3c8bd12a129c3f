"""The recurrent network in matrix form, h_t = sigma(W h_{t-1} + U x_t + b), with the widths as symbols:

    dh_T/dh_k = Sigma'(z_T) W Sigma'(z_{T-1}) W ... Sigma'(z_{k+1}) W        (every T > k, every n, m)

proved as eq. (124) is (``theory.widths``): the layer equation in components with ``IndexedBase``, ``Idx``
ranges 1..n (hidden) and 1..m (input) and ``Sum``; SymPy differentiates it, ``Sum.doit()`` removes the
Kronecker delta and ``reduce`` drops each range condition only after checking that the index ranges
imply it.

* ``one_step``: dh_t/dh_{t-1} entry (p, r) = sigma'(z^t_p) W_{pr}, i.e. Sigma'(z_t) W (the base, T = k + 1);
* ``induction_step``: if dh_T/dh_k = Pi (any n x n matrix) then, by the chain rule through h_T and SymPy's
  derivative of the layer equation, dh_{T+1}/dh_k entry (p, r) = sum_q sigma'(z^{T+1}_p) W_{pq} Pi_{qr};
* ``matrix_entry``: entry (p, r) of the matrix product DiagMatrix(s) W Pi (matrix symbols of shape n x n)
  computed by SymPy, shifted to 1-based indices, to compare with the component form;
* ``product_explicit``: the product for concrete widths with explicit matrices of symbols (supporting).
"""

from __future__ import annotations

import sympy as sp

from .eq124_widths import _to_indexed
from .indexed import Index, reduce
from .layered import Sigma_prime
from .notation import check_positive_int, sigma, sigma_prime

__all__ = [
    "symbols",
    "one_step",
    "induction_step",
    "matrix_entry",
    "statement",
    "explicit_network",
    "product_explicit",
    "state_explicit",
]


def symbols() -> dict:
    """Returns the width symbols n, m, the indices p, r, q (1..n), i (1..m) and the indexed objects."""
    n, m = sp.symbols("n m", integer=True, positive=True)
    out = {
        "n": n,
        "m": m,
        "p": Index("p", (1, n)),
        "r": Index("r", (1, n)),
        "q": Index("q", (1, n)),
        "j": Index("j", (1, n)),
        "i": Index("i", (1, m)),
    }
    for name in ("W", "U", "b", "x^{t}", "z", r"\Pi"):
        out[name] = sp.IndexedBase(name, real=True)
    return out


def _z(S: dict, row, h):
    """z_row = sum_j W_{row j} h_j + sum_i U_{row i} x_i + b_row (``h`` an IndexedBase: the previous state)."""
    return (
        sp.Sum(S["W"][row, S["j"]] * h[S["j"]], (S["j"], 1, S["n"]))
        + sp.Sum(S["U"][row, S["i"]] * S["x^{t}"][S["i"]], (S["i"], 1, S["m"]))
        + S["b"][row]
    )


def _named(S: dict, expr, h):
    return expr.xreplace({_z(S, S["p"], h): S["z"][S["p"]]})


def one_step(layer=None) -> dict:
    """Returns {"derived", "claimed", "rewrites"}: dh^t_p/dh^{t-1}_r by SymPy, and sigma'(z^t_p) W_{pr}.

    ``layer(S, row, h)`` is h^t_row, sigma(z_row) by default (tests feed wrong ones).
    """
    S = symbols()
    h = sp.IndexedBase("h^{t-1}", real=True)
    layer = layer or (lambda S, row, h: sigma(_z(S, row, h)))
    derived, rewrites = reduce(sp.diff(layer(S, S["p"], h), h[S["r"]]), (S["p"], S["r"], S["j"]))
    return {
        "derived": _named(S, derived, h),
        "claimed": sigma_prime(S["z"][S["p"]]) * S["W"][S["p"], S["r"]],
        "rewrites": rewrites,
    }


def induction_step(layer=None) -> dict:
    """Returns {"derived", "claimed", "rewrites"} for dh^{T+1}_p/dh^k_r = sum_q (dh^{T+1}_p/dh^T_q) Pi_{qr}.

    The chain rule through h^T_1..h^T_n is the one fact used (h^T an abstract function of h^k with Jacobian
    Pi, the hypothesis); SymPy differentiates the layer equation in h^T_q. ``claimed`` is entry (p, r) of
    Sigma'(z_{T+1}) W Pi, computed from the matrix symbols by ``matrix_entry``.
    """
    S = symbols()
    h = sp.IndexedBase("h^{T}", real=True)
    layer = layer or (lambda S, row, h: sigma(_z(S, row, h)))
    local, rewrites = reduce(sp.diff(layer(S, S["p"], h), h[S["q"]]), (S["p"], S["q"], S["j"]))
    chained = sp.Sum(_named(S, local, h) * S[r"\Pi"][S["q"], S["r"]], (S["q"], 1, S["n"]))
    return {"derived": chained, "claimed": matrix_entry(S), "rewrites": rewrites}


def matrix_entry(S: dict | None = None):
    """Returns entry (p, r) of DiagMatrix(s) W Pi (n x n matrix symbols, s_p = sigma'(z_p)) in 1-based components,
    its summation index named q: sum_q sigma'(z_p) W_{pq} Pi_{qr}."""
    S = S or symbols()
    n = S["n"]
    s, W, Pi = sp.MatrixSymbol("s", n, 1), sp.MatrixSymbol("W", n, n), sp.MatrixSymbol(r"\Pi", n, n)
    names = {s: lambda r, c: sigma_prime(S["z"][r]), W: lambda r, c: S["W"][r, c], Pi: lambda r, c: S[r"\Pi"][r, c]}
    p0, r0 = Index("p_0", (0, n - 1)), Index("r_0", (0, n - 1))
    entry, _ = reduce((sp.DiagMatrix(s) * W * Pi)[p0, r0], (p0, r0))
    out = _to_indexed(entry, names, {p0: S["p"] - 1, r0: S["r"] - 1})
    return out.replace(
        lambda e: isinstance(e, sp.Sum),
        lambda e: sp.Sum(e.function.xreplace({e.limits[0][0]: S["q"]}), (S["q"], e.limits[0][1], e.limits[0][2])),
    )


def statement():
    """Returns Eq(dh_T/dh_k, Sigma'(z_T) W ... Sigma'(z_{k+1}) W) on n x n matrix symbols (the middle elided)."""
    n = sp.Symbol("n", integer=True, positive=True)
    W = sp.MatrixSymbol("W", n, n)
    factors = [
        sp.MatrixSymbol(r"\Sigma'(z_{T})", n, n),
        W,
        sp.MatrixSymbol(r"\cdots", n, n),
        sp.MatrixSymbol(r"\Sigma'(z_{k+1})", n, n),
        W,
    ]
    return sp.Eq(
        sp.MatrixSymbol(r"\frac{\partial h_{T}}{\partial h_{k}}", n, n),
        sp.MatMul(*factors, evaluate=False),
        evaluate=False,
    )


def explicit_network(n: int, m: int, steps: int) -> dict:
    """Returns explicit matrices of symbols: W (n x n), U (n x m), b, h_k, x_{k+1..T}, z_{k+1..T}, for ``steps``
    = T - k."""
    n, m = check_positive_int("n", n, maximum=8), check_positive_int("m", m, maximum=8)
    steps = check_positive_int("steps", steps, maximum=8, why="explicit symbolic Jacobians grow fast")

    def mat(name, rows, cols=1):
        return sp.Matrix(
            rows,
            cols,
            lambda a, c: sp.Symbol(f"{name}_{{{a + 1}{c + 1}}}" if cols > 1 else f"{name}_{{{a + 1}}}", real=True),
        )

    return {
        "W": mat("W", n, n),
        "U": mat("U", n, m),
        "b": mat("b", n),
        "h": mat("h^{k}", n),
        "x": [mat(f"x^{{{t}}}", m) for t in range(1, steps + 1)],
        "z": [mat(f"z^{{{t}}}", n) for t in range(1, steps + 1)],
    }


def state_explicit(net: dict) -> tuple[list, sp.Matrix]:
    """Returns ([z_{k+1}, ..., z_T] as nested expressions of h_k, h_T) for ``explicit_network``."""
    h, zs = net["h"], []
    for x in net["x"]:
        z = net["W"] * h + net["U"] * x + net["b"]
        zs.append(z)
        h = z.applyfunc(sigma)
    return zs, h


def product_explicit(net: dict) -> sp.Matrix:
    """Returns Sigma'(z_T) W ... Sigma'(z_{k+1}) W with explicit matrices, in z symbols."""
    out = sp.eye(net["W"].shape[0])
    for z in net["z"]:
        out = Sigma_prime(z) * net["W"] * out
    return out
