"""What a record's verdict adds to its statement, in words, for every writer.

A statement is a result only when its verdict is proved, certified or verified. Otherwise the text says so itself
(a paper inputs the statement without main.tex's lead-in): *not reproduced* says what the source states, what was
measured and that it did not hold on these data; *failed* says which check did not hold. A result that holds by
less than the seeds' spread beside a criterion is *fragile*, and says so with its margin and spread.

``notes(record)`` returns the sentences as plain strings (pseudo-math, numbers already cut to 4 significant digits),
which the LaTeX writer sets with ``latex_text.plain`` and the Markdown writer escapes.
"""

from __future__ import annotations

from ..latex_text import readable
from ..voice import paper

__all__ = ["RESULTS", "stated", "fragile_facts", "measured", "notes", "lead"]

RESULTS = ("proved", "certified", "verified")


def stated(record: dict) -> bool:
    """True when the record's statement is a result (a record without a verdict, as in a test, is one)."""
    return record.get("verdict", "verified") in RESULTS


def fragile_facts(record: dict) -> list[dict]:
    """The facts that hold by less than the seeds' spread beside them."""
    return [f for f in record.get("evidence") or [] if f.get("fragile")]


def _say(what: str) -> str:
    return readable(paper(what))


def measured(record: dict) -> list[str]:
    """What was measured where the statement did not hold: the sentence the claim composed from its numbers
    (``numbers["measured_words"]``), else the missed reproductions (not reproduced) or the missed checks (failed),
    each as its criterion with the run's value."""
    said = (record.get("numbers") or {}).get("measured_words")
    if isinstance(said, str) and said and record.get("verdict") == "not reproduced":
        return [_say(said)]
    facts = record.get("evidence") or []
    role = "reproduction" if record.get("verdict") == "not reproduced" else "check"
    return [_say(f["what"]) for f in facts if not f["holds"] and f.get("role", "check") == role]


def lead(record: dict) -> str:
    """The words that open a statement which is not a result ("" for a result)."""
    return {"not reproduced": "Not reproduced.", "failed": "Not established."}.get(record.get("verdict"), "")


def notes(record: dict) -> list[str]:
    """The sentences that follow the statement: what was measured and that it did not hold, or the fragile
    criteria with their margins and spreads ([] for a result that holds clearly)."""
    verdict = record.get("verdict", "verified")
    out = []
    if verdict == "not reproduced":
        got = measured(record)
        out.append("Measured on these data: " + "; ".join(got) + "." if got else "")
        out.append("The statement did not hold on these data; every check of the protocol, the data and the "
                   "networks held.")
    elif verdict == "failed":
        got = measured(record)
        out.append("A check of the derivation or of the run did not hold: " + "; ".join(got) + "." if got
                   else "The check did not complete.")
        out.append("The statement is shown as checked, not as a result.")
    for f in fragile_facts(record) if verdict in RESULTS else []:
        out.append(f"Fragile: the criterion \"{_say(f['what'])}\" holds by a margin of {f['margin']:.3g}, less than "
                   f"the seeds' spread of {f['spread']:.3g} beside it.")
    return [x for x in out if x]
