"""The book-vs-run table of one claim, for a paper: math cells, a caption that says what it shows,
the protocol and the caveats common to every row said once, a layout that fits one column.

A table too tall for a column (estimated from its cells) is a ``\\ugwidefloat`` (``table*`` by default,
macros.tex: the full width of a two-column page; define ``\\ugwidefloat`` as ``table`` to keep it in a column).
Column widths are fractions of the line minus the gaps between columns, so the table is never wider
than the line.
"""

from __future__ import annotations

import re

from ..latex_text import escape, plain
from .latex_fragments import head

__all__ = ["table", "split_top", "common_parts", "COLUMN_LINES"]

COLUMN_LINES = 34  # a table estimated taller than this many lines of a column is set across the page
PAGE_LINES = 40  # a float estimated taller than this (with its caption) is cut into floats of at most a page
WIDE_FACTOR = 2  # a wide float's line holds about twice a column's characters
CHARS_PER_LINE = 62  # footnotesize characters across one column (3.3 in)


def split_top(s: str, sep: str) -> list[str]:
    """Splits ``s`` at ``sep`` outside (), [] and {}."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(s):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth == 0 and s.startswith(sep, i):
            parts.append(s[start:i])
            start = i + len(sep)
    return [p.strip() for p in parts + [s[start:]]]


def common_parts(cells: list[str], sep: str) -> tuple[list[str], list[str]]:
    """Returns (the parts every cell shares, each cell with those parts removed), cells split at ``sep``
    (one cell shares all of its parts: a table of one row says its caveat in the caption)."""
    split = [split_top(c, sep) if c else [] for c in cells]
    if not all(split):
        return [], cells
    shared = [p for p in split[0] if p and all(p in other for other in split[1:])]
    return shared, [sep.join(p for p in parts if p not in shared) for parts in split]


def _protocols(record: dict) -> list[str]:
    nums = record.get("numbers") or {}
    protos = [nums["protocol"]] if "protocol" in nums else nums.get("protocols", [])
    out = []
    for p in protos:
        seeds = p.get("seeds_used") or []
        span = f"; seeds {seeds[0]}--{seeds[-1]}" if len(seeds) > 1 else (f"; seed {seeds[0]}" if seeds else "")
        if p.get("streams"):  # spawned streams: say how, not a range of seeds
            span = f"; streams {plain(p['streams'])}"
        out.append(plain(p["caption"]) + span)
    return out


def _caption(record: dict, shared_quantity: list[str], shared_caveat: list[str]) -> str:
    title = record.get("latex_title") or escape(record["title"])
    what = f"{title}: the book's values beside this run's"
    if shared_quantity:
        what += " (" + plain(", ".join(shared_quantity)) + ")"
    parts = [what + "."]
    protos = _protocols(record)
    if protos:
        parts.append(("Protocol: " if len(protos) == 1 else "Protocols: ") + "; ".join(protos) + ".")
    if shared_caveat:
        caveat = plain("; ".join(shared_caveat))
        parts.append(caveat[0].upper() + caveat[1:] + ".")
    return " ".join(parts)


def _height(rows: list[list[str]], fractions: list[float], chars: int) -> int:
    """Estimated lines of the table: each row as tall as its longest cell wrapped in its column."""
    visible = lambda s: len(re.sub(r"\\[A-Za-z]+|[{}$\\]", "", s))  # noqa: E731
    return sum(max(1 + visible(c) // max(1, int(chars * f)) for c, f in zip(r, fractions)) for r in rows) + 3


def table(record: dict) -> str:
    """Returns the claim's book-vs-run table (booktabs), or "" when it has none."""
    rows = (record.get("numbers") or {}).get("book_vs_run") or []
    if not rows:
        return ""
    quantities = [r["quantity"] for r in rows]
    shared_q, quantities = common_parts(quantities, ", ") if len(rows) > 1 else ([], quantities)
    shared_c, caveats = common_parts([r.get("caveat", "") for r in rows], "; ")
    if not any(c.strip() for c in (r.get("caveat", "") for r in rows)):
        shared_c, caveats = [], [""] * len(rows)
    cells = [[plain(q), plain(r["book"]), plain(r["run"])] for q, r in zip(quantities, rows)]
    heads = ["Quantity", "Book", "This run"]
    fractions = [0.42, 0.24, 0.34]
    if any(c.strip() for c in caveats):
        cells = [c + [plain(cv)] for c, cv in zip(cells, caveats)]
        heads.append("Caveat")
        fractions = [0.30, 0.18, 0.26, 0.26]
    gaps = 2 * (len(heads) - 1)
    spec = "".join(rf"p{{\dimexpr(\linewidth-{gaps}\tabcolsep)*{round(f * 100)}/100\relax}}" for f in fractions)
    caption = _caption(record, shared_q, shared_c)
    caption_lines = 1 + len(re.sub(r"\\[A-Za-z]+|[{}$\\]", "", caption)) // CHARS_PER_LINE
    wide = _height(cells, fractions, CHARS_PER_LINE) + caption_lines > COLUMN_LINES
    env = r"\ugwidefloat" if wide else "table"
    parts = _pages(cells, fractions, CHARS_PER_LINE * (WIDE_FACTOR if wide else 1),
                   caption_lines // (WIDE_FACTOR if wide else 1))
    out = head(record, "table" + (" (wide: \\ugwidefloat, table* by default)" if wide else "")
               + (f", in {len(parts)} floats of at most a page" if len(parts) > 1 else ""))
    title = _caption(record, [], []).split(":")[0] if len(parts) > 1 else ""
    for k, rows in enumerate(parts, 1):
        out += [rf"\begin{{{env}}}[tbp]", r"\centering\footnotesize", rf"\begin{{tabular}}{{@{{}}{spec}@{{}}}}",
                r"\toprule", " & ".join(heads) + r" \\", r"\midrule"]
        # \hspace{0pt} lets TeX hyphenate a cell's first word (a narrow column); \raggedright keeps a long word from
        # overflowing a narrow column (rows end with \tabularnewline, which \raggedright leaves alone)
        out += [" & ".join(r"\raggedright\hspace{0pt}" + _breakable(x) for x in c) + r" \tabularnewline" for c in rows]
        text, label = (caption, f"ug:{record['id']}:table") if k == 1 else \
            (f"{title} (continued, part {k} of {len(parts)})", f"ug:{record['id']}:table:{k}")
        out += [r"\bottomrule", r"\end{tabular}", rf"\caption{{{text}}}\label{{{label}}}", rf"\end{{{env}}}"]
    return "\n".join(out) + "%\n"


def _breakable(cell: str) -> str:
    """Returns the cell with a line break allowed after each "/" of its math (a quotient of two norms is wider than
    a narrow column)."""
    return re.sub(r"\$[^$]*\$", lambda m: re.sub(r" ?/ ?", r"/\\allowbreak ", m[0]), cell)


def _pages(cells: list[list[str]], fractions: list[float], chars: int, caption_lines: int) -> list[list]:
    """Returns the rows cut into floats of at most PAGE_LINES estimated lines each (the first holds the caption)."""
    out, current, lines = [], [], 3 + caption_lines
    for row in cells:
        h = _height([row], fractions, chars) - 3
        if current and lines + h > PAGE_LINES:
            out.append(current)
            current, lines = [], 5  # rules, heads and a one-line "continued" caption
        current.append(row)
        lines += h
    return out + [current]
