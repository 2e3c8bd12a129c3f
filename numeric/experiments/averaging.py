"""The gradient's size at initialisation in the two measures the remedies compare, and mean field for pairs.

``ratios``: per network, the hidden layers' bias gradients as the root mean square of each example's own (what mean
field predicts) and as the norm of their average (the book's ||delta^l||), last over first. ``relu_pair_prediction``:
mean field's prediction of the averaged ratio for ReLU layers from pairs of examples (Poole et al.'s correlation
map), the explanation the width sweep checks.
"""

from __future__ import annotations

import numpy as np

from ..networks.stacked import Stack

__all__ = ["ratios", "relu_pair_prediction"]


def ratios(nets, x, y, *, pairs_sigma_w2: float | None = None, dtype: str = "float64") -> dict:
    """Returns {"per_example", "averaged": [last/first per network]} of the hidden layers' bias gradients on (x, y)
    (float64), and the per-layer norms beside ({"per_example_layers", "averaged_layers"}); with ``pairs_sigma_w2``
    (ReLU layers' sigma_w^2) also "pair_prediction", ``relu_pair_prediction``'s."""
    pairs = pairs_sigma_w2 is not None
    zs, examples = ([], []) if pairs else (None, None)  # the pairs' prediction reads every layer: copies only then
    rms, avg = Stack(nets, dtype=np.dtype(dtype)).gradient_norms(x, y, keep=zs, examples=examples)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = {"per_example": (rms[:, -1] / rms[:, 0]).tolist(), "averaged": (avg[:, -1] / avg[:, 0]).tolist(),
               "per_example_layers": rms.tolist(), "averaged_layers": avg.tolist()}
    if pairs:
        out["pair_prediction"] = relu_pair_prediction(zs, examples[-2], pairs_sigma_w2)
    return out


def relu_pair_prediction(zs, top, sigma_w2: float) -> list:
    """Returns, per network, mean field's prediction of the **averaged** last/first for ReLU layers, from pairs.

    Each layer down multiplies the pair term <delta_a, delta_b> by chi_c(c) = sigma_w^2 E[phi'(u_a) phi'(u_b)] =
    sigma_w^2 (pi - arccos c) / (2 pi), c the correlation of the two inputs' pre-activations at that layer
    (Poole et al.'s correlation map, ReLU's arc-cosine form); so from the top layer's measured pair terms G^H and
    the measured correlations c^l, ||mean delta^H|| / ||mean delta^1|| = sqrt(sum G^H) / sqrt(sum G^H prod_l
    chi_c(c^l)). On the diagonal (a = b) chi_c(1) = sigma_w^2 / 2 = 1 for He: the per-example ratio stays 1.
    """
    out = []
    for k in range(len(top)):
        G = top[k] @ top[k].T
        factor = np.ones_like(G)
        for u in zs[:-2]:  # the pre-activations of hidden layers 1..H-1, each a factor on the way down
            u = u[k] / np.linalg.norm(u[k], axis=1, keepdims=True)
            c = np.clip(u @ u.T, -1.0, 1.0, out=np.empty_like(G))
            factor *= (np.pi - np.arccos(c, out=c)) * (sigma_w2 / (2 * np.pi))
        out.append(float(np.sqrt(G.sum(dtype=float) / (G * factor).sum(dtype=float))))
    return out
