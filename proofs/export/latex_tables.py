"""The table of one claim, sized for a paper: math cells of at most 4 significant digits, a caption of what it
shows (at most 60 words: the protocol is the methods fragment's, said once), one float of at most 20 rows.

A claim hands its table either as ``numbers["paper_table"]`` ({"columns", "rows", "caption"}, optionally
"groups": [[heading, span], ...] over the columns), or as its book-vs-run rows, set as Quantity | Book (or Source,
where the statement is a paper's) | Measured | Caveat, the parts every row shares said once in the caption. A
table estimated too tall for a column is a ``\\ugwidefloat`` (``table*`` by default, macros.tex). Column widths are
fractions of the line minus the gaps between columns, so the table is never wider than the line.
"""

from __future__ import annotations

import re

from ..latex_text import escape, plain, readable, text
from ..voice import paper, sentence
from .histories import caption_note, protocols
from .latex_fragments import eqrefs, head
from .verdicts import lead, stated

__all__ = ["table", "split_top", "common_parts", "COLUMN_LINES", "MAX_ROWS", "source_word"]

COLUMN_LINES = 50  # a table estimated taller than this many lines (most of a column) is set across the page
MAX_ROWS = 20  # a table holds at most this many rows (the tests hold every claim to it)
CHARS_PER_LINE = 62  # footnotesize characters across one column (3.3 in)
WIDE_FACTOR = 2  # a wide float's line holds about twice a column's characters
GAP_CHARS = 3  # the space between two columns (2 \tabcolsep), in characters


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


def source_word(record: dict) -> str:
    """"Book" where the statement is the book's, "Source" where a paper's (its source names a year)."""
    return "Source" if re.search(r"\b(?:19|20)\d\d\b", str(record.get("source"))) else "Book"


def cell(s) -> str:
    """A record's plain string as a table cell: a paper's words, at most 4 significant digits, math set."""
    return plain(readable(paper(s)))


def _visible(tex: str) -> int:
    return len(re.sub(r"\\[A-Za-z]+|[{}$\\]", "", tex))


def _from_rows(record: dict) -> dict:
    """The table of the book-vs-run rows, compact: what every row shares (a part of the quantity, the source's
    value, a caveat) is said once in the caption, and a column left empty goes; one row's quantity is its caption."""
    rows = record["numbers"]["book_vs_run"]
    word = source_word(record)
    quantities = [r["quantity"] for r in rows]
    shared_q, quantities = common_parts(quantities, ", ") if len(rows) > 1 else ([rows[0]["quantity"]], [""])
    shared_c, caveats = common_parts([r.get("caveat", "") for r in rows], "; ")
    books = [r["book"] for r in rows]
    shared_b = books[0] if len(rows) > 1 and len(set(books)) == 1 and books[0] else ""
    columns = [("Quantity", [cell(q) for q in quantities]),
               (word, [] if shared_b else [cell(b) for b in books]),
               ("Measured", [cell(r["run"]) for r in rows]),
               ("Caveat", [cell(c) for c in caveats])]
    columns = [(h, c) for h, c in columns if any(x.strip() for x in c)]
    spec = {"columns": [h for h, _ in columns], "rows": [list(r) for r in zip(*(c for _, c in columns))]}
    # a descriptive caption the claim hands, else its title: a title states the claim, so only for a result
    title = record["numbers"].get("table_caption") or (
        (record.get("latex_title") or escape(record["title"])) if stated(record) else "")
    what = cell(", ".join(shared_q)) if shared_q else f"the {word.lower()}'s and the measured values"
    caption = f"{title} ({what})." if title else sentence(what)
    if shared_b:
        caption += f" {word}: {cell(shared_b)}."
    if shared_c and not protocols(record):  # an experiment's data and seeds: its methods fragment says them
        caption += " " + sentence(cell("; ".join(shared_c)))
    spec["caption"] = caption
    return spec


def _from_paper(record: dict) -> dict:
    t = record["numbers"]["paper_table"]
    one = lambda s: re.sub(r"(?<![\d.,])\b1 seeds\b", "1 seed", s)  # noqa: E731  (a reduced run's one seed)
    return {"columns": [one(text(c)) for c in t["columns"]], "groups": t.get("groups"),
            "rows": [[cell(x) for x in row] for row in t["rows"]], "caption": sentence(one(text(t["caption"])))}


def fractions(heads: list[str], rows: list[list[str]], chars: int, groups=None) -> list[float]:
    """Each column's share of the line (minus the gaps): from the narrowest up, a column gets what its longest cell
    (or heading word, or its share of a group heading) needs while that leaves each wider one 12 characters (or all
    it needs);
    those share the remainder in proportion to their needs. A table whose cells all fit is narrower than the line."""
    need = [max([_visible(c) for c in col] + [_longest_word(h)]) + 1 for h, col in zip(heads, zip(*rows))]
    col = 0
    for title, span in groups or []:
        for i in range(col, col + span):
            need[i] = max(need[i], (_visible(text(title)) - GAP_CHARS * (span - 1)) / span + 1)
        col += span
    budget = chars - GAP_CHARS * (len(heads) - 1)
    for i, c in enumerate(zip(*rows)):
        if _letters(" ".join(c)) < 0.4:
            need[i] *= 1.1  # figures are wider than the average letter, and a number reads badly broken
    out, left, order = [0.0] * len(heads), budget, sorted(range(len(heads)), key=need.__getitem__)
    for k, i in enumerate(order):  # the narrowest first get what they need while the rest keep 12 characters each
        rest = order[k + 1:]
        if need[i] + sum(min(12, need[j]) for j in rest) <= left or not rest:
            out[i] = min(need[i], left)
            left -= out[i]
            continue
        total = sum(need[j] for j in [i] + rest)
        for j in [i] + rest:
            out[j] = max(0.0, left) * need[j] / total
        break
    return [x / budget for x in out]


def _longest_word(tex: str) -> int:
    """The widest unbreakable piece of a heading: a word, or a whole $...$ span (math sets wider than its letters)."""
    pieces = re.findall(r"\$[^$]*\$|\S+", tex) or [""]
    return max(_visible(w) * (1.4 if w.startswith("$") else 1.15) for w in pieces)  # a heading's letters: wider


def _letters(tex: str) -> float:
    """The share of letters among what a cell prints (a column of numbers has few)."""
    shown = re.sub(r"\s", "", _visible_text(tex))
    return sum(ch.isalpha() for ch in shown) / max(1, len(shown))


def _visible_text(tex: str) -> str:
    return re.sub(r"\\[A-Za-z]+|[{}$\\]", "", tex)


def _height(rows: list[list[str]], fractions: list[float], chars: int) -> int:
    """Estimated lines of the table: each row as tall as its longest cell wrapped in its column."""
    visible = lambda s: len(re.sub(r"\\[A-Za-z]+|[{}$\\]", "", s))  # noqa: E731
    return sum(max(1 + visible(c) // max(1, int(chars * f)) for c, f in zip(r, fractions)) for r in rows) + 3


def _groups(groups) -> list[str]:
    """The header row over groups of columns, with a rule under each named group."""
    if not groups:
        return []
    heads, rules, col = [], [], 1
    for title, span in groups:
        heads.append(rf"\multicolumn{{{span}}}{{c}}{{{text(title)}}}" if span > 1 else text(title))
        if title:
            rules.append(rf"\cmidrule(lr){{{col}-{col + span - 1}}}")
        col += span
    return [" & ".join(heads) + r" \\", "".join(rules)]


def table(record: dict, refs: dict | None = None) -> str:
    """Returns the claim's table (booktabs), or "" when it has none."""
    nums = record.get("numbers") or {}
    if not (nums.get("paper_table") or nums.get("book_vs_run")):
        return ""
    spec = _from_paper(record) if nums.get("paper_table") else _from_rows(record)
    heads, rows = spec["columns"], spec["rows"]
    narrow, broad = (fractions(heads, rows, CHARS_PER_LINE * k, spec.get("groups")) for k in (1, WIDE_FACTOR))
    caption = eqrefs(spec["caption"], refs)
    if caption_note(record):
        caption += " " + caption_note(record)
    if not stated(record):
        caption = rf"\ugverdict{{{lead(record)}}} " + caption
    gaps = 2 * (len(heads) - 1)
    # a table* costs the area of two columns: it is wide only where a column would be more than twice as tall
    in_column = _height(rows, narrow, CHARS_PER_LINE) + _visible(caption) // (CHARS_PER_LINE * 0.8)
    across = _height(rows, broad, CHARS_PER_LINE * WIDE_FACTOR) + _visible(caption) // (CHARS_PER_LINE * 1.6)
    wide = in_column > COLUMN_LINES or in_column > 2 * across
    shares = broad if wide else narrow
    colspec = "".join(rf"p{{\dimexpr(\linewidth-{gaps}\tabcolsep)*{int(f * 100)}/100\relax}}" for f in shares)
    env = r"\ugwidefloat" if wide else "table"
    out = head(record, "table" + (" (wide: \\ugwidefloat, table* by default)" if wide else ""))
    out += [rf"\begin{{{env}}}[tbp]", r"\centering\footnotesize", rf"\begin{{tabular}}{{@{{}}{colspec}@{{}}}}",
            r"\toprule", *_groups(spec.get("groups")),
            " & ".join(r"\raggedright\hspace{0pt}" + h for h in heads) + r" \tabularnewline", r"\midrule"]
    # \hspace{0pt} lets TeX hyphenate a cell's first word (a narrow column); \raggedright keeps a long word from
    # overflowing a narrow column (rows end with \tabularnewline, which \raggedright leaves alone)
    out += [" & ".join(r"\raggedright\hspace{0pt}" + _breakable(eqrefs(x, refs)) for x in c) + r" \tabularnewline"
            for c in rows]
    out += [r"\bottomrule", r"\end{tabular}", rf"\caption{{{caption}}}\label{{ug:{record['id']}:table}}",
            rf"\end{{{env}}}"]
    return "\n".join(out) + "%\n"


def _breakable(cell: str) -> str:
    """Returns the cell with a line break allowed after each "/" of its math (a quotient of two norms is wider than
    a narrow column)."""
    return re.sub(r"\$[^$]*\$", lambda m: re.sub(r" ?/ ?", r"/\\allowbreak ", m[0]), cell)
