"""Readers for the MNIST files users already have: IDX (gzipped or not), Nielsen's pickle, npz.

Each reader returns plain arrays after checking everything it can; every defect raises
``DataError`` naming the file and what was wrong. The pickle reader admits only NumPy array
reconstruction: any other global a pickle asks for is refused before anything runs.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import pickle
import zlib
from pathlib import Path

import numpy as np

from .data import DataError
from .files import is_regular_file, npz_headers

__all__ = ["IDX_FILES", "CANONICAL_MD5", "LABEL_COUNTS", "check_like_mnist", "read_idx", "read_idx_folder",
           "read_pickle", "read_npz"]

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
# Images per digit 0..9 in MNIST's training and test sets (any genuine copy has exactly these).
LABEL_COUNTS = {"train": (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949),
                "test": (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)}
PIXEL_MEAN = (25.0, 42.0)  # MNIST's mean pixel is about 33.3 of 255 (random bytes: 127.5, blank: 0)
IDX_MAGIC = {2051: 3, 2049: 1}  # uint8 images (3 dims), uint8 labels (1 dim)
MAX_BYTES = 300_000_000  # the largest MNIST file decompressed (Nielsen's pickle) is about 220 MB


def _check_regular(path: Path) -> None:
    """Refuses folders, FIFOs, devices and sockets before opening (a FIFO would block the read)."""
    if not path.exists():
        raise DataError(f"{path}: no such file")
    if not is_regular_file(path):
        raise DataError(f"{path}: not a regular file (a folder, FIFO or device cannot be an MNIST file)")


def _read_bytes(path: Path, limit: int = MAX_BYTES) -> bytes:
    """Returns the file's bytes, gunzipped if it is gzip; never more than ``limit`` bytes (no gzip bomb)."""
    _check_regular(path)
    with open(path, "rb") as fh:
        raw = fh.read(limit + 1)
    if raw[:2] != b"\x1f\x8b":
        if len(raw) > limit:
            raise DataError(f"{path}: larger than {limit:,} bytes, far more than any MNIST file")
        return raw
    try:
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = d.decompress(raw, limit + 1)
        if len(out) > limit or d.unconsumed_tail:
            raise DataError(f"{path}: decompresses to more than {limit:,} bytes, far more than any MNIST file "
                            "(refused before it could fill memory)")
        if not d.eof:
            raise DataError(f"{path}: not a valid gzip file (truncated: the stream ends early)")
        return out
    except zlib.error as exc:
        raise DataError(f"{path}: not a valid gzip file (truncated or corrupt: {exc})") from None


def check_like_mnist(where: str, part: str, pixels: np.ndarray, labels: np.ndarray) -> None:
    """Raises DataError unless a full MNIST split has MNIST's label counts and pixel statistics.

    ``part`` is "train" (60,000 images) or "test" (10,000); ``pixels`` uint8 0..255 or floats in [0, 1].
    """
    counts = tuple(int(c) for c in np.bincount(labels, minlength=10)[:10])
    if counts != LABEL_COUNTS[part]:
        raise DataError(f"{where}: {part} label counts per digit {list(counts)} are not MNIST's "
                        f"{list(LABEL_COUNTS[part])} (mislabelled, shuffled with other data, or not MNIST)")
    scale = 255.0 if pixels.dtype == np.uint8 else 1.0
    mean = float(pixels.mean()) * 255.0 / scale
    if not PIXEL_MEAN[0] <= mean <= PIXEL_MEAN[1] or float(pixels.max()) != scale:
        raise DataError(f"{where}: {part} images have mean pixel {mean:.1f} of 255 and maximum "
                        f"{float(pixels.max()) * 255 / scale:.0f}; MNIST's are about 33 and 255 (blank, noise, or "
                        "not MNIST)")


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
            _check_regular(folder / name)
            return folder / name
    raise DataError(f"{folder}: missing {stem}.gz (or {stem}); the IDX folder needs the four files "
                    + ", ".join(f"{s}.gz" for s in IDX_FILES.values()))


def read_idx_folder(folder: Path, *, check_digest: bool = True, report: list | None = None):
    """Returns ((train_images, train_labels), (test_images, test_labels)) from an IDX folder.

    With ``check_digest``: gzipped files must have MNIST's MD5s; uncompressed ones (no canonical
    digest) are checked for MNIST's sizes, label counts and pixel statistics instead, and ``report``
    (a list) receives one line saying which files were not digest-verified.
    """
    out, unverified = {}, []
    for key, stem in IDX_FILES.items():
        path = _find(folder, stem)
        if check_digest and path.name in CANONICAL_MD5:
            digest = hashlib.md5(path.read_bytes()).hexdigest()
            if digest != CANONICAL_MD5[path.name]:
                raise DataError(f"{path}: MD5 {digest} does not match MNIST's {CANONICAL_MD5[path.name]} "
                                "(damaged, or not the original file)")
        else:
            unverified.append(path.name)
        out[key] = read_idx(path, expect_dims=3 if key.endswith("images") else 1)
    for part in ("train", "test"):
        n_img, n_lab = len(out[f"{part}_images"]), len(out[f"{part}_labels"])
        if n_img != n_lab:
            raise DataError(f"{folder}: {n_img} {part} images but {n_lab} labels")
        if check_digest and n_img != CANONICAL_COUNTS[part]:
            raise DataError(f"{folder}: {n_img} {part} images, MNIST has {CANONICAL_COUNTS[part]}")
        if check_digest:
            check_like_mnist(str(folder), part, out[f"{part}_images"], out[f"{part}_labels"])
    if check_digest and unverified and report is not None:
        report.append(f"not digest-verified (no canonical digest for uncompressed files): {', '.join(unverified)}; "
                      "sizes, label counts and pixel statistics checked")
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
    except (MemoryError, OverflowError) as exc:
        raise DataError(f"{path}: the pickle asks for an array far larger than MNIST ({type(exc).__name__}); "
                        "refused") from None
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
        if y.size and (y.min() < 0 or y.max() > 9):
            raise DataError(f"{path}: {name} labels must be digits 0..9, got {y.min()}..{y.max()}")
        out.append((x, y.astype(np.int64)))
    if check_size:  # Nielsen's training + validation are MNIST's 60,000 training images
        check_like_mnist(str(path), "train", np.concatenate([out[0][0], out[1][0]]),
                         np.concatenate([out[0][1], out[1][1]]))
        check_like_mnist(str(path), "test", out[2][0], out[2][1])
    return tuple(out)


def read_npz(path: Path, *, check_size: bool = True):
    """Returns ((train_x, train_y), (test_x, test_y)) from a Keras-style mnist.npz (uint8)."""
    keys = ("x_train", "y_train", "x_test", "y_test")
    _check_regular(path)
    try:
        headers = npz_headers(path)  # shapes checked before any array is read (no huge allocation)
        missing = [k for k in keys if k not in headers]
        if missing:
            raise DataError(f"{path}: missing arrays {missing}; found {sorted(headers)} (expected {list(keys)})")
        for k in keys:
            shape, dtype, _ = headers[k]
            n_max = CANONICAL_COUNTS["train" if k.endswith("train") else "test"] if check_size else 10**6
            if not shape or shape[0] > n_max or int(np.prod(shape)) > n_max * 784:
                raise DataError(f"{path}: array {k} has shape {shape}, larger than MNIST's")
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as f:
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
        if y.dtype.kind not in "iu":
            raise DataError(f"{path}: y_{part} must hold integer labels, got dtype {y.dtype}")
        if y.size and (y.min() < 0 or y.max() > 9):
            raise DataError(f"{path}: y_{part} must be digits 0..9")
        if check_size:
            check_like_mnist(str(path), part, x, y)
    return ((arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"]))
