"""Fragments a paper can state as they are (issue 33): every statement carries its verdict in its own text (a planted
not-reproduced, failed and fragile verdict is read back from every output), no tool word reaches a fragment, the
protocol is said once in a methods fragment, captions are short, table cells hold at most 4 significant digits,
cross-references stay inside the bundle, and figures are at most 3 in tall. The run is a real one of the fast claims
that hold every kind of fragment; the slow paper test (tests/test_latex_paper.py) reads a whole --quick run the same
way."""

import copy
import json
import re

import pytest

from proofs.export.latex_fragments import is_finding
from proofs.export.latex_main import MACROS, bundle
from proofs.export.latex_methods import methods_text
from proofs.export.latex_tables import MAX_ROWS
from proofs.export.markdown import report
from proofs.latex_text import significant
from proofs.run.cli import main
from proofs.voice import JARGON, words

CLAIMS = ("eq115-121-cascade,delta-norm-bound,eq123-interval-width,eq123-width-maximum,lstm-cell-path,"
          "recurrent-matrix-jacobian,recurrent-norm-bound,weights-below-one,speed-of-learning-at-init,"
          "phase-chapter-network,exploding-construction,phase-depth-scales")
MAX_CAPTION_WORDS = 60


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("paper")
    assert main(["--out", str(out), "--only", CLAIMS, "-q", "--jobs", "1"]) == 0
    return out, json.loads((out / "results.json").read_text())


def fragments(folder) -> dict:
    """{name: text} of every fragment a paper may \\input (macros.tex too; main.tex is the bundle's own article)."""
    return {p.name: p.read_text() for p in sorted((folder / "latex").glob("*.tex")) if p.name != "main.tex"}


def jargon(texts: dict) -> list:
    return [(name, w) for name, t in texts.items() for w in JARGON if w in t]


def groups(tex: str, command: str) -> list[str]:
    """The brace-balanced argument of each ``\\command{...}`` in ``tex``."""
    out = []
    for m in re.finditer(re.escape(command) + r"\{", tex):
        depth, i = 1, m.end()
        while depth:
            depth += tex[i] == "{"
            depth -= tex[i] == "}"
            i += 1
        out.append(tex[m.end():i - 1])
    return out


def table_cells(tex: str) -> list[list[str]]:
    return [line.removesuffix(r"\tabularnewline").split(" & ") for line in tex.splitlines()
            if line.endswith(r"\tabularnewline")]


def long_numbers(cell: str) -> list[str]:
    """The decimal numbers of a table cell with more than 4 significant digits."""
    cell = re.sub(r"\\allowbreak\{\}|\{,\}", "", cell)
    return [n for n in re.findall(r"(?<![\w.])\d+(?:,\d{3})*\.\d+", cell) if significant(n) > 4]


def check_paper_text(texts: dict) -> None:
    """What every fragment set must pass: no tool word, short captions, few digits, small tables."""
    assert not jargon(texts), jargon(texts)
    for name, t in texts.items():
        for caption in groups(t, r"\caption"):
            assert words(caption) <= MAX_CAPTION_WORDS, (name, words(caption), caption)
        if name.endswith("-table.tex") and r"\begin{tabular}" in t:
            cells = table_cells(t)
            assert 0 < len(cells) <= MAX_ROWS and t.count(r"\begin{tabular}") == 1, (name, len(cells))
            assert not [n for row in cells for c in row for n in long_numbers(c)], name


def test_no_fragment_holds_a_tool_word_a_long_caption_or_a_long_number(run):
    out, data = run
    texts = fragments(out)
    assert len(texts) >= 5 * len(data["claims"])  # statement, derivation, methods, table, figures per claim
    check_paper_text(texts)
    assert "this suite" not in " ".join(texts.values()).lower()
    sample = r"\caption{Three \emph{words} $x + y = z$ here}"
    assert words(groups(sample, r"\caption")[0]) == 4


def test_the_protocol_is_said_once_in_a_methods_fragment(run):
    """An experiment's protocol is its methods fragment, read from the protocol dict of its record (no protocol
    class): seeds, base seed and criteria, never a table caption's business."""
    out, data = run
    texts = fragments(out)
    with_protocol = [c for c in data["claims"] if methods_text(c)]
    assert {c["id"] for c in with_protocol} >= {"weights-below-one", "speed-of-learning-at-init"}
    for c in data["claims"]:
        methods = texts[f"{c['id']}-methods.tex"]
        assert (r"seeds" in methods) == (c in with_protocol), c["id"]
        assert "Protocol" not in texts[f"{c['id']}-table.tex"] and "streams" not in texts[f"{c['id']}-table.tex"]
    main_tex = (out / "latex" / "main.tex").read_text()
    assert all(main_tex.count(rf"\input{{{c['id']}-methods}}") == 1 for c in with_protocol)
    got = methods_text({"numbers": {"protocol": {
        "caption": "this suite's toy protocol [QUICK: 1 seed]: 10 epochs of mini-batch 10, eta 0.1", "seeds": 3,
        "seeds_used": [7], "streams": "numpy.random.SeedSequence(7).spawn(3) (numeric.streams.replica_streams): "
                                      "one child per seed",
        "criteria": [{"text": "the ratio lies within 50-250", "role": "reproduction"},
                     {"text": "the network learns", "role": "check"}]}}})
    assert "Our toy protocol (reduced run): 10 epochs" in got and r"$\eta = 0.1$" in got
    assert "3 seeds draw from independent random streams spawned from one base seed (7): one child per seed" in got
    assert "taken to hold when the ratio lies within 50-250" in got and "sound when the network learns" in got
    assert not jargon({"methods": got})


def _plant(records: list[dict]) -> dict:
    """Copies of three records with planted verdicts: a finding not reproduced, an equation that failed, a fragile
    result."""
    by_id = {r["id"]: copy.deepcopy(r) for r in records}
    missed = {"what": "the planted criterion: 0.5 measured against the source's 0.25", "holds": False,
              "how": "planted", "role": "reproduction"}
    by_id["speed-of-learning-at-init"].update(verdict="not reproduced")
    by_id["speed-of-learning-at-init"]["evidence"].append(missed)
    by_id["weights-below-one"]["numbers"]["measured_words"] = "said only where the statement did not hold"
    by_id["delta-norm-bound"].update(verdict="failed")
    by_id["delta-norm-bound"]["evidence"].append(dict(missed, what="the planted check of the bound", role="check"))
    thin = {"what": "the planted thin criterion", "holds": True, "how": "planted", "margin": 0.0123,
            "spread": 0.456, "fragile": True}
    by_id["weights-below-one"]["evidence"].append(thin)
    by_id["weights-below-one"]["fragile"] = [thin["what"]]
    return by_id


def test_a_planted_verdict_is_said_in_every_output(run):
    """Not reproduced: the finding says what the source states, what was measured and that it did not hold; the
    table's caption, main.tex's heading and REPORT.md (heading, statement, alt text) say it too, and no output states
    the claim's title as a result. Failed: the equation is no numbered result. Fragile: margin and spread."""
    _, data = run
    by_id = _plant(data["claims"])
    records = list(by_id.values())
    files, md = bundle(records, data["settings"]), report(records, data["settings"])

    nr = by_id["speed-of-learning-at-init"]
    statement = files["latex/speed-of-learning-at-init.tex"]
    assert is_finding(nr) and r"\begin{ugfinding}" in statement
    assert r"\ugverdict{Not reproduced.} The source states" in statement
    assert "the planted criterion: 0.5 measured against the source's 0.25" in statement
    assert "did not hold on these data" in statement
    table = files["latex/speed-of-learning-at-init-table.tex"]
    assert groups(table, r"\caption")[0].startswith(r"\ugverdict{Not reproduced.}")
    for name, text in files.items():  # the title states the claim: never as a result
        if name != "latex/main.tex":
            assert nr["latex_title"] not in text, name
    assert r"\subsection{\texorpdfstring{Not reproduced: " + nr["latex_title"] in files["latex/main.tex"]
    section = md.split("## Not reproduced: ")[1].split("\n## ")[0]
    assert section.index("**Not reproduced.**") < section.index("```math") < section.index("Measured on these data")
    for line in md.splitlines():  # the claim's title only beside its verdict
        if nr["title"] in line or "learns about 5 times slower" in line:
            assert "not reproduced" in line.lower(), line
    alts = re.findall(r"!\[([^\]]*)\]", section)
    assert alts and all(nr["title"] not in a for a in alts)

    failed = files["latex/delta-norm-bound.tex"]
    assert is_finding(by_id["delta-norm-bound"]) and r"\begin{equation}" not in failed
    assert r"\ugverdict{Not established.}" in failed and "the planted check of the bound" in failed

    fragile = files["latex/weights-below-one.tex"]
    assert "said only where" not in fragile  # a result's statement needs no measurement in words
    assert "Fragile: the criterion ``the planted thin criterion'' holds by a margin of 0.0123" in fragile
    assert "spread of 0.456" in fragile
    assert "**FRAGILE**" in md and "Fragile: the criterion" in md
    check_paper_text({k: v for k, v in files.items() if k != "latex/main.tex"})


def test_cross_references_stay_inside_the_bundle(run):
    """Every \\ref and \\eqref of a fragment names a label the bundle defines; a book number of an equation the
    bundle holds is a \\ugeqref (its \\eqref where the paper inputs the equation, else the book's number)."""
    out, data = run
    texts = fragments(out)
    labels = {m for t in texts.values() for m in re.findall(r"\\label\{([^{}]*)\}", t)}
    refs = {m for t in texts.values() for m in re.findall(r"\\(?:eq|c|C)?ref\{([^{}#]*)\}", t)}
    assert refs <= labels, refs - labels
    from proofs.run.registry import all_claims

    tagged = {f"ug:{c.id}" for c in all_claims() if c.tag}
    targets = {m for t in texts.values() for m in re.findall(r"\\ugeqref\{([^{}#]*)\}", t)}
    assert targets and targets <= tagged, targets - tagged
    for name, t in texts.items():  # a book's number never stands bare where the paper's numbers stand
        if name.endswith(("-derivation.tex", "-figures.tex")):
            bare = re.findall(r"(?<!book's )(?<!book's~)(?<!--)\(1\d\d\)", re.sub(r"\\tag\{[^{}]*\}", "", t))
            assert not bare, (name, bare)
    assert "written out in full, the book's (122)" in texts["eq115-121-cascade-derivation.tex"]
    assert r"\ugeqref{ug:eq123-interval-width}{the book's~(123)}" in texts["eq123-interval-width-figures.tex"]


def test_a_derivation_ends_on_its_last_line(run):
    """No empty row after a derivation's last step: the last line ends the align*, its justification follows it."""
    out, data = run
    for c in data["claims"]:
        if c["steps"]:
            tex = (out / "latex" / f"{c['id']}-derivation.tex").read_text()
            body = tex.split(r"\begin{align*}")[1].split(r"\end{align*}")[0].strip().splitlines()
            assert not body[-1].strip().startswith(r"\intertext") and not body[-1].rstrip().endswith("\\\\"), c["id"]


def test_macros_let_cleveref_capitalise_a_finding():
    """Only \\Crefname is set: cleveref derives \\crefname and follows its own capitalise option."""
    assert r"\Crefname{ugfinding}{Finding}{Findings}" in MACROS and r"\crefname{ugfinding}" not in MACROS
    assert r"\DeclareRobustCommand{\ugeqref}" in MACROS


def test_report_shows_at_most_4_significant_digits_and_results_json_keeps_them_all(run):
    out, data = run
    md = (out / "REPORT.md").read_text()
    evidence = [line for line in md.splitlines() if line.startswith("- ")]
    assert evidence
    long = [n for line in evidence for n in re.findall(r"(?<![\w.])\d+\.\d+(?![\d.]|\\\.\\\.\\\.)", line)
            if significant(n) > 4]
    assert not long, long[:5]
    full = json.dumps(data["claims"])
    assert re.search(r"\d\.\d{10,}", full)  # results.json keeps the full precision


def test_figures_are_at_most_3_inches_tall_at_column_width():
    """A figure with a long legend (the remedies' 15 configurations) keeps to 3 in, its legend compact."""
    from numeric.figures import MAX_HEIGHT
    from numeric.figures.experiments import accuracy_figure, remedies_figure

    labels = [f"configuration number {k} with a long label" for k in range(15)]
    fig = remedies_figure([4, 10], {x: [0.5, 0.4] for x in labels}, None, "accuracy", log=False)
    assert fig.get_size_inches()[1] <= MAX_HEIGHT["column"] == 3.0
    fig = accuracy_figure([1, 2, 3, 4], {k: ([0.9] * 4, [0.8] * 4, [0.95] * 4) for k in "abcd"}, 0.1, "t")
    assert fig.get_size_inches()[1] <= 3.0


def test_a_revised_criterion_is_told_in_every_output(run, capsys):
    """phase-chapter-network's shallow_min went from 0.80 to 0.60 after a run: the methods fragment tells the change
    (was, showed, became, why), the table's caption points to it, REPORT.md lists it, and the terminal names it."""
    folder, res = run
    methods = (folder / "latex" / "phase-chapter-network-methods.tex").read_text()
    assert "does-not-train was revised" in methods and "0.80" in methods and "0.60" in methods
    tables = [t for n, t in fragments(folder).items() if n.startswith("phase-chapter-network") and "tabular" in t]
    assert tables and all("revised after earlier runs" in t for t in tables)
    text = (folder / "REPORT.md").read_text()
    assert "Criteria revised after earlier runs" in text and "was: shallow_min 0.80" in text
    rec = next(r for r in res["claims"] if r["id"] == "phase-chapter-network")
    from proofs.export.histories import names

    assert names(rec) == ["does-not-train"]
    unrevised = copy.deepcopy(rec)
    for c in unrevised["numbers"]["protocol"]["criteria"]:
        c["history"] = []
    assert names(unrevised) == [] and "was revised" not in methods_text(unrevised)
    assert main(["--out", str(folder.parent / "again"), "--only", "phase-chapter-network", "--jobs", "1"]) == 0
    assert "criteria revised after earlier runs: does-not-train" in capsys.readouterr().out
