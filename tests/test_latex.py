"""The LaTeX bundle compiles as a paper author would use it: main.tex with pdflatex and bibtex, and a user's
own two-column article that inputs one fragment and macros.tex and \\eqref's it. Skipped, saying why, where
no TeX engine is installed (CI installs one from Debian's packages)."""

import re
import shutil
import subprocess

import pytest

from proofs.export.latex import REFERENCES
from proofs.run.cli import main
from proofs.run.registry import all_claims

TEX = shutil.which("pdflatex") and shutil.which("bibtex")
needs_tex = pytest.mark.skipif(not TEX, reason="pdflatex and bibtex are not installed (Debian: texlive-latex-base, "
                                               "texlive-latex-recommended, texlive-fonts-recommended, lmodern)")
CLAIMS = "eq115-121-cascade,eq122-chain-gradient,ratio-b1-b3,eq123-width-maximum,speed-of-learning-at-init"


def latex(folder, name, passes=2):
    for _ in range(passes):
        proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", name], cwd=folder,
                              capture_output=True, text=True, timeout=120)
    return proc, (folder / name.replace(".tex", ".log")).read_text(errors="replace")


def test_every_claim_carries_its_latex_title_and_citations_and_every_key_is_in_the_bibliography():
    """One place per fact (issue 19): the claim itself carries its LaTeX title and BibTeX keys, and its record
    hands them to the writers; no table elsewhere to keep in step."""
    keys = set(re.findall(r"@\w+\{(\w+),", REFERENCES))
    for c in all_claims():
        assert c.latex_title, c.id
        assert c.cites and set(c.cites) <= keys, (c.id, set(c.cites) - keys)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("results")
    assert main(["--out", str(out), "--only", CLAIMS, "-q"]) == 0
    return out / "latex"


@needs_tex
def test_main_tex_compiles_without_errors_undefined_references_or_overfull_boxes(bundle):
    latex(bundle, "main.tex", passes=1)
    subprocess.run(["bibtex", "main"], cwd=bundle, capture_output=True, timeout=60, check=True)
    proc, log = latex(bundle, "main.tex", passes=2)
    assert proc.returncode == 0, log[-2000:]
    assert not re.search(r"^! ", log, re.M)
    assert "undefined" not in log and "Citation" not in log
    assert "Overfull" not in log
    assert (bundle / "main.pdf").stat().st_size > 10_000
    aux = (bundle / "main.aux").read_text()
    assert re.search(r"\\newlabel\{ug:eq122-chain-gradient\}\{\{\{?122\}", aux)  # the book's number, as \tag
    assert len(re.findall(r"\{\{\{?122\}", aux)) == 1  # only there: the cascade's steps do not tag (122) again
    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm is not installed (Debian: poppler-utils): pages not checked for blank space")
    from test_latex_paper import MOSTLY_BLANK, main_filled

    pages = main_filled(bundle)
    assert all(f >= MOSTLY_BLANK for f in pages[:-1]), [round(float(f), 2) for f in pages]  # no page mostly blank


@needs_tex
def test_a_users_two_column_article_inputs_one_fragment_and_eqrefs_it(bundle):
    (bundle / "user.tex").write_text("\n".join([
        r"\documentclass[twocolumn]{article}", r"\usepackage{amsmath}", r"\input{macros}", r"\begin{document}",
        r"The chain rule gives \eqref{ug:eq122-chain-gradient}.", r"\input{eq122-chain-gradient}",
        r"\end{document}", ""]))
    proc, log = latex(bundle, "user.tex")
    assert proc.returncode == 0, log[-2000:]
    assert "undefined" not in log and "Overfull" not in log
    assert r"\newlabel{ug:eq122-chain-gradient}{{{122}}" in (bundle / "user.aux").read_text()


FINDINGS = [  # the experiments' statements said in words (as their claims display them)
    r"\|\delta^1\| < \|\delta^2\| < \cdots < \|\delta^H\| \text{ at initialisation}",
    r"\begin{gathered}\|\delta^1\| \ll \|\delta^H\| \text{ throughout training;} \\ \|\delta^4\| / \|\delta^1\| "
    r"\approx 100 \text{ after 500 epochs}\end{gathered}",
    r"\begin{gathered}\frac{\|\partial C/\partial b^H\|}{\|\partial C/\partial b^1\|}\ \text{at initialisation, "
    r"after training,} \\ \text{and accuracy, for 14 remedies and } H = 2, 4, 6, 8, 10\end{gathered}",
]


@needs_tex
def test_findings_in_words_are_numbered_paragraphs_not_equations(tmp_path):
    """A statement said in words is a Finding (its own counter, \\ref), never an equation number; an equation
    beside it keeps (1) and its tag-free numbering."""
    from proofs.export.latex_fragments import fragment, is_finding
    from proofs.export.latex_main import MACROS

    records = [{"id": f"f{i}", "latex": tex} for i, tex in enumerate(FINDINGS)]
    records.append({"id": "eq", "latex": r"a = b", "sympy": "Eq(a, b)"})
    assert [is_finding(r) for r in records] == [True, True, True, False]
    (tmp_path / "macros.tex").write_text(MACROS)
    body = []
    for r in records:
        (tmp_path / f"{r['id']}.tex").write_text(fragment(r))
        body.append(rf"See \ref{{ug:{r['id']}}}. \input{{{r['id']}}}")
    (tmp_path / "t.tex").write_text("\n".join([
        r"\documentclass[twocolumn]{article}", r"\usepackage{amsmath,amssymb,hyperref}", r"\input{macros}",
        r"\begin{document}", *body, r"\end{document}", ""]))
    proc, log = latex(tmp_path, "t.tex")
    assert proc.returncode == 0, log[-2000:]
    assert "Overfull" not in log and "destination with the same identifier" not in log
    aux = (tmp_path / "t.aux").read_text()
    for i in range(len(FINDINGS)):
        assert rf"\newlabel{{ug:f{i}}}{{{{{i + 1}}}{{1}}{{}}{{ugfinding.{i + 1}}}" in aux
    assert r"\newlabel{ug:eq}{{1}{1}{}{equation.0.1}" in aux


WIDE = "lstm-cell-path,phase-chapter-network,identity-neuron,delta-norm-bound"  # three wider than a column, one near
COLUMN = 229.5  # pt: \columnwidth of a two-column article at 10 pt
GAP = 10  # pt: at least this between a display and its number (amsmath's minimum is smaller)


def fits(line: str, tag: str | None) -> bool:
    """True when the line and its number, estimated (proofs.export.latex_fragments._printed), fit a column together."""
    from proofs.export.latex_fragments import _printed, _width

    return _printed(line) + GAP + _width(f"({tag or 99})") <= COLUMN


def display_lines(fragment: str) -> list[str]:
    """The lines of a statement fragment's display, without its environments, \\tag and \\label."""
    body = re.search(r"\\begin\{equation\*?\}(.*)\\end\{equation\*?\}", fragment, re.S)[1]
    body = re.sub(r"\\(?:tag|label)\{[^{}]*\}|\\(?:begin|end)\{gathered\}", "", body)
    return [x.strip() for x in body.split(r"\\") if x.strip()]


@pytest.fixture(scope="module")
def wide(tmp_path_factory):
    import json

    out = tmp_path_factory.mktemp("wide")
    assert main(["--out", str(out), "--only", WIDE, "-q"]) == 0
    return out, json.loads((out / "results.json").read_text())["claims"]


def test_statements_wider_than_a_column_are_broken_into_lines_that_fit_it(wide):
    """Without TeX: each line of a statement's display and its number are estimated to fit a column together, so
    that in a two-column paper the number stays beside the display (the slow paper test reads that back from the
    PDF); the displays that were too wide were broken, keeping one number and one label."""
    from proofs.export.latex_fragments import _printed

    out, records = wide
    broken = []
    for r in records:
        frag = (out / "latex" / f"{r['id']}.tex").read_text()
        lines = display_lines(frag)
        assert all(fits(x, r.get("tag")) for x in lines), (r["id"], [round(_printed(x)) for x in lines])
        assert frag.count(r"\label{") == 1 and frag.count(r"\tag{") == (1 if r.get("tag") else 0), r["id"]
        if not fits(r["latex"].replace(r"\\", " "), r.get("tag")):
            broken.append(r["id"])
    assert len(broken) >= 3, broken  # the test sees displays that needed breaking


def test_a_long_tagged_display_is_broken_with_one_tag_and_one_label():
    from proofs.export.latex_fragments import _printed, fragment

    terms = " + ".join(rf"w_{{{k}}} a_{{{k}}}" for k in range(1, 31))
    frag = fragment({"id": "long", "latex": rf"z = {terms} + b", "sympy": "Eq(z, b)", "tag": "999"})
    lines = display_lines(frag)
    assert _printed(rf"z = {terms} + b") > 4 * COLUMN and len(lines) >= 5
    assert all(fits(x, "999") for x in lines), [round(_printed(x)) for x in lines]
    assert re.sub(r"\s|\\quad", "", "".join(lines)) == re.sub(r"\s", "", rf"z = {terms} + b")  # nothing lost
    assert frag.count(r"\tag{999}") == 1 and frag.count(r"\label{ug:long}") == 1 and r"\begin{equation*}" in frag
