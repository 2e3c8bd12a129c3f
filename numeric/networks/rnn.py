"""A recurrent network h_t = phi(W h_{t-1} + U x_t + b) with backpropagation through time, batched.

Returns nothing by itself: ``init_rnn`` draws the parameters, ``rnn_forward`` runs the sequence,
``rnn_backward`` returns the gradients and every per-step dC/dh_t. The weights are shared over time
(one W, U, b); the read-out is a softmax over K classes of the last state, o = V h_T + c, with the
cross-entropy cost averaged over the examples of a batch.

Arrays carry two batch axes so that nothing loops over examples or seeds in Python: R replicas
(independent networks: seeds, learning rates) and B examples. Shapes: W (R, n, n), U (R, n, m),
b (R, n), V (R, K, n), c (R, K); inputs x (R, B, T, m), labels y (R, B) ints. The only Python loop is
over time, as backpropagation through time requires.

Backward (the recurrent form of BP2, indexing as in Pascanu, Mikolov and Bengio 2013, h_0 = 0):
dC/dz_t = phi'(z_t) * dC/dh_t and dC/dh_{t-1} = W^T dC/dz_t, so dC/dh_k = (prod_{t=k+1..T} Sigma'(z_t) W)^T
dC/dh_T: the product theory.recurrent proves. ``per_example`` norms are those of the gradient of one
example's own cost (the batch mean's gradient times B).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..activations import ACTIVATIONS as RECORDS
from ..validate import check_positive

__all__ = [
    "RECURRENT",
    "GAMMA",
    "through_output",
    "RNN",
    "init_rnn",
    "rnn_forward",
    "rnn_backward",
    "softmax_xent",
    "spectral_norms",
    "step_back",
]


RECURRENT = ("sigmoid", "tanh")  # the recurrent networks' activations (their records: numeric.activations)
GAMMA = {k: RECORDS[k].sup for k in RECURRENT}  # sup |phi'|: theory.activations.sup_derivative proves each


def through_output(activation: str, h):
    """Returns phi'(z) written through the state h = phi(z) (the activation's record: a(1 - a), 1 - a^2)."""
    return RECORDS[activation].from_output(h, np.empty_like(h))


@dataclass
class RNN:
    """The parameters of R recurrent networks stacked (see the module's shapes) and their activation."""

    W: np.ndarray
    U: np.ndarray
    b: np.ndarray
    V: np.ndarray
    c: np.ndarray
    activation: str = "tanh"

    def arrays(self) -> dict:
        return {"W": self.W, "U": self.U, "b": self.b, "V": self.V, "c": self.c}


def _check_activation(activation: str) -> None:
    if activation not in RECURRENT:
        raise ValueError(f"activation must be one of {sorted(RECURRENT)}, got {activation!r}")


def init_rnn(n_in: int, n_hidden: int, n_out: int, rngs, *, activation: str = "tanh") -> RNN:
    """Returns R = len(rngs) networks, replica r drawn from ``rngs[r]`` (a numpy Generator).

    network2's initialisation for every weight matrix, w ~ N(0, 1/n_in) (n_in its fan-in: n for W, m for
    U, n for V); biases 0 (a recurrent bias N(0, 1) would saturate the sigmoid network from the start).
    """
    _check_activation(activation)
    for name, v in (("n_in", n_in), ("n_hidden", n_hidden), ("n_out", n_out)):
        check_positive(name, v, integer=True)
    rngs = list(rngs)
    if not rngs:
        raise ValueError("rngs must hold at least one numpy Generator (one per replica)")
    draws = [
        (
            g.normal(0, 1 / np.sqrt(n_hidden), (n_hidden, n_hidden)),
            g.normal(0, 1 / np.sqrt(n_in), (n_hidden, n_in)),
            g.normal(0, 1 / np.sqrt(n_hidden), (n_out, n_hidden)),
        )
        for g in rngs
    ]
    W, U, V = (np.stack([d[i] for d in draws]) for i in range(3))
    R = len(rngs)
    return RNN(W, U, np.zeros((R, n_hidden)), V, np.zeros((R, n_out)), activation)


def _check_inputs(net_U: np.ndarray, x) -> np.ndarray:
    x = np.asarray(x, dtype=net_U.dtype)
    if x.ndim != 4 or x.shape[0] != net_U.shape[0] or x.shape[3] != net_U.shape[2]:
        raise ValueError(f"x must have shape (R, B, T, m) = ({net_U.shape[0]}, B, T, {net_U.shape[2]}), got {x.shape}")
    if x.shape[2] < 1:
        raise ValueError("x must hold sequences of at least one step (T >= 1)")
    return x


def rnn_forward(net: RNN, x) -> dict:
    """Returns {"zs": (T, R, B, n), "hs": (T + 1, R, B, n) with hs[0] = h_0 = 0, "logits": (R, B, K)}."""
    x = _check_inputs(net.U, x)
    phi = RECORDS[net.activation].phi
    R, B, T, _ = x.shape
    inputs = np.matmul(x, net.U[:, None].swapaxes(-1, -2)) + net.b[:, None, None, :]  # U x_t + b, (R, B, T, n)
    WT = net.W.swapaxes(-1, -2)
    hs = np.zeros((T + 1, R, B, net.W.shape[1]), net.W.dtype)
    zs = np.empty((T, R, B, net.W.shape[1]), net.W.dtype)
    for t in range(T):
        zs[t] = np.matmul(hs[t], WT) + inputs[:, :, t]
        hs[t + 1] = phi(zs[t])
    logits = np.matmul(hs[T], net.V.swapaxes(-1, -2)) + net.c[:, None, :]
    return {"x": x, "zs": zs, "hs": hs, "logits": logits}


def softmax_xent(logits, y) -> tuple[np.ndarray, np.ndarray]:
    """Returns (per-example cross-entropy (R, B), dC/dlogits per example (R, B, K)) for labels y (R, B)."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    onehot = np.zeros_like(logits)
    np.put_along_axis(onehot, np.asarray(y)[..., None], 1.0, axis=-1)
    return -(onehot * logp).sum(axis=-1), np.exp(logp) - onehot


def step_back(dz: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Returns dC/dh_{t-1} = W^T dC/dz_t for row vectors: dz (R, B, n) @ W (R, n, n)."""
    return np.matmul(dz, W)


def rnn_backward(net: RNN, cache: dict, y) -> dict:
    """Returns {"grads": {name: dC/dname of the batch-mean cost}, "cost": (R,), "dh": (T + 1, R, B, n)}.

    ``dh[t]`` is dC_x/dh_t of each example's own cost C_x (t = 0..T; dh[0] reaches the initial state).
    """
    phi_prime = lambda h: through_output(net.activation, h)  # noqa: E731
    zs, hs, x = cache["zs"], cache["hs"], cache["x"]
    T, R, B, n = zs.shape
    cost, dlogits = softmax_xent(cache["logits"], y)
    dh = np.empty_like(hs)
    dh[T] = np.matmul(dlogits, net.V)
    dzs = np.empty_like(zs)
    for t in range(T, 0, -1):
        dzs[t - 1] = dh[t] * phi_prime(hs[t])  # phi'(z_t) from h_t = phi(z_t)
        dh[t - 1] = step_back(dzs[t - 1], net.W)
    dz_all = dzs.transpose(1, 2, 0, 3).reshape(R, B * T, n)  # (R, B*T, n), time inside each example
    grads = {
        "W": np.matmul(dz_all.swapaxes(-1, -2), hs[:-1].transpose(1, 2, 0, 3).reshape(R, B * T, n)) / B,
        "U": np.matmul(dz_all.swapaxes(-1, -2), x.reshape(R, B * T, -1)) / B,
        "b": dz_all.sum(axis=1) / B,
        "V": np.matmul(dlogits.swapaxes(-1, -2), hs[T]) / B,
        "c": dlogits.sum(axis=1) / B,
    }
    return {"grads": grads, "cost": cost.mean(axis=1), "dh": dh, "per_example_cost": cost}


def spectral_norms(W: np.ndarray) -> np.ndarray:
    """Returns the largest singular value ||W||_2 of each replica's recurrent matrix, (R,)."""
    return np.linalg.norm(W, 2, axis=(-2, -1))
