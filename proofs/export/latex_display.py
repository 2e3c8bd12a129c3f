"""Display lines that fit a column: a statement split at its top-level separators, and lines wider than a column
(with its equation number) broken into several, the continuations indented.

``_printed`` estimates how wide a display prints (in points at 10 pt, within about 12 % of TeX's width on these
displays); ``_lines`` splits at ",\\quad" and the like; ``_break`` cuts a line too wide for LINE_WIDTH.
"""

from __future__ import annotations

import math
import re

__all__ = ["LINE_WIDTH", "SEPARATORS", "split_lines", "break_line", "_printed", "_width"]

SEPARATORS = (r",\qquad", r",\quad", r":\quad", r";\quad", r"\qquad")
LINE_WIDTH = 190  # pt: a display line wider than this is broken, so that it fits a column (229 pt) with its number


def _top_level(tex: str):
    """Yields (index, depth) for each character, depth counting braces and \\left/\\right and \\begin/\\end."""
    depth, i = 0, 0
    while i < len(tex):
        for opener, closer in ((r"\left", r"\right"), (r"\bigl", r"\bigr"), (r"\Bigl", r"\Bigr"),
                               (r"\begin{", r"\end{")):
            if tex.startswith(opener, i):
                depth += 1
            elif tex.startswith(closer, i):
                depth -= 1
        yield i, depth
        depth += tex[i] == "{"
        depth -= tex[i] == "}"
        i += 1


def _lines(tex: str) -> list[str]:
    """Splits a statement at its top-level separators (",\\quad" and the like, outside braces)."""
    parts, start, skip = [], 0, 0
    for i, depth in _top_level(tex):
        if i < skip:
            continue
        sep = next((x for x in SEPARATORS if depth == 0 and tex.startswith(x, i)), None)
        if sep:
            parts.append(tex[start:i] + (sep[0] if sep[0] in ",:;" else ""))
            start = skip = i + len(sep)
    return [x.strip() for x in parts + [tex[start:]] if x.strip()]


_WIDE = {r"\ugSigmaprime": 10, r"\ugsigmaprime": 8, r"\cdots": 13, r"\ldots": 13, r"\quad": 10, r"\qquad": 20,
         r"\,": 1.7, r"\;": 2.8, r"\ ": 3.3, r"\approx": 13, r"\le": 13, r"\ge": 13, r"\to": 15, r"\partial": 6,
         r"\Rightarrow": 15, r"\sim": 13, r"\|": 5}
_NARROW = {r"\left", r"\right", r"\bigl", r"\bigr", r"\Bigl", r"\Bigr", r"\mathrm", r"\operatorname",
           r"\mathbb", r"\mathbf", r"\tfrac", r"\displaystyle"}


def _group(tex: str, i: int) -> int:
    """Returns the index after the brace group that opens at ``tex[i]``."""
    depth = 0
    for j in range(i, len(tex)):
        depth += tex[j] == "{"
        depth -= tex[j] == "}"
        if depth == 0:
            return j + 1
    return len(tex)


def _printed(tex: str) -> float:
    """Returns roughly how wide a display prints (its widest line), in points at 10 pt (within about 12 % of
    TeX's width on the suite's displays)."""
    tex = re.sub(r"\\(?:begin|end)\{[a-z*]+\}", "", tex)
    return max(_width(line) for line in re.split(r"\\\\", tex))


def _width(tex: str, scale: float = 1.0) -> float:
    width, i = 0.0, 0
    while i < len(tex):
        ch = tex[i]
        if ch == "\\":
            m = re.match(r"\\(?:[A-Za-z]+|.)", tex[i:])
            cmd = m[0] if m else "\\"
            i += len(cmd)
            if cmd in (r"\frac", r"\dfrac", r"\tfrac") and i < len(tex) and tex[i] == "{":
                j = _group(tex, i)
                k = _group(tex, j)
                f = 0.7 if cmd == r"\tfrac" else 1.0
                width += max(_width(tex[i + 1:j - 1], scale * f), _width(tex[j + 1:k - 1], scale * f)) + 2
                i = k
            elif cmd == r"\text" and i < len(tex) and tex[i] == "{":
                j = _group(tex, i)
                width += 5 * scale * len(tex[i + 1:j - 1])
                i = j
            elif cmd == r"\sqrt":
                width += 8 * scale
            elif cmd in (r"\max", r"\min", r"\sum", r"\prod", r"\lim", r"\sup") and tex[i:i + 1] == "_":
                j = _group(tex, i + 1) if tex[i + 1:i + 2] == "{" else i + 2
                width += max(16, _width(tex[i + 1:j], 0.7)) * scale  # limits below the operator
                i = j
            elif cmd not in _NARROW:
                width += _WIDE.get(cmd, 6) * scale
        elif ch in "_^" and i + 1 < len(tex):
            if tex[i + 1] == "{":
                j = _group(tex, i + 1)
                arg = tex[i + 2:j - 1]
            else:
                m = re.match(r"\\[A-Za-z]+|.", tex[i + 1:])
                j, arg = i + 1 + len(m[0]), m[0]
            width += _width(arg, scale * 0.7)
            i = j
        else:
            width += {"=": 13, "+": 11, "-": 11, "<": 13, ">": 13, ",": 4.5, ";": 4.5, ":": 5, "(": 4, ")": 4,
                      "[": 3, "]": 3, "|": 3, "/": 5}.get(ch, 0 if ch in "{} &" else 5.2) * scale
            i += 1
    return width


def _break(line: str) -> list[str]:
    """Breaks a display line wider than LINE_WIDTH: at a top-level ",\\;" or ",\\quad" nearest its middle, else
    at a top-level space before a term (+, -, =, a factor) after its first relation, into as many lines as its
    width needs (each cut nearest an equal share), the continuation lines indented."""
    if _printed(line) <= LINE_WIDTH:
        return [line]
    half = _printed(line) / 2
    seps = [(i, sep) for i, d in _top_level(line) if d == 0
            for sep in (r",\;", r",\quad", r";\quad", r",\ ") if line.startswith(sep, i)]
    if seps:
        i, sep = min(seps, key=lambda x: abs(_printed(line[:x[0]]) - half))
        return _break(line[:i + 1].strip()) + _break(line[i + len(sep):].strip())
    indent = re.match(r"\\quad\s+", line)  # a continuation line: its indent is no place to cut
    start = indent.end() if indent else 0
    rel = re.compile(r"(?<![\\{])(=|\\approx|\\le|\\ge|\\to)").search(line, start)
    start = rel.end() if rel else start
    spaces = [i for i, d in _top_level(line) if d == 0 and i > start and line[i] == " "
              and re.match(r"\s*(?:[+\-=]|\\approx|\\cdot|\\left|\\ugSigmaprime|\(|\\nabla|\\cdots)", line[i:])]
    if not spaces:
        return [line]
    share = _printed(line) / math.ceil(_printed(line) / LINE_WIDTH)  # two lines: the middle, as before
    cut = min(spaces, key=lambda i: abs(_printed(line[:i]) - share))
    return [line[:cut].rstrip()] + _break(r"\quad " + line[cut:].strip())


def split_lines(tex: str) -> list[str]:
    """Returns the display ``tex`` as lines that fit a column: split at its separators, each too wide one broken."""
    return [y for x in _lines(tex) for y in _break(x)]


def break_line(line: str) -> list[str]:
    """Returns ``line`` broken into lines that fit a column (itself when it fits)."""
    return _break(line)
