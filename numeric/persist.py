"""Reading a saved network back (.npz, no pickles), with clear errors for foreign files."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .functions import COSTS

__all__ = ["read_network"]


def read_network(cls, path):
    """Returns a ``cls`` instance with the sizes, cost, weights and biases stored at ``path``."""
    path = Path(path)
    try:
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as f:
            files = set(f.files)
            if not {"sizes", "cost"} <= files:
                raise ValueError(f"{path} is not a saved network (no 'sizes' and 'cost' arrays)")
            sizes = [int(s) for s in f["sizes"]]
            cost = str(f["cost"])
            weights = [f[f"w{l}"] for l in range(len(sizes) - 1)]
            biases = [f[f"b{l}"] for l in range(len(sizes) - 1)]
    except FileNotFoundError:
        raise
    except KeyError as exc:
        raise ValueError(f"{path}: saved network is missing array {exc}") from None
    except ValueError:
        raise
    except Exception as exc:  # BadZipFile, OSError, EOFError from a damaged file
        raise ValueError(f"{path} is not a readable .npz network file ({type(exc).__name__}: {exc})") from None
    if cost not in COSTS:
        raise ValueError(f"{path}: unknown cost {cost!r}")
    net = cls(sizes, cost=cost, rng=0)
    for l, (w, b) in enumerate(zip(weights, biases)):
        if w.shape != net.weights[l].shape or b.shape != net.biases[l].shape:
            raise ValueError(f"{path}: layer {l} has shapes {w.shape}, {b.shape}; sizes {sizes} need "
                             f"{net.weights[l].shape}, {net.biases[l].shape}")
        if not (np.isfinite(w).all() and np.isfinite(b).all()):
            raise ValueError(f"{path}: layer {l} holds NaN or inf")
    net.weights = [np.array(w, dtype=np.float64) for w in weights]
    net.biases = [np.array(b, dtype=np.float64) for b in biases]
    return net
