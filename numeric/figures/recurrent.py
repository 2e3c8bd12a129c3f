"""Figures of the recurrent claims, drawn from numbers computed in the same run (matplotlib, the suite's style).

Each function returns a ``matplotlib.figure.Figure``; the caller saves it. No number is typed in.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from . import _legend, _styled, _taller

__all__ = ["gradient_through_time_figure", "longest_length_figure"]


@_styled
def gradient_through_time_figure(lag, curves: dict, D: dict):
    """Returns two panels: (a) the median over seeds of each seed's median per-example gradient norm of the state,
    relative to its value at t = T, against T - t (log scale), one colour per model, dashed at initialisation and
    solid after training, the seeds' range shaded; ``curves[model][stage]`` = (median, lo, hi) over t = 0..T. (b) each
    seed's D = norm at t = 1 / norm at t = T at initialisation, one column of points per model (``D[model]``:
    (seeds,)), the paired comparison the claim judges."""
    fig = Figure(constrained_layout=True)
    _taller(fig, 2.2)  # two panels, within the page's height for a figure
    ax, bx = fig.subplots(2, 1, height_ratios=(3, 2))
    for i, (model, stages) in enumerate(curves.items()):
        for stage, style in (("init", "--"), ("trained", "-")):
            if stage in stages:
                med, lo, hi = stages[stage]
                ax.semilogy(lag, med, color=f"C{i}", ls=style, lw=1,
                            label=f"{model}, {'initial' if stage == 'init' else 'trained'}")
                ax.fill_between(lag, lo, hi, color=f"C{i}", alpha=0.12, lw=0)
    ax.set_xlabel("$T - t$ (steps back from the read-out)")
    ax.set_ylabel(r"$\|\partial C/\partial s_t\|\,/\,\|\partial C/\partial s_T\|$")
    ax.set_title("(a) the gradient through time, relative to $t = T$", fontsize="medium")
    for i, values in enumerate(D.values()):
        values = np.asarray(values, dtype=float)
        jitter = np.linspace(-0.25, 0.25, len(values))
        bx.scatter(i + jitter, values, s=4, color=f"C{i}", lw=0)
        bx.hlines(np.median(values), i - 0.35, i + 0.35, color="0.2", lw=1)
    bx.set_yscale("log")
    bx.set_xticks(range(len(D)), [m.replace("rnn-tanh-", "rnn-").replace("-", "-\n", 1) for m in D], fontsize=6)
    bx.set_ylabel("$D$ per seed (initial)")
    bx.set_title("(b) $D$ of each seed at initialisation; bar: median", fontsize="medium")
    _legend(fig, ax)
    return fig


@_styled
def longest_length_figure(series: dict, learned: float, chance: float):
    """Returns two panels: (a) the median test accuracy against the length T at each budget (thin to thick as the
    budget grows), one colour per model, the seeds' range at the largest budget as bars; the criterion dashed and
    chance dotted. (b) the longest length learned against the budget, one step line per model. ``series[model]`` =
    {"lengths", "budgets", "median", "low", "high": (budgets, lengths), "longest": (budgets,)}."""
    fig = Figure(constrained_layout=True)
    _taller(fig, 2.2)  # two panels, within the page's height for a figure
    ax, bx = fig.subplots(2, 1, height_ratios=(3, 2))
    for i, (model, s) in enumerate(series.items()):
        T = np.asarray(s["lengths"], dtype=float) * (1 + 0.03 * (i - 1))
        med, lo, hi = (np.asarray(s[k], dtype=float) for k in ("median", "low", "high"))
        n = len(s["budgets"])
        for b, B in enumerate(s["budgets"]):
            last = b == n - 1
            ax.plot(T, med[b], color=f"C{i}", lw=0.6 + 0.8 * b / max(n - 1, 1), marker="o" if last else None, ms=3,
                    alpha=0.45 + 0.55 * b / max(n - 1, 1), label=f"{model}, {B:,} updates" if last else None)
        ax.errorbar(T, med[-1], yerr=[med[-1] - lo[-1], hi[-1] - med[-1]], color=f"C{i}", lw=0, elinewidth=0.8,
                    capsize=2)
        levels = [0, *sorted(s["lengths"])]
        y = [levels.index(L) + 0.06 * (i - (len(series) - 1) / 2) for L in s["longest"]]
        bx.step(s["budgets"], y, where="post", color=f"C{i}", lw=1, marker="osd^v"[i % 5], ms=3, label=model)
    ax.axhline(learned, color="0.3", lw=0.8, ls="--", label=rf"learned: median $\geq$ {learned:.0%}")
    ax.axhline(chance, color="0.5", lw=0.8, ls=":", label="chance")
    ticks = sorted({int(T) for s in series.values() for T in s["lengths"]})
    for a in (ax,):
        a.set_xscale("log")
        a.set_xticks(ticks, [str(T) for T in ticks])
        a.minorticks_off()
    ax.set_xlabel("sequence length $T$ (thin to thick: more updates)")
    ax.set_ylabel("test accuracy")
    ax.set_ylim(0, 1.02)
    ax.set_title("(a) accuracy by length at each budget", fontsize="medium")
    budgets = sorted({B for s in series.values() for B in s["budgets"]})
    bx.set_xscale("log")
    bx.set_xticks(budgets, [f"{B:,}" for B in budgets])
    bx.minorticks_off()
    bx.set_yticks(range(len(ticks) + 1), ["none", *map(str, ticks)])
    bx.set_xlabel("updates $B$")
    bx.set_ylabel("longest $T$ learned")
    bx.set_title("(b) the longest length learned within $B$ updates", fontsize="medium")
    _legend(fig, ax)
    return fig
