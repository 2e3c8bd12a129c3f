"""Saving and reading a network (.npz of plain arrays, no pickles), checked before anything is built.

``read_network`` inspects the stored arrays' headers first: the sizes must be positive integers
whose parameter count (weights and biases) is at most ``MAX_PARAMETERS`` (400 MB as float64), every
weight and bias must have the shape the sizes imply, a real float32/float64 dtype, and as many bytes
in the file as its header claims, so that a small hostile file (deflated zeros claiming huge layers)
cannot make us allocate more than that; the zip's directory is bounded (``files.npz_headers``: members and their
sizes together) and the one string, ``cost``, is at most ``MAX_COST`` characters, from its header. Only then are the
arrays read. Every error is a ``ValueError`` naming the file, quoting at most ``MAX_QUOTE`` characters of what it
found.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from ..functions import COSTS
from .files import atomic_write, is_regular_file, npz_headers

__all__ = ["write_network", "read_network", "MAX_LAYERS", "MAX_WIDTH", "MAX_PARAMETERS", "MAX_COST", "MAX_QUOTE"]

MAX_LAYERS = 1000
MAX_WIDTH = 10**6
MAX_PARAMETERS = 50_000_000  # weights and biases together: 400 MB as float64 (the chapter's nets: < 30,000)
MAX_COST = 64  # characters of the cost's name ("cross-entropy" has 13)
MAX_QUOTE = 200  # characters of anything found in the file that a message quotes


def _quote(value) -> str:
    """Returns ``repr(value)``, cut to MAX_QUOTE characters."""
    text = repr(value)
    return text if len(text) <= MAX_QUOTE else text[:MAX_QUOTE] + "..."


def write_network(net, path, *, overwrite: bool = False) -> Path:
    """Writes ``net`` to ``path`` (.npz) atomically; refuses to replace a file unless ``overwrite``."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
    if path.exists() and not is_regular_file(path):
        raise ValueError(f"{path} is not a regular file; refusing to replace it")
    arrays = {f"w{l}": w for l, w in enumerate(net.weights)} | {f"b{l}": b for l, b in enumerate(net.biases)}
    buf = io.BytesIO()
    np.savez(buf, sizes=np.array(net.sizes, dtype=np.int64), cost=np.array(net.cost.name), **arrays)
    return atomic_write(path, buf.getvalue())


def _check_sizes(path: Path, headers: dict) -> None:
    if "sizes" not in headers or "cost" not in headers:
        raise ValueError(f"{path} is not a saved network (no 'sizes' and 'cost' arrays)")
    shape, dtype, _ = headers["sizes"]
    if dtype.kind not in "iu" or len(shape) != 1 or not 2 <= shape[0] <= MAX_LAYERS:
        raise ValueError(f"{path}: 'sizes' must be 2..{MAX_LAYERS} integers, got dtype {_quote(str(dtype))} "
                         f"shape {shape}")
    shape, dtype, _ = headers["cost"]
    if dtype.kind != "U" or shape != () or dtype.itemsize > 4 * MAX_COST:
        raise ValueError(f"{path}: 'cost' must be one string of at most {MAX_COST} characters, got dtype "
                         f"{_quote(str(dtype))} shape {shape} (refused before reading it)")


def read_network(cls, path):
    """Returns a ``cls`` instance with the sizes, cost, weights and biases stored at ``path``."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such saved network")
    if not is_regular_file(path):
        raise ValueError(f"{path} is not a regular file (a folder, FIFO or device cannot be a saved network)")
    try:
        headers = npz_headers(path, max_bytes=MAX_PARAMETERS * 8, max_total=MAX_PARAMETERS * 8 + 8 * MAX_LAYERS,
                              max_members=2 + 2 * MAX_LAYERS)
        _check_sizes(path, headers)
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as f:
            sizes = f["sizes"]
            if (sizes < 1).any() or (sizes > MAX_WIDTH).any():
                raise ValueError(f"{path}: layer sizes must be integers in 1..{MAX_WIDTH}, got "
                                 f"{_quote(sizes.tolist())}")
            sizes = [int(s) for s in sizes]
            count = sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
            if count > MAX_PARAMETERS:
                raise ValueError(f"{path}: sizes {_quote(sizes)} mean {count:,} parameters, more than the "
                                 f"{MAX_PARAMETERS:,} (persist.MAX_PARAMETERS) a saved network may hold; refused "
                                 "before reading them")
            cost = f["cost"]
            if cost.dtype.kind != "U" or cost.shape != ():
                raise ValueError(f"{path}: 'cost' must be a string")
            cost = str(cost)
            expected = {}
            for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
                expected[f"w{l}"], expected[f"b{l}"] = (n_out, n_in), (n_out,)
            extra = set(headers) - set(expected) - {"sizes", "cost"}
            if extra:
                raise ValueError(f"{path}: unexpected arrays {_quote(sorted(extra))} for sizes {_quote(sizes)}")
            dtypes = set()
            for name, shape in expected.items():  # all checked before any weight is read
                if name not in headers:
                    raise ValueError(f"{path}: saved network is missing array '{name}'")
                got, dtype, stored = headers[name]
                if got != shape:
                    raise ValueError(f"{path}: array {name} has shape {got}; sizes {_quote(sizes)} need {shape}")
                if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
                    raise ValueError(f"{path}: array {name} has dtype {_quote(str(dtype))}; expected float32 or "
                                     "float64")
                if stored < int(np.prod(shape)) * dtype.itemsize:
                    raise ValueError(f"{path}: array {name} is truncated ({stored} bytes for shape {shape})")
                dtypes.add(dtype)
            if len(dtypes) > 1:
                raise ValueError(f"{path}: weights and biases mix dtypes {sorted(map(str, dtypes))}")
            weights = [f[f"w{l}"] for l in range(len(sizes) - 1)]
            biases = [f[f"b{l}"] for l in range(len(sizes) - 1)]
    except ValueError as exc:
        msg = str(exc)
        raise ValueError(msg if str(path) in msg else f"{path}: {msg[:MAX_QUOTE]}") from None
    except Exception as exc:  # BadZipFile, OSError, EOFError from a damaged file
        raise ValueError(f"{path} is not a readable .npz network file ({type(exc).__name__}: "
                         f"{str(exc)[:MAX_QUOTE]})") from None
    if cost not in COSTS:
        raise ValueError(f"{path}: unknown cost {_quote(cost)}; expected one of {sorted(COSTS)}")
    for l, (w, b) in enumerate(zip(weights, biases)):
        if not (np.isfinite(w).all() and np.isfinite(b).all()):
            raise ValueError(f"{path}: layer {l} holds NaN or inf")
    return cls.from_parameters(weights, biases, cost=cost)
