"""The LaTeX bundle compiles as a paper author would use it: main.tex with pdflatex and bibtex, and a user's
own two-column article that inputs one fragment and macros.tex and \\eqref's it. Skipped, saying why, where
no TeX engine is installed (CI installs one from Debian's packages)."""

import re
import shutil
import subprocess

import pytest

from proofs.cli import main
from proofs.latex import TITLES
from proofs.registry import all_claims

TEX = shutil.which("pdflatex") and shutil.which("bibtex")
needs_tex = pytest.mark.skipif(not TEX, reason="pdflatex and bibtex are not installed (Debian: texlive-latex-base, "
                                               "texlive-latex-recommended, texlive-fonts-recommended, lmodern)")
CLAIMS = "eq115-121-cascade,eq122-chain-gradient,ratio-b1-b3,eq123-width-maximum,speed-of-learning-at-init"


def latex(folder, name, passes=2):
    for _ in range(passes):
        proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", name], cwd=folder,
                              capture_output=True, text=True, timeout=120)
    return proc, (folder / name.replace(".tex", ".log")).read_text(errors="replace")


def test_every_claim_has_a_latex_title():
    assert {c.id for c in all_claims()} <= set(TITLES)


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
