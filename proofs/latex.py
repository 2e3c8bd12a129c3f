"""LaTeX export: a bundle under results/latex/ that a paper can \\input piece by piece.

* ``<id>.tex``: the claim's statement, an ``equation`` labelled ``ug:<id>``; the book's number as
  ``\\tag`` only on the claim that is that equation (so ``\\eqref{ug:eq122-chain-gradient}`` prints (122));
* ``<id>-derivation.tex``: the derivation, ``align*`` lines each followed by its justification (the
  book's equation numbers appear there as text, never as a second ``\\tag``);
* ``<id>-table.tex`` (booktabs; book beside run, the protocol in the caption) and ``<id>-figures.tex``;
* ``macros.tex`` (notation used by every fragment: restyle sigma' or Sigma' in one place),
  ``references.bib``, and ``main.tex``: an article (T1 fonts, amsmath, booktabs, graphicx) inputting all.
Writers read result records only; the output is a pure function of them (byte-identical reruns).
"""

from __future__ import annotations

import re

RELATIONS = {"=": "=", "approx": r"\approx", "<=": r"\le", ">=": r"\ge"}
GROUPS = {"chain": "The chain network (eq.~114--122)", "matrix": "The matrix form (eq.~124)",
          "bounds": "When can a gradient avoid vanishing? (eq.~123)", "experiments": "The chapter's experiments",
          "meanfield": "Beyond the chapter: mean-field theory",
          "remedies": "Beyond the chapter: the remedies measured"}

__all__ = ["fragment", "derivation", "table", "figures", "main", "MACROS", "REFERENCES", "TITLES", "bundle"]

MACROS = r"""% unstable-gradients: the notation of every fragment. Restyle here; \providecommand keeps your own.
\providecommand{\ugsigmaprime}{\sigma'}
\providecommand{\ugSigmaprime}{\Sigma'}
\providecommand{\ugverdict}[1]{\textsc{#1}}
\providecommand{\ugclaim}[1]{\texttt{#1}}
% a figure at its natural width (3.3 in: one column; 6.9 in: the page), shrunk only where the line is narrower
\ifdefined\ugfigwidth\else\newlength{\ugfigwidth}\fi
\providecommand{\ugincludefigure}[2]{\setlength{\ugfigwidth}{#1}%
  \ifdim\ugfigwidth>\linewidth\setlength{\ugfigwidth}{\linewidth}\fi\includegraphics[width=\ugfigwidth]{#2}}
"""

REFERENCES = r"""@book{nielsen2015,
  author = {Michael A. Nielsen},
  title = {Neural Networks and Deep Learning},
  publisher = {Determination Press},
  year = {2015},
  note = {Chapter 5, ``Why are deep neural networks hard to train?''}
}
@mastersthesis{hochreiter1991,
  author = {Sepp Hochreiter},
  title = {Untersuchungen zu dynamischen neuronalen {N}etzen},
  school = {Technische Universit{\"a}t M{\"u}nchen},
  year = {1991}
}
@incollection{hochreiter2001,
  author = {Sepp Hochreiter and Yoshua Bengio and Paolo Frasconi and J{\"u}rgen Schmidhuber},
  title = {Gradient flow in recurrent nets: the difficulty of learning long-term dependencies},
  booktitle = {A Field Guide to Dynamical Recurrent Neural Networks},
  publisher = {IEEE Press},
  year = {2001}
}
@incollection{lecun1998,
  author = {Yann LeCun and L{\'e}on Bottou and Genevieve B. Orr and Klaus-Robert M{\"u}ller},
  title = {Efficient {BackProp}},
  booktitle = {Neural Networks: Tricks of the Trade},
  publisher = {Springer},
  year = {1998}
}
@inproceedings{glorot2010,
  author = {Xavier Glorot and Yoshua Bengio},
  title = {Understanding the difficulty of training deep feedforward neural networks},
  booktitle = {Proceedings of the Thirteenth International Conference on Artificial Intelligence and Statistics (AISTATS)},
  year = {2010}
}
@inproceedings{pascanu2013,
  author = {Razvan Pascanu and Tomas Mikolov and Yoshua Bengio},
  title = {On the difficulty of training recurrent neural networks},
  booktitle = {Proceedings of the 30th International Conference on Machine Learning (ICML)},
  year = {2013}
}
@inproceedings{poole2016,
  author = {Ben Poole and Subhaneil Lahiri and Maithra Raghu and Jascha Sohl-Dickstein and Surya Ganguli},
  title = {Exponential expressivity in deep neural networks through transient chaos},
  booktitle = {Advances in Neural Information Processing Systems 29},
  year = {2016}
}
@inproceedings{schoenholz2017,
  author = {Samuel S. Schoenholz and Justin Gilmer and Surya Ganguli and Jascha Sohl-Dickstein},
  title = {Deep Information Propagation},
  booktitle = {International Conference on Learning Representations (ICLR)},
  year = {2017}
}
@inproceedings{he2015,
  author = {Kaiming He and Xiangyu Zhang and Shaoqing Ren and Jian Sun},
  title = {Delving Deep into Rectifiers: Surpassing Human-Level Performance on {ImageNet} Classification},
  booktitle = {Proceedings of the IEEE International Conference on Computer Vision (ICCV)},
  year = {2015}
}
@inproceedings{ioffe2015,
  author = {Sergey Ioffe and Christian Szegedy},
  title = {Batch Normalization: Accelerating Deep Network Training by Reducing Internal Covariate Shift},
  booktitle = {Proceedings of the 32nd International Conference on Machine Learning (ICML)},
  year = {2015}
}
@inproceedings{he2016,
  author = {Kaiming He and Xiangyu Zhang and Shaoqing Ren and Jian Sun},
  title = {Deep Residual Learning for Image Recognition},
  booktitle = {Proceedings of the IEEE Conference on Computer Vision and Pattern Recognition (CVPR)},
  year = {2016}
}
@inproceedings{hanin2018,
  author = {Boris Hanin},
  title = {Which Neural Net Architectures Give Rise to Exploding and Vanishing Gradients?},
  booktitle = {Advances in Neural Information Processing Systems 31},
  year = {2018}
}
@inproceedings{sutskever2013,
  author = {Ilya Sutskever and James Martens and George Dahl and Geoffrey Hinton},
  title = {On the importance of initialization and momentum in deep learning},
  booktitle = {Proceedings of the 30th International Conference on Machine Learning (ICML)},
  year = {2013}
}
"""

# A LaTeX title per claim (the registry's titles are plain text for terminals; a test checks every claim has one).
TITLES = {
    "sigmoid-derivative": r"The sigmoid's derivative: $\sigma' = \sigma(1 - \sigma)$",
    "sigmoid-prime-max": r"$\ugsigmaprime$ peaks at $\ugsigmaprime(0) = 1/4$",
    "eq115-121-cascade": r"The cascade of changes from $\Delta b_1$ to $\Delta C$",
    "eq122-chain-gradient": r"The chain-network gradient, every depth (induction)",
    "chain-weight-gradient": r"$\partial C/\partial w_j = a_{j-1}\,\partial C/\partial b_j$, every depth",
    "cross-entropy-output-layer": r"$\ugsigmaprime$ cancels in the output layer only",
    "ratio-b1-b3": r"$\partial C/\partial b_1$ against $\partial C/\partial b_3$: at most $1/16$ when $|w_j| \le 1$",
    "exploding-construction": r"$w = 100$, $z = 0$: growth by 25 per layer",
    "bp1-bp4-matrix-form": r"The four equations of backpropagation, for all widths $n_{l-1}, n_l, n_{l+1}$",
    "eq124-matrix-delta": r"$\delta^l$ as a product of $\ugSigmaprime$ and transposed weights, for all widths "
                          r"$n_0, \ldots, n_L$ and all depths $L$",
    "eq124-reduces-to-eq122": r"With one neuron per layer, (124) is the chain formula (122)",
    "delta-norm-bound": r"$\|\delta^l\| \le (1/4)^{L-l+1} \prod_k \|w^k\|\,\|\nabla_a C\|$",
    "w-at-least-4": r"$|w\,\ugsigmaprime(wa+b)| \ge 1$ needs $|w| \ge 4$",
    "eq123-interval-width": r"The width of the interval where $|w\,\ugsigmaprime(wa+b)| \ge 1$",
    "eq123-width-maximum": r"The largest width, about $0.45$ near $|w| = 6.9$ (certified)",
    "identity-neuron": r"A sigmoid neuron that approximates the identity",
    "larger-derivative-activations": r"Activations with a larger derivative: $\sup |\varphi'|$",
    "meanfield-fixed-point": r"Mean field: $q^*$, $\chi_1$ and $\sqrt{\chi_1}$ for network2's initialisation",
    "meanfield-ratio-vs-width": r"The predicted ratio $\sqrt{\chi_1}$ against measurements at widths 30--1000",
    "meanfield-chi1-curves": r"$\chi_1$ against $\sigma_w$: the sigmoid needs $\sigma_w \ge 4$",
    "remedies-theory": r"Glorot's and He's variance conditions, and mean field's regime for each initialisation",
    "remedies": r"The remedies side by side: the ratio at initialisation and after training, accuracy, mean field",
    "glorot-saturation": r"The sigmoid's top hidden layer heads to 0 (Glorot and Bengio); tanh beside",
    "speed-of-learning-at-init": r"At initialisation each hidden layer learns about 5 times slower than the next",
    "speed-of-learning-during-training": r"While training, the first hidden layer stays about 100 times slower than the last",
    "accuracy-vs-depth": r"More hidden layers barely help",
    "weights-below-one": r"With $\mathcal{N}(0, 1)$ weights, $|w| < 1$ with probability $\operatorname{erf}(1/\sqrt{2})$",
}
CITES = {"delta-norm-bound": ["nielsen2015", "pascanu2013"], "exploding-construction": ["nielsen2015", "pascanu2013"],
         "accuracy-vs-depth": ["nielsen2015", "glorot2010"],
         "meanfield-fixed-point": ["poole2016", "schoenholz2017"],
         "meanfield-ratio-vs-width": ["schoenholz2017", "nielsen2015"],
         "meanfield-chi1-curves": ["poole2016", "he2015", "nielsen2015"],
         "remedies": ["glorot2010", "he2015", "sutskever2013", "pascanu2013", "ioffe2015", "he2016", "hanin2018"],
         "glorot-saturation": ["glorot2010", "lecun1998"],
         "remedies-theory": ["glorot2010", "he2015", "poole2016"]}

_SPECIALS = {"&": r"\&", "%": r"\%", "_": r"\_", "#": r"\#", "$": r"\$", "{": r"\{", "}": r"\}",
             "^": r"\^{}", "~": r"\~{}", "\\": r"\textbackslash{}"}


def _escape(text: str) -> str:
    """Returns ``text`` safe for LaTeX running text (with T1 fonts, | < > print as themselves)."""
    return "".join(_SPECIALS.get(ch, ch) for ch in str(text))


def _cell(text) -> str:
    """Returns a table cell's text: escaped, and long runs of digits allowed to break every 5 digits."""
    return re.sub(r"(\d{5})(?=\d{3})", r"\1\\allowbreak{}", _escape(text))


def _notation(tex: str) -> str:
    """Returns SymPy's LaTeX with the notation routed through macros.tex."""
    return tex.replace(r"\sigma'", r"\ugsigmaprime").replace(r"\Sigma'", r"\ugSigmaprime")


def _head(record: dict, what: str) -> list[str]:
    return [f"% {record['id']}: {what}; generated by python -m proofs from results.json, do not edit by hand.",
            r"% needs amsmath, amssymb and latex/macros.tex"]


SEPARATORS = (r",\qquad", r",\quad", r":\quad", r";\quad", r"\qquad")


def _lines(tex: str) -> list[str]:
    """Splits a statement at its top-level separators (",\\quad" and the like, outside braces)."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(tex):
        ch = tex[i]
        depth += ch == "{"
        depth -= ch == "}"
        sep = next((x for x in SEPARATORS if depth == 0 and tex.startswith(x, i)), None)
        if sep:
            parts.append(tex[start:i] + (sep[0] if sep[0] in ",:;" else ""))
            start = i = i + len(sep)
            continue
        i += 1
    return [x.strip() for x in parts + [tex[start:]] if x.strip()]


def fragment(record: dict) -> str:
    """Returns the statement fragment: an equation labelled ug:<id>, \\tag'ged only if it is the book's equation.

    A statement of several parts (separated by ",\\quad" and the like) is set as centred lines (gathered),
    so that it fits a column.
    """
    lines = _head(record, "statement")
    if record.get("latex"):
        tag = rf"\tag{{{record['tag']}}}" if record.get("tag") else ""
        parts = _lines(_notation(record["latex"])) if r"\begin{" not in record["latex"] else [_notation(record["latex"])]
        body = parts[0] if len(parts) == 1 else "\\begin{gathered}\n    " + " \\\\\n    ".join(parts) + "\n  \\end{gathered}"
        lines += [r"\begin{equation}", f"  {body}{tag}\\label{{ug:{record['id']}}}", r"\end{equation}"]
    else:
        lines.append(rf"\label{{ug:{record['id']}}}% the statement is the derivation below")
    return "\n".join(lines) + "\n"


def derivation(record: dict) -> str:
    """Returns the derivation fragment: each line, then its justification (book numbers as text)."""
    steps = record.get("steps") or []
    if not steps:
        return ""
    body = []
    for s in steps:
        why = _escape(s.get("why") or "")
        if s.get("tag"):
            why = f"{why} (book: ({s['tag']}))" if why else f"book: ({s['tag']})"
        body.append(f"  {_notation(s['lhs'])} &{RELATIONS[s['relation']]} {_notation(s['rhs'])}")
        if why:
            body.append(rf"  \intertext{{\footnotesize\quad {why}}}")
    out = _head(record, "derivation") + [r"\begin{align*}"]
    for i, line in enumerate(body):
        last = i == len(body) - 1
        out.append(line if last or line.lstrip().startswith("\\intertext") else line + r" \\")
    out.append(r"\end{align*}")
    return "\n".join(out) + "\n"


def _caption(record: dict) -> str:
    nums = record.get("numbers") or {}
    protos = [nums["protocol"]] if "protocol" in nums else nums.get("protocols", [])
    parts = [f"{_escape(p['caption'])}; " + (f"streams {_escape(p['streams'])}" if p.get("streams") else
                                               f"seeds {p['seeds_used'][0]}--{p['seeds_used'][-1]}") for p in protos]
    return " ".join(["The book beside this run."] + [f"Protocol: {p}." for p in parts])


def table(record: dict) -> str:
    """Returns a booktabs table of the book's values beside this run's, the protocol in the caption."""
    rows = (record.get("numbers") or {}).get("book_vs_run") or []
    if not rows:
        return ""
    out = _head(record, "table") + [r"\begin{table}[htbp]", r"\centering\footnotesize",
                                    r"\begin{tabular}{@{}p{0.34\linewidth}p{0.13\linewidth}p{0.25\linewidth}"
                                    r"p{0.2\linewidth}@{}}",
                                    r"\toprule", r"Quantity & Book & This run & Caveat \\", r"\midrule"]
    out += [f"{_cell(r['quantity'])} & {_cell(r['book'])} & {_cell(r['run'])} & {_cell(r.get('caveat', ''))} "
            "\\\\" for r in rows]
    out += [r"\bottomrule", r"\end{tabular}", rf"\caption{{{_caption(record)}}}\label{{ug:{record['id']}:table}}",
            r"\end{table}"]
    return "\n".join(out) + "\n"


FIGURE_WIDTHS = {"column": "3.3in", "page": "6.9in"}


def figures(record: dict, figure_dir: str = "../figures", size: str = "column") -> str:
    """Returns a figure environment per figure of the claim (at the figures' natural width, or the line's)."""
    stems = record.get("figures") or []
    if not stems:
        return ""
    out = _head(record, "figures")
    for stem in stems:
        out += [r"\begin{figure}[htbp]", r"\centering", rf"\ugincludefigure{{{FIGURE_WIDTHS[size]}}}{{{figure_dir}/{stem}.pdf}}",
                rf"\caption{{{TITLES.get(record['id'], _escape(record['title']))}: {_escape(stem)}.}}"
                rf"\label{{ug:{record['id']}:{stem}}}", r"\end{figure}"]
    return "\n".join(out) + "\n"


def main(records: list[dict], settings: dict) -> str:
    """Returns latex/main.tex: an article that inputs every claim's fragments, cites its sources."""
    out = [
        r"\documentclass{article}",
        r"\usepackage[T1]{fontenc}",
        r"\usepackage{lmodern}",
        r"\usepackage{amsmath,amssymb,booktabs,graphicx}",
        r"\usepackage[margin=2.5cm]{geometry}",
        r"\usepackage[hidelinks]{hyperref}",
        r"\input{macros}",
        r"\title{Unstable gradients: machine-checked claims of Nielsen, chapter~5}",
        r"\author{\texttt{python -m proofs}}",
        r"\date{}",
        r"\begin{document}",
        r"\maketitle",
        r"Every statement of ``Why are deep neural networks hard to train?''~\cite{nielsen2015} as a claim, "
        r"regenerated by \texttt{python -m proofs} (seed " + _escape(settings.get("seed")) + ", "
        + _escape(settings.get("dps")) + r" digits, data: " + _escape(settings.get("data")) + r"). "
        r"Verdicts: \ugverdict{proved} (an exact SymPy identity, for all depths where an induction is given), "
        r"\ugverdict{certified} (interval arithmetic), \ugverdict{verified} (a measurement within a stated "
        r"criterion), \ugverdict{not reproduced} (the run is sound, but the book's or a paper's statement did not "
        r"hold on this data; its facts say by how much), \ugverdict{failed}; a criterion that holds by less than "
        r"the seed spread beside it is marked fragile. The chapter builds on the vanishing-gradient analyses of~\cite{hochreiter1991,hochreiter2001} "
        r"and cites~\cite{lecun1998,glorot2010,sutskever2013} for other obstacles.",
    ]
    group = None
    for r in records:
        if r["group"] != group:
            group = r["group"]
            out.append(rf"\section{{\texorpdfstring{{{GROUPS.get(group, _escape(group))}}}{{{_escape(group)}}}}}")
        cites = ",".join(CITES.get(r["id"], ["nielsen2015"]))
        title = TITLES.get(r["id"], _escape(r["title"]))
        out += [rf"\subsection{{\texorpdfstring{{{title}}}{{{_escape(r['title'])}}}}}",
                rf"\noindent\ugclaim{{{_escape(r['id'])}}}, source {_escape(r['source'])}~\cite{{{cites}}}: "
                rf"\ugverdict{{{r['verdict']}}}" + (r" (fragile: a criterion holds by less than the seed spread)"
                                                      if r.get("fragile") else "") + ".", rf"\input{{{r['id']}}}"]
        if r.get("steps"):
            out.append(rf"\input{{{r['id']}-derivation}}")
        if (r.get("numbers") or {}).get("book_vs_run"):
            out.append(rf"\input{{{r['id']}-table}}")
        if r.get("figures"):
            out.append(rf"\input{{{r['id']}-figures}}")
        out.append(r"\clearpage" if r.get("figures") else "")
    out += [r"\bibliographystyle{plain}", r"\bibliography{references}", r"\end{document}"]
    return "\n".join(out) + "\n"


def bundle(records: list[dict], settings: dict) -> dict:
    """Returns {path relative to the results folder: text} for the whole LaTeX bundle."""
    files = {"latex/macros.tex": MACROS, "latex/references.bib": REFERENCES, "latex/main.tex": main(records, settings)}
    for r in records:  # every claim has all four files (a comment where it has no such part): known in advance
        files[f"latex/{r['id']}.tex"] = fragment(r)
        for suffix, fn in FRAGMENTS:
            text = fn(r, size=settings.get("figure_size", "column")) if fn is figures else fn(r)
            files[f"latex/{r['id']}-{suffix}.tex"] = text or f"% {r['id']}: no {suffix}\n"
    return files


FRAGMENTS = (("derivation", derivation), ("table", table), ("figures", figures))


def planned(claim_ids) -> list[str]:
    """Returns the bundle's paths (relative to the results folder) for these claims, before they run."""
    out = ["latex/macros.tex", "latex/references.bib", "latex/main.tex"]
    for cid in claim_ids:
        out += [f"latex/{cid}.tex"] + [f"latex/{cid}-{suffix}.tex" for suffix, _ in FRAGMENTS]
    return out
