"""How a verdict is earned: checks, reproductions and fragile margins (proofs.claim)."""

import pytest

from proofs.claim import Evidence, Fact, margin_fact
from proofs.export.writers import report


def test_a_failed_check_fails_the_claim_whatever_the_reproduction_facts():
    ev = Evidence("verified", [Fact("the network learned", False), Fact("the book's value", True, role="reproduction")])
    assert ev.verdict == "failed"


def test_a_missed_reproduction_with_sound_checks_is_not_reproduced():
    ev = Evidence("verified", [Fact("the network learned", True), Fact("the book's value", False, role="reproduction")])
    assert ev.verdict == "not reproduced"
    assert Evidence("verified", [Fact("a", True), Fact("b", True, role="reproduction")]).verdict == "verified"


def test_evidence_needs_a_check_beside_its_reproduction_facts():
    with pytest.raises(ValueError, match="role 'check'"):
        Evidence("verified", [Fact("the book's value", True, role="reproduction")])
    with pytest.raises(ValueError, match="role"):
        Fact("x", True, role="plausible")


@pytest.mark.parametrize("measured, threshold, spread, above, holds, fragile", [
    (1.010, 1.0, 0.05, True, True, True),  # holds by 1 %, the seeds spread 5 %: fragile
    (1.50, 1.0, 0.05, True, True, False),
    (0.90, 1.0, 0.05, True, False, False),  # a fact that does not hold is failed, not fragile
    (0.90, 1.0, 0.2, False, True, True),
    (float("nan"), 1.0, 0.05, True, False, False),  # a diverged measurement never holds
    (float("inf"), 1.0, 0.05, False, False, False),
])
def test_margin_fact(measured, threshold, spread, above, holds, fragile):
    f = margin_fact("m vs t", measured, threshold, spread, above=above)
    assert (f.holds, f.fragile) == (holds, fragile)
    assert ("fragile" in f.as_dict()) == (f.margin is not None)


def test_fragile_facts_are_named_in_the_record_and_the_report_and_lower_the_verdict():
    """A margin thinner than the seed spread lowers the verdict to "fragile" (a flag that lowers, never decorates);
    the same fact with a margin wider than its spread is verified."""
    from proofs.claim import Claim, Context, run_claim

    ev = Evidence("verified", [margin_fact("ratio above 1", 1.01, 1.0, 0.3)])
    rec = run_claim(Claim("x", "ch. 5", "t", lambda ctx: ev), Context())
    assert rec["verdict"] == "fragile" and rec["fragile"] == ["ratio above 1"]
    assert Evidence("verified", [margin_fact("ratio above 1", 1.5, 1.0, 0.3)]).verdict == "verified"
    assert Evidence("verified", [margin_fact("ratio above 1", 0.9, 1.0, 0.3)]).verdict == "failed"
    text = report([rec], {"seed": 0})
    assert "fragile (1 fact within the seed spread)" in text and "**FRAGILE**" in text
