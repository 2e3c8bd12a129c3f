"""Reading a fully connected network's weights and biases from an .npz file, checked before anything is read.

Two layouts (every error a ``ValueError`` naming the file; nothing is unpickled):

* **saved network** (``numeric.data.persist``, ``Network.save``): arrays ``sizes``, ``cost``, ``w0, b0, w1, b1, ...``;
  read by ``persist.read_network`` with its checks (sizes, shapes, dtypes, truncation, at most
  ``persist.MAX_PARAMETERS`` parameters). network2's output layer: sigmoid, with the stored cost;
* **plain arrays**: ``W0, b0, W1, b1, ...`` (or ``w0, ...``; ``B0`` for ``b0``): layer l's weight matrix in the
  book's orientation (n_out, n_in), so that z = W x + b, and its bias vector (n_out,), numbered from 0 with no
  gap and nothing else in the file; float32 or float64, finite. The output layer is read out by a softmax.

A file larger than ``MAX_FILE_BYTES`` on disk, or whose arrays claim more than ``MAX_PARAMETERS`` parameters in
their headers, is refused before any array is read (``files.npz_headers``).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from .files import is_regular_file, npz_headers
from .persist import MAX_PARAMETERS, read_network

__all__ = ["read_layers", "MAX_FILE_BYTES", "MAX_PARAMETERS"]

MAX_FILE_BYTES = MAX_PARAMETERS * 8 + 1_000_000  # float64 parameters and the zip's headers
_NAME = re.compile(r"^([WwBb])(\d+)$")


class _Arrays:
    """What ``persist.read_network`` builds: the stored arrays as they are."""

    @classmethod
    def from_parameters(cls, weights, biases, *, cost):
        out = cls()
        out.weights, out.biases, out.cost = list(weights), list(biases), cost
        return out


def read_layers(path) -> dict:
    """Returns {"weights": [(n_out, n_in) float64], "biases": [(n_out,) float64], "format": "saved network" or
    "arrays", "output": "sigmoid" or "softmax", "cost": the saved cost or None} from the .npz file at ``path``."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"{path}: no such file")
    if not is_regular_file(path):
        raise ValueError(f"{path} is not a regular file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ValueError(f"{path} is {size:,} bytes, more than the {MAX_FILE_BYTES:,} a network file may hold "
                         f"({MAX_PARAMETERS:,} float64 parameters); refused before reading it")
    try:
        headers = npz_headers(path, max_bytes=MAX_PARAMETERS * 8)
    except ValueError as exc:
        raise ValueError(str(exc) if str(path) in str(exc) else f"{path}: {exc}") from None
    except Exception as exc:  # BadZipFile, OSError, EOFError: not an .npz at all, or damaged
        raise ValueError(f"{path} is not a readable .npz file ({type(exc).__name__}: {exc})") from None
    if "sizes" in headers or "cost" in headers:
        net = read_network(_Arrays, path)
        return {"weights": [np.asarray(w, dtype=float) for w in net.weights],
                "biases": [np.asarray(b, dtype=float) for b in net.biases], "format": "saved network",
                "output": "sigmoid", "cost": net.cost}
    return _read_arrays(path, headers)


def _read_arrays(path: Path, headers: dict) -> dict:
    layers: dict[int, dict] = {}
    for name in headers:
        m = _NAME.match(name)
        if not m:
            raise ValueError(f"{path}: unexpected array {name!r}; expected W0, b0, W1, b1, ... (a saved network holds "
                             "'sizes' and 'cost' too)")
        kind, l = m[1].lower(), int(m[2])
        if kind in layers.setdefault(l, {}):
            raise ValueError(f"{path}: layer {l} has two {'weight' if kind == 'w' else 'bias'} arrays")
        layers[l][kind] = name
    if not layers:
        raise ValueError(f"{path}: holds no arrays; expected W0, b0, W1, b1, ...")
    if sorted(layers) != list(range(len(layers))):
        raise ValueError(f"{path}: layers must be numbered 0, 1, 2, ... without a gap, got {sorted(layers)}")
    for l, arrays in layers.items():
        missing = {"w", "b"} - set(arrays)
        if missing:
            raise ValueError(f"{path}: layer {l} has no {'weight matrix W' if 'w' in missing else 'bias vector b'}{l}")
    count, n_in = 0, None
    for l in range(len(layers)):
        (w_shape, w_dtype, w_stored), (b_shape, b_dtype, b_stored) = (headers[layers[l][k]] for k in ("w", "b"))
        if len(w_shape) != 2 or b_shape != (w_shape[0],) or 0 in w_shape:
            raise ValueError(f"{path}: layer {l} needs W{l} (n_out, n_in) and b{l} (n_out,) with n_out, n_in >= 1, "
                             f"got {w_shape} and {b_shape}")
        if n_in is not None and w_shape[1] != n_in:
            raise ValueError(f"{path}: W{l} has {w_shape[1]} inputs but layer {l - 1} has {n_in} outputs (weights "
                             "are (n_out, n_in), so that z = W x + b)")
        for dtype, stored, shape in ((w_dtype, w_stored, w_shape), (b_dtype, b_stored, b_shape)):
            if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
                raise ValueError(f"{path}: layer {l} has dtype {dtype}; expected float32 or float64")
            if stored < int(np.prod(shape)) * dtype.itemsize:
                raise ValueError(f"{path}: layer {l}'s arrays are truncated")
        n_in = w_shape[0]
        count += w_shape[0] * w_shape[1] + w_shape[0]
    if count > MAX_PARAMETERS:
        raise ValueError(f"{path}: {count:,} parameters, more than the {MAX_PARAMETERS:,} a network file may hold")
    try:
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as f:
            weights = [np.asarray(f[layers[l]["w"]], dtype=float) for l in range(len(layers))]
            biases = [np.asarray(f[layers[l]["b"]], dtype=float) for l in range(len(layers))]
    except Exception as exc:  # a damaged member (CRC, zlib) after valid headers
        raise ValueError(f"{path} is not a readable .npz file ({type(exc).__name__}: {exc})") from None
    for l, (w, b) in enumerate(zip(weights, biases)):
        if not (np.isfinite(w).all() and np.isfinite(b).all()):
            raise ValueError(f"{path}: layer {l} holds NaN or inf")
    return {"weights": weights, "biases": biases, "format": "arrays", "output": "softmax", "cost": None}
