"""The criteria a record's protocols changed after earlier runs, told wherever the record is written.

A protocol's criterion carries its ``history`` (``numeric.experiments.protocol.Change``: what it was, what the run
showed, what it became, why). A verdict stands on criteria fixed before its run; where one was revised after an
earlier run, every output says so: the terminal names them, REPORT.md and the methods fragment tell each change in
full, and a table's caption points to them. Reads only the protocol dicts a record carries.
"""

from __future__ import annotations

from ..voice import paper, sentence

__all__ = ["protocols", "revised", "names", "caption_note", "methods_text", "markdown_lines"]


def protocols(record: dict) -> list[dict]:
    """The protocol dicts of a record (none for a claim that trains nothing)."""
    nums = record.get("numbers") or {}
    found = [nums["protocol"]] if isinstance(nums.get("protocol"), dict) else nums.get("protocols") or []
    return [p for p in found if isinstance(p, dict) and (p.get("caption") or p.get("label"))]


def revised(record: dict) -> list[dict]:
    """Returns the revised criteria of a record's protocols, each once: {"name", "text", "history": [changes]}."""
    out, seen = [], set()
    for p in protocols(record):
        for c in p.get("criteria") or []:
            if isinstance(c, dict) and c.get("history") and (c.get("name"), c.get("text")) not in seen:
                seen.add((c.get("name"), c.get("text")))
                out.append({"name": c.get("name"), "text": c.get("text", ""), "history": list(c["history"])})
    return out


def names(record: dict) -> list[str]:
    return [c["name"] for c in revised(record)]


def caption_note(record: dict) -> str:
    """A caption's pointer ("" without revisions): which criteria changed after earlier runs."""
    found = names(record)
    return rf"{{\footnotesize Criteria revised after earlier runs: {len(found)} (methods).}}" if found else ""


def _change(name: str, ch: dict) -> str:
    return (f"criterion {name} was revised: it was {ch.get('was', '')}; {ch.get('showed', '')}; it became "
            f"{ch.get('became', '')}, because {ch.get('why', '')}")


def methods_text(record: dict) -> list[str]:
    """Each change as a sentence in a paper's words (plain text, for the methods fragment to set)."""
    return [sentence(paper(_change(c["name"], ch))) for c in revised(record) for ch in c["history"]]


def markdown_lines(record: dict) -> list[str]:
    """REPORT.md's account: per revised criterion its current text, then each change (was, showed, became, why)."""
    out = []
    for c in revised(record):
        out.append(f"- criterion `{c['name']}` ({c['text']}), revised after earlier runs:")
        for ch in c["history"]:
            out += [f"  - was: {ch.get('was', '')}", f"    showed: {ch.get('showed', '')}",
                    f"    became: {ch.get('became', '')}", f"    why: {ch.get('why', '')}"]
    return out
