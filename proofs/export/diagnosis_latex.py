"""The diagnosis as a LaTeX fragment and a figure, in the export's style: what ``diagnose --out`` writes.

``fragment(record, stem)`` returns ``latex/<stem>.tex``: three paragraphs in a paper's voice (the network; mean field's
prediction, or why it does not apply; what was measured, on what data, over how many draws) and a figure through
macros.tex's ``\\ugincludefigure`` and ``\\ugfigurepath``, labelled ``ug:<stem>`` and ``ug:<stem>:figure``.
``files(record, stem)`` returns every file of ``--out``: the record as JSON, the figure (PDF and PNG), the fragment,
macros.tex and references.bib. Every number comes from the record.
"""

from __future__ import annotations

import json
import math
from pathlib import PurePath

from ..latex_text import escape, plain
from .latex import REFERENCES
from .latex_main import MACROS

__all__ = ["fragment", "files", "planned"]

_PHASES = {"ordered": "the ordered phase", "chaotic": "the chaotic phase", "edge": "the edge of chaos"}
_UNITS = {"sigmoid": "sigmoid", "tanh": r"$\tanh$", "relu": "ReLU", "leaky-relu": "leaky ReLU", "elu": "ELU"}


def _num(v, digits: int = 3) -> str:
    """A number as LaTeX math: 0.205, 8.7\\times10^{-3}, 1.3\\times10^{6}."""
    v = float(v)
    if not math.isfinite(v):
        return r"\infty" if v > 0 else "-\\infty" if v < 0 else r"\mathrm{NaN}"
    if v == 0 or 1e-3 <= abs(v) < 1e4:
        return f"{v:.{digits}g}"
    mantissa, exp = f"{v:.{digits - 1}e}".split("e")
    return rf"{mantissa}\times10^{{{int(exp)}}}"


def _sizes(sizes) -> str:
    from ..diagnosis import sizes_text

    return "$" + sizes_text(sizes).replace(" x ", r" \times ") + "$"


def _network(r: dict) -> str:
    n, H = r["network"], len(r["network"]["sizes"]) - 2
    extras = [w for w, on in (("residual (identity-skip) blocks", n["residual"]),
                              ("batch normalisation", n["batch_norm"])) if on]
    sw, sb, units = n["sigma_w"], n["sigma_b"], _UNITS.get(n["activation"], escape(n["activation"]))
    convention = r"in the convention $W^l_{ij} \sim \mathcal{N}(0, \sigma_w^2/n_{l-1})$, $b^l_i \sim \mathcal{N}(0, " \
                 r"\sigma_b^2)$"
    if len({round(v, 6) for v in sw}) == 1 and len({round(v, 6) for v in sb}) == 1:
        sigmas = f"$\\sigma_w = {_num(sw[0], 4)}$ and $\\sigma_b = {_num(sb[0], 4)}$ in every layer, {convention}"
    else:
        sigmas = (f"per-layer $\\sigma_w$ from ${_num(min(sw))}$ to ${_num(max(sw))}$ and $\\sigma_b$ from "
                  f"${_num(min(sb))}$ to ${_num(max(sb))}$, {convention}")
    if n["source"] == "file":
        name = escape(PurePath(n["file"]).name)
        origin = (f"We examined a saved network of widths {_sizes(n['sizes'])} (the file \\texttt{{{name}}}: {H} "
                  f"hidden layers of {units} units, read out by a {escape(n['output'])} layer); "
                  f"its weights have {sigmas}.")
    else:
        origin = (f"We examined a fully connected network of widths {_sizes(n['sizes'])} ({H} hidden layers of "
                  f"{units} units{', with ' + ' and '.join(extras) if extras else ''}, read out by a "
                  f"softmax layer), initialised as {plain(n['init_words'])}: {sigmas}.")
    return origin


def _meanfield(r: dict) -> str:
    m, H = r["meanfield"], len(r["network"]["sizes"]) - 2
    if not m["applies"]:
        what = "residual blocks" if r["network"]["residual"] else "batch normalisation"
        return (r"Mean field's variance and correlation maps~\cite{poole2016,schoenholz2017} describe plain fully "
                f"connected layers; with {what} they do not apply, and we report the measurement only.")
    where = "" if m["uniform"] else " (at the hidden layers' median $\\sigma_w$, $\\sigma_b$)"
    if m["bounded"]:
        fixed = (f"the variance map has its fixed point at $q^* = {_num(m['q_star'], 4)}$, where "
                 f"$\\chi_1 = {_num(m['chi_1'], 4)}$")
    else:
        fixed = f"the variance map has no finite fixed point, and $\\chi_1 = {_num(m['chi_1'], 4)}$ as $q \\to \\infty$"
    out = [f"Mean field theory~\\cite{{poole2016,schoenholz2017}} places it in {_PHASES[m['phase']]}{where}: {fixed}, "
           f"so each layer multiplies the root mean square of the per-example error $\\delta^l$ by "
           f"$\\sqrt{{\\chi_1}} = {_num(m['sqrt_chi_1'], 4)}$."]
    out.append(f"Carried layer by layer from the digits' first-layer variance $q^1 = {_num(m['q1'], 4)}$, it predicts "
               f"$\\mathrm{{RMS}}\\,\\|\\delta^1\\| / \\mathrm{{RMS}}\\,\\|\\delta^{{{H}}}\\| = "
               f"{_num(m['first_over_last'])}$.")
    if m["trainable_depth"] is not None:
        out.append(f"Its depth scale $\\xi_c = {_num(m['xi_c'])}$ bounds the depth at which random networks were "
                   f"found to train to about ${m['trainable_factor']:g}\\,\\xi_c = {_num(m['trainable_depth'])}$"
                   f"~\\cite{{schoenholz2017}}; the network has {H} hidden layers.")
    elif m["phase"] == "edge":
        out.append("At the edge of chaos $\\xi_c$ diverges, and mean field sets no depth limit.")
    e = m["edge"]
    if e["sigma_w_at_sigma_b"] is not None:
        other = (f", or at $\\sigma_b = {_num(e['sigma_b_at_sigma_w'], 4)}$ for $\\sigma_w = {_num(m['sigma_w'], 4)}$"
                 if e["sigma_b_at_sigma_w"] is not None else "")
        at = _num(e["sigma_w_at_sigma_b"], 4)
        out.append(f"The nearest edge of chaos ($\\chi_1 = 1$) lies at $\\sigma_w = {at}$ "
                   f"for $\\sigma_b = {_num(m['sigma_b'], 4)}${other}.")
    return " ".join(out)


def _measured(r: dict, stem: str) -> str:
    s, H, st = r["measured"], len(r["network"]["sizes"]) - 2, r["settings"]
    f = s["first_over_last"]
    what = ("We measured the network as saved" if r["network"]["source"] == "file" else
            f"We measured {s['networks']} independent random draws of the network at initialisation")
    spread = (f" (from ${_num(f['min'][0])}$ to ${_num(f['max'][0])}$ across the draws)" if s["networks"] > 1 else "")
    c = s["layers"]["c"]["centre"]
    ratio = f"$\\mathrm{{RMS}}\\,\\|\\delta^1\\| / \\mathrm{{RMS}}\\,\\|\\delta^{{{H}}}\\| = {_num(f['centre'][0])}$"
    out = [f"{what}, on the first {s['examples']:,} of {st['training_digits']:,} MNIST training "
           f"digits: {ratio}"
           f"{spread}, and the mean correlation of the pre-activations of {s['pairs']} digit pairs moves from "
           f"${c[0]:.3f}$ in the first hidden layer to ${c[-1]:.3f}$ in the last"
           + (f" (mean field: ${r['meanfield']['layers']['c'][-1]:.3f}$)" if r["meanfield"]["applies"] else "")
           + f". Figure~\\ref{{ug:{stem}:figure}} compares every layer."]
    return " ".join(out)


def fragment(record: dict, stem: str) -> str:
    """Returns the LaTeX fragment of a diagnosis record (see the module docstring)."""
    H = len(record["network"]["sizes"]) - 2
    title = "Gradients of a saved network." if record["network"]["source"] == "file" else "Gradients at initialisation."
    caption = (r"Per-example gradients (top, RMS $\|\delta^l\|$ over that of the last hidden layer, "
               rf"$H = {H}$) and correlations of digit pairs (bottom) through the hidden layers: "
               + ("mean field (line) and " if record["meanfield"]["applies"] else "")
               + "the measurement (dots" + (", with its range over the draws shaded" if record["measured"]["networks"]
                                            > 1 else "") + ").")
    lines = [f"% {stem}: a network's gradients at initialisation; generated by python -m proofs diagnose, do not edit "
             "by hand.", r"% needs amsmath, graphicx and latex/macros.tex; cites references.bib",
             rf"\paragraph{{{title}}}\label{{ug:{stem}}}", _network(record), "",
             _meanfield(record), "", _measured(record, stem), "",
             r"\begin{figure}[tbp]", r"\centering", rf"\ugincludefigure{{3.3in}}{{\ugfigurepath {stem}.pdf}}",
             rf"\caption{{{caption}}}\label{{ug:{stem}:figure}}", r"\end{figure}"]
    return "\n".join(lines) + "%\n"


def planned(stem: str) -> list[str]:
    """Returns the paths ``files`` writes, relative to the output folder."""
    return [f"{stem}.json", f"figures/{stem}.pdf", f"figures/{stem}.png", f"latex/{stem}.tex", "latex/macros.tex",
            "latex/references.bib"]


def files(record: dict, stem: str, libraries: dict) -> dict:
    """Returns {path: bytes or text} of ``planned(stem)``: the record (with ``libraries``), figure, fragment, macros."""
    from numeric.figures import close, to_bytes
    from numeric.figures.diagnose import diagnosis_figure

    from ..values import jsonable

    m, s = record["meanfield"], record["measured"]
    layers = list(range(1, len(record["network"]["sizes"]) - 1))
    predicted = {"rms_over_last": m["layers"]["rms_over_last"], "c": m["layers"]["c"]} if m["applies"] else None
    fig = diagnosis_figure(layers, s["layers"], predicted, "Gradients and correlations through the hidden layers",
                           s["networks"])
    try:
        figure = {f"figures/{stem}.{ext}": to_bytes(fig, ext) for ext in ("pdf", "png")}
    finally:
        close(fig)
    data = json.dumps(jsonable(record | {"libraries": libraries}), indent=2) + "\n"
    return {f"{stem}.json": data, **figure, f"latex/{stem}.tex": fragment(record, stem), "latex/macros.tex": MACROS,
            "latex/references.bib": REFERENCES}
