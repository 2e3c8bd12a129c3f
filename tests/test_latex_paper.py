"""A paper built from the bundle (slow): main.tex, and a two-column article in another folder that loads
hyperref (and amsthm, siunitx, cleveref where installed) before macros.tex and inputs every fragment and
figure of every claim. Both compile with no duplicate hyperref destination, no overfull box and no float
too large; every \\eqref{ug:<id>} of an equation prints an equation number, every \\ref{ug:<id>} of a
finding prints its number, and each link's destination (``pdfinfo -dests``) is on the page the label is."""

import json
import re
import shutil
import subprocess

import pytest

from proofs.cli import main
from proofs.latex_fragments import is_finding

pytestmark = pytest.mark.slow
TOOLS = all(shutil.which(t) for t in ("pdflatex", "bibtex", "pdfinfo"))
needs_tex = pytest.mark.skipif(not TOOLS, reason="pdflatex, bibtex and pdfinfo are needed (Debian: texlive-latex-base, "
                                                  "texlive-latex-recommended, texlive-fonts-recommended, lmodern, "
                                                  "poppler-utils)")
PROBLEMS = re.compile(r"destination with the same identifier|Overfull \\hbox|Overfull \\vbox|Float too large|"
                      r"undefined|Citation .* undefined|multiply defined")


def _installed(sty: str) -> bool:
    return bool(shutil.which("kpsewhich")) and subprocess.run(["kpsewhich", sty], capture_output=True,
                                                               text=True).stdout.strip() != ""


def _tex(folder, name, passes=2):
    for _ in range(passes):
        proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", name], cwd=folder,
                              capture_output=True, text=True, timeout=600)
    log = (folder / name.replace(".tex", ".log")).read_text(errors="replace")
    assert proc.returncode == 0, log[-3000:]
    return log


def _groups(text: str, i: int) -> list[str]:
    """The balanced {...} groups that follow one another from text[i]."""
    out = []
    while i < len(text) and text[i] == "{":
        depth, j = 0, i
        while True:
            depth += text[j] == "{"
            depth -= text[j] == "}"
            j += 1
            if depth == 0:
                break
        out.append(text[i + 1:j - 1])
        i = j
    return out


def _labels(aux: str) -> dict:
    """{label: (printed number, page, anchor)} from hyperref's five-field \\newlabel."""
    out = {}
    for m in re.finditer(r"\\newlabel\{(ug:[^}]*)\}", aux):
        fields = _groups(_groups(aux, m.end())[0], 0)
        out[m[1]] = (fields[0].strip("{}"), int(fields[1]), fields[3])
    return out


def _dests(pdf) -> dict:
    text = subprocess.run(["pdfinfo", "-dests", str(pdf)], capture_output=True, text=True, check=True).stdout
    return {m[2]: int(m[1]) for m in re.finditer(r'^\s*(\d+)\s+\[.*?\]\s+"(.*)"', text, re.M)}


def _check_citations(folder, name, records):
    aux = (folder / name.replace(".tex", ".aux")).read_text()
    labels, dests = _labels(aux), _dests(folder / name.replace(".tex", ".pdf"))
    for r in records:
        number, page, anchor = labels[f"ug:{r['id']}"]
        if is_finding(r) or not r.get("latex"):
            assert re.fullmatch(r"\d+", number) and anchor.startswith("ugfinding."), (r["id"], number, anchor)
        else:
            assert re.fullmatch(r"\d+", number), (r["id"], number)  # an equation's number, never a section's
            assert anchor.startswith(("equation.", "AMS.")), (r["id"], anchor)
            if r.get("tag"):
                assert number == r["tag"], (r["id"], number)
        assert dests.get(anchor) == page, (r["id"], anchor, dests.get(anchor), page)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("paper") / "results"
    assert main(["--out", str(out), "-q", "--quick"]) == 0
    return out, json.loads((out / "results.json").read_text())["claims"]


@needs_tex
def test_main_tex_has_one_destination_per_equation_and_no_bad_box(results):
    out, records = results
    folder = out / "latex"
    _tex(folder, "main.tex", passes=1)
    subprocess.run(["bibtex", "main"], cwd=folder, capture_output=True, timeout=120, check=True)
    log = _tex(folder, "main.tex")
    assert not PROBLEMS.findall(log), PROBLEMS.findall(log)[:5]
    _check_citations(folder, "main.tex", records)


@needs_tex
def test_a_two_column_paper_in_another_folder_inputs_and_cites_every_claim(results):
    out, records = results
    paper = out.parent / "paper"
    paper.mkdir()
    optional = [p for p in ("amsthm", "siunitx") if _installed(f"{p}.sty")]
    body, group = [], None
    for r in records:
        if r["group"] != group:  # a section per group, its floats placed before the next (as main.tex's sections)
            body += [r"\clearpage"] if group else []
            group = r["group"]
            body.append(rf"\section{{{group}}}")
        cite = rf"\ref{{ug:{r['id']}}}" if is_finding(r) or not r.get("latex") else rf"\eqref{{ug:{r['id']}}}"
        body.append(rf"Claim \texttt{{{r['id']}}} is {cite}.")
        body += [rf"\input{{../results/latex/{r['id']}{suffix}}}" for suffix in ("", "-derivation", "-table",
                                                                                "-figures")]
    (paper / "paper.tex").write_text("\n".join([
        r"\documentclass[twocolumn]{article}", r"\usepackage[T1]{fontenc}", r"\usepackage{lmodern}",
        r"\usepackage{amsmath,amssymb,booktabs,graphicx}", *[rf"\usepackage{{{p}}}" for p in optional],
        r"\usepackage{hyperref}", *([r"\usepackage{cleveref}"] if _installed("cleveref.sty") else []),
        r"\newcommand{\ugfigurepath}{../results/figures/}", r"\input{../results/latex/macros}",
        r"\begin{document}", *body, r"\end{document}", ""]))
    log = _tex(paper, "paper.tex", passes=3)
    assert not PROBLEMS.findall(log), PROBLEMS.findall(log)[:5]
    _check_citations(paper, "paper.tex", records)
