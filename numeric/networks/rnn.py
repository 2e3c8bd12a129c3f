"""A recurrent network h_t = phi(W h_{t-1} + U x_t + b) with backpropagation through time, stacked: R networks (models,
seeds, learning rates, sequence lengths) run as one stack, each time step a few NumPy calls for all of them.

Returns nothing by itself: ``init_rnn`` draws the parameters, ``rnn_forward`` runs the sequences, ``rnn_backward``
returns the gradients and every per-step dC/dh_t. The weights are shared over time (one W, U, b); the read-out is a
softmax over K classes of the last state, o = V h_T + c, with the cross-entropy cost averaged over the examples.

Layout (the training kernel's, issue 29): the parameters of the R networks are one array ``flat`` (R, P), with
W (R, n, n), U (R, n, m), b (R, n), V (R, K, n), c (R, K) its views, so the optimiser and the clipping run on one
array. Replica r reads its last state after ``lengths[r]`` steps; the replicas are sorted longest first, so the ones
still running at a step are a prefix of the stack. Buffers are time-major and feature-major (``recurrent_stack``):
X[t] = [s_t; x_{t+1}; 1] (R, n + m + 1, B), so a step is one product and one tanh forward, and two products and two
elementwise calls backward (the step back and the weight gradient's term), for every replica at once. The sigmoid
runs through tanh, sigma(z) = 1/2 + tanh(z/2)/2, so tanh and sigmoid networks share a stack: the kernel carries
s_t = tanh(kappa z_t) and h_t = alpha s_t + beta, with (kappa, alpha, beta) = (1, 1, 0) for tanh and (1/2, 1/2, 1/2)
for the sigmoid (h_0 = 0 is s_0 = -beta / alpha).

Backward (the recurrent form of BP2, indexing as in Pascanu, Mikolov and Bengio 2013): dC/dz_t = phi'(z_t) * dC/dh_t
and dC/dh_{t-1} = W^T dC/dz_t, so dC/dh_k = (prod_{t=k+1..T} Sigma'(z_t) W)^T dC/dh_T: the product theory.recurrent
proves. With e_t = (1 - s_t^2) * dC/dh_t, phi'(z_t) dC/dh_t = kappa alpha e_t, and the step back is e_t (kappa alpha W).
``dh`` holds the gradient of each example's own cost (the batch mean's gradient times B).
"""

from __future__ import annotations

import numpy as np

from ..activations import ACTIVATIONS as RECORDS
from ..validate import check_positive
from .recurrent_stack import (
    Inputs,
    Scratch,
    check_lengths,
    draw_matrix,
    groups,
    readout,
    readout_back,
    softmax_xent,
    spectral_norms,
)

__all__ = ["RECURRENT", "GAMMA", "VIA_TANH", "through_output", "RNN", "init_rnn", "rnn_forward", "rnn_backward",
           "effective", "augment", "step_back", "softmax_xent", "spectral_norms"]

RECURRENT = ("sigmoid", "tanh")  # the recurrent networks' activations (their records: numeric.activations)
GAMMA = {k: RECORDS[k].sup for k in RECURRENT}  # sup |phi'|: theory.activations.sup_derivative proves each
VIA_TANH = {"tanh": (1.0, 1.0, 0.0), "sigmoid": (0.5, 0.5, 0.5)}  # (kappa, alpha, beta): alpha tanh(kappa z) + beta


def through_output(activation: str, h):
    """Returns phi'(z) written through the state h = phi(z) (the activation's record: a(1 - a), 1 - a^2)."""
    return RECORDS[activation].from_output(h, np.empty_like(h))


def _activations(activation, R: int) -> tuple:
    acts = (activation,) * R if isinstance(activation, str) else tuple(activation)
    bad = sorted({a for a in acts} - set(RECURRENT))
    if bad or len(acts) != R:
        raise ValueError(f"activation must be one of {sorted(RECURRENT)} (or one per replica, {R}), got {activation!r}")
    return acts


class RNN:
    """The parameters of R recurrent networks in one array ``flat`` (R, P) and their activation (one name, or one per
    replica). ``W, U, b, V, c`` are views of ``flat`` (writing into them changes the network)."""

    def __init__(self, W, U, b, V, c, activation="tanh"):
        W, U, V = (np.asarray(a) for a in (W, U, V))
        R, n, m, K = W.shape[0], W.shape[1], U.shape[2], V.shape[1]
        self.shape = (n, m, K)
        self.flat = np.empty((R, n * (n + m + 1) + K * (n + 1)), np.result_type(W, U, b, V, c))
        for name, value in zip("WUbVc", (W, U, b, V, c)):
            getattr(self, name)[...] = value
        self.activation = activation if isinstance(activation, str) else tuple(activation)
        _activations(self.activation, R)

    @classmethod
    def from_flat(cls, flat: np.ndarray, shape: tuple, activation) -> RNN:
        """Returns the networks whose parameters are ``flat`` itself (no copy)."""
        net = cls.__new__(cls)
        net.flat, net.shape, net.activation = flat, tuple(shape), activation
        return net

    def views(self, flat: np.ndarray) -> dict:
        """Returns W, U, b, V, c as views of ``flat`` (the parameters', or a gradient's in the same layout)."""
        n, m, K = self.shape
        R, cut = flat.shape[0], n * (n + m + 1)
        Wa, Va = flat[:, :cut].reshape(R, n, n + m + 1), flat[:, cut:].reshape(R, K, n + 1)
        return {"W": Wa[..., :n], "U": Wa[..., n : n + m], "b": Wa[..., n + m], "V": Va[..., :n], "c": Va[..., n]}

    W = property(lambda self: self.views(self.flat)["W"])
    U = property(lambda self: self.views(self.flat)["U"])
    b = property(lambda self: self.views(self.flat)["b"])
    V = property(lambda self: self.views(self.flat)["V"])
    c = property(lambda self: self.views(self.flat)["c"])

    def arrays(self) -> dict:
        return self.views(self.flat)

    def replicas(self) -> tuple:
        return _activations(self.activation, self.flat.shape[0])

    def select(self, rows, dtype=None) -> RNN:
        """Returns a copy of the replicas ``rows`` (in ``dtype``, default the same)."""
        acts = self.activation if isinstance(self.activation, str) else tuple(np.asarray(self.replicas())[rows])
        return RNN.from_flat(np.array(self.flat[rows], dtype=dtype or self.flat.dtype), self.shape, acts)

    def via_tanh(self) -> tuple:
        """Returns (kappa, alpha, beta), each (R, 1, 1) in the parameters' type (VIA_TANH per replica)."""
        values = np.array([VIA_TANH[a] for a in self.replicas()], dtype=self.flat.dtype)
        return tuple(values[:, i, None, None] for i in range(3))


def init_rnn(n_in: int, n_hidden: int, n_out: int, rngs, *, activation="tanh", init: str = "normal") -> RNN:
    """Returns R = len(rngs) networks, replica r drawn from ``rngs[r]`` (a numpy Generator).

    network2's initialisation for every weight matrix, w ~ N(0, 1/n_in) (n_in its fan-in: n for W, m for U, n for
    V), or with ``init="orthogonal"`` a random orthogonal W (Haar; U and V as before); biases 0 (a recurrent bias
    N(0, 1) would saturate the sigmoid network from the start). The draws' order: W, U, V.
    """
    for name, v in (("n_in", n_in), ("n_hidden", n_hidden), ("n_out", n_out)):
        check_positive(name, v, integer=True)
    rngs = list(rngs)
    if not rngs:
        raise ValueError("rngs must hold at least one numpy Generator (one per replica)")
    acts = _activations(activation, len(rngs))
    draws = [(draw_matrix(g, n_hidden, n_hidden, init), draw_matrix(g, n_hidden, n_in), draw_matrix(g, n_out, n_hidden))
             for g in rngs]
    W, U, V = (np.stack([d[i] for d in draws]) for i in range(3))
    R = len(rngs)
    return RNN(W, U, np.zeros((R, n_hidden)), V, np.zeros((R, n_out)), acts[0] if len(set(acts)) == 1 else acts)


def effective(net: RNN) -> np.ndarray:
    """Returns kappa [alpha W | U | b + beta W 1] (R, n, n + m + 1): kappa z_t from [s_{t-1}; x_t; 1]."""
    v, (kappa, alpha, beta) = net.views(net.flat), net.via_tanh()
    return np.concatenate([v["W"] * alpha, v["U"], (v["b"] + beta[..., 0] * v["W"].sum(axis=-1))[..., None]],
                          axis=-1) * kappa


def augment(x) -> np.ndarray:
    """Returns the inputs x (R, B, T, m) as (R, T, B, m + 1) with a last column of ones (the bias's input)."""
    x = np.asarray(x)
    out = np.ones((x.shape[0], x.shape[2], x.shape[1], x.shape[3] + 1), x.dtype)
    out[..., :-1] = x.transpose(0, 2, 1, 3)
    return out


def prepare(net, x, lengths, xa, codes, scratch) -> tuple:
    """A forward pass's set-up, shared by the RNN and the LSTM: returns (n, m, R, inputs, lengths, active, scratch)
    for inputs x (R, B, T, m), or ``xa`` / ``codes`` (``recurrent_stack.Inputs``)."""
    n, m, _ = net.shape
    R = net.flat.shape[0]
    if xa is None and codes is None:
        xa = augment(_check_inputs(m, R, x, net.flat.dtype))
    inputs = Inputs(xa, codes)
    lengths, active = check_lengths(lengths, R, inputs.T)
    return n, m, R, inputs, lengths, active, scratch if scratch is not None else Scratch()


def _check_inputs(m: int, R: int, x, dtype) -> np.ndarray:
    x = np.asarray(x, dtype=dtype)
    if x.ndim != 4 or x.shape[0] != R or x.shape[3] != m:
        raise ValueError(f"x must have shape (R, B, T, m) = ({R}, B, T, {m}), got {x.shape}")
    if x.shape[2] < 1:
        raise ValueError("x must hold sequences of at least one step (T >= 1)")
    return x


def rnn_forward(net: RNN, x=None, lengths=None, *, xa=None, codes=None, scratch=None, keep: bool = True) -> dict:
    """Returns the cache {"inputs", "lengths", "X": [s_t; x_{t+1}; 1] (T + 1, R, n + m + 1, B), "hs": h_t
    (T + 1, R, B, n), "hT": h at each replica's own end (R, n, B), "logits": (R, B, K)} for inputs x (R, B, T, m), or
    ``xa`` / ``codes`` (``recurrent_stack.Inputs``). Without ``keep`` (evaluation: no backward pass follows) X holds
    two steps, filled step by step."""
    n, m, R, inputs, lengths, active, scratch = prepare(net, x, lengths, xa, codes, scratch)
    T, B = inputs.T, inputs.B
    kappa, alpha, beta = net.via_tanh()
    A = effective(net)
    X = scratch.buf("X", (T + 1 if keep else 2, R, n + m + 1, B), net.flat.dtype)
    if keep:
        inputs.fill(X, n, lengths)
    X[0, :, :n] = -beta / alpha  # h_0 = 0
    for t, a in enumerate(active):
        now, nxt = (t, t + 1) if keep else (t % 2, (t + 1) % 2)
        if not keep:
            inputs.fill_step(X[now], t, a, n)
        out = X[nxt, :a, :n]
        np.matmul(A[:a], X[now, :a], out=out)  # kappa z_{t+1}, inputs and bias included
        np.tanh(out, out=out)
    hT = X[lengths if keep else lengths % 2, np.arange(R), :n] * alpha + beta
    cache = {"inputs": inputs, "lengths": lengths, "active": active, "X": X, "hT": hT,
             "logits": readout(net.V, net.c, hT)}
    if keep:
        cache["hs"] = (X[:, :, :n] * alpha + beta).swapaxes(-1, -2)
    return cache


def step_back(dz: np.ndarray, WT: np.ndarray, out=None) -> np.ndarray:
    """Returns dC/dh_{t-1} = W^T dC/dz_t, feature-major: WT (R, n, n) = W^T, dz (R, n, B)."""
    return np.matmul(WT, dz, out=out)


def rnn_backward(net: RNN, cache: dict, y, *, keep: bool = True, scratch=None) -> dict:
    """Returns {"grads": dC/dtheta of the batch-mean cost as one array in ``flat``'s layout, "views": W..c of it,
    "cost": (R,), "per_example_cost": (R, B), and with ``keep`` "dh": dC_x/dh_t (T + 1, R, B, n), t = 0..T}."""
    X, lengths, active = cache["X"], cache["lengths"], cache["active"]
    T, R, w, B = X.shape[0] - 1, *X.shape[1:]
    n = net.shape[0]
    scratch = scratch if scratch is not None else Scratch()
    kappa, alpha, beta = net.via_tanh()
    cost, dlogits = softmax_xent(cache["logits"], y)
    gT, dV, dc = readout_back(net.V, cache["hT"], dlogits, B)  # gT: dC_x/dh at each replica's end
    D = scratch.buf("D", (T, R, n, B), X.dtype)
    for Tg, r0, r1 in groups(lengths):
        d = D[:Tg, r0:r1]
        np.multiply(X[1 : Tg + 1, r0:r1, :n], X[1 : Tg + 1, r0:r1, :n], out=d)
        np.subtract(1, d, out=d)  # 1 - s_t^2
    AT = np.ascontiguousarray((net.W * (kappa * alpha)).swapaxes(-1, -2))
    E = scratch.buf("E", (T, R, n, B), X.dtype)  # e_t at index t - 1
    dh = scratch.buf("dh", (T + 1, R, n, B), X.dtype) if keep else None
    g, dA, tmp = (scratch.buf(k, s, X.dtype) for k, s in (("g", (R, n, B)), ("dA", (R, n, w)), ("tmp", (R, n, w))))
    dA[...] = 0.0
    for t in range(T, 0, -1):
        a, a1 = active[t - 1], (active[t] if t < T else 0)
        if a1:
            step_back(E[t, :a1], AT[:a1], out=g[:a1])
        if a > a1:
            g[a1:a] = gT[a1:a]
        if keep:
            dh[t, :a] = g[:a]
        np.multiply(g[:a], D[t - 1, :a], out=E[t - 1, :a])
        np.matmul(E[t - 1, :a], X[t - 1, :a].swapaxes(-1, -2), out=tmp[:a])  # e_t [s_{t-1}; x_t; 1]^T
        dA[:a] += tmp[:a]
    if keep:
        dh[0] = step_back(E[0], AT)
    grads = np.zeros_like(net.flat)
    v = net.views(grads)
    m = net.shape[1]
    scale = kappa * alpha / B
    v["W"][...] = (dA[..., :n] * alpha + beta * dA[..., n + m : n + m + 1]) * scale  # h_{t-1} = alpha s + beta
    v["U"][...] = dA[..., n : n + m] * scale
    v["b"][...] = dA[..., n + m] * scale[..., 0]
    v["V"][...], v["c"][...] = dV, dc
    out = {"grads": grads, "views": v, "cost": cost.mean(axis=1), "per_example_cost": cost}
    if keep:
        out["dh"] = dh.swapaxes(-1, -2)
    return out
