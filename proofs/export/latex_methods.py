"""The methods fragment of an experiment (``<id>-methods.tex``): its protocol said once, as a paper's methods
section says it, for an author to \\input or leave out.

``methods_text`` reads only the protocol dicts a record carries (``numbers["protocol"]`` or
``numbers["protocols"]``) through the fields every protocol records: its ``caption`` (the protocol's own
description, "label: settings"), ``seeds``, ``seeds_used`` (the base seed), ``streams`` (how the random streams are
spawned) and, where it has them, its ``criteria`` as {"text", "role"}. Nothing here knows a protocol class, so the
fragment follows the protocols as they change.
"""

from __future__ import annotations

import re

from ..latex_text import plain, readable
from ..voice import paper, sentence
from .histories import methods_text as revisions
from .histories import protocols
from .latex_fragments import head

__all__ = ["protocols", "methods_text", "methods"]


def _top_split(s: str, sep: str) -> tuple[str, str]:
    """Splits ``s`` at the first ``sep`` outside parentheses and quotes: (before, after), or ("", s)."""
    depth = 0
    for i, ch in enumerate(s):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth == 0 and s.startswith(sep, i):
            return s[:i], s[i + len(sep):]
    return "", s


def _streams(p: dict) -> str:
    """The random streams in words: one base seed, independent children (how they are used, from ``streams``)."""
    seeds, base = p.get("seeds"), (p.get("seeds_used") or [None])[0]
    how = str(p.get("streams") or "")
    how = re.sub(r"^\s*numpy\.random\.SeedSequence\([^()]*\)\.spawn\([^()]*\)\s*(?:\([^()]*\))?\s*[:,]?\s*", "", how)
    text = (("the one seed draws" if seeds == 1 else f"the {seeds} seeds draw")
            + " from independent random streams spawned from one base seed"
            + (f" ({base})" if base is not None else ""))
    return sentence(text + (f": {paper(how)}" if how.strip() else ""))


def _criteria(p: dict) -> str:
    """The criteria fixed before the run: the source's statement, and the run's own checks."""
    crit = p.get("criteria")
    if not isinstance(crit, list) or not all(isinstance(c, dict) and c.get("text") for c in crit):
        return ""
    said = {role: "; ".join(paper(c["text"]) for c in crit if c.get("role", "check") == role)
            for role in ("reproduction", "check")}
    out = []
    if said["reproduction"]:
        out.append(sentence(f"the source's statement is taken to hold when {said['reproduction']}"))
    if said["check"]:
        out.append(sentence(f"the run itself is sound when {said['check']}"))
    return " ".join(out)


def _one(p: dict, first: dict | None) -> str:
    """One protocol's paragraph; its criteria only where they differ from the ``first`` protocol's."""
    caption = re.split(r"\.\s+Criteria:\s", str(p.get("caption") or p.get("label")), maxsplit=1)[0]
    label, settings = _top_split(caption, ": ")
    same = first is not None and first.get("criteria") == p.get("criteria")
    text = [sentence(f"{paper(label)}: {paper(settings)}" if label else paper(settings)), _streams(p),
            "" if same else _criteria(p)]
    return " ".join(plain(readable(x)) for x in text if x)


def methods_text(record: dict) -> str:
    """Returns the methods paragraph(s) of a record in LaTeX ("" for a record without a protocol): per protocol
    its set-up, its random streams and its criteria; the data and how a thin margin is reported, once."""
    found = protocols(record)
    if not found:
        return ""
    nums = record.get("numbers") or {}
    paragraphs = [_one(p, found[0] if i else None) for i, p in enumerate(found)]
    paragraphs[1:] = ["For comparison, " + x[:1].lower() + x[1:] for x in paragraphs[1:]]
    closing = []
    if nums.get("data"):
        closing.append(sentence(f"data: {paper(re.sub(r'^embedded: ', '', str(nums['data'])))}"))
    closing += revisions(record)
    if any("margin" in f for f in record.get("evidence") or []):
        closing.append("A criterion met by less than the spread of its measurement over the seeds is reported as "
                       "fragile, with its margin and that spread.")
    if closing:
        paragraphs[-1] += " " + " ".join(plain(readable(x)) for x in closing)
    return "\n\n".join(paragraphs)


def methods(record: dict) -> str:
    """Returns the ``<id>-methods.tex`` fragment ("" for a record without a protocol)."""
    body = methods_text(record)
    return "\n".join(head(record, "methods (the protocol, once)") + [body]) + "%\n" if body else ""
