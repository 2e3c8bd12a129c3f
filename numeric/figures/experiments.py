"""Figures of the experiments: accuracy against depth, mean field against width, chi_1 against sigma_w, the
remedies, and Glorot and Bengio's saturation; drawn from numbers computed in the same run, in the suite's
style (``numeric.figures``). Each returns a ``matplotlib.figure.Figure``; no number is typed in.
"""

from __future__ import annotations

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from ..experiments.meanfield import ALTERNATIVE_LABELS
from . import _fig, _legend, _styled, _taller, _title

__all__ = ["accuracy_figure", "meanfield_figure", "chi1_figure", "remedies_figure", "saturation_figure"]


@_styled
def accuracy_figure(hidden_layers, series, chance: float, title: str):
    """Returns validation error (1 - accuracy, log scale) against the number of hidden layers, one line per protocol.

    ``series`` maps a label to (median, lo, hi), one value per entry of ``hidden_layers``; book
    values, if given, are one of the series. A dotted line marks chance.
    """
    fig, ax = _fig()
    for i, (label, (med, lo, hi)) in enumerate(series.items()):
        err, best, worst = (1 - np.asarray(v, dtype=float) for v in (med, hi, lo))
        ax.errorbar(np.asarray(hidden_layers) + 0.06 * (i - 1), 100 * err,
                    yerr=[100 * (err - best), 100 * (worst - err)], color=f"C{i}", marker="o", capsize=3, label=label)
    ax.axhline(100 * (1 - chance), color="0.5", lw=0.8, ls=":", label="chance")
    ax.set_xticks(hidden_layers)
    ax.set_xlabel("hidden layers of 30 neurons")
    ax.set_yscale("log")  # error, not accuracy, on a log axis: the book's 1-2 point differences near 3.5% show
    ticks = [t for t in (1, 2, 3, 5, 10, 20, 50, 90) if ax.get_ylim()[0] <= t <= ax.get_ylim()[1] * 1.05]
    ax.set_yticks(ticks, [f"{t:g}%" for t in ticks])
    ax.minorticks_off()
    ax.set_ylabel("validation error (log scale)")
    _title(ax, title)
    _taller(fig, 1.6)  # four legend entries below the axes
    _legend(fig, ax)
    return fig


@_styled
def meanfield_figure(widths, measured, predicted: float, book_norm=None, alternatives=None):
    """Returns the measured per-layer factors against width (median and seed range), the mean-field
    prediction sqrt(chi_1) as a line. ``measured[i]`` holds the per-seed factors at ``widths[i]``;
    ``book_norm`` likewise for the norm of the gradient averaged over examples (drawn beside, hollow);
    ``alternatives`` {name: value}: wrong formulas within the plotted range, as thin dotted lines."""
    fig, ax = _fig()
    widths = np.asarray(widths, dtype=float)
    for values, shift, label, style in ((measured, 0.97, "per-example RMS norm (predicted)", "o"),
                                        (book_norm, 1.03, "norm of the averaged gradient", "s")):
        if values is None:
            continue
        med = np.array([np.median(v) for v in values])
        lo, hi = np.array([np.min(v) for v in values]), np.array([np.max(v) for v in values])
        ax.errorbar(widths * shift, med, yerr=[med - lo, hi - med], fmt=style, capsize=3, label=label,
                    mfc="none" if style == "s" else None)
    ax.axhline(predicted, color="C3", lw=1, label=rf"mean field $\sqrt{{\chi_1}} = {predicted:.4f}$")
    lo, hi = ax.get_ylim()
    near = {k: v for k, v in (alternatives or {}).items() if lo <= v <= hi}
    for i, (name, value) in enumerate(near.items()):
        ax.axhline(value, color="0.4", lw=0.7, ls=(0, (1, 1 + i)),
                   label=f"wrong: {ALTERNATIVE_LABELS.get(name, name)}")
    ax.set_xscale("log")
    ax.set_xticks(widths, [f"{w:g}" for w in widths])
    ax.set_xlabel("hidden width $n$")
    ax.set_ylabel(r"$(\|\delta^2\| / \|\delta^4\|)^{1/2}$")
    _legend(fig, ax, ncol=1)
    return fig


@_styled
def chi1_figure(sigma_ws, curves: dict, criticals: dict):
    """Returns chi_1(q*) against sigma_w for each activation (log scale), chi_1 = 1 marked, and the sigmoid's
    bound sigma_w^2 / 16 with the line sigma_w = 4. ``criticals`` maps an activation to its sigma_w at chi_1 = 1."""
    fig, ax = _fig()
    for i, (name, chi) in enumerate(curves.items()):
        ax.semilogy(sigma_ws, chi, color=f"C{i}", label=name)
        if name in criticals:
            ax.plot([criticals[name]], [1.0], "o", color=f"C{i}")
    ax.semilogy(sigma_ws, np.asarray(sigma_ws) ** 2 / 16, color="C0", ls=":", lw=1,
                label=r"sigmoid bound $\sigma_w^2/16$")
    ax.axhline(1, color="0.3", lw=0.8, ls="--")
    ax.axvline(4, color="0.6", lw=0.8, ls=":")
    ax.set_xlabel(r"$\sigma_w$")
    ax.set_ylabel(r"$\chi_1$ at $q^*$")
    _legend(fig, ax)
    return fig


@_styled
def remedies_figure(xs, series: dict, predictions: dict | None, ylabel: str, *, log: bool,
                    xlabel: str = "hidden layers of 30 neurons", spread: dict | None = None,
                    diverged: dict | None = None):
    """Returns one line per configuration against ``xs`` (depths or widths); dashed: mean field's prediction;
    ``spread`` {label: [(min, max)]} as error bars; ``diverged`` {label: [count]}: a red ring and the count at each
    point where seeds diverged. The chapter's network (the first series) is drawn black and on top."""
    fig, ax = _fig()
    markers = "os^vD<>phx*+dP8"
    colors = matplotlib.colormaps["tab20"].colors
    for i, (label, values) in enumerate(series.items()):
        color = "black" if i == 0 else colors[(2 * i) % 20 if i < 10 else (2 * (i - 10) + 1) % 20]
        ax.plot(xs, values, marker=markers[i % len(markers)], ms=3, lw=1.6 if i == 0 else 1, color=color, label=label,
                zorder=3 if i == 0 else 2)
        if spread and label in spread:
            lo, hi = np.array(spread[label], dtype=float).T
            ax.errorbar(xs, values, yerr=[np.subtract(values, lo), np.subtract(hi, values)], fmt="none", lw=0.6,
                        color=color, capsize=1.5)
        for x, v, k in zip(xs, values, (diverged or {}).get(label, [0] * len(xs))):
            if k:
                ax.plot([x], [v], "o", ms=7, mfc="none", mec="red", mew=1)
                ax.annotate(f"{k} diverged", (x, v), fontsize=5, color="red", xytext=(3, 3), textcoords="offset points")
        pred = (predictions or {}).get(label)
        if pred is not None and all(v is not None for v in pred):
            ax.plot(xs, pred, ls="--", lw=0.8, color=color)
    if predictions:
        ax.plot([], [], ls="--", lw=0.8, color="grey", label="mean field's prediction (same colour)")
    if diverged and any(any(v) for v in diverged.values()):
        ax.plot([], [], "o", ms=7, mfc="none", mec="red", label="seeds diverged (counted as chance)")
    if log:
        ax.set_yscale("log")
    if log and xlabel.startswith("width"):
        ax.set_xscale("log")
        ax.minorticks_off()
    ax.set_xticks(list(xs))
    ax.set_xticklabels([str(x) for x in xs])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _taller(fig, 1 + 0.07 * len(series))  # the legend entries below the axes
    _legend(fig, ax)
    return fig


@_styled
def saturation_figure(run: dict, p):
    """Returns Glorot and Bengio's Figure 2 on this suite's digits, three panels from ``saturation.run``'s numbers:
    each hidden layer's mean activation against the updates at the chosen eta (median over seeds thick, each seed
    thin; the protocol's judged probe dashed), the same networks at the control eta, and the choice run at the
    chosen eta over its longer training with its mean validation accuracy (black)."""
    fig = Figure(constrained_layout=True)
    _taller(fig, 2.4)  # three panels, within the page's height for a figure
    axes = fig.subplots(3, 1)
    c = run["choice"]
    e = list(p.etas).index(run["eta"])
    panels = ((run["updates"], run["layers"], f"judged seeds, chosen $\\eta = {run['eta']:g}$"),
              (run["updates"], run["control"], f"the same seeds, control $\\eta = {p.control_eta:g}$ (no learning)"),
              (c["updates"], np.asarray(c["layers"])[:, e], f"choice seeds, $\\eta = {run['eta']:g}$, longer"))
    for ax, (updates, layers, title) in zip(axes, panels):
        layers = np.asarray(layers, dtype=float)  # (probes, seeds, hidden)
        for l in range(layers.shape[2]):
            ax.plot(updates, layers[:, :, l], color=f"C{l}", lw=0.3, alpha=0.5)
            ax.plot(updates, np.median(layers[:, :, l], axis=1), color=f"C{l}", lw=1.2,
                    label=f"hidden layer {l + 1}" + (" (top)" if l == layers.shape[2] - 1 else ""))
        ax.set_ylim(0, 1)
        ax.set_ylabel("mean activation")
        _title(ax, title)
    for ax in axes[:2]:
        ax.axvline(p.at_updates, color="0.3", lw=0.8, ls="--", label=f"judged probe ({p.at_updates:.0f} updates)")
    axes[2].plot(c["updates"], np.nanmean(np.asarray(c["accuracy"], dtype=float)[:, e], axis=1), color="k",
                 lw=1.0, ls=":", label="validation accuracy (mean)")
    axes[2].set_xlabel("updates (mini-batches of 10)")
    handles = {lab: hd for ax in axes for hd, lab in zip(*ax.get_legend_handles_labels())}
    fig.legend(list(handles.values()), list(handles.keys()), loc="outside lower center", ncol=2, frameon=False)
    return fig
