"""Figures of the chapter, drawn from numbers computed in the same run (matplotlib, Agg).

Each function returns a ``matplotlib.figure.Figure``; the caller saves it (the CLI writes
PDF and PNG). No number is typed in: every marked point comes from the arguments.
"""

from __future__ import annotations

import contextlib
import contextvars

import matplotlib
import numpy as np
from matplotlib.figure import Figure  # figures drawn straight to files: no pyplot, no backend chosen for the process

from ..functions import sigmoid_prime

__all__ = ["sigma_prime_figure", "width_figure", "interval_figure", "gradient_norms_figure", "neuron_bars_figure",
           "to_bytes", "close", "STYLE", "SIZES", "MAX_HEIGHT", "figure_size"]

# Figures that sit in a LaTeX article: Computer Modern (matplotlib's own cmr10 and mathtext "cm"),
# TrueType fonts embedded in the PDF (pdf.fonttype 42: no Type 3 fonts, which publishers refuse).
STYLE = {"figure.figsize": (3.3, 2.6), "font.size": 8, "axes.grid": True, "grid.alpha": 0.3,
         "font.family": "serif", "font.serif": ["cmr10", "DejaVu Serif"], "mathtext.fontset": "cm",
         "axes.formatter.use_mathtext": True, "pdf.fonttype": 42, "ps.fonttype": 42,
         "svg.hashsalt": "unstable-gradients"}


@contextlib.contextmanager
def _computer_modern():
    """Names the partial sign in matplotlib's Computer Modern table while a figure is made or saved, then restores
    the table: mathtext's "cm" set has no \\partial and took it from STIXGeneral; BaKoMa's cmmi10 holds the glyph
    at TeX's own position 0x40, so every glyph of a figure stays Computer Modern."""
    from matplotlib import _mathtext_data

    table = _mathtext_data.latex_to_bakoma
    added = r"\partial" not in table
    if added:
        table[r"\partial"] = ("cmmi10", 0x40)
    try:
        yield
    finally:
        if added:
            table.pop(r"\partial", None)


# Sizes of a two-column paper: one column (3.3 in) or the full text width (6.9 in); heights leave
# room for the legend, which sits below the axes, off the data.
SIZES = {"column": {"figure.figsize": (3.3, 2.6), "font.size": 8},
         "page": {"figure.figsize": (6.9, 3.3), "font.size": 9}}
MAX_HEIGHT = {"column": 3.0, "page": 3.6}  # in: a figure with a long legend grows to this height, no taller
_SIZE = contextvars.ContextVar("figure_size", default="column")  # this thread's and task's size, no global


@contextlib.contextmanager
def figure_size(name: str):
    """Within the block, figures are made at size ``name``: 'column' (3.3 in wide) or 'page' (6.9 in); the
    previous size returns after it (a context variable: no process-wide setting changes)."""
    if name not in SIZES:
        raise ValueError(f"figure size must be one of {sorted(SIZES)}, got {name!r}")
    token = _SIZE.set(name)
    try:
        yield
    finally:
        _SIZE.reset(token)


def _style() -> dict:
    return {**STYLE, **SIZES[_SIZE.get()]}


def _styled(fn):
    """Runs a figure function inside the suite's style (fonts and size are fixed when the figure is made)."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with matplotlib.rc_context(_style()), _computer_modern():
            return fn(*args, **kwargs)

    return wrapper


def _wrap(text: str, chars: int) -> str:
    """Returns ``text`` broken into lines of at most ``chars`` characters at spaces, never inside $...$."""
    import re

    lines, line = [], ""
    for token in re.findall(r"[^\s$]*\$[^$]*\$[^\s$]*|\S+", text):
        visible = len(re.sub(r"\\[a-zA-Z]+|[{}$\\]", "", token))  # math counts by what prints, roughly
        if line and len(re.sub(r"\\[a-zA-Z]+|[{}$\\]", "", line)) + 1 + visible > chars:
            lines.append(line)
            line = token
        else:
            line = f"{line} {token}" if line else token
    return "\n".join(lines + [line])


def _title(ax, text: str) -> None:
    """Sets a title wrapped to the figure's width (about 11 characters per inch at these sizes)."""
    ax.set_title(_wrap(text, int(ax.figure.get_size_inches()[0] * 11)))


def _taller(fig, factor: float) -> None:
    """Makes the figure ``factor`` times taller (room for its legend), at most MAX_HEIGHT of its size."""
    w, h = fig.get_size_inches()
    fig.set_size_inches(w, min(h * factor, MAX_HEIGHT[_SIZE.get()]))


def _legend(fig, ax, ncol: int = 2) -> None:
    """Puts the legend below the axes (constrained layout makes room), never over the data; a long one compact (a
    smaller font, tighter spacing), so that the figure keeps its height (MAX_HEIGHT)."""
    handles, labels = ax.get_legend_handles_labels()
    size = matplotlib.rcParams["font.size"] * (1 if len(labels) <= 4 else 0.8 if len(labels) <= 8 else 0.7)
    if len(labels) <= 4:
        chars = int(fig.get_size_inches()[0] * 11) - 6  # room beside the legend's marker
        ncol = 1 if max(len(x) for x in labels) > chars // ncol else ncol
        per_column = chars // ncol
    else:  # a compact legend: about 0.55 em a character, the marker's room off each column
        per_column = int(fig.get_size_inches()[0] * 72 / (0.55 * size)) // ncol - 8
    labels = [_wrap(x, per_column) for x in labels]
    fig.legend(handles, labels, loc="outside lower center", ncol=ncol, frameon=False, fontsize=size,
               handlelength=1.6, columnspacing=1.0, labelspacing=0.25 if len(labels) > 4 else 0.5)


def _fig():
    fig = Figure(constrained_layout=True)
    return fig, fig.subplots()


def to_bytes(fig, ext: str) -> bytes:
    """Returns the figure as PDF, PNG or PGF bytes, in the suite's style, with no timestamp (same bytes every run).

    The page is exactly the figure's size (3.3 or 6.9 in wide), so it sits in a paper at its
    natural size. PGF is text for LaTeX (``\\input`` it; the document's fonts are used); making it
    measures text with pdflatex, so it needs a TeX engine.
    """
    import io
    import logging

    meta = {"pdf": {"CreationDate": None, "ModDate": None}, "png": {"Software": None}, "pgf": None}[ext]
    buf = io.BytesIO()
    # fontTools warns that the Computer Modern fonts' 'created' stamps are old while it subsets
    # them; the warning says nothing about the figure, so it is kept off the user's terminal
    font_log = logging.getLogger("fontTools.ttLib.tables._h_e_a_d")
    level = font_log.level
    font_log.setLevel(logging.ERROR)
    try:
        rc = {**STYLE, "pgf.texsystem": "pdflatex", "pgf.rcfonts": False} if ext == "pgf" else STYLE
        with matplotlib.rc_context(rc), _computer_modern():
            extra = {} if meta is None else {"metadata": meta}
            fig.savefig(buf, format=ext, dpi=300 if ext == "png" else 150, **extra)
    finally:
        font_log.setLevel(level)
    return buf.getvalue()


@_styled
def sigma_prime_figure(z_max: float, peak: float):
    """Returns sigma'(z) on [-8, 8] with its maximum (z_max, peak) marked."""
    fig, ax = _fig()
    z = np.linspace(-8, 8, 801)
    ax.plot(z, sigmoid_prime(z), color="C0", label=r"$\sigma'(z)$")
    ax.plot([z_max], [peak], "o", color="C3", label=rf"max $\sigma'({z_max:g}) = {peak:g}$")
    ax.set_xlabel("$z$")
    ax.set_ylabel(r"$\sigma'(z)$")
    _legend(fig, ax)
    return fig


@_styled
def width_figure(abs_w: np.ndarray, widths: np.ndarray, w_star: float, width_star: float):
    """Returns the width (123) against |w| with the maximum (w_star, width_star) marked."""
    fig, ax = _fig()
    ax.plot(abs_w, widths, color="C0", label="width of $\\{a : |w\\sigma'(wa+b)| \\geq 1\\}$")
    ax.plot([w_star], [width_star], "o", color="C3",
            label=f"max {width_star:.3f} at $|w| = {w_star:.3f}$")
    ax.axvline(4, color="0.6", lw=0.8, ls="--")
    ax.set_xlabel("$|w|$")
    ax.set_ylabel("width")
    _legend(fig, ax)
    return fig


@_styled
def interval_figure(weights, b: float, intervals):
    """Returns |w sigma'(wa + b)| against a for each w, with {a : ... >= 1} shaded.

    ``intervals[i]`` is (a_lo, a_hi) for ``weights[i]``, or None where the set is empty.
    """
    fig, ax = _fig()
    a = np.linspace(-2.5, 2.5, 1001)
    for i, (w, iv) in enumerate(zip(weights, intervals)):
        ax.plot(a, np.abs(w * sigmoid_prime(w * a + b)), color=f"C{i}", label=f"$w = {w:g}$")
        if iv is not None:
            ax.axvspan(float(iv[0]), float(iv[1]), color=f"C{i}", alpha=0.15)
    ax.axhline(1, color="0.3", lw=0.8, ls="--")
    ax.set_xlabel("$a$")
    ax.set_ylabel(r"$|w\,\sigma'(wa + b)|$" + f"  ($b = {b:g}$)")
    _legend(fig, ax)
    return fig


@_styled
def gradient_norms_figure(epochs, median, lo, hi, title: str):
    """Returns ||dC/db^l|| per hidden layer against epoch, log scale: the median over seeds as a
    line and the seeds' min-max as a band. ``median``, ``lo``, ``hi`` are (epochs, H)."""
    fig, ax = _fig()
    for l in range(median.shape[1]):
        ax.fill_between(epochs, lo[:, l], hi[:, l], color=f"C{l}", alpha=0.2, lw=0)
        ax.semilogy(epochs, median[:, l], color=f"C{l}", label=f"hidden layer {l + 1}")
    ax.set_xlabel("epoch")
    ax.set_ylabel(r"$\|\partial C/\partial b^l\|$")
    _title(ax, title)
    _legend(fig, ax)
    return fig


@_styled
def neuron_bars_figure(values, title: str):
    """Returns the chapter's bar chart: dC/db of the first neurons of each hidden layer.

    ``values[l]`` holds the first neurons' averaged dC/db of hidden layer l + 1.
    """
    fig, ax = _fig()
    width = 0.8 / len(values)
    for l, v in enumerate(values):
        pos = np.arange(len(v)) + (l - (len(values) - 1) / 2) * width
        ax.bar(pos, v, width, color=f"C{l}", label=f"hidden layer {l + 1}")
    ax.axhline(0, color="0.3", lw=0.6)
    ax.set_xticks(np.arange(len(values[0])), [str(j + 1) for j in range(len(values[0]))])
    ax.set_xlabel("neuron")
    ax.set_ylabel(r"$\partial C/\partial b^l_j$")
    _title(ax, title)
    _legend(fig, ax)
    return fig


def close(fig) -> None:
    """Frees a figure's artists once it is saved (no pyplot registry holds it; the collector drops the rest)."""
    fig.clear()
