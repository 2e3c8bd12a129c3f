"""Every criterion tells its history (issue 31 item 3): tests/data/criteria_first.json holds each criterion's first
thresholds, as written before any run of record; a criterion whose thresholds differ from them (values or names)
must carry a history (``Change`` entries) whose last "became" states every current value. A criterion not in the file
fails until it is recorded (``python scripts/record_criteria.py``), so a new one cannot skip its first entry."""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from record_criteria import FILE, protocols  # noqa: E402

FIRST = json.loads(FILE.read_text())
CRITERIA = [(name, c) for name, p in protocols().items() for c in p.criteria]


def spellings(value) -> set[str]:
    """The ways a text may state a threshold: 0.75 as "0.75" or "75%", 5000 as "5000" or "5,000"."""
    if isinstance(value, bool):
        return {str(value), str(value).lower()}
    if isinstance(value, tuple | list):
        return {", ".join(f"{v:g}" for v in value)}
    return {f"{value:g}", f"{value:,g}", f"{value:.0%}", f"{value:,.0f}", f"{value:.2g}"}


def stated(change_text: str, thresholds) -> list[str]:
    """Returns the thresholds the text does not state."""
    return [k for k, v in thresholds if not any(s in change_text for s in spellings(v))]


@pytest.mark.parametrize("name,c", CRITERIA, ids=[f"{n}/{c.name}" for n, c in CRITERIA])
def test_a_changed_criterion_tells_its_history(name, c):
    first = FIRST.get(name, {}).get(c.name)
    assert first is not None, f"{name}/{c.name} has no first entry: run python scripts/record_criteria.py"
    now = {k: list(v) if isinstance(v, tuple) else v for k, v in c.thresholds}
    if now == first:
        return
    assert c.history, f"{name}/{c.name} changed from {first} to {now} without a history entry"
    missing = stated(c.history[-1].became, c.thresholds)
    assert not missing, f"{name}/{c.name}: its last history entry does not state {missing} ({c.history[-1].became!r})"


def test_the_check_catches_a_silent_change():
    """Planted flaw: shallow_min moved from 0.80 to 0.60 with its history removed fails; so does a history whose last
    entry does not state the current value."""
    import dataclasses

    from numeric.experiments.phase import CHAPTER_NETWORK

    c = CHAPTER_NETWORK.criterion("does-not-train")
    assert FIRST["phase-chapter"]["does-not-train"]["shallow_min"] == 0.8 and c["shallow_min"] == 0.6
    with pytest.raises(AssertionError, match="without a history entry"):
        test_a_changed_criterion_tells_its_history("phase-chapter", dataclasses.replace(c, history=()))
    vague = dataclasses.replace(c.history[-1], became="a lower bar")
    with pytest.raises(AssertionError, match="does not state"):
        test_a_changed_criterion_tells_its_history("phase-chapter", dataclasses.replace(c, history=(vague,)))
    with pytest.raises(AssertionError, match="no first entry"):
        test_a_changed_criterion_tells_its_history("phase-chapter", dataclasses.replace(c, name="new-one"))


def test_every_criterion_is_recorded_and_the_script_never_rewrites_one(tmp_path, monkeypatch):
    import record_criteria

    assert record_criteria.main(["--check"]) == 0
    planted = dict(FIRST, **{"phase-chapter": dict(FIRST["phase-chapter"], **{"does-not-train": {"shallow_min": 9}})})
    copy = tmp_path / "first.json"
    copy.write_text(json.dumps(planted))
    monkeypatch.setattr(record_criteria, "FILE", copy)
    assert record_criteria.main([]) == 0
    assert json.loads(copy.read_text())["phase-chapter"]["does-not-train"] == {"shallow_min": 9}
