"""README.md and docs/ say no number by hand (issue 30): every generated block matches what scripts/update_docs.py
renders from its record (docs/data/ or the code), a planted change to a record makes its block stale, README stays
within 150 lines, and the prose outside the generated blocks holds no measured-looking number.

"Measured-looking" (the test's rule, a heuristic stated here): a decimal with at least three significant digits
(0.2048, 81.5, 1.7609), a percentage with a decimal point, or a duration (12 s, 3.5 minutes). Settings and thresholds
(depths 10-80, a factor 1.5, 0.05, 5 %), equation numbers, versions and counts are not results and may be typed; a
number after "about" quotes a source (the book, a paper), one after "<", "within", "at least"... is a bound; code
(commands and their arguments) is left out.
"""

import json
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import update_docs  # noqa: E402

DECIMAL = re.compile(r"(?<![\w.\-/:,])(\d+)\.(\d+)(?!\w)(?!\.\d)")
DURATION = re.compile(r"\b\d+(?:\.\d+)?\s*(?:s|seconds|minutes|ms)\b(?= wall| of CPU| CPU|[,.;)]| each)")
THRESHOLD = r"(?:about|Python|<=?|>=?|from|to|factor|within|at most|at least|below|above)\s*$"  # a bound, a source
CODE = re.compile(r"```.*?```|`[^`\n]*`", re.S)


def prose(text: str) -> str:
    """The text with every generated block and every piece of code (commands and their settings) cut out."""
    return CODE.sub("", update_docs.BLOCK.sub("", text))


def significant(whole: str, frac: str) -> int:
    return len((whole + frac).lstrip("0"))


def typed_numbers(text: str) -> list[str]:
    body, out = prose(text), []
    for m in DECIMAL.finditer(body):
        before = body[max(0, m.start() - 12):m.start()]
        percent = body[m.end():m.end() + 2].strip().startswith("%")
        if (significant(*m.groups()) >= 3 or percent) and not re.search(THRESHOLD, before):
            out.append(f"{m.group(0)!r} after {before!r}")
    out += [f"{m.group(0)!r}" for m in DURATION.finditer(body)]
    return out


def test_every_generated_block_is_its_records():
    assert update_docs.main(["--check"]) == 0, "stale generated blocks: run python scripts/update_docs.py"


def test_a_changed_record_makes_its_block_stale(tmp_path, monkeypatch, capsys):
    run = update_docs.load("run.json")
    if run is None:
        pytest.skip("no run recorded yet (docs/data/run.json)")
    data = tmp_path / "data"
    data.mkdir()
    for f in update_docs.DATA.glob("*.json"):
        (data / f.name).write_text(f.read_text())
    run["claims"][0]["verdict"] = "failed"  # planted: the record says something the pages do not
    (data / "run.json").write_text(json.dumps(run))
    monkeypatch.setattr(update_docs, "DATA", data)
    assert update_docs.main(["--check"]) == 1
    assert "README.md: verdicts" in capsys.readouterr().out


def test_no_number_is_typed_by_hand_in_readme_or_docs():
    found = {str(p.relative_to(ROOT)): typed_numbers(p.read_text(encoding="utf-8")) for p in update_docs.pages()}
    assert not {k: v for k, v in found.items() if v}, found


def test_the_rule_catches_a_typed_result():
    assert typed_numbers("the run takes 276 s wall and 544 s of CPU") and typed_numbers("accuracy 81.5 %")
    assert typed_numbers("sqrt(chi_1) = 0.2048 measured") and typed_numbers("edge at 1.7609...")
    assert typed_numbers("a drop of 11.9 % in every seed") and typed_numbers("it took 3.5 minutes, or 210 s.")
    assert not typed_numbers("depths 10-80, a factor 1.5, within 5 %, eq. (122), Python 3.11, version 0.4.0, 0.05")
    assert not typed_numbers("`python -m proofs diagnose --init normal:1.327,0.2236`")
    assert not typed_numbers("<!-- generated:x -->\n0.2048 and 276 s wall\n<!-- /generated:x -->")
    assert not typed_numbers("Schoenholz et al.: about 1.76")


def test_the_run_of_record_is_this_versions_and_its_protocols():
    """The run the docs quote (docs/data/run.json) was made by this version with today's seeds and thresholds: a
    protocol changed after the run makes the record stale (a fresh clone once read a 0.3.0 run in a 0.4.0 README)."""
    from record_criteria import protocols
    from update_docs import protocol_record

    from proofs import __version__

    run = json.loads((ROOT / "docs" / "data" / "run.json").read_text())
    assert run["version"] == __version__, "run python scripts/update_docs.py --from-results FOLDER after a new run"
    now = protocols()
    assert run["protocols"], "the record names no protocol"
    stale = [name for name, rec in run["protocols"].items() if protocol_record(now[name].as_dict()) != rec]
    assert not stale, f"protocols changed since the run of record: {stale}"


def test_the_readme_is_short():
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 150
