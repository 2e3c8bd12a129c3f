"""REPORT.md and the book-vs-run table, escaped as GitHub-flavoured Markdown needs.

* text: ``\\ ` * _ | < [ ]`` escaped (a norm's bars do not split a table's row, subscripts do not turn
  into italics), LaTeX's ``--`` and ``~`` as the en dash and space they print;
* math in running text and headings: ``$`...`$`` (a code span between dollars: code hosts render it as
  math, and no Markdown escaping reaches inside it, so ``\\,`` and ``\\|`` survive);
* statements and derivations: ```` ```math ```` blocks.
Emphasis appears only where meant: the verdicts and the DOES NOT HOLD / FRAGILE marks, in bold.
"""

from __future__ import annotations

import json
import re

from ..latex_text import readable
from ..timing import total_seconds
from .histories import markdown_lines
from .verdicts import lead, notes, stated

__all__ = ["report", "book_vs_run", "md", "md_math_text"]


def md(s) -> str:
    """Returns plain text escaped for Markdown (inline and inside a table's cells)."""
    return re.sub(r"([\\`*_|<\[\]])", r"\\\1", str(s))


def _plain_math(tex: str) -> str:
    """Returns LaTeX a code host's math renderer understands: the suite's macros expanded."""
    return tex.replace(r"\ugsigmaprime", r"\sigma'").replace(r"\ugSigmaprime", r"\Sigma'")


def md_math_text(s, *, latex_text: bool = False) -> str:
    """Returns text holding ``$...$`` math for Markdown: math as ``$`...`$``, the rest escaped.

    ``latex_text``: the text parts are LaTeX (a title): ``~`` is a space and ``--`` an en dash.
    """
    out = []
    for part in re.split(r"(\$[^$]+\$)", str(s)):
        if len(part) > 1 and part.startswith("$") and part.endswith("$"):
            out.append(f"$`{_plain_math(part[1:-1])}`$")
        else:
            if latex_text:
                part = part.replace("~", " ").replace("--", "\u2013").replace("``", "\u201c").replace("''", "\u201d")
            out.append(md(part))
    return "".join(out)


def book_vs_run(records: list[dict]) -> str:
    """Returns a Markdown table of the book's values beside this run's, each caveat beside its row."""
    lines = ["| quantity | book | this run | caveat | claim | verdict |", "|---|---|---|---|---|---|"]
    for r in records:
        for row in (r.get("numbers") or {}).get("book_vs_run", []):
            lines.append(f"| {md(row['quantity'])} | {md(readable(row['book']))} | {md(readable(row['run']))} | "
                         f"{md(readable(row.get('caveat', '')))} | `{r['id']}` | {r['verdict']} |")
    return "\n".join(lines)


def _title(record: dict) -> str:
    """The claim's LaTeX title with inline math, for Markdown (falls back to the plain title)."""
    title = record.get("latex_title")
    return md_math_text(title, latex_text=True) if title else md(record["title"])


def _math_block(tex: str) -> list[str]:
    return ["```math", _plain_math(tex), "```"]


def _why(s: dict) -> str:
    why = md_math_text(s.get("why") or "").replace("--", "\u2013")
    if s.get("tag"):
        tag = s["tag"].replace("--", "\u2013")
        why = f"{why} (book: ({tag}))" if why else f"book: ({tag})"
    return why


def _derivation(steps: list[dict]) -> list[str]:
    """The derivation as one aligned math block, then the justification of each numbered line."""
    from .latex_fragments import RELATIONS

    rows = [f"{s['lhs']} &{RELATIONS[s['relation']]} {s['rhs']}" for s in steps]
    out = ["Derivation:", ""] + _math_block("\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}")
    out.append("")
    for i, s in enumerate(steps, 1):
        why = _why(s)
        out.append(f"{i}. line {i}: {why}" if why else f"{i}. line {i}")
    return out


def _fragile_mark(record: dict) -> str:
    n = len(record.get("fragile", []))
    return f", fragile ({n} fact{'s' if n > 1 else ''} within the seed spread)" if n else ""


def rounded(value, digits: int = 4):
    """Returns ``value`` with every float (and every decimal string but an exact value or an enclosure's ends) at
    ``digits`` significant digits: what REPORT.md shows; results.json keeps the full precision."""
    if isinstance(value, dict):
        return {k: v if k in ("exact", "lo", "hi") else rounded(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [rounded(v, digits) for v in value]
    if isinstance(value, float):
        return float(f"{value:.{digits}g}")
    return readable(value, digits) if isinstance(value, str) else value


def _fact(f: dict) -> str:
    mark = "holds" if f["holds"] else "**DOES NOT HOLD**"
    if f.get("fragile"):
        mark += f" (**FRAGILE**: margin {f['margin']:.3g} is less than the seed spread {f['spread']:.3g})"
    if f.get("role") == "reproduction":
        mark = "reproduction of the book's or paper's statement: " + mark
    value = json.dumps(rounded(f["value"])) if "value" in f else ""
    shown = f"; value: `{value}`" if value and len(value) <= 240 and "`" not in value else ""  # long ones: results.json
    return f"- {md(readable(f['what']))} ({md(f['how'])}): {mark}{shown}"


_SYMBOLS = {"ugsigmaprime": "\u03c3'", "ugSigmaprime": "\u03a3'", "sigma": "\u03c3", "Sigma": "\u03a3",
            "gamma": "\u03b3", "chi": "\u03c7", "xi": "\u03be", "delta": "\u03b4", "lambda": "\u03bb", "eta": "\u03b7",
            "phi": "\u03c6",
            "partial": "\u2202", "nabla": "\u2207", "ge": "\u2265", "le": "\u2264", "times": "\u00d7", "pm": "\u00b1",
            "sqrt": "\u221a", "prod": "\u220f", "sum": "\u2211", "infty": "\u221e", "to": "\u2192", "|": "\u2016",
            ",": " ", ";": " ", "quad": " "}


def _alt(caption: str) -> str:
    """A figure's caption as alt text: what it shows, its math as plain characters (Greek letters and relations as
    themselves, other commands by name)."""
    def math(m):
        out = re.sub(r"\\([A-Za-z]+|[|,;])\s?", lambda c: _SYMBOLS.get(c[1], c[1] if c[1].isalpha() else ""), m[1])
        return re.sub(r"[{}\\]", "", out)
    plain = re.sub(r"\\ugeqref\{[^{}]*\}\{([^{}]*)\}", r"\1", caption)
    plain = re.sub(r"\$([^$]*)\$", math, plain)
    return md(plain.replace("~", " ").replace("--", "\u2013"))


def _statement(r: dict) -> list[str]:
    """The statement block: a result as it stands; any other verdict says first that it is the source's statement,
    not a result, then what was measured."""
    out = []
    if not stated(r):
        out += [f"**{lead(r)}** The source's statement, expected but **{r['verdict']}** on this run:", ""]
    if r.get("latex"):
        out += _math_block(r["latex"]) + [""]
    said = notes(r)
    return out + ([md(x) for x in said] + [""] if said else [])


def report(records: list[dict], settings: dict) -> str:
    """Returns REPORT.md for a code host: verdicts, the book beside the run, then each claim's statement
    (a ```math block), derivation, evidence and figures."""
    from .latex import FIGURE_CAPTIONS

    lines = ["# Unstable gradients: report", "",
             f"Generated by `python -m proofs` with {md(', '.join(f'{k}={v}' for k, v in settings.items()))}.", "",
             "| claim | source | verdict | seconds |", "|---|---|---|---:|"]
    lines += [f"| `{r['id']}` | {md(r['source'])} | **{r['verdict']}**{md(_fragile_mark(r))} "
              f"| {total_seconds(r)[0]:.2f} |" for r in records]  # its parts' seconds included
    lines += ["", "## The book beside this run", "", book_vs_run(records)]
    for r in records:
        heading = _title(r) if stated(r) else f"{r['verdict'].capitalize()}: {_title(r)}"
        lines += ["", f"## {heading}", "", f"`{r['id']}`, source {md(r['source'])}: **{r['verdict']}**", ""]
        lines += _statement(r)
        if r.get("steps"):
            lines += _derivation(r["steps"]) + [""]
        lines += ["Evidence:", ""]
        lines += [_fact(f) for f in r["evidence"]]
        if markdown_lines(r):
            lines += ["", "Criteria revised after earlier runs (fixed before this run):", ""] + markdown_lines(r)
        for fig in r.get("figures", []):
            caption = FIGURE_CAPTIONS.get(fig)
            text = md_math_text(caption, latex_text=True) if caption else _title(r)
            alt = _alt(caption) if caption else md(fig.replace("-", " "))
            lines += ["", f"![{alt}](figures/{fig}.png)", "", f"Figure: {text}."]
        if r.get("error"):
            lines += ["", "```", r["error"].rstrip(), "```"]
    return "\n".join(lines) + "\n"
