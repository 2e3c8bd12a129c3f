"""LaTeX fragments of one claim: its statement, its derivation and its figures.

* statement (``<id>.tex``): an equation labelled ``ug:<id>``; the book's number as ``\\tag`` in an
  ``equation*`` (a tagged equation takes no number of the counter, so hyperref makes no second
  destination); a statement said in words (a measured finding, no SymPy statement) is a numbered
  ``ugfinding`` paragraph instead of an equation, cited with ``\\ref``. A statement that is not a result (not
  reproduced, failed) is a finding too, which says so itself: what the source states, what was measured, that it
  did not hold (``verdicts``); a fragile result carries its margins and spreads after it;
* derivation (``<id>-derivation.tex``): ``align*`` lines, each followed by its justification (the
  book's numbers there as text, never a second ``\\tag``; an equation the bundle holds as ``\\ugeqref``, which
  prints ``\\eqref`` where the document has it, else the book's number); the last justification follows the
  display, so no empty row ends it;
* figures (``<id>-figures.tex``): a figure per stem, found through ``\\ugfigurepath`` (macros.tex), so
  the fragment works from any folder.
Every fragment ends with ``%``, so ``\\input`` leaves no stray space.
"""

from __future__ import annotations

import re

from ..latex_text import escape, notation, plain, text
from .latex_display import _printed, _width, break_line, split_lines  # noqa: F401  (_printed, _width: the tests')
from .verdicts import lead, notes, stated

__all__ = ["fragment", "derivation", "figures", "is_finding", "RELATIONS", "FIGURE_WIDTHS", "head", "eqrefs"]

RELATIONS = {"=": "=", "approx": r"\approx", "<=": r"\le", ">=": r"\ge"}
FIGURE_WIDTHS = {"column": "3.3in", "page": "6.9in"}


def head(record: dict, what: str) -> list[str]:
    return [f"% {record['id']}: {what}; generated from the run's records, do not edit by hand.",
            r"% needs amsmath, amssymb and macros.tex"]


def is_finding(record: dict) -> bool:
    """True when the statement is set as a numbered Finding paragraph (cited with \\ref), not as an equation: a
    measured finding said in words (no SymPy statement; two or more words of text in the display), or a statement
    that is not a result (its verdict is not proved, certified or verified)."""
    tex = record.get("latex") or ""
    words = re.findall(r"[A-Za-z]{2,}", " ".join(re.findall(r"\\text\{([^{}]*)\}", tex)))
    return bool(tex) and ((not record.get("sympy") and len(words) >= 2) or not stated(record))


def eqrefs(tex: str, refs: dict | None, book: bool = False) -> str:
    """Returns ``tex`` with each book number "(n)" of an equation the bundle holds (``refs``: {tag: claim id}) as
    ``\\ugeqref``: the document's \\eqref where the equation is in it, else "the book's (n)". With ``book`` (text that
    cites only the book's equations, 100-199: derivations, figure captions) any other such number reads "the book's
    (n)", never a bare number a reader would take for the paper's."""
    def one(m):
        a, b = m[1], m[2]
        if b is None and a in (refs or {}):
            return rf"\ugeqref{{ug:{refs[a]}}}{{the book's~({a})}}"
        if book and 100 <= int(a) < 200:
            return f"the book's ({a})" + (f"--({b})" if b else "")
        return m[0]
    return re.sub(r"(?<![\w{~])\((\d+)\)(?:--\((\d+)\))?", one, tex)


_SPACING = r"(?:\\[ ,;:!]|\\q?quad\b|\s)+"


def _inline(tex: str) -> str:
    """A display line as running text: its \\text{...} as text, the rest as $...$ math."""
    out = []
    for part in re.split(r"(\\text\{[^{}]*\})", tex):
        if part.startswith(r"\text{"):
            out.append(part[6:-1])
        elif part.strip(" ,;:\\"):
            math = re.sub(_SPACING + "$", "", re.sub("^" + _SPACING, "", part))
            space = " " if re.search(_SPACING + "$", part) else ""
            out.append(f"{part[:len(part) - len(part.lstrip())]}${notation(math)}${space}")
        else:
            out.append(part.replace("\\ ", " ").replace(r"\;", " "))
    return re.sub(r"\s+", " ", "".join(out)).strip()


def _words(tex: str) -> str:
    """A statement said in words as running text (its display's lines joined)."""
    body = " ".join(_inline(x) for x in re.split(r"\\\\", re.sub(r"\\(?:begin|end)\{gathered\}", "", tex)))
    return body[:1].upper() + body[1:]


def _display(record: dict) -> str:
    """The statement's display body: its lines (split and broken to fit a column), gathered when more than one."""
    tex = notation(record["latex"])
    gathered = re.fullmatch(r"\\begin\{gathered\}(.*)\\end\{gathered\}", tex.strip(), re.S)
    if gathered and r"\begin{" not in gathered[1]:
        parts = [y for x in gathered[1].split(r"\\") for y in break_line(x.strip())]
    else:
        parts = split_lines(tex) if r"\begin{" not in tex else [tex]
    parts = [("{}" if x.startswith("[") else "") + x for x in parts]  # "\\ [" would read as \\[dim]
    return (parts[0] if len(parts) == 1
            else "\\begin{gathered}\n    " + " \\\\\n    ".join(parts) + "\n  \\end{gathered}")


def _notes(record: dict) -> str:
    return " ".join(plain(x) for x in notes(record))


def fragment(record: dict) -> str:
    """Returns the statement fragment (see the module docstring)."""
    lines = head(record, "statement")
    tex = record.get("latex")
    label = rf"\label{{ug:{record['id']}}}"
    after = _notes(record)
    if not tex:  # a check that did not complete has no statement
        lines += [rf"\begin{{ugfinding}}{label}\ugverdict{{Not established.}} The check did not complete.",
                  r"\end{ugfinding}"]
    elif not stated(record):  # the source's statement, then what was measured: never set as a result
        said = (f"The source states: {_words(tex)[:1].lower() + _words(tex)[1:]}." if is_words(record)
                else f"The source states\n\\begin{{equation*}}\n  {_display(record)}\n\\end{{equation*}}")
        lines += [rf"\begin{{ugfinding}}{label}\ugverdict{{{lead(record)}}} {said}", after, r"\end{ugfinding}"]
    elif is_finding(record):
        lines += [rf"\begin{{ugfinding}}{label}{_words(tex)}" + (f". {after}" if after else ""), r"\end{ugfinding}"]
    else:
        env = "equation*" if record.get("tag") else "equation"
        tag = rf"\tag{{{record['tag']}}}" if record.get("tag") else ""
        lines += [rf"\begin{{{env}}}", f"  {_display(record)}{tag}{label}", rf"\end{{{env}}}"]
        if after:
            lines.append(rf"\par\noindent {after}\par")
    return "\n".join(x for x in lines if x) + "%\n"


def is_words(record: dict) -> bool:
    """True when the statement is said in words (a finding however its verdict came out)."""
    return is_finding(dict(record, verdict="verified"))


def derivation(record: dict, refs: dict | None = None) -> str:
    """Returns the derivation fragment: each line, then its justification (book numbers as text, or \\ugeqref to
    an equation of the bundle, ``refs``); the last justification after the display."""
    steps = record.get("steps") or []
    if not steps:
        return ""
    rows, whys = [], []
    for s in steps:
        why = eqrefs(text(s.get("why") or ""), refs, book=True)
        if s.get("tag"):
            tag = f"({s['tag'].replace('--', ')--(')})"
            why = f"{why} (the book's {tag})" if why else f"the book's {tag}"
        rows.append(f"  {notation(s['lhs'])} &{RELATIONS[s['relation']]} {notation(s['rhs'])}")
        whys.append(why)
    out = head(record, "derivation") + [r"\begin{align*}"]
    for i, (row, why) in enumerate(zip(rows, whys)):
        if i == len(rows) - 1:
            out.append(row)
        else:
            out.append(row + r" \\")
            if why:
                out.append(rf"  \intertext{{\footnotesize\quad {why}}}")
    out.append(r"\end{align*}")
    if whys[-1]:
        out.append(rf"{{\noindent\footnotesize\quad {whys[-1]}\par}}")
    return "\n".join(out) + "%\n"


def figures(record: dict, captions: dict, size: str = "column", refs: dict | None = None) -> str:
    """Returns a figure environment per figure of the claim (at the figures' natural width, or the line's).

    ``captions`` maps a figure's stem to its LaTeX caption (what it shows); a figure without one is
    captioned by the claim's title.
    """
    stems = record.get("figures") or []
    if not stems:
        return ""
    out = head(record, "figures")
    for stem in stems:
        caption = eqrefs(captions.get(stem) or record.get("latex_title") or escape(record["title"]), refs, book=True)
        out += [r"\begin{figure}[tbp]", r"\centering",
                rf"\ugincludefigure{{{FIGURE_WIDTHS[size]}}}{{\ugfigurepath {stem}.pdf}}",
                rf"\caption{{{caption}.}}\label{{ug:{record['id']}:{stem}}}", r"\end{figure}"]
    return "\n".join(out) + "%\n"
