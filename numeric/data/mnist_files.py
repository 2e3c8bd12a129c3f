"""Readers for the MNIST files users already have: IDX (gzipped or not), Nielsen's pickle, npz.

Each reader returns plain arrays after checking everything it can; every defect raises
``DataError`` naming the file and what was wrong. The pickle reader admits only NumPy array
reconstruction (``numeric.data.pickled_arrays``, within a byte budget): any other global a pickle asks for
is refused before anything runs. Every reader caps the bytes it holds before it allocates them.
"""

from __future__ import annotations

import math
import os
import pickle
from pathlib import Path

import numpy as np

from ..errors import DataError
from .files import npz_headers
from .pickled_arrays import ArrayRecipe, load_arrays
from .reading import MAX_BYTES, _check_regular, _read_bytes, read_idx_file

__all__ = ["IDX_FILES", "CANONICAL_MD5", "LABEL_COUNTS", "check_like_mnist", "read_idx_folder",
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
# The four IDX files of MNIST together, uncompressed: headers, 70,000 images of 784 bytes, 70,000 labels.
IDX_FOLDER_BYTES = 2 * 16 + 70000 * 784 + 2 * 8 + 70000


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


def _check_labels(path: Path, arr: np.ndarray) -> np.ndarray:
    if arr.ndim == 1 and arr.size and arr.max() > 9:
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
    paths = {key: _find(folder, stem) for key, stem in IDX_FILES.items()}
    sizes = {key: os.stat(path).st_size for key, path in paths.items()}
    if sum(sizes.values()) > IDX_FOLDER_BYTES:  # the four files at most as large as MNIST's uncompressed
        raise DataError(f"{folder}: its four IDX files take {sum(sizes.values()):,} bytes on disk, more than the "
                        f"{IDX_FOLDER_BYTES:,} of MNIST's uncompressed (refused before reading any)")
    for key, path in paths.items():
        images = key.endswith("images")
        data, digest = read_idx_file(path, expect_dims=3 if images else 1,  # hashed as it streams, sized by its
                                     max_items=CANONICAL_COUNTS[key.split("_")[0]])  # header, MNIST's at most
        if check_digest and path.name in CANONICAL_MD5:
            if digest != CANONICAL_MD5[path.name]:
                raise DataError(f"{path}: MD5 {digest} does not match MNIST's {CANONICAL_MD5[path.name]} "
                                "(damaged, or not the original file)")
        else:
            unverified.append(path.name)
        out[key] = _check_labels(path, data)
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


def read_pickle(path: Path, *, check_size: bool = True):
    """Returns ((x, y), (x, y), (x, y)) for training, validation and test from Nielsen's pickle.

    x is float (n, 784) in [0, 1], y integer labels. Python 3 reads this Python 2 pickle with
    ``encoding="latin1"``.
    """
    raw = _read_bytes(path)
    try:
        obj = load_arrays(raw, max_bytes=MAX_BYTES)
    except pickle.UnpicklingError as exc:
        raise DataError(f"{path}: {exc}") from None
    except (MemoryError, OverflowError) as exc:
        raise DataError(f"{path}: the pickle asks for an array far larger than MNIST ({type(exc).__name__}); "
                        "refused") from None
    except (EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError) as exc:
        raise DataError(f"{path}: not a readable MNIST pickle ({type(exc).__name__}: {exc})") from None
    if not (isinstance(obj, tuple) and len(obj) == 3 and all(isinstance(p, tuple) and len(p) == 2 for p in obj)
            and all(isinstance(a, ArrayRecipe) and a.array is not None for p in obj for a in p)):
        raise DataError(f"{path}: expected (training, validation, test), each a pair of arrays (images, labels)")
    sizes = (50000, 10000, 10000)
    out = []
    for (x, y), name, n in zip(([a.array for a in p] for p in obj), ("training", "validation", "test"), sizes):
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
        try:
            headers = npz_headers(path, max_bytes=MAX_BYTES)  # sizes checked before any array is read
        except ValueError as exc:  # a member too large, or not an .npy array: the message names the file
            raise DataError(str(exc)) from None
        missing = [k for k in keys if k not in headers]
        if missing:
            raise DataError(f"{path}: missing arrays {missing}; found {sorted(headers)} (expected {list(keys)})")
        for k in keys:  # in bytes (itemsize x count), from the headers, before any array is read
            shape, dtype, stored = headers[k]
            n_max = CANONICAL_COUNTS["train" if k.endswith("train") else "test"] if check_size else 10**6
            cap = n_max * (784 if k.startswith("x") else 8)
            nbytes = math.prod(shape) * dtype.itemsize
            if dtype.kind not in "biuf" or dtype.itemsize > 8:
                raise DataError(f"{path}: array {k} has dtype {dtype}; expected "
                                + ("uint8 images" if k.startswith("x") else "integer labels"))
            if not shape or shape[0] > n_max or nbytes > cap:
                raise DataError(f"{path}: array {k} has shape {shape} of {dtype}, {nbytes:,} bytes; MNIST's takes at "
                                f"most {cap:,} (refused before reading)")
            if stored < nbytes:
                raise DataError(f"{path}: array {k} is truncated ({stored:,} bytes stored for {nbytes:,})")
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as f:
            arrays = {k: f[k] for k in keys}
    except DataError:
        raise
    except OSError as exc:
        raise DataError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except Exception as exc:  # zipfile.BadZipFile, ValueError (object arrays), EOFError ...
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
