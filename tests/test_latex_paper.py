"""A paper built from the bundle (slow): main.tex, and a two-column article in another folder that loads
hyperref (and amsthm, siunitx, cleveref where installed) before macros.tex and inputs every fragment and
figure of every claim. Both compile with no duplicate hyperref destination, no overfull box and no float
too large; every \\eqref{ug:<id>} of an equation prints an equation number, every \\ref{ug:<id>} of a
finding prints its number, and each link's destination (``pdfinfo -dests``) is on the page the label is.
In a column no equation's number drops to a line of its own (read back with ``pdftotext -bbox``), and no page of
main.tex but the last is mostly blank (read back from the pages' pixels, ``pdftoppm``)."""

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest

from proofs.export.latex_fragments import is_finding
from proofs.run.cli import main

pytestmark = pytest.mark.slow
TOOLS = all(shutil.which(t) for t in ("pdflatex", "bibtex", "pdfinfo", "pdftotext", "pdftoppm"))
needs_tex = pytest.mark.skipif(not TOOLS, reason="pdflatex, bibtex and poppler-utils' pdfinfo, pdftotext and pdftoppm "
                                                  "are needed (Debian: texlive-latex-base, texlive-latex-recommended, "
                                                  "texlive-fonts-recommended, lmodern, poppler-utils)")
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
    for m in re.finditer(r"\\newlabel\{(ug:[^}@]*)\}", aux):  # cleveref's label@cref lines are its own
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


def _words(pdf) -> list[list[tuple]]:
    """Each page's words as (x_min, y_min, x_max, y_max, text), in points from the top left (``pdftotext -bbox``)."""
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    word = re.compile(r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')
    return [[(*map(float, m.groups()[:4]), m[5]) for m in word.finditer(page)]
            for page in re.findall(r"<page.*?</page>", html, re.S)]


def tag_on_its_own_line(words: list[tuple]) -> tuple | None:
    """The display's number (the rightmost "(n)") when it sits below every other word of the display, as amsmath
    sets it when the display and its number do not fit the line together; None when it sits beside the display."""
    numbers = [w for w in words if re.fullmatch(r"\(\d+\)", w[4])]
    assert numbers, words
    number = max(numbers, key=lambda w: w[2])
    rest = [w for w in words if w is not number]
    return number if number[1] >= max(w[3] for w in rest) - 0.5 else None


BLANK_RUN = 0.5  # in: a vertical stretch of the text area without ink taller than this is blank space ...
MOSTLY_BLANK = 0.5  # ... and a page whose blank stretches take more than this fraction of its text area is mostly blank


def filled(pdf, margin_in: float, dpi: int = 72) -> list[float]:
    """Each page's filled fraction: 1 minus the share of its text area's height (the page less ``margin_in`` on each
    side) in rows without ink that run taller than BLANK_RUN (lines, displays and floats are closer than that)."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", str(pdf), f"{tmp}/p"], check=True, timeout=300)
        out, m = [], round(margin_in * dpi)
        for f in sorted(Path(tmp).glob("p-*.pgm")):  # binary PGM: "P5\n<w> <h>\n255\n" then the pixels
            magic, size, _, pixels = f.read_bytes().split(b"\n", 3)
            w, h = map(int, size.split())
            ink = (np.frombuffer(pixels, np.uint8).reshape(h, w)[m:h - m, m:w - m] < 160).any(axis=1)
            edges = np.flatnonzero(np.diff(np.r_[True, ink, True].astype(int)))  # starts and ends of the blank runs
            runs = edges[1::2] - edges[::2]
            out.append(1 - runs[runs > BLANK_RUN * dpi].sum() / len(ink))
    return out


def main_filled(folder) -> list[float]:
    """Each page's filled fraction (``filled``) of the main.pdf in ``folder``, at main.tex's margins."""
    margin = re.search(r"\\usepackage\[margin=([\d.]+)cm\]\{geometry\}", (folder / "main.tex").read_text())
    return filled(folder / "main.pdf", float(margin[1]) / 2.54)


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
    pages = main_filled(folder)
    blank = {k: round(float(f), 2) for k, f in enumerate(pages[:-1], 1) if f < MOSTLY_BLANK}  # but the last page
    assert not blank, f"mostly blank pages (page: filled fraction): {blank}"


@needs_tex
def test_no_equation_number_drops_to_a_line_of_its_own_in_a_column(results, tmp_path):
    """Each numbered statement alone on a page of a two-column article: its number sits beside the display, not
    below it (amsmath's way out when a display and its number are wider than the column together)."""
    out, records = results
    ids = [r["id"] for r in records if "begin{equation" in (out / "latex" / f"{r['id']}.tex").read_text()]
    body = [line for i in ids for line in (r"\clearpage START", rf"\input{{{out}/latex/{i}}}", "END")]
    (tmp_path / "column.tex").write_text("\n".join([
        r"\documentclass[twocolumn]{article}", r"\usepackage[T1]{fontenc}", r"\usepackage{lmodern}",
        r"\usepackage{amsmath,amssymb}", r"\usepackage{hyperref}", rf"\input{{{out}/latex/macros}}",
        r"\begin{document}", *body, r"\end{document}", ""]))
    log = _tex(tmp_path, "column.tex", passes=1)
    pages = _words(tmp_path / "column.pdf")
    assert len(ids) >= 20 and len(pages) == len(ids), (len(ids), len(pages))
    dropped = {}
    for cid, words in zip(ids, pages):
        texts = [w[4] for w in words]
        display = words[texts.index("START") + 1:texts.index("END")]
        if (number := tag_on_its_own_line(display)) is not None:
            dropped[cid] = number[4]
    assert not dropped, f"in a column these numbers sit on a line of their own: {dropped}"
    assert not PROBLEMS.findall(log), PROBLEMS.findall(log)[:5]


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
        body += [rf"\input{{../results/latex/{r['id']}{suffix}}}" for suffix in ("", "-derivation", "-methods",
                                                                                "-table", "-figures")]
    (paper / "paper.tex").write_text("\n".join([
        r"\documentclass[twocolumn]{article}", r"\usepackage[T1]{fontenc}", r"\usepackage{lmodern}",
        r"\usepackage{amsmath,amssymb,booktabs,graphicx}", *[rf"\usepackage{{{p}}}" for p in optional],
        r"\usepackage{hyperref}", *([r"\usepackage{cleveref}"] if _installed("cleveref.sty") else []),
        r"\newcommand{\ugfigurepath}{../results/figures/}", r"\input{../results/latex/macros}",
        r"\begin{document}", *body, r"\end{document}", ""]))
    log = _tex(paper, "paper.tex", passes=3)
    assert not PROBLEMS.findall(log), PROBLEMS.findall(log)[:5]
    _check_citations(paper, "paper.tex", records)


EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "paper-example.tex"
WARNINGS = re.compile(r"Warning|Overfull \\[hv]box|Underfull \\[hv]box")


@needs_tex
def test_the_paper_example_compiles_without_a_warning_and_every_link_lands_on_its_target(results, tmp_path):
    """docs/paper-example.tex (two columns; amsmath, amsthm, siunitx, hyperref, cleveref in that order; its own
    macros before macros.tex) inputs one fragment of every kind beside a run's results/: no warning, no overfull or
    underfull box, and every label it cites prints its number and links to the page it is on."""
    out, records = results
    if not all(_installed(f"{p}.sty") for p in ("amsthm", "siunitx", "cleveref")):
        pytest.skip("amsthm, siunitx and cleveref are needed (Debian: texlive-science, texlive-latex-extra)")
    paper = tmp_path / "paper"
    paper.mkdir()
    (paper / "results").symlink_to(out, target_is_directory=True)
    text = EXAMPLE.read_text()
    (paper / "paper-example.tex").write_text(text)
    kinds = {k: re.findall(rf"\\input\{{results/latex/[a-z0-9-]+{k}\}}", text)
             for k in ("-derivation", "-methods", "-table", "-figures")}
    assert all(kinds.values()), kinds  # and the statements: an equation and a finding, below
    log = _tex(paper, "paper-example.tex", passes=3)
    assert not WARNINGS.findall(log), [line for line in log.splitlines() if WARNINGS.search(line)][:5]
    aux = (paper / "paper-example.aux").read_text()
    labels, dests = _labels(aux), _dests(paper / "paper-example.pdf")
    cited = set(re.findall(r"\\(?:eq|c|C)?ref\{(ug:[^{}]*)\}", text))
    assert len(cited) >= 5 and cited <= set(labels), cited - set(labels)
    kinds = {"equation": 0, "ugfinding": 0, "table": 0, "figure": 0}
    for label, (number, page, anchor) in labels.items():
        assert re.fullmatch(r"\d+", number), (label, number)
        assert dests.get(anchor) == page, (label, anchor, dests.get(anchor), page)
        kind = anchor.split(".")[0].replace("AMS", "equation")
        kinds[kind] = kinds.get(kind, 0) + 1
    assert all(kinds.values()), kinds  # links land on equations (not headings), findings, tables and figures
    assert labels["ug:eq122-chain-gradient"][0] == "122"


@needs_tex
def test_every_fragment_of_a_run_reads_as_a_paper_and_the_experiments_tables_fill_at_most_two_pages(results,
                                                                                                     tmp_path):
    """A whole --quick run: no tool word, captions of at most 60 words, at most 4 significant digits a cell, tables
    of at most 20 rows, figures at most 3 in tall; and the tables of the experiments (the claims with a methods
    fragment), typeset at their sizes in a two-column article, cover at most two pages."""
    from proofs.export.latex_methods import methods_text
    from test_paper_fragments import check_paper_text, fragments

    out, records = results
    check_paper_text(fragments(out))
    for pdf in sorted((out / "figures").glob("*.pdf")):
        size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", subprocess.run(
            ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout)
        assert float(size[2]) / 72 <= 3.0 + 1e-6, (pdf.name, float(size[2]) / 72)
    ids = [r["id"] for r in records if methods_text(r) and "begin{" in (out / "latex" / f"{r['id']}-table.tex")
           .read_text()]
    assert len(ids) >= 10, ids
    area, page = table_area(out / "latex", ids, tmp_path)
    assert area <= 2 * page, f"the experiments' tables fill {area / page:.2f} pages"


def table_area(folder, ids, work) -> tuple[float, float]:
    """(the tables' area, a page's area) in column-points: each table's height in a two-column article (a table* counts
    twice: it spans both columns) plus the space between two stacked floats, and 2 x \\textheight a page."""
    (work / "tables.tex").write_text("\n".join([
        r"\documentclass[twocolumn]{article}", r"\usepackage[T1]{fontenc}", r"\usepackage{lmodern}",
        r"\usepackage{amsmath,amssymb,booktabs,graphicx}", r"\usepackage{hyperref}", rf"\input{{{folder}/macros}}",
        r"\makeatletter\newsavebox\ugbox",
        r"\renewenvironment{table}[1][]{\begin{lrbox}{\ugbox}\begin{minipage}{\columnwidth}\def\@captype{table}}"
        r"{\end{minipage}\end{lrbox}\typeout{UG-TABLE 1 \the\dimexpr\ht\ugbox+\dp\ugbox+\floatsep\relax}}",
        r"\renewenvironment{table*}[1][]{\begin{lrbox}{\ugbox}\begin{minipage}{\textwidth}\def\@captype{table}}"
        r"{\end{minipage}\end{lrbox}\typeout{UG-TABLE 2 \the\dimexpr\ht\ugbox+\dp\ugbox+\floatsep\relax}}",
        r"\makeatother", r"\begin{document}\typeout{UG-PAGE \the\textheight}",
        *[rf"\input{{{folder}/{i}-table}}" for i in ids], r"\end{document}", ""]))
    log = _tex(work, "tables.tex", passes=1)
    tables = [(int(k), float(h)) for k, h in re.findall(r"UG-TABLE (\d) ([\d.]+)pt", log)]
    assert len(tables) == len(ids), (len(tables), ids)
    return sum(k * h for k, h in tables), 2 * float(re.search(r"UG-PAGE ([\d.]+)pt", log)[1])
