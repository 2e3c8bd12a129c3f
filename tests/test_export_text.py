"""The exported text reads as meant: REPORT.md renders on a code host as written (one verdict row per claim,
four cells each, no emphasis it did not ask for), digits before "..." are the value's own (truncated, never
rounded), and justifications and table cells hold math, not ASCII pseudo-math."""

import json
import re
from pathlib import Path

import pytest

from proofs.export.markdown import report
from proofs.latex_text import plain, text, truncate
from proofs.run.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"
CLAIMS = "eq115-121-cascade,ratio-b1-b3,w-at-least-4,eq123-width-maximum,bp1-bp4-matrix-form,meanfield-fixed-point"
VERDICTS = {"proved", "certified", "verified", "fragile", "not reproduced", "failed"}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("export")
    assert main(["--out", str(out), "--only", CLAIMS, "-q", "--jobs", "1"]) == 0
    return out, json.loads((out / "results.json").read_text())


def _nasty() -> dict:
    """A record whose plain strings hold every character Markdown reads as syntax."""
    return {"id": "nasty-claim", "source": "ch. 5, |w| >= 4 and dC/db_1 vs dC/db_3", "title": "a_b_c *x* |w|",
            "group": "chain", "tag": None, "verdict": "not reproduced", "seconds": 0.5, "latex": None, "steps": [],
            "evidence": [{"what": "||delta^1|| < ||delta_2|| for q* and w_jk * 2", "holds": False,
                          "how": "sigma_w <= 4 | chi_1", "margin": 0.1, "spread": 0.2, "fragile": True}],
            "numbers": {"book_vs_run": [{"quantity": "|w| >= 4, lmbda_1 *", "book": "a|b", "run": "x_1 x_2",
                                         "caveat": "<b>not html</b> [link](x)"}]},
            "figures": [], "fragile": ["one"]}


def _render(md: str):
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").parse(md)


def test_report_renders_as_written_on_a_code_host(run):
    """The verdict table has one row per claim with four cells that say what the record says; the only
    emphasis is the bold the writer meant (verdicts, DOES NOT HOLD, FRAGILE)."""
    pytest.importorskip("markdown_it")
    _, data = run
    records = data["claims"] + [_nasty()]
    tokens = _render(report(records, data["settings"]))
    tables, table, row = [], None, None
    for i, t in enumerate(tokens):
        if t.type == "table_open":
            table = []
        elif t.type == "tr_open":
            row = []
        elif t.type in ("th_open", "td_open"):
            row.append(tokens[i + 1].content)
        elif t.type == "tr_close":
            table.append(row)
        elif t.type == "table_close":
            tables.append(table)
    verdicts = next(t for t in tables if t[0] == ["claim", "source", "verdict", "seconds"])
    assert len(verdicts) - 1 == len(records)
    for rec, cells in zip(records, verdicts[1:]):
        assert len(cells) == 4
        assert cells[0] == f"`{rec['id']}`" and cells[1].replace("\\", "") == rec["source"]
        assert cells[2].startswith(f"**{rec['verdict']}**") and float(cells[3]) >= 0
    book = next(t for t in tables if t[0][:3] == ["quantity", "book", "this run"])
    assert ["|w| >= 4, lmbda_1 *", "a|b", "x_1 x_2"] == [re.sub(r"\\(.)", r"\1", c) for c in book[-1][:3]]
    emphasis = []
    for t in tokens:
        for j, c in enumerate(t.children or []):
            if c.type in ("em_open", "strong_open"):
                emphasis.append((c.type, t.children[j + 1].content))
            assert c.type != "html_inline", c.content
    assert not [e for e in emphasis if e[0] == "em_open"], emphasis
    assert {c for _, c in emphasis} <= VERDICTS | {"DOES NOT HOLD", "FRAGILE", "Not reproduced.", "Not established."}


def test_headings_and_justifications_carry_math_a_code_host_renders(run):
    """Math in headings and running text is $`...`$ (a code span: \\, and \\| reach the renderer intact)."""
    out, _ = run
    md = (out / "REPORT.md").read_text()
    for line in md.splitlines():
        if line.startswith("## ") or re.match(r"\d+\. line", line):
            assert not re.search(r"(?<!`)\$(?!`)", line.replace("$`", "").replace("`$", "")), line
    assert r"$`\partial z_2/\partial a_1 = w_2`$" in md


def _numbers(data) -> list[str]:
    found = []

    def walk(x):
        if isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
        elif isinstance(x, str):
            found.extend(re.findall(r"-?\d+\.\d+", x))
        elif isinstance(x, float):
            found.append(repr(x))
    walk(data)
    return found


DOTS = re.compile(r"(\d+\.\d+)(?:\.\.\.|\\ldots|\\dots|\u2026)")


def test_digits_before_an_ellipsis_are_a_prefix_of_the_full_value(run):
    """Every number followed by "..." (LaTeX, REPORT.md, the records, README) is the start of a value in
    results.json at full precision: truncated, not rounded."""
    out, data = run
    values = _numbers(data)
    texts = [p.read_text() for p in sorted((out / "latex").glob("*.tex"))] + [(out / "REPORT.md").read_text()]
    texts += [json.dumps(c["title"]) + (c.get("headline") or "") for c in data["claims"]]
    texts.append(README.read_text())
    shown = [m for t in texts for m in DOTS.findall(t)]
    assert len(shown) >= 6  # the maximum (123), q*, chi_1, sqrt(chi_1) at least
    bad = [s for s in shown if not any(v.startswith(s) for v in values)]
    assert not bad, bad


def test_truncate_cuts_digits_where_rounding_would_carry():
    assert truncate("0.44774320469430284917", 15) == "0.447743204694302"  # rounding gives ...303
    assert truncate("6.894151032272928014", 15) == "6.89415103227292"
    assert truncate("0.0419597346363999", 12) == "0.0419597346363"
    assert truncate("999.99999", 3) == "999" and truncate(1000, 3) == "1000" and truncate("-0.0012345", 2) == "-0.0012"
    with pytest.raises(ValueError, match="digits"):
        truncate("1.5", 0)


ASCII = re.compile(r"\\_|\\\^\{\}|\\~\{\}|<=|>=|\|\||\b(?:sigma|delta|Delta|lmbda|chi|sqrt|dC/d\w)\b")


def _outside_math(tex: str) -> str:
    return re.sub(r"\$[^$]*\$", "", tex)


def test_justifications_hold_math_not_ascii(run):
    _, data = run
    whys = [s["why"] for c in data["claims"] for s in c["steps"] if s.get("why")]
    assert whys
    bad = [w for w in whys if ASCII.search(_outside_math(text(w))) or re.search(r"[_^]", _outside_math(w))]
    assert not bad, bad


def test_every_table_cell_of_the_full_run_is_set_as_math():
    """docs/findings.md's book-vs-run table holds every row of the run of record: each cell, set for LaTeX, has its
    pseudo-math in math mode (no escaped _ ^ ~, no <=, ||, lmbda or sigma left in text)."""
    findings = (README.parent / "docs" / "findings.md").read_text()
    block = findings.split("<!-- generated:book-vs-run -->")[1].split("<!-- /generated:book-vs-run -->")[0]
    cells = [re.sub(r"\\(.)", r"\1", c.strip()) for line in block.splitlines() if line.startswith("| ")
             for c in re.split(r"(?<!\\)\|", line)[1:5]]
    assert len(cells) > 100
    bad = [(c, plain(c)) for c in cells if ASCII.search(_outside_math(plain(c)))]
    assert not bad, bad[:5]
    assert plain("w ~ N(0, 1)") == r"$w \sim \mathcal{N}(0, 1)$"
    assert plain("[784, 30^4, 10]") == r"[784, $30^{4}$, 10]"
    assert plain("|w| <= 4") == r"$|w| \le 4$"


def test_figures_set_every_glyph_in_computer_modern():
    """The partial sign too (matplotlib's cm table lacks it and fell back to STIXGeneral)."""
    import numpy as np

    from numeric.figures import gradient_norms_figure, to_bytes

    fig = gradient_norms_figure(np.arange(3), np.ones((3, 2)), np.ones((3, 2)) / 2, np.ones((3, 2)) * 2, "t")
    fonts = set(re.findall(rb"/BaseFont\s*/(?:[A-Z]{6}\+)?([\w-]+)", to_bytes(fig, "pdf")))
    assert fonts and all(f.startswith(b"Cm") for f in fonts), fonts
    from numeric.experiments.meanfield import ALTERNATIVE_LABELS
    from numeric.figures.experiments import meanfield_figure  # the wrong formulas' legend (mathtext) too

    fig = meanfield_figure([30, 100], [[0.2, 0.21], [0.2, 0.205]], 0.2048, None,
                           {name: 0.2 + 0.001 * i for i, name in enumerate(ALTERNATIVE_LABELS)})
    fonts = set(re.findall(rb"/BaseFont\s*/(?:[A-Z]{6}\+)?([\w-]+)", to_bytes(fig, "pdf")))
    assert fonts and all(f.startswith(b"Cm") for f in fonts), fonts


def test_a_raised_group_is_set_as_one_power():
    """(||delta^2|| / ||delta^4||)^(1/2) in a record is one math atom, its exponent braced; plain parentheses stay
    prose."""
    assert plain("factor (||delta^2|| / ||delta^4||)^(1/2), width 30") == \
        r"factor $(\|\delta^{2}\| / \|\delta^{4}\|)^{1/2}$, width 30"
    assert plain("(R^2 / R^4)^(1/2)") == "$(R^{2} / R^{4})^{1/2}$"
    assert plain("(a, b) then") == "(a, b) then"
