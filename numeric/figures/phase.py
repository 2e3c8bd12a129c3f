"""Figures of the phase claims: the trainability heat map with 6 xi_c over it, correlations and gradients through
depth against mean field's maps. Each returns a matplotlib Figure drawn from its arguments (nothing typed in), in
the suite's style (numeric.figures)."""

from __future__ import annotations

import matplotlib
import numpy as np

from . import _fig, _legend, _styled, _title

__all__ = ["phase_figure", "correlation_figure", "gradient_figure"]


def _edges(values) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    mid = (v[1:] + v[:-1]) / 2
    return np.concatenate([[v[0] - (mid[0] - v[0])], mid, [v[-1] + (v[-1] - mid[-1])]])


@_styled
def phase_figure(sigma_w2s, depths, median, curve_sw2, xi_c, critical: float, factor: float, inside: float, title: str):
    """Median accuracy (depths, sigma_w2s) as a heat map; factor * xi_c(sigma_w^2) over it (red dashed), inside *
    xi_c (orange dotted: the "well inside" cells lie below it) and the critical sigma_w^2. Depth on a log axis."""
    fig, ax = _fig()
    mesh = ax.pcolormesh(_edges(sigma_w2s), np.exp(_edges(np.log(depths))), np.asarray(median), vmin=0.1, vmax=1.0,
                         cmap="viridis", shading="flat")
    fig.colorbar(mesh, ax=ax, label="training accuracy (median)")
    ax.plot(curve_sw2, factor * np.asarray(xi_c), "--", color="C3", lw=1.4, label=rf"${factor:g}\,\xi_c$ (mean field)")
    ax.plot(curve_sw2, inside * np.asarray(xi_c), ":", color="C1", lw=1.2, label=rf"${inside:g}\,\xi_c$")
    ax.axvline(critical, color="0.6", ls="-.", lw=1, label=rf"edge $\chi_1 = 1$: $\sigma_w^2 = {critical:.4f}$")
    ax.set_yscale("log")
    ax.set_ylim(np.exp(_edges(np.log(depths)))[[0, -1]])
    ax.set_xlim(_edges(sigma_w2s)[[0, -1]])
    ax.set_yticks(list(depths), [str(d) for d in depths])
    ax.minorticks_off()
    ax.set_xlabel(r"$\sigma_w^2$")
    ax.set_ylabel("depth L")
    ax.grid(False)
    _title(ax, title)
    _legend(fig, ax, ncol=1)
    return fig


def _measured_against_map(plot, layers, measured: dict, predicted: dict) -> dict:
    """Draws, per label, the map's curve (line) and the measured widest layers (dots) in one colour with ``plot``
    (ax.plot or ax.semilogy); returns {label: colour}."""
    colors = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"]
    out = {}
    for i, (label, pred) in enumerate(predicted.items()):
        out[label] = col = colors[i % len(colors)]
        plot(layers, pred, "-", color=col, lw=1, label=f"{label}: map")
        plot(layers, measured[label], "o", color=col, ms=2.5, label=f"{label}: width 1000")
    return out


@_styled
def correlation_figure(layers, measured: dict, predicted: dict, c_star: dict):
    """Measured mean correlation of digit pairs per layer ({label: values}) beside the map's c^l and c*."""
    fig, ax = _fig()
    for label, col in _measured_against_map(ax.plot, layers, measured, predicted).items():
        ax.axhline(c_star[label], color=col, ls=":", lw=0.8)
    ax.set_xlabel("layer l")
    ax.set_ylabel(r"correlation $c^l$ of two digits")
    _title(ax, r"Correlation through depth: measured against the map (dotted: $c^*$)")
    _legend(fig, ax, ncol=2)
    return fig


@_styled
def gradient_figure(layers, measured: dict, predicted: dict):
    """Measured per-example RMS of delta^l / delta^L beside the map's exact product, log scale."""
    fig, ax = _fig()
    _measured_against_map(ax.semilogy, layers, measured, predicted)
    ax.set_xlabel("hidden layer l")
    ax.set_ylabel(r"RMS $\|\delta^l\|$ / RMS $\|\delta^L\|$")
    _title(ax, "Gradients through depth: measured against mean field's product")
    _legend(fig, ax, ncol=2)
    return fig
