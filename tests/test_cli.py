"""The command line: listing, selection, errors, determinism, and output-folder safety."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from proofs.run.cli import main

FAST = "eq115-121-cascade,ratio-b1-b3,exploding-construction,sigmoid-prime-max"


def run(args, tmp_path):
    return main(["--out", str(tmp_path), *args])


def test_list_names_every_claim(capsys):
    assert main(["--list"]) == 0
    out = capsys.readouterr().out
    assert "eq122-chain-gradient" in out and "(122)" in out


def test_unknown_claim_id_is_a_usage_error(capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:
        run(["--only", "eq122-chain-gradient,no-such-claim"], tmp_path)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "no-such-claim" in err and "Known ids" in err


@pytest.mark.parametrize("dps", ["5", "100000"])
def test_absurd_precision_is_a_usage_error(dps, tmp_path, capsys):
    with pytest.raises(SystemExit):
        run(["--dps", dps, "--only", "ratio-b1-b3"], tmp_path)
    assert "--dps" in capsys.readouterr().err


def test_writes_fragments_json_and_report(tmp_path, capsys):
    assert run(["--only", FAST], tmp_path) == 0
    data = json.loads((tmp_path / "results.json").read_text())
    ids = [c["id"] for c in data["claims"]]
    assert ids == ["sigmoid-prime-max", "eq115-121-cascade", "ratio-b1-b3", "exploding-construction"]
    for c in data["claims"]:
        assert c["verdict"] == "proved" and c["seconds"] >= 0 and c["evidence"]
        assert (tmp_path / "latex" / f"{c['id']}.tex").exists()
    assert r"\input{ratio-b1-b3}" in (tmp_path / "latex" / "main.tex").read_text()
    assert "| `ratio-b1-b3` |" in (tmp_path / "REPORT.md").read_text()
    printed = capsys.readouterr().out
    assert "proved" in printed and "exploding-construction" in printed


def test_json_flag_prints_results_to_stdout(tmp_path, capsys):
    assert run(["--only", "ratio-b1-b3", "--json"], tmp_path) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["claims"][0]["id"] == "ratio-b1-b3"
    assert "ratio-b1-b3" in captured.err


def _snapshot(folder: Path):
    data = json.loads((folder / "results.json").read_text())
    tex = {p.name: p.read_bytes() for p in sorted((folder / "latex").iterdir())}
    return tex, [(c["id"], c["sympy"], c["latex"]) for c in data["claims"]]


def test_two_runs_give_byte_identical_latex_and_sympy(tmp_path):
    """Separate processes with different hash seeds: identical LaTeX bytes and srepr."""
    snaps = []
    for seed in ("1", "2"):
        out = tmp_path / seed
        env = dict(os.environ, PYTHONHASHSEED=seed)
        subprocess.run([sys.executable, "-m", "proofs", "--out", str(out), "--only", FAST, "-q"],
                       check=True, env=env, capture_output=True)
        snaps.append(_snapshot(out))
    assert snaps[0] == snaps[1]
    assert any(s for _, s, _ in snaps[0][1])


def test_foreign_files_are_never_overwritten(tmp_path, capsys):
    mine = tmp_path / "REPORT.md"
    mine.write_text("my notes\n")
    (tmp_path / "keep.txt").write_text("keep\n")
    assert run(["--only", "ratio-b1-b3"], tmp_path) == 2
    assert "did not write" in capsys.readouterr().err
    assert mine.read_text() == "my notes\n" and (tmp_path / "keep.txt").read_text() == "keep\n"


def test_rerun_overwrites_only_its_own_files(tmp_path):
    (tmp_path / "keep.txt").write_text("keep\n")
    assert run(["--only", "ratio-b1-b3"], tmp_path) == 0
    assert run(["--only", "ratio-b1-b3"], tmp_path) == 0
    assert (tmp_path / "keep.txt").read_text() == "keep\n"


def test_output_path_that_is_a_file_is_refused(tmp_path, capsys):
    f = tmp_path / "afile"
    f.write_text("x")
    assert main(["--out", str(f), "--only", "ratio-b1-b3"]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_unwritable_output_folder_is_refused(tmp_path, capsys):
    """A folder that cannot be created (its parent is a file) is refused before any claim runs."""
    f = tmp_path / "afile"
    f.write_text("x")
    assert main(["--out", str(f / "sub"), "--only", "ratio-b1-b3"]) == 2
    assert "cannot write there" in capsys.readouterr().err


def test_failed_claim_gives_exit_status_one(tmp_path, monkeypatch):
    from proofs.claims import chain as claims_chain

    monkeypatch.setattr(claims_chain, "is_identity", lambda a, b: False)
    assert run(["--only", "ratio-b1-b3"], tmp_path) == 1
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["claims"][0]["verdict"] == "failed"


def test_bad_mnist_path_is_a_clear_error(tmp_path, capsys):
    assert main(["--out", str(tmp_path / "out"), "--mnist", str(tmp_path / "missing"), "--only", "ratio-b1-b3"]) == 2
    err = capsys.readouterr().err
    assert "--mnist" in err and "does not exist" in err


def test_non_canonical_mnist_files_are_refused(tmp_path, capsys):
    from test_data import make_idx_folder

    make_idx_folder(tmp_path / "idx")
    assert main(["--out", str(tmp_path / "out"), "--mnist", str(tmp_path / "idx"), "--only", "ratio-b1-b3"]) == 2
    err = capsys.readouterr().err
    assert "does not match MNIST's" in err and not (tmp_path / "out" / "results.json").exists()


def test_figures_embed_truetype_fonts_not_type3(tmp_path):
    """Publishers refuse Type 3 fonts: every PDF figure embeds TrueType (CID) fonts instead."""
    import re

    assert run(["--only", "sigmoid-prime-max,eq123-width-maximum", "-q"], tmp_path) == 0
    pdfs = sorted((tmp_path / "figures").glob("*.pdf"))
    assert pdfs
    for pdf in pdfs:
        kinds = set(re.findall(rb"/Subtype\s*/(\w+)", pdf.read_bytes()))
        assert b"Type3" not in kinds and b"CIDFontType2" in kinds, (pdf.name, kinds)
        width = float(re.search(rb"/MediaBox \[\s*0 0 ([\d.]+)", pdf.read_bytes()).group(1))
        assert abs(width - 3.3 * 72) < 0.5, (pdf.name, width)  # one column of a two-column paper, exactly


def test_page_wide_figures_and_pgf_on_request(tmp_path, monkeypatch, capsys):
    import re
    import shutil

    if shutil.which("pdflatex"):
        assert run(["--only", "sigmoid-prime-max", "-q", "--figure-size", "page", "--pgf"], tmp_path) == 0
        pdf = (tmp_path / "figures" / "sigma-prime.pdf").read_bytes()
        assert abs(float(re.search(rb"/MediaBox \[\s*0 0 ([\d.]+)", pdf).group(1)) - 6.9 * 72) < 0.5
        pgf = (tmp_path / "figures" / "sigma-prime.pgf").read_text()
        assert pgf.startswith("%% Creator: Matplotlib, PGF backend") and r"\begin{pgfpicture}" in pgf
        settings = json.loads((tmp_path / "results.json").read_text())["settings"]
        assert settings["figure_size"] == "page" and settings["pgf"] is True
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(SystemExit) as exc:
        main(["--only", "sigmoid-prime-max", "--out", str(tmp_path / "nope"), "--pgf"])
    assert exc.value.code == 2 and "--pgf needs pdflatex" in capsys.readouterr().err
    assert not (tmp_path / "nope").exists()


def test_version_and_console_script(capsys):
    from proofs import __version__

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.strip() == f"unstable-gradients {__version__}"


def _schema():
    from importlib.resources import files

    return json.loads(files("proofs.export").joinpath("results.schema.json").read_text())


def test_results_json_validates_against_its_schema(tmp_path):
    """results.json is data: it validates against the schema shipped in the package, and a broken one does not."""
    jsonschema = pytest.importorskip("jsonschema")
    assert run(["--only", "ratio-b1-b3,eq123-width-maximum,speed-of-learning-at-init", "-q"], tmp_path) == 0
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["schema_version"] == 3 and data["libraries"]["sympy"]
    jsonschema.validate(data, _schema())
    data["claims"][0]["verdict"] = "plausible"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, _schema())


def test_exact_numbers_and_enclosures_are_json_numbers_with_exact_strings():
    import mpmath
    import sympy as sp

    from proofs.claim import enclosure, exact_number

    assert exact_number(sp.Rational(1, 4)) == {"value": 0.25, "exact": "1/4"}
    assert exact_number(sp.Symbol("k") / 4) == "k/4"  # no number to give
    with mpmath.workdps(40):
        x = mpmath.sqrt(2)
        e = exact_number(x, 30)
        assert e["value"] == float(x) and e["exact"].startswith("1.41421356237309504880168872421")
        iv = mpmath.iv.mpf([mpmath.mpf("0.123456789012345678901"), mpmath.mpf("0.123456789012345678999")])
        enc = enclosure(iv, 12)
        assert mpmath.mpf(enc["lo"]) <= mpmath.mpf(iv.a) and mpmath.mpf(iv.b) <= mpmath.mpf(enc["hi"])
        assert enc["float"][0] <= enc["float"][1]


def test_report_renders_math_for_a_code_host(tmp_path):
    """REPORT.md: ```math blocks (no $$), derivation lines with their reasons, figures embedded, caveats."""
    assert main(["--only", "eq115-121-cascade,sigmoid-prime-max", "--out", str(tmp_path), "-q", "--jobs", "1"]) == 0
    text = (tmp_path / "REPORT.md").read_text()
    assert "$$" not in text and "```math" in text and r"\begin{aligned}" in text
    assert "(book: (114))" in text and "(book: (115\u2013116))" in text  # the book's numbers (BOOK.md)
    assert "![" in text and "](figures/sigma-prime.png)" in text
    assert "| quantity | book | this run | caveat | claim | verdict |" in text
    assert r"\ugsigmaprime" not in text  # the suite's macros do not exist on a code host


SYMBOLIC = ("sigmoid-derivative,eq115-121-cascade,ratio-b1-b3,exploding-construction,eq124-matrix-delta,"
            "eq124-reduces-to-eq122,w-at-least-4,eq123-interval-width")


@pytest.mark.parametrize("ids", [SYMBOLIC, pytest.param("bp1-bp4-matrix-form", marks=pytest.mark.slow)])
def test_sympy_fields_load_back_with_the_book_order(tmp_path, ids):
    """Each record's ``sympy`` field is the whole statement (left side included) and loads back unevaluated (BP1-BP4,
    5 s of SymPy, in the slow run)."""
    import sympy as sp

    from proofs.claim import load_statement
    from theory import to_latex

    assert main(["--only", ids, "--out", str(tmp_path), "-q", "--jobs", "1"]) == 0
    for c in json.loads((tmp_path / "results.json").read_text())["claims"]:
        loaded = load_statement(c["sympy"])
        assert isinstance(loaded, (sp.Eq, sp.Tuple, sp.Equivalent)), c["id"]  # an equation, not a bare right side
        assert sp.srepr(loaded, order="none") == c["sympy"], c["id"]  # Sum bodies included
    if ids == SYMBOLIC:
        cascade = load_statement(next(c["sympy"] for c in json.loads((tmp_path / "results.json").read_text())["claims"]
                                      if c["id"] == "eq115-121-cascade"))
        assert to_latex(cascade.rhs).startswith(r"\sigma'(z_{1}) w_{2} \sigma'(z_{2}) w_{3}")  # the book's order
