"""An LSTM with a forget gate (Hochreiter and Schmidhuber 1997; Gers, Schmidhuber and Cummins 2000), with
backpropagation through time, stacked over replicas and sequence lengths as ``numeric.networks.rnn`` is.

Returns nothing by itself: ``init_lstm``, ``lstm_forward``, ``lstm_backward``. One step, gates in the order o, i, f, g
(a_t = W_x x_t + W_h h_{t-1} + b, shape 4n):

    o_t = sigma(a_o), i_t = sigma(a_i), f_t = sigma(a_f), g_t = tanh(a_g),
    c_t = f_t * c_{t-1} + i_t * g_t,    h_t = o_t * tanh(c_t),    h_0 = c_0 = 0.

Backward: dC/dc_{t-1} = f_t * dC/dc_t (the cell's own path, theory.lstm's diag(f_t); the constant error carousel when
f = 1) plus, through h_{t-1}, the gates' paths. Parameters: one array ``flat`` (R, P) with views W_x (R, 4n, m),
W_h (R, 4n, n), b (R, 4n), V (R, K, n), c (R, K); [W_h | W_x | b] is one (4n, n + m + 1) block. Buffers are time-major
and feature-major (``recurrent_stack``): X[t] = [h_t; x_{t+1}; 1] and the gates (o; i; f; g; c_t) (R, 5n, B), each a
contiguous (n, B) block, so one product per step gives all four gates' pre-activations, inputs and biases included;
a step is nine calls forward and nine backward for every replica (the sigmoid gates through tanh, sigma(a) = 1/2 +
tanh(a/2)/2, all four in one call). The read-out and cost are ``recurrent_stack``'s.
"""

from __future__ import annotations

import numpy as np

from ..validate import check_positive
from .recurrent_stack import Scratch, groups, readout, readout_back, softmax_xent
from .rnn import prepare

__all__ = ["GATES", "LSTM", "init_lstm", "lstm_forward", "lstm_backward", "cell_back"]

GATES = ("o", "i", "f", "g")
_HALF = np.array([0.5, 0.5, 0.5, 1.0])  # the pre-activation's scale per gate: sigma(a) = 1/2 + tanh(a/2)/2


class LSTM:
    """The parameters of R LSTMs in one array ``flat`` (R, P); ``Wx, Wh, b, V, c`` are its views."""

    def __init__(self, Wx, Wh, b, V, c):
        Wx, Wh, V = (np.asarray(a) for a in (Wx, Wh, V))
        R, n, m, K = Wh.shape[0], Wh.shape[2], Wx.shape[2], V.shape[1]
        self.shape = (n, m, K)
        self.flat = np.empty((R, 4 * n * (n + m + 1) + K * (n + 1)), np.result_type(Wx, Wh, b, V, c))
        for name, value in zip(("Wx", "Wh", "b", "V", "c"), (Wx, Wh, b, V, c)):
            getattr(self, name)[...] = value

    @classmethod
    def from_flat(cls, flat: np.ndarray, shape: tuple) -> LSTM:
        net = cls.__new__(cls)
        net.flat, net.shape = flat, tuple(shape)
        return net

    def views(self, flat: np.ndarray) -> dict:
        """Returns Wx, Wh, b, V, c as views of ``flat`` (the parameters', or a gradient's in the same layout)."""
        n, m, K = self.shape
        R, cut = flat.shape[0], 4 * n * (n + m + 1)
        Wa, Va = flat[:, :cut].reshape(R, 4 * n, n + m + 1), flat[:, cut:].reshape(R, K, n + 1)
        return {"Wx": Wa[..., n : n + m], "Wh": Wa[..., :n], "b": Wa[..., n + m], "V": Va[..., :n], "c": Va[..., n]}

    Wx = property(lambda self: self.views(self.flat)["Wx"])
    Wh = property(lambda self: self.views(self.flat)["Wh"])
    b = property(lambda self: self.views(self.flat)["b"])
    V = property(lambda self: self.views(self.flat)["V"])
    c = property(lambda self: self.views(self.flat)["c"])

    def arrays(self) -> dict:
        return self.views(self.flat)

    def select(self, rows, dtype=None) -> LSTM:
        return LSTM.from_flat(np.array(self.flat[rows], dtype=dtype or self.flat.dtype), self.shape)

    def gate(self, name: str, array: np.ndarray) -> np.ndarray:
        """Returns gate ``name``'s rows (o, i, f, g) of a (..., 4n, ...) array along axis 1."""
        n = self.shape[0]
        k = GATES.index(name)
        return array[:, k * n : (k + 1) * n]


def init_lstm(n_in: int, n_hidden: int, n_out: int, rngs, *, forget_bias: float = 1.0, chrono: int | None = None
              ) -> LSTM:
    """Returns R = len(rngs) LSTMs: weights N(0, 1/fan-in), biases 0 except the forget gate's, ``forget_bias``.

    A positive forget bias starts f_t near sigma(forget_bias) (0.73 for 1, Jozefowicz, Zaremba and Sutskever 2015;
    Gers et al. 2000 start it positive too). With ``chrono`` = T_max, the chrono initialisation of Tallec and Ollivier
    (2018) instead: b_f = ln u, u ~ U(1, T_max - 1), and b_i = -b_f, so the units start with memory times spread over
    1..T_max and their input gates mostly shut. The draws' order: W_x, W_h, V, then u.
    """
    for name, v in (("n_in", n_in), ("n_hidden", n_hidden), ("n_out", n_out)):
        check_positive(name, v, integer=True)
    rngs = list(rngs)
    if not rngs:
        raise ValueError("rngs must hold at least one numpy Generator (one per replica)")
    n = n_hidden
    draws = [(g.normal(0, 1 / np.sqrt(n_in), (4 * n, n_in)), g.normal(0, 1 / np.sqrt(n), (4 * n, n)),
              g.normal(0, 1 / np.sqrt(n), (n_out, n)),
              np.log(g.uniform(1, chrono - 1, n)) if chrono else np.full(n, float(forget_bias))) for g in rngs]
    Wx, Wh, V, bf = (np.stack([d[i] for d in draws]) for i in range(4))
    net = LSTM(Wx, Wh, np.zeros((len(rngs), 4 * n)), V, np.zeros((len(rngs), n_out)))
    net.gate("f", net.b)[...] = bf
    if chrono:
        net.gate("i", net.b)[...] = -bf
    return net


def _scaled(net: LSTM) -> np.ndarray:
    """Returns [W_h | W_x | b] (R, 4n, n + m + 1) with the sigmoid gates' rows halved (sigma through tanh)."""
    n, m, _ = net.shape
    R = net.flat.shape[0]
    Wa = net.flat[:, : 4 * n * (n + m + 1)].reshape(R, 4, n, n + m + 1) * _HALF.astype(net.flat.dtype)[:, None, None]
    return Wa.reshape(R, 4 * n, n + m + 1)


def lstm_forward(net: LSTM, x=None, lengths=None, *, xa=None, codes=None, scratch=None, keep: bool = True) -> dict:
    """Returns the cache {"inputs", "lengths", "X": [h_t; x_{t+1}; 1] (T + 1, R, n + m + 1, B), "gates":
    (T + 1, R, 5n, B) holding o, i, f, g of step t + 1 and c_t at index t, "tcs": tanh(c_t), "hs", "c" (T + 1, R,
    B, n), "hT", "logits"}; c_0 = h_0 = 0. Without ``keep`` (evaluation) the buffers hold two steps."""
    n, m, R, inputs, lengths, active, scratch = prepare(net, x, lengths, xa, codes, scratch)
    T, B = inputs.T, inputs.B
    Wf = _scaled(net)
    dtype, slots = net.flat.dtype, T + 1 if keep else 2
    X, G, TC = (scratch.buf(k, s, dtype) for k, s in (("X", (slots, R, n + m + 1, B)), ("G", (slots, R, 5 * n, B)),
                                                        ("TC", (slots, R, n, B))))
    P = scratch.buf("P", (R, 2 * n, B), dtype)
    if keep:
        inputs.fill(X, n, lengths)
    X[0, :, :n] = 0.0
    G[0, :, 4 * n :] = 0.0
    for t, a in enumerate(active):
        now, nxt = (t, t + 1) if keep else (t % 2, (t + 1) % 2)
        if not keep:
            inputs.fill_step(X[now], t, a, n)
        ga = G[now, :a, : 4 * n]
        np.matmul(Wf[:a], X[now, :a], out=ga)  # every gate's pre-activation, inputs and bias included
        np.tanh(ga, out=ga)
        sig = G[now, :a, : 3 * n]
        sig *= 0.5
        sig += 0.5
        np.multiply(G[now, :a, n : 3 * n], G[now, :a, 3 * n :], out=P[:a])  # i g, f c_{t-1}
        c = G[nxt, :a, 4 * n :]
        np.add(P[:a, :n], P[:a, n:], out=c)
        np.tanh(c, out=TC[nxt, :a])
        np.multiply(G[now, :a, :n], TC[nxt, :a], out=X[nxt, :a, :n])
    hT = X[lengths if keep else lengths % 2, np.arange(R), :n]
    cache = {"inputs": inputs, "lengths": lengths, "active": active, "X": X, "gates": G, "tcs": TC, "hT": hT,
             "logits": readout(net.V, net.c, hT)}
    if keep:
        cache |= {"hs": X[:, :, :n].swapaxes(-1, -2), "c": G[:, :, 4 * n :].swapaxes(-1, -2)}
    return cache


def cell_back(dc: np.ndarray, f: np.ndarray, out=None) -> np.ndarray:
    """Returns the cell's own path dC/dc_{t-1} = f_t * dC/dc_t (diag(f_t) applied to the error)."""
    return np.multiply(dc, f, out=out)


def _coefficients(cache: dict, scratch: Scratch) -> tuple[np.ndarray, np.ndarray]:
    """Returns (Q (T, R, 4n, B), OP (T, R, n, B)) at index t - 1 for step t: da = [dh Q_o; dc Q_i; dc Q_f; dc Q_g]
    with Q = [tanh(c_t) sigma'(a_o); g sigma'(a_i); c_{t-1} sigma'(a_f); i tanh'(a_g)], and OP = o tanh'(c_t), the
    path from h_t to c_t. Computed once per group of equal length (no step of a finished replica)."""
    G, TC = cache["gates"], cache["tcs"]
    T, R, n5, B = G.shape[0] - 1, *G.shape[1:]
    n = n5 // 5
    Q, OP = scratch.buf("Q", (T, R, 4 * n, B), G.dtype), scratch.buf("OP", (T, R, n, B), G.dtype)
    for Tg, r0, r1 in groups(cache["lengths"]):
        g, q, tc, op = G[:Tg, r0:r1], Q[:Tg, r0:r1], TC[1 : Tg + 1, r0:r1], OP[:Tg, r0:r1]
        np.subtract(1, g[..., : 3 * n, :], out=q[..., : 3 * n, :])
        q[..., : 3 * n, :] *= g[..., : 3 * n, :]  # sigma' = sigma (1 - sigma)
        q[..., n : 3 * n, :] *= g[..., 3 * n :, :]  # g sigma'(a_i), c_{t-1} sigma'(a_f)
        q[..., :n, :] *= tc
        np.multiply(g[..., 3 * n : 4 * n, :], g[..., 3 * n : 4 * n, :], out=q[..., 3 * n :, :])
        np.subtract(1, q[..., 3 * n :, :], out=q[..., 3 * n :, :])
        q[..., 3 * n :, :] *= g[..., n : 2 * n, :]
        np.multiply(tc, tc, out=op)
        np.subtract(1, op, out=op)
        op *= g[..., :n, :]
    return Q, OP


def lstm_backward(net: LSTM, cache: dict, y, *, keep: bool = True, scratch=None) -> dict:
    """Returns {"grads" (``flat``'s layout), "views", "cost": (R,), "per_example_cost"; with ``keep`` "dh" and "dc":
    each example's dC_x/dh_t and total dC_x/dc_t, (T + 1, R, B, n), t = 0..T}."""
    X, G, active = cache["X"], cache["gates"], cache["active"]
    T, R, w, B = X.shape[0] - 1, *X.shape[1:]
    n = net.shape[0]
    scratch = scratch if scratch is not None else Scratch()
    cost, dlogits = softmax_xent(cache["logits"], y)
    gT, dV, dcV = readout_back(net.V, cache["hT"], dlogits, B)
    Q, OP = _coefficients(cache, scratch)
    WhT = np.ascontiguousarray(net.Wh.swapaxes(-1, -2))  # (R, n, 4n): dh_{t-1} = W_h^T da_t, all gates at once
    DA = scratch.buf("DA", (T, R, 4 * n, B), X.dtype)
    dh, dc, carry = (scratch.buf(k, (R, n, B), X.dtype) for k in ("dh_t", "dc_t", "carry"))
    dW, tmp = scratch.buf("dW", (R, 4 * n, w), X.dtype), scratch.buf("tmp", (R, 4 * n, w), X.dtype)
    dW[...] = 0.0
    keep_dh, keep_dc = ((scratch.buf(k, (T + 1, R, n, B), X.dtype) for k in ("dh", "dc")) if keep else (None, None))
    for t in range(T, 0, -1):
        a, a1 = active[t - 1], (active[t] if t < T else 0)
        if a1:
            np.matmul(WhT[:a1], DA[t, :a1], out=dh[:a1])
        if a > a1:
            dh[a1:a], carry[a1:a] = gT[a1:a], 0.0
        np.multiply(dh[:a], OP[t - 1, :a], out=dc[:a])
        dc[:a] += carry[:a]
        if keep:
            keep_dh[t, :a], keep_dc[t, :a] = dh[:a], dc[:a]
        da = DA[t - 1, :a]
        np.multiply(dh[:a], Q[t - 1, :a, :n], out=da[:, :n])
        np.multiply(dc[:a, None], Q[t - 1, :a, n:].reshape(a, 3, n, B), out=da[:, n:].reshape(a, 3, n, B))
        cell_back(dc[:a], G[t - 1, :a, 2 * n : 3 * n], out=carry[:a])
        np.matmul(da, X[t - 1, :a].swapaxes(-1, -2), out=tmp[:a])  # da_t [h_{t-1}; x_t; 1]^T
        dW[:a] += tmp[:a]
    if keep:
        keep_dh[0] = np.matmul(WhT, DA[0])
        keep_dc[0] = carry
    grads = np.zeros_like(net.flat)
    grads[:, : 4 * n * w] = (dW / B).reshape(R, -1)  # [W_h | W_x | b], the parameters' own layout
    v = net.views(grads)
    v["V"][...], v["c"][...] = dV, dcV
    out = {"grads": grads, "views": v, "cost": cost.mean(axis=1), "per_example_cost": cost}
    if keep:
        out |= {"dh": keep_dh.swapaxes(-1, -2), "dc": keep_dc.swapaxes(-1, -2)}
    return out
