"""Readers for the MNIST files users already have: IDX (gzipped or not), Nielsen's pickle, npz.

Each reader returns plain arrays after checking everything it can; every defect raises
``DataError`` naming the file and what was wrong. The pickle reader admits only NumPy array
reconstruction: any other global a pickle asks for is refused before anything runs.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib
import io
import pickle
import zlib
from pathlib import Path

import numpy as np

from .data import DataError

__all__ = ["IDX_FILES", "CANONICAL_MD5", "read_idx", "read_idx_folder", "read_pickle", "read_npz"]

IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
CANONICAL_MD5 = {  # of the gzipped files as distributed by Y. LeCun
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
CANONICAL_COUNTS = {"train": 60000, "test": 10000}
IDX_MAGIC = {2051: 3, 2049: 1}  # uint8 images (3 dims), uint8 labels (1 dim)


def _read_bytes(path: Path) -> bytes:
    raw = path.read_bytes()
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: not a valid gzip file (truncated or corrupt: {exc})") from None


def read_idx(path: Path, *, expect_dims: int) -> np.ndarray:
    """Returns the uint8 array stored in one IDX file (images (n, 28, 28) or labels (n,))."""
    data = _read_bytes(path)
    if len(data) < 4:
        raise DataError(f"{path}: truncated ({len(data)} bytes), not an IDX file")
    magic = int.from_bytes(data[:4], "big")
    if magic not in IDX_MAGIC:
        raise DataError(f"{path}: wrong magic number {magic:#010x}; expected 0x00000803 (images) or 0x00000801 (labels)")
    dims = IDX_MAGIC[magic]
    if dims != expect_dims:
        raise DataError(f"{path}: holds {'images' if dims == 3 else 'labels'}, expected "
                        f"{'images' if expect_dims == 3 else 'labels'} (files swapped or misnamed?)")
    header = 4 + 4 * dims
    if len(data) < header:
        raise DataError(f"{path}: truncated inside the header")
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims))
    size = int(np.prod(shape))
    if len(data) != header + size:
        raise DataError(f"{path}: expected {header + size:,} bytes for shape {shape}, got {len(data):,} "
                        f"({'truncated' if len(data) < header + size else 'trailing bytes'})")
    if dims == 3 and shape[1:] != (28, 28):
        raise DataError(f"{path}: images must be 28 x 28, got {shape[1:]}")
    arr = np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)
    if dims == 1 and arr.size and arr.max() > 9:
        raise DataError(f"{path}: labels must be 0..9, found {arr.max()}")
    return arr


def _find(folder: Path, stem: str) -> Path:
    for name in (stem + ".gz", stem, stem.replace("-idx", ".idx")):
        if (folder / name).exists():
            return folder / name
    raise DataError(f"{folder}: missing {stem}.gz (or {stem}); the IDX folder needs the four files "
                    + ", ".join(f"{s}.gz" for s in IDX_FILES.values()))


def read_idx_folder(folder: Path, *, check_digest: bool = True):
    """Returns ((train_images, train_labels), (test_images, test_labels)) from an IDX folder."""
    out = {}
    for key, stem in IDX_FILES.items():
        path = _find(folder, stem)
        if check_digest and path.name in CANONICAL_MD5:
            digest = hashlib.md5(path.read_bytes()).hexdigest()
            if digest != CANONICAL_MD5[path.name]:
                raise DataError(f"{path}: MD5 {digest} does not match MNIST's {CANONICAL_MD5[path.name]} "
                                "(damaged, or not the original file)")
        out[key] = read_idx(path, expect_dims=3 if key.endswith("images") else 1)
    for part in ("train", "test"):
        n_img, n_lab = len(out[f"{part}_images"]), len(out[f"{part}_labels"])
        if n_img != n_lab:
            raise DataError(f"{folder}: {n_img} {part} images but {n_lab} labels")
        if check_digest and n_img != CANONICAL_COUNTS[part]:
            raise DataError(f"{folder}: {n_img} {part} images, MNIST has {CANONICAL_COUNTS[part]}")
    return ((out["train_images"], out["train_labels"]), (out["test_images"], out["test_labels"]))


class _ArraysOnly(pickle.Unpickler):
    """Unpickler that can build NumPy arrays, dtypes and tuples, and nothing else.

    ``_codecs.encode`` is admitted because protocol-2 pickles written by Python 3 rebuild the
    arrays' raw bytes with it (str -> bytes; it calls nothing else).
    """

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode"),
    }

    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refused to load {module}.{name}: only NumPy arrays are allowed")
        if module == "numpy.core.multiarray" and int(np.__version__.split(".")[0]) >= 2:
            module = "numpy._core.multiarray"
        return getattr(importlib.import_module(module), name)


def read_pickle(path: Path, *, check_size: bool = True):
    """Returns ((x, y), (x, y), (x, y)) for training, validation and test from Nielsen's pickle.

    x is float (n, 784) in [0, 1], y integer labels. Python 3 reads this Python 2 pickle with
    ``encoding="latin1"``.
    """
    try:
        raw = _read_bytes(path)
        obj = _ArraysOnly(io.BytesIO(raw), encoding="latin1").load()
    except pickle.UnpicklingError as exc:
        raise DataError(f"{path}: {exc}") from None
    except (EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError) as exc:
        raise DataError(f"{path}: not a readable MNIST pickle ({type(exc).__name__}: {exc})") from None
    if not (isinstance(obj, tuple) and len(obj) == 3 and all(isinstance(p, tuple) and len(p) == 2 for p in obj)):
        raise DataError(f"{path}: expected (training, validation, test), each a pair (images, labels)")
    sizes = (50000, 10000, 10000)
    out = []
    for (x, y), name, n in zip(obj, ("training", "validation", "test"), sizes):
        if not isinstance(x, np.ndarray) or not isinstance(y, np.ndarray) or x.dtype.kind != "f" or y.dtype.kind not in "iu":
            raise DataError(f"{path}: {name} must be a float image array and an integer label array")
        if x.ndim != 2 or x.shape[1] != 784 or y.shape != (x.shape[0],) or (check_size and x.shape[0] != n):
            raise DataError(f"{path}: {name} has shapes {x.shape} and {y.shape}, expected ({n}, 784) and ({n},)")
        if not np.isfinite(x).all() or x.min() < 0 or x.max() > 1:
            raise DataError(f"{path}: {name} images must be finite and in [0, 1]")
        out.append((x, y.astype(np.int64)))
    return tuple(out)


def read_npz(path: Path, *, check_size: bool = True):
    """Returns ((train_x, train_y), (test_x, test_y)) from a Keras-style mnist.npz (uint8)."""
    keys = ("x_train", "y_train", "x_test", "y_test")
    try:
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as f:
            missing = [k for k in keys if k not in f.files]
            if missing:
                raise DataError(f"{path}: missing arrays {missing}; found {f.files} (expected {list(keys)})")
            arrays = {k: f[k] for k in keys}
    except DataError:
        raise
    except Exception as exc:  # zipfile.BadZipFile, ValueError (object arrays), OSError, EOFError ...
        raise DataError(f"{path}: not a readable .npz file ({type(exc).__name__}: {exc})") from None
    for part in ("train", "test"):
        x, y = arrays[f"x_{part}"], arrays[f"y_{part}"]
        if x.dtype != np.uint8 or x.shape[1:] not in ((28, 28), (784,)) or y.shape != (x.shape[0],):
            raise DataError(f"{path}: x_{part} must be uint8 (n, 28, 28) with y_{part} (n,), "
                            f"got {x.dtype} {x.shape} and {y.shape}")
        if check_size and x.shape[0] != CANONICAL_COUNTS[part]:
            raise DataError(f"{path}: {x.shape[0]} {part} images, MNIST has {CANONICAL_COUNTS[part]}")
        if y.size and (y.min() < 0 or y.max() > 9):
            raise DataError(f"{path}: y_{part} must be digits 0..9")
    return ((arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"]))
