"""Figures of the phase claims: the measured phase diagram with 6 xi_c and the fitted boundaries over it,
correlations and gradients through depth against mean field's maps. Each returns a matplotlib Figure drawn from its
arguments (nothing typed in), in the suite's style (numeric.figures)."""

from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from . import _fig, _legend, _styled, _title

__all__ = ["phase_figure", "correlation_figure", "gradient_figure"]


@_styled
def phase_figure(cells, boundaries, curve_sw2, xi_c, critical: float, factor: float, title: str):
    """The phase diagram as measured: each cell (``numeric.experiments.phase.reading``'s rows) a square at (sigma_w^2,
    L) coloured by its median accuracy at the longest length, outlined orange where FRAGILE (its median within its seed
    spread of the bar); over it L = factor x xi_c (red dashed), the fitted boundary L = r* xi_c of each length and
    side (``boundaries``' "ordered" left of the edge, "chaotic" right of it; black, lighter for shorter lengths, the
    interval shaded; the legend gives r* ordered | chaotic) and the edge of chaos. Depth on a log axis; one column
    wide, 3 in tall; ``curve_sw2`` sets the sigma_w^2 axis."""
    fig = Figure(figsize=(3.3, 3.0), constrained_layout=True)
    ax = fig.subplots()
    last = [c["lengths"][-1] for c in cells]
    mesh = ax.scatter([c["sigma_w2"] for c in cells], [c["depth"] for c in cells], c=[x["median"] for x in last],
                      cmap="viridis", vmin=0.1, vmax=1.0, marker="s", s=30, zorder=3,
                      edgecolors=["C1" if x["fragile"] else "none" for x in last], linewidths=1.2)
    if any(x["fragile"] for x in last):
        ax.scatter([], [], marker="s", s=30, facecolors="none", edgecolors="C1", linewidths=1.2,
                   label="FRAGILE cell")
    fig.colorbar(mesh, ax=ax, label="median training accuracy", pad=0.02)
    xi, x = np.asarray(xi_c, dtype=float), np.asarray(curve_sw2, dtype=float)
    ax.plot(x, factor * xi, "--", color="C3", lw=1.2, label=rf"${factor:g}\,\xi_c$ (Schoenholz et al.)")
    for b, grey in zip(boundaries, np.linspace(0.65, 0.0, len(boundaries))):
        col, parts = str(grey), []
        for side, where in (("ordered", x < critical), ("chaotic", x > critical)):
            fit = b[side]
            if not fit["cells"]:
                parts.append("?")
                continue
            ax.fill_between(x[where], fit["low"] * xi[where], np.minimum(fit["high"], 1e3) * xi[where], color=col,
                            alpha=0.15, lw=0)
            ax.plot(x[where], fit["r"] * xi[where], "-", color=col, lw=1.1)
            parts.append({1: "{>}", -1: "{<}"}.get(fit["censored"], "") + f"{fit['r']:.1f}")
        ax.plot([], [], "-", color=col, lw=1.1, label=rf"{b['steps']:,} steps: ${parts[0]} \mid {parts[1]}\,\xi_c$")
    ax.axvline(critical, color="0.5", ls="-.", lw=0.8, label=rf"edge $\sigma_w^2 = {critical:.3f}$")
    depths = sorted({c["depth"] for c in cells})
    ax.set_yscale("log")
    ax.set_ylim(depths[0] / 1.25, depths[-1] * 1.25)
    ax.set_xlim(min(curve_sw2), max(curve_sw2))
    ax.set_yticks(depths, [str(d) for d in depths])
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
