"""What the stacked recurrent kernels (``rnn``, ``lstm``) share: reusable buffers, replicas of different lengths, the
read-out's cost, the initial draws and the spectral norm.

A stack runs R replicas whose sequences may have different lengths: replica r reads its last state after
``lengths[r]`` steps. The replicas are sorted longest first (non-increasing lengths), so at step t the ones still
running are the prefix ``[:active[t]]`` of the stack, ``active[t]`` = #{r: lengths[r] > t}, and every step is a few
NumPy calls on contiguous slices. Buffers are time-major and feature-major, (T + 1, R, features, B): a step's slice
is contiguous, a gate is a contiguous (n, B) block, and [state; x; 1] is one (n + m + 1, B) matrix, so one product
per step gives every gate's pre-activation, inputs and biases included.
"""

from __future__ import annotations

import numpy as np

from ..activations import draw_weights

__all__ = ["Scratch", "Inputs", "check_lengths", "groups", "softmax_xent", "spectral_norms", "draw_matrix",
           "readout", "readout_back"]


class Scratch:
    """Buffers kept between calls: ``buf(name, shape, dtype)`` returns the same zero-initialised array while its shape
    and type hold (a training loop allocates once; a call without one allocates fresh)."""

    def __init__(self):
        self._bufs: dict = {}

    def buf(self, name: str, shape: tuple, dtype) -> np.ndarray:
        a = self._bufs.get(name)
        if a is None or a.shape != tuple(shape) or a.dtype != np.dtype(dtype):
            a = self._bufs[name] = np.zeros(shape, dtype)
        return a


class Inputs:
    """A stack's inputs: ``xa`` (R, T, B, m + 1), x with a last column of ones (the bias's input), or ``codes`` =
    (codebook (Q, m + 1), idx (T, R, B)) with x_t = codebook[idx[t]] (one-hot symbols). The kernels read them as
    the rows n..n+m of their feature-major buffer X (T + 1, R, n + m + 1, B): X[t, r] = [state_t; x_{t+1}; 1]."""

    def __init__(self, xa=None, codes=None):
        if (xa is None) == (codes is None):
            raise ValueError("Inputs takes either xa or codes")
        self.xa, self.codes = xa, codes
        self.T, self.B = (xa.shape[1], xa.shape[2]) if codes is None else (codes[1].shape[0], codes[1].shape[2])
        self.bookT = None if codes is None else np.ascontiguousarray(codes[0].T)

    def fill(self, X: np.ndarray, n: int, lengths: np.ndarray) -> None:
        """Writes x_{t+1} and the bias's 1 into X[t, r, n:] for every step t a replica runs."""
        if self.codes is None:
            X[: self.T, :, n:] = self.xa.transpose(1, 0, 3, 2)
            return
        for Tg, r0, r1 in groups(lengths):
            X[:Tg, r0:r1, n:] = np.take(self.bookT, self.codes[1][:Tg, r0:r1], axis=1).transpose(1, 2, 0, 3)

    def fill_step(self, X_t: np.ndarray, t: int, a: int, n: int) -> None:
        """Writes x_{t+1} and the 1 of the first ``a`` replicas into X_t[:a, n:] (a two-slot buffer's step)."""
        if self.codes is None:
            X_t[:a, n:] = self.xa[:a, t].swapaxes(-1, -2)
        else:
            X_t[:a, n:] = np.take(self.bookT, self.codes[1][t, :a], axis=1).swapaxes(0, 1)


def check_lengths(lengths, R: int, T: int) -> tuple[np.ndarray, list[int]]:
    """Returns (lengths as ints (R,), active counts for t = 0..T-1); None means every replica runs T steps.

    ValueError unless 1 <= lengths <= T, non-increasing (the longest first), and the longest is T."""
    if lengths is None:
        return np.full(R, T, dtype=np.intp), [R] * T
    lengths = np.asarray(lengths)
    if lengths.shape != (R,) or lengths.dtype.kind not in "iu":
        raise ValueError(f"lengths must be {R} integers (one per replica), got {lengths!r}")
    if lengths.min() < 1 or lengths[0] != T or np.any(np.diff(lengths) > 0):
        raise ValueError(f"lengths must be non-increasing (the longest first), each in 1..{T}, the first {T}; "
                         f"got {lengths.tolist()}")
    lengths = lengths.astype(np.intp)
    return lengths, [int(np.count_nonzero(lengths > t)) for t in range(T)]


def groups(lengths: np.ndarray) -> list[tuple[int, int, int]]:
    """Returns [(T_g, r0, r1)]: the runs of replicas of equal length in the (sorted) stack."""
    cuts = [0, *np.flatnonzero(np.diff(lengths)) + 1, len(lengths)]
    return [(int(lengths[r0]), int(r0), int(r1)) for r0, r1 in zip(cuts[:-1], cuts[1:])]


def softmax_xent(logits, y) -> tuple[np.ndarray, np.ndarray]:
    """Returns (per-example cross-entropy (R, B), dC/dlogits per example (R, B, K)) for labels y (R, B)."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    y = np.asarray(y)[..., None]
    grad = np.exp(logp)
    np.put_along_axis(grad, y, np.take_along_axis(grad, y, axis=-1) - 1, axis=-1)
    return -np.take_along_axis(logp, y, axis=-1)[..., 0], grad


def readout(V: np.ndarray, c: np.ndarray, hT: np.ndarray) -> np.ndarray:
    """Returns the logits (R, B, K) = (V h_T + c) of the last states hT (R, n, B)."""
    return (np.matmul(V, hT) + c[:, :, None]).swapaxes(-1, -2)


def readout_back(V: np.ndarray, hT: np.ndarray, dlogits: np.ndarray, B: int) -> tuple:
    """Returns (dC_x/dh_T (R, n, B) per example, dC/dV (R, K, n), dC/dc (R, K)) of the batch-mean cost."""
    dl = dlogits.swapaxes(-1, -2)  # (R, K, B)
    return np.matmul(V.swapaxes(-1, -2), dl), np.matmul(dl, hT.swapaxes(-1, -2)) / B, dl.sum(axis=-1) / B


def spectral_norms(W: np.ndarray) -> np.ndarray:
    """Returns the largest singular value ||W||_2 of each replica's recurrent matrix, (R,)."""
    return np.linalg.norm(W, 2, axis=(-2, -1))


def draw_matrix(rng: np.random.Generator, n_out: int, n_in: int, init: str = "normal") -> np.ndarray:
    """Returns an (n_out, n_in) matrix: N(0, 1/n_in) (network2's), or a random orthogonal one (``init="orthogonal"``,
    numeric.activations' Haar draw)."""
    if init == "orthogonal":
        return draw_weights("orthogonal", rng, n_in, n_out)
    if init != "normal":
        raise ValueError(f"init must be 'normal' or 'orthogonal', got {init!r}")
    return rng.normal(0, 1 / np.sqrt(n_in), (n_out, n_in))
