"""Figures of the recurrent claims, drawn from numbers computed in the same run (matplotlib, the suite's style).

Each function returns a ``matplotlib.figure.Figure``; the caller saves it. No number is typed in.
"""

from __future__ import annotations

import numpy as np

from . import _fig, _legend, _styled, _taller

__all__ = ["gradient_through_time_figure", "longest_length_figure"]


@_styled
def gradient_through_time_figure(curves: dict, bounds: dict):
    """Returns the median per-example gradient norm of the state against T - t (log scale), one colour per model,
    solid after training and dashed at initialisation. ``curves[model][stage]`` = (T - t, median, lo, hi) with lo, hi
    the seeds' range; ``bounds[model]`` = (T - t, bound) draws the bound (gamma ||W||)^(T - t) (scaled to t = T)."""
    fig, ax = _fig()
    for i, (model, stages) in enumerate(curves.items()):
        for stage, style in (("init", "--"), ("trained", "-")):
            lag, med, lo, hi = stages[stage]
            ax.semilogy(
                lag, med, color=f"C{i}", ls=style, lw=1, label=f"{model}, {'initial' if stage == 'init' else 'trained'}"
            )
            ax.fill_between(lag, lo, hi, color=f"C{i}", alpha=0.12, lw=0)
    for model, (lag, bound) in bounds.items():
        ax.semilogy(lag, bound, color="0.4", ls=":", lw=0.8, label=rf"bound $(\gamma\|W\|)^{{T-t}}$, {model}")
    ax.set_xlabel("$T - t$ (steps back from the read-out)")
    ax.set_ylabel(r"median $\|\partial C/\partial(\mathrm{state}_t)\|$")
    _taller(fig, 1.5)
    _legend(fig, ax)
    return fig


@_styled
def longest_length_figure(results: dict, learned: float, chance: float):
    """Returns the median test accuracy (seeds' range as bars) against the sequence length T, one line per model;
    the criterion ``learned`` dashed and chance dotted. ``results[model]`` = (lengths, median, lo, hi)."""
    fig, ax = _fig()
    for i, (model, (lengths, med, lo, hi)) in enumerate(results.items()):
        lengths, med, lo, hi = (np.asarray(v, dtype=float) for v in (lengths, med, lo, hi))
        ax.errorbar(
            lengths * (1 + 0.04 * (i - 1)),
            med,
            yerr=[med - lo, hi - med],
            color=f"C{i}",
            marker="o",
            ms=3,
            capsize=2,
            lw=1,
            label=model,
        )
    ax.axhline(learned, color="0.3", lw=0.8, ls="--", label=rf"learned: median $\geq$ {learned:.0%}")
    ax.axhline(chance, color="0.5", lw=0.8, ls=":", label="chance")
    ax.set_xscale("log")
    ticks = sorted({int(T) for lengths, *_ in results.values() for T in lengths})
    ax.set_xticks(ticks, [str(T) for T in ticks])
    ax.minorticks_off()
    ax.set_xlabel("sequence length $T$")
    ax.set_ylabel("test accuracy")
    ax.set_ylim(0, 1.02)
    _taller(fig, 1.3)
    _legend(fig, ax)
    return fig
