"""The bridge from the recurrent theory's exact expressions to NumPy (``sympy.lambdify``), in one place.

* ``rnn_product``: the proved product Sigma'(z_T) W ... Sigma'(z_{k+1}) W (theory.recurrent_matrix, here on
  matrix symbols of a concrete width) as a NumPy function; ``bptt_against_product`` compares it with a
  network's backpropagation through time: dC/dh_k = (dh_T/dh_k)^T dC/dh_T.
* ``lstm_paths``: theory.lstm's cell path f_t and dh_t/dc_t = o_t tanh'(c_t) as NumPy functions;
  ``bptt_against_paths`` checks that the LSTM's dC/dc_{t-1} is f_t dC/dc_t + o_{t-1} tanh'(c_{t-1}) dC/dh_{t-1}.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import sympy as sp

from theory.lstm import lstm_cell

__all__ = ["rnn_product", "bptt_against_product", "lstm_paths", "bptt_against_paths"]


@lru_cache(maxsize=32)
def rnn_product(n: int, steps: int):
    """Returns f(sigma_primes (steps, n) in time order t = k+1..T, W (n, n)) -> dh_T/dh_k (n, n), lambdified from
    the product of matrix symbols Sigma'_T W ... Sigma'_{k+1} W."""
    W = sp.MatrixSymbol("W", n, n)
    S = [sp.MatrixSymbol(f"S{t}", n, n) for t in range(steps)]
    factors = []
    for St in reversed(S):
        factors += [St, W]
    fn = sp.lambdify([S, W], sp.MatMul(*factors), modules="numpy", docstring_limit=0)  # no docstring: 100x faster
    return lambda sps, w: np.asarray(fn([np.diag(s) for s in sps], w))


def bptt_against_product(net, cache: dict, dh: np.ndarray, phi_prime, replica: int, example: int) -> float:
    """Returns max_k ||dh[k] - (dh_T/dh_k)^T dh[T]|| / ||dh[k]|| for one replica and example of an RNN: BPTT
    against the lambdified product, every k = 0..T-1."""
    T = dh.shape[0] - 1
    W = net.W[replica]
    sps = [phi_prime(cache["hs"][t][replica, example]) for t in range(1, T + 1)]  # phi'(z_t) from h_t
    worst = 0.0
    for k in range(T):
        P = rnn_product(W.shape[0], T - k)(sps[k:], W)
        want = P.T @ dh[T][replica, example]
        got = dh[k][replica, example]
        worst = max(worst, float(np.linalg.norm(got - want) / max(np.linalg.norm(got), 1e-300)))
    return worst


@lru_cache(maxsize=1)
def lstm_paths():
    """Returns (f(f_t) -> dc_t/dc_{t-1}, f(o_t, c_t) -> dh_t/dc_t): SymPy's derivatives of theory.lstm's cell
    update and output, with the gates as plain symbols, lambdified."""
    F, I, O, G, c_prev, c = sp.symbols("f_t i_t o_t g_t c_prev c_t", real=True)
    cell, _ = lstm_cell(c_prev, {"i": I, "f": F, "o": O, "g": G})
    _, h = lstm_cell(c, {"i": sp.Integer(0), "f": sp.Integer(1), "o": O, "g": sp.Integer(0)})  # h_t = o_t tanh(c_t)
    return (
        sp.lambdify([F], sp.diff(cell, c_prev), modules="numpy", docstring_limit=0),
        sp.lambdify([O, c], sp.diff(h, c), modules="numpy", docstring_limit=0),
    )


def bptt_against_paths(cache: dict, grads: dict) -> float:
    """Returns max over steps of |dc[t-1] - (f_t dc[t] + o_{t-1} tanh'(c_{t-1}) dh[t-1])| / max |dc[t-1]| for an
    LSTM's backward pass (all replicas and examples): the total derivative through the two paths the theory
    derives, each coefficient evaluated from SymPy's derivative. The cache's gates are (T + 1, R, 5n, B), rows o, i,
    f, g, c (numeric.networks.lstm); dc, dh, c are (T + 1, R, B, n)."""
    cell_path, out_path = lstm_paths()
    gates_ = cache["gates"]
    n = gates_.shape[2] // 5
    dc, dh, cs = grads["dc"], grads["dh"], cache["c"]
    worst = 0.0
    for t in range(len(cache["active"]), 1, -1):
        f, o_prev = gates_[t - 1, :, 2 * n : 3 * n].swapaxes(-1, -2), gates_[t - 2, :, :n].swapaxes(-1, -2)
        want = np.broadcast_to(cell_path(f), f.shape) * dc[t] + out_path(o_prev, cs[t - 1]) * dh[t - 1]
        scale = max(float(np.max(np.abs(dc[t - 1]))), 1e-300)
        worst = max(worst, float(np.max(np.abs(dc[t - 1] - want))) / scale)
    return worst
