"""The remedies' width sweep: why the ReLU and batch-norm rows of the remedies table differ from mean field's 1.

At ``sweep_depth`` hidden layers and each of ``sweep_widths``, fresh draws of a configuration (``sweep_seeds`` per
width, the narrowest taking the most) measure the per-example and the averaged ratio (``averaging.ratios``); for
ReLU layers at widths >= ``pair_min_width``, mean field for pairs predicts the averaged one
(``averaging.relu_pair_prediction``). The protocol and its criteria are the remedies' (``remedies.PROTOCOL``).
"""

from __future__ import annotations

from ..activations import weight_variance
from ..networks.deep import DeepNetwork
from . import work as work_of
from .averaging import ratios
from .protocol import Protocol
from .remedies import _paired, _remedy, _scaled, streams

__all__ = ["sweep_seeds", "width_sweep", "work"]


def sweep_seeds(p: Protocol) -> tuple[int, ...]:
    """Returns the width sweep's seeds per width: ``sweep_seeds``, scaled as the run's seeds (``_scaled``)."""
    return tuple(_scaled(p, s) for s in p.sweep_seeds)


def width_sweep(key: str, protocol: Protocol, data, seed: int) -> dict:
    """Returns {width: ratios at initialisation} for configuration ``key`` at ``sweep_depth`` hidden layers, on the
    first ``sweep_images`` training digits, ``sweep_seeds`` seeds per width (the initial draws from ``streams``, in
    ``sweep_dtype``); for ReLU networks at widths >= ``pair_min_width`` also the pair prediction of the averaged ratio
    (``relu_pair_prediction``)."""
    remedy, p = _remedy(key), protocol
    x, y = data.training.x[:p.sweep_images], data.training.y[:p.sweep_images]
    out = {}
    for width, seeds in zip(p.sweep_widths, sweep_seeds(p)):
        nets = [DeepNetwork([784] + [width] * p.sweep_depth + [10], rng=r["init"], **remedy.net)
                for r in streams(seed, seeds)]
        pairs = _paired(key) and width >= p.thresholds().pair_min_width  # mean field's regime (relu-pairs)
        sigma_w2 = width * weight_variance(remedy.net.get("init", "default"), width, width) if pairs else None
        out[width] = ratios(nets, x, y, pairs_sigma_w2=sigma_w2, dtype=p.sweep_dtype)
    return out


def work(p: Protocol) -> list[dict]:
    """Returns the sweep's matrix products: one backprop of the errors per draw, width and configuration, and the
    pairs' Gram matrices (H - 1 layers and the top) where the pair prediction is made."""
    out, paired = [], sum(map(_paired, p.sweep_configs))
    for width, seeds in zip(p.sweep_widths, sweep_seeds(p)):
        out += work_of.dense([784] + [width] * p.sweep_depth + [10], p.sweep_images, seeds, p.sweep_dtype,
                             len(p.sweep_configs), weight_gradient=False)
        if paired and width >= p.thresholds().pair_min_width:
            out += [work_of.product(p.sweep_images, width, p.sweep_images, seeds, p.sweep_dtype,
                                    paired * p.sweep_depth)]
    return out
