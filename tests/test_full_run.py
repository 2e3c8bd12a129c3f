"""The main job end to end (slow): every claim passes, and the findings' table (docs/findings.md) is this run's."""

import json
import re
from pathlib import Path

import pytest

from proofs.export.writers import book_vs_run
from proofs.run.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"
NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def table_rows(text: str) -> dict:
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if len(cells) == 6 and cells[0] not in ("quantity", "---"):
            rows[cells[0]] = cells
    return rows


def close(a: str, b: str) -> bool:
    """Same words; numbers equal, or within 2% (experiments may differ in the last digit across BLAS builds)."""
    na, nb = NUMBER.findall(a), NUMBER.findall(b)
    if NUMBER.sub("#", a) != NUMBER.sub("#", b) or len(na) != len(nb):
        return False
    return all(x == y or abs(float(x) - float(y)) <= 0.02 * max(abs(float(x)), abs(float(y))) for x, y in zip(na, nb))


@pytest.mark.slow
def test_full_run_passes(tmp_path):
    assert main(["--out", str(tmp_path), "-q"]) == 0
    data = json.loads((tmp_path / "results.json").read_text())
    # the run is sound (nothing failed); a statement this data does not reproduce is a result ("not reproduced"),
    # and the README's verdict list must name each such claim
    assert data["claims"] and all(c["verdict"] != "failed" for c in data["claims"])
    for c in data["claims"]:
        if c["verdict"] == "not reproduced":
            assert f"`{c['id']}`" in README.read_text(), c["id"]
    import sympy as sp

    from proofs.statement import load_statement

    for c in data["claims"]:  # every statement loads back exactly, without running code (proofs.statement)
        if c["sympy"]:
            assert sp.srepr(load_statement(c["sympy"]), order="none") == c["sympy"], c["id"]
    jsonschema = pytest.importorskip("jsonschema")
    from test_cli import _schema

    jsonschema.validate(data, _schema())
    from test_paper_fragments import check_paper_text, fragments

    check_paper_text(fragments(tmp_path))  # every fragment of the whole run in a paper's voice (issue 33)


@pytest.mark.slow
def test_the_readme_table_is_this_runs(tmp_path):
    assert main(["--out", str(tmp_path), "-q", "--only", "chain,bounds,matrix"]) == 0
    readme_table_matches(json.loads((tmp_path / "results.json").read_text()), only_claims=True)


def readme_table_matches(data: dict, only_claims: bool = False) -> None:
    """docs/findings.md's table shows exactly this run's rows (only those of the run's claims when ``only_claims``)."""
    fresh = table_rows(book_vs_run(data["claims"]))
    findings = (README.parent / "docs" / "findings.md").read_text()
    block = findings.split("<!-- generated:book-vs-run -->")[1].split("<!-- /generated:book-vs-run -->")[0]
    shown = table_rows(block)
    if only_claims:
        ids = {f"`{c['id']}`" for c in data["claims"]}
        shown = {q: cells for q, cells in shown.items() if cells[4] in ids}
    assert shown.keys() == fresh.keys(), "the findings' table lists others: scripts/update_docs.py --from-results"
    for quantity, cells in fresh.items():
        assert cells[1] == shown[quantity][1] and cells[3:] == shown[quantity][3:], quantity
        assert close(cells[2], shown[quantity][2]), (quantity, cells[2], shown[quantity][2])


@pytest.mark.slow
def test_every_statement_and_derivation_fits_a_two_column_page(tmp_path):
    """Each claim's fragments, \\input into a two-column article, typeset without an overfull box."""
    import shutil
    import subprocess

    if not (shutil.which("pdflatex")):
        pytest.skip("pdflatex is not installed (Debian: texlive-latex-base, texlive-latex-recommended, lmodern)")
    assert main(["--out", str(tmp_path), "-q", "--quick"]) == 0
    folder = tmp_path / "latex"
    ids = [c["id"] for c in json.loads((tmp_path / "results.json").read_text())["claims"]]
    body = "\n".join(rf"\input{{{i}}}\input{{{i}-derivation}}" for i in ids)
    (folder / "columns.tex").write_text("\n".join([
        r"\documentclass[twocolumn]{article}", r"\usepackage[T1]{fontenc}", r"\usepackage{lmodern}",
        r"\usepackage{amsmath,amssymb}", r"\input{macros}", r"\begin{document}", body, r"\end{document}", ""]))
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "columns.tex"], cwd=folder,
                          capture_output=True, text=True, timeout=180)
    log = (folder / "columns.log").read_text(errors="replace")
    assert proc.returncode == 0, log[-2000:]
    overfull = re.findall(r"Overfull \\hbox \((\S+) too wide\).*?\n(.*?)\n", log)
    assert not overfull, overfull[:5]
    # and the whole article: pdflatex, bibtex, pdflatex twice; every claim is in it, labelled
    run = lambda *cmd: subprocess.run(list(cmd), cwd=folder, capture_output=True, text=True, timeout=300)  # noqa: E731
    assert run("pdflatex", "-interaction=nonstopmode", "-halt-on-error", "main.tex").returncode == 0
    assert run("bibtex", "main").returncode == 0
    for _ in range(2):
        proc = run("pdflatex", "-interaction=nonstopmode", "-halt-on-error", "main.tex")
    log = (folder / "main.log").read_text(errors="replace")
    assert proc.returncode == 0, log[-2000:]
    assert "undefined" not in log and "Citation" not in log and "Overfull" not in log, \
        re.findall(r"(?:Overfull|undefined|Citation).*", log)[:5]
    aux = (folder / "main.aux").read_text()
    assert all(f"\\newlabel{{ug:{i}}}" in aux for i in ids), [i for i in ids if f"ug:{i}}}" not in aux]
    for pdf in sorted((tmp_path / "figures").glob("*.pdf")):  # every figure of the run: no Type 3 font
        kinds = set(re.findall(rb"/Subtype\s*/(\w+)", pdf.read_bytes()))
        assert b"Type3" not in kinds, (pdf.name, kinds)
