"""The diagnosis figure (``python -m proofs diagnose --out``): mean field's prediction against the measurement, layer
by layer, one column wide. Drawn from its arguments only (nothing typed in), in the suite's style (numeric.figures).
"""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import MaxNLocator

from . import _fig, _legend, _styled, _title

__all__ = ["diagnosis_figure"]


@_styled
def diagnosis_figure(layers, measured: dict, predicted: dict | None, title: str, draws: int):
    """Returns two panels over the hidden layers ``layers``: top, RMS ||delta^l|| / RMS ||delta^H|| (log scale);
    bottom, the mean correlation c^l of digit pairs. ``measured[key]`` = {"centre", "min", "max"} per layer for key
    "rms_over_last" (centre: the geometric mean over ``draws`` networks) and "c" (the arithmetic mean), the band from
    min to max; ``predicted[key]`` the mean-field values, or None where mean field does not apply."""
    fig, top = _fig()
    w, h = fig.get_size_inches()
    fig.set_size_inches(w, h * 1.45)
    top.remove()
    top, bottom = fig.subplots(2, 1, sharex=True)
    x = np.asarray(layers)
    for ax, key, label in ((top, "rms_over_last", r"$\|\delta^l\| / \|\delta^H\|$ (RMS)"),
                           (bottom, "c", "correlation $c^l$")):
        m = measured[key]
        if draws > 1:
            ax.fill_between(x, m["min"], m["max"], color="C0", alpha=0.2, lw=0,
                            label=f"measured: min to max over {draws} draws")
        ax.plot(x, m["centre"], "o", color="C0", ms=2.5, label="measured" + (" (mean over draws)" if draws > 1 else ""))
        if predicted is not None:
            ax.plot(x, predicted[key], "-", color="C3", lw=1, label="mean field")
        ax.set_ylabel(label)
    top.set_yscale("log")
    bottom.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.align_ylabels([top, bottom])
    bottom.set_xlabel("hidden layer $l$")
    _title(top, title)
    _legend(fig, top, ncol=1)
    return fig
