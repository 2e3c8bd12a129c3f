"""An LSTM with a forget gate (Hochreiter and Schmidhuber 1997; Gers, Schmidhuber and Cummins 2000), with
backpropagation through time, batched over replicas and examples as ``numeric.networks.rnn`` is.

Returns nothing by itself: ``init_lstm``, ``lstm_forward``, ``lstm_backward``. One step, gates stacked in
the order i, f, o, g (a_t = W_x x_t + W_h h_{t-1} + b, shape 4n):

    i_t = sigma(a_i), f_t = sigma(a_f), o_t = sigma(a_o), g_t = tanh(a_g),
    c_t = f_t * c_{t-1} + i_t * g_t,    h_t = o_t * tanh(c_t),    h_0 = c_0 = 0.

Backward: dC/dc_{t-1} = f_t * dC/dc_t (the cell's own path, theory.lstm's diag(f_t); the constant error
carousel when f = 1) plus, through h_{t-1}, the gates' paths. Shapes: W_x (R, 4n, m), W_h (R, 4n, n),
b (R, 4n), V (R, K, n), c (R, K). The read-out and cost are ``numeric.networks.rnn``'s.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..validate import check_positive
from .rnn import _check_inputs, softmax_xent

__all__ = ["LSTM", "init_lstm", "lstm_forward", "lstm_backward", "cell_back"]


@dataclass
class LSTM:
    """The parameters of R LSTMs stacked (see the module's shapes)."""

    Wx: np.ndarray
    Wh: np.ndarray
    b: np.ndarray
    V: np.ndarray
    c: np.ndarray

    def arrays(self) -> dict:
        return {"Wx": self.Wx, "Wh": self.Wh, "b": self.b, "V": self.V, "c": self.c}


def init_lstm(
    n_in: int, n_hidden: int, n_out: int, rngs, *, forget_bias: float = 1.0, chrono: int | None = None
) -> LSTM:
    """Returns R = len(rngs) LSTMs: weights N(0, 1/fan-in), biases 0 except the forget gate's, ``forget_bias``.

    A positive forget bias starts f_t near sigma(forget_bias) (0.73 for 1, Jozefowicz, Zaremba and
    Sutskever 2015; Gers et al. 2000 start it positive too). With ``chrono`` = T_max, the chrono
    initialisation of Tallec and Ollivier (2018) instead: b_f = ln u, u ~ U(1, T_max - 1), and b_i = -b_f, so
    the units start with memory times spread over 1..T_max and their input gates mostly shut.
    """
    for name, v in (("n_in", n_in), ("n_hidden", n_hidden), ("n_out", n_out)):
        check_positive(name, v, integer=True)
    rngs = list(rngs)
    if not rngs:
        raise ValueError("rngs must hold at least one numpy Generator (one per replica)")
    n = n_hidden
    draws = [
        (
            g.normal(0, 1 / np.sqrt(n_in), (4 * n, n_in)),
            g.normal(0, 1 / np.sqrt(n), (4 * n, n)),
            g.normal(0, 1 / np.sqrt(n), (n_out, n)),
            np.log(g.uniform(1, chrono - 1, n)) if chrono else np.full(n, float(forget_bias)),
        )
        for g in rngs
    ]
    Wx, Wh, V, bf = (np.stack([d[i] for d in draws]) for i in range(4))
    b = np.zeros((len(rngs), 4 * n))
    b[:, n : 2 * n] = bf
    if chrono:
        b[:, :n] = -bf
    return LSTM(Wx, Wh, b, V, np.zeros((len(rngs), n_out)))


def lstm_forward(net: LSTM, x) -> dict:
    """Returns the cache {"x", "gates": (T, R, B, 4n) after their activations, "cs", "hs": (T + 1, R, B, n),
    "logits": (R, B, K)}; cs[0] = hs[0] = 0."""
    x = _check_inputs(net.Wx, x)
    R, B, T, _ = x.shape
    n = net.Wh.shape[2]
    dtype = net.Wh.dtype
    inputs = np.matmul(x, net.Wx[:, None].swapaxes(-1, -2)) + net.b[:, None, None, :]  # (R, B, T, 4n)
    scale = np.concatenate([np.full(3 * n, 0.5), np.ones(n)]).astype(dtype)  # sigma(a) = (1 + tanh(a/2)) / 2
    inputs *= scale
    WhT = net.Wh.swapaxes(-1, -2) * scale
    hs, cs, tcs = (np.zeros((T + 1, R, B, n), dtype) for _ in range(3))
    gates = np.empty((T, R, B, 4 * n), dtype)
    for t in range(T):
        gate = gates[t]
        np.tanh(np.matmul(hs[t], WhT) + inputs[:, :, t], out=gate)  # one call for all four gates
        gate[..., : 3 * n] *= 0.5
        gate[..., : 3 * n] += 0.5
        cs[t + 1] = gate[..., n : 2 * n] * cs[t] + gate[..., :n] * gate[..., 3 * n :]
        np.tanh(cs[t + 1], out=tcs[t + 1])
        hs[t + 1] = gate[..., 2 * n : 3 * n] * tcs[t + 1]
    logits = np.matmul(hs[T], net.V.swapaxes(-1, -2)) + net.c[:, None, :]
    return {"x": x, "gates": gates, "cs": cs, "tcs": tcs, "hs": hs, "logits": logits}


def cell_back(dc: np.ndarray, f: np.ndarray) -> np.ndarray:
    """Returns the cell's own path dC/dc_{t-1} = f_t * dC/dc_t (diag(f_t) applied to a row vector)."""
    return dc * f


def lstm_backward(net: LSTM, cache: dict, y) -> dict:
    """Returns {"grads", "cost": (R,), "dh": (T + 1, R, B, n), "dc": (T + 1, R, B, n)}.

    ``dh[t]`` and ``dc[t]`` are each example's dC_x/dh_t and total dC_x/dc_t (t = 0..T).
    """
    gates, cs, tcs, hs, x = cache["gates"], cache["cs"], cache["tcs"], cache["hs"], cache["x"]
    T, R, B, n4 = gates.shape
    n = n4 // 4
    cost, dlogits = softmax_xent(cache["logits"], y)
    dh, dc = np.empty_like(hs), np.zeros_like(cs)
    dh[T] = np.matmul(dlogits, net.V)
    das = np.empty_like(gates)
    carry = np.zeros_like(cs[0])  # dC/dc_t through c_{t+1}
    for t in range(T, 0, -1):
        gate, da, tc = gates[t - 1], das[t - 1], tcs[t]
        i, f, o, g = gate[..., :n], gate[..., n : 2 * n], gate[..., 2 * n : 3 * n], gate[..., 3 * n :]
        dc[t] = carry + dh[t] * o * (1 - tc * tc)
        da[..., :n] = dc[t] * g
        da[..., n : 2 * n] = dc[t] * cs[t - 1]
        da[..., 2 * n : 3 * n] = dh[t] * tc
        da[..., : 3 * n] *= gate[..., : 3 * n] * (1 - gate[..., : 3 * n])  # sigma' = sigma (1 - sigma)
        da[..., 3 * n :] = dc[t] * i * (1 - g * g)
        carry = cell_back(dc[t], f)
        dh[t - 1] = np.matmul(da, net.Wh)
    dc[0] = carry
    da_all = das.transpose(1, 2, 0, 3).reshape(R, B * T, n4)
    grads = {
        "Wx": np.matmul(da_all.swapaxes(-1, -2), x.reshape(R, B * T, -1)) / B,
        "Wh": np.matmul(da_all.swapaxes(-1, -2), hs[:-1].transpose(1, 2, 0, 3).reshape(R, B * T, n)) / B,
        "b": da_all.sum(axis=1) / B,
        "V": np.matmul(dlogits.swapaxes(-1, -2), hs[T]) / B,
        "c": dlogits.sum(axis=1) / B,
    }
    return {"grads": grads, "cost": cost.mean(axis=1), "dh": dh, "dc": dc, "per_example_cost": cost}
