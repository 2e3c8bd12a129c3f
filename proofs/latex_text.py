"""Text for LaTeX: running text with ``$...$`` math, and the records' plain strings set as math.

* ``escape``: plain text safe for LaTeX (specials escaped, opening quotes turned the right way);
* ``text``: a justification or caption holding ``$...$`` math: text escaped, math kept (macros routed);
* ``plain``: a record's plain string (table cells, sources) with its ASCII pseudo-math set in math mode:
  ``||delta^l||`` -> $\\|\\delta^{l}\\|$, ``w ~ N(0, 1)`` -> $w \\sim \\mathcal{N}(0, 1)$, ``30^4``, ``<=``, ``lmbda``;
* ``notation``: SymPy's LaTeX with sigma' and Sigma' routed through macros.tex;
* ``readable``: a plain string's measured numbers cut to 4 significant digits (rounded), for tables and reports.
Each returns a string; nothing here reads more than its argument.
"""

from __future__ import annotations

import re

__all__ = ["escape", "text", "plain", "notation", "truncate", "readable", "significant"]

_SPECIALS = {"&": r"\&", "%": r"\%", "_": r"\_", "#": r"\#", "$": r"\$", "{": r"\{", "}": r"\}",
             "^": r"\^{}", "~": r"\~{}", "\\": r"\textbackslash{}"}


def escape(s) -> str:
    """Returns ``s`` safe for LaTeX running text: specials escaped, an opening ' or " set as ` or ``."""
    out = "".join(_SPECIALS.get(ch, ch) for ch in str(s))
    out = re.sub(r'(^|[\s(\[])"', r"\1``", out)
    out = re.sub(r"(^|[\s(\[])'", r"\1`", out)
    return out.replace('"', "''")


def notation(tex: str) -> str:
    """Returns SymPy's LaTeX with the notation routed through macros.tex."""
    return tex.replace(r"\sigma'", r"\ugsigmaprime").replace(r"\Sigma'", r"\ugSigmaprime")


def text(s) -> str:
    """Returns running text whose ``$...$`` spans are math (kept, macros routed) and the rest escaped."""
    parts = re.split(r"(\$[^$]+\$)", str(s))
    return "".join(notation(p) if p.startswith("$") and p.endswith("$") and len(p) > 1 else escape(p)
                   for p in parts)


# -- plain strings with ASCII pseudo-math -------------------------------------------------------------
_SCRIPTS = r"(?:[_^](?:\{[^{}]*\}|\([^()]*\)|[A-Za-z0-9]+))"
_CALL = r"(?:\((?:[^()]|\([^()]*\))*\))"
_GREEK = {"sigma": r"\sigma", "Sigma": r"\Sigma", "delta": r"\delta", "Delta": r"\Delta", "chi": r"\chi",
          "lmbda": r"\lambda", "lambda": r"\lambda", "eta": r"\eta", "phi": r"\varphi", "Pi": r"\Pi", "xi": r"\xi"}
_TOKEN = re.compile("|".join([
    r"(?P<raised>" + _CALL + r"\^(?:\{[^{}]*\}|\([^()]*\)|\w+))",  # (R^2 / R^4)^(1/2)
    r"(?P<norm>\|\|[^|]+?\|\|(?:\^(?:\{[^{}]*\}|\w+))?)",
    r"(?P<abs>\|[^|\s][^|]*?\|\*?)",
    r"(?P<partial>\bd[A-Z]/d[A-Za-z]" + _SCRIPTS + r"*)",
    r"(?P<func>\b(?:sqrt|erf|ln|exp)\s*" + _CALL + r"|\b(?:sqrt|ln)\s+\w+)",
    r"(?P<dist>\b[NUP]" + _CALL + ")",
    r"(?P<greek>\b(?:" + "|".join(_GREEK) + r")(?![A-Za-z])" + _SCRIPTS + r"*'?\*?" + _CALL + "?)",
    r"(?P<scripted>\b[A-Za-z](?:" + _SCRIPTS + r"+'?|\*)" + _CALL + "?)",
    r"(?P<sci>\b\d+(?:\.\d+)?e[+-]?\d+\b)",
    r"(?P<power>\b\d+\^(?:\{[^{}]*\}|\w+))",
    r"(?P<times>\b\d+ x (?:\d+|[A-Za-z])\b)",
    r"(?P<op><=|>=|->|\+-|(?<=\s)[~<>=/](?=\s))",
    r"(?P<number>(?:(?<=[\s(=])-)?\d+(?:[.,]\d+)*(?:/\d+)?%?)",
    r"(?P<word>\b[A-Za-z]{2,}\b)",
    r"(?P<letter>\b[A-Za-z]\b)",
    r"(?P<space>\s+)",
    r"(?P<other>.)",
]))


_NAMED = {"grad": r"\nabla", "in": r"\mathrm{in}", "out": r"\mathrm{out}", "max": r"\max", "min": r"\min"}


def _scripts(s: str) -> str:
    """``_jk`` -> ``_{jk}``, ``^(l+1)`` -> ``^{l+1}``; a named index as its symbol or upright (``_in``, ``_grad``)."""
    return re.sub(r"([_^])(?:\{([^{}]*)\}|\(([^()]*)\)|([A-Za-z0-9]+))",
                  lambda m: f"{m[1]}{{{_NAMED.get(m[4] or '', m[2] or m[3] or m[4])}}}", s)


def _math(s: str) -> str:
    """Returns the math-mode LaTeX of a plain pseudo-math string (every token read as math; words as one \\text)."""
    out = "".join(_atom(m.lastgroup, m[0]) for m in _TOKEN.finditer(s))
    return re.sub(r"\\text\{([^{}]*)\}(?:\s*\\text\{([^{}]*)\})+",
                  lambda m: r"\text{" + " ".join(re.findall(r"\\text\{([^{}]*)\}", m[0])) + "} ", out)


def _atom(kind: str, s: str) -> str:
    if kind == "norm":
        inner, power = re.match(r"\|\|(.*)\|\|(.*)$", s).groups()
        return rf"\|{_math(inner)}\|" + _scripts(power)
    if kind == "abs":
        star = s.endswith("*")
        return f"|{_math(s.rstrip('*')[1:-1])}|" + ("^*" if star else "")
    if kind == "partial":
        return rf"\partial {s[1]}/\partial {_scripts(s[4:])}"
    if kind == "func":
        name, arg = re.match(r"(\w+)\s*(.*)", s).groups()
        arg = arg[1:-1] if arg.startswith("(") else arg
        if name == "ln" and not s.startswith("ln("):
            return rf"\ln {_math(arg)}"
        return {"sqrt": rf"\sqrt{{{_math(arg)}}}", "erf": rf"\operatorname{{erf}}({_math(arg)})"}.get(
            name, rf"\{name}({_math(arg)})")
    if kind == "dist":
        return (r"\mathcal{N}" if s[0] == "N" else s[0]) + f"({_math(s[2:-1])})"
    if kind in ("greek", "scripted"):
        m = re.match(r"([A-Za-z]+?)(" + _SCRIPTS + r"*)('?)(\*?)(\(.*\))?$", s)
        name, scripts, prime, star, call = m.groups()
        head = _GREEK.get(name, name) + _scripts(scripts) + prime + ("^*" if star else "")
        return head + (f"({_math(call[1:-1])})" if call else "")
    if kind == "power":
        return _scripts(s)
    if kind == "raised":
        base, power = re.match(r"(\(.*\))(\^.*)$", s).groups()
        return f"({_math(base[1:-1])}){_scripts(power)}"
    if kind == "sci":
        mantissa, power = s.split("e")
        return rf"{mantissa} \times 10^{{{int(power)}}}"
    if kind == "times":
        return s.replace(" x ", r" \times ")
    if kind == "op":
        return {"<=": r"\le", ">=": r"\ge", "->": r"\to", "+-": r"\pm", "~": r"\sim"}.get(s, s)
    if kind == "word":
        return rf"\text{{{s}}}"
    if kind == "number":
        return re.sub(r"(?<=\d),(?=\d)", "{,}", s).replace("%", r"\%")
    return {"%": r"\%", "&": r"\&", "#": r"\#"}.get(s, s)


_ATOMS = {"raised", "norm", "abs", "partial", "func", "dist", "greek", "scripted", "sci", "power", "times"}


def plain(s) -> str:
    """Returns a record's plain string for LaTeX: its pseudo-math in ``$...$``, the rest escaped.

    A run of math atoms (norms, |x|, dC/db_j, sigma_w, N(0, 1), sqrt(...), 30^4, 30 x 4) and the
    operators, numbers and one-letter variables joined to them by an operator becomes one math span.
    """
    toks = [(m.lastgroup, m[0]) for m in _TOKEN.finditer(str(s))]
    math = [k in _ATOMS or (k == "op" and t != "/") for k, t in toks]

    def neighbour(i, step):
        j = i + step
        while 0 <= j < len(toks) and toks[j][0] == "space":
            j += step
        return j if 0 <= j < len(toks) else None

    for i, (k, t) in enumerate(toks):  # "/" between math or numbers is math
        if k == "op" and t == "/":
            sides = [neighbour(i, -1), neighbour(i, 1)]
            math[i] = all(j is not None and (toks[j][0] in _ATOMS or toks[j][0] == "number") for j in sides)
    changed = True
    while changed:  # numbers and one-letter variables next to an operator join its span
        changed = False
        for i, (k, _) in enumerate(toks):
            if math[i] or k not in ("number", "letter"):
                continue
            if any(j is not None and math[j] and toks[j][0] == "op" for j in (neighbour(i, -1), neighbour(i, 1))):
                math[i] = changed = True
    out, i = [], 0
    while i < len(toks):
        if not math[i]:
            j = i
            while j < len(toks) and not math[j]:
                j += 1
            out.append(_long_numbers(escape("".join(t for _, t in toks[i:j]))))
            i = j
            continue
        j = i
        while True:  # extend over spaces to the next math token
            n = neighbour(j, 1)
            if n is None or not math[n]:
                break
            j = n
        out.append("$" + "".join(_atom(k, t) if k != "space" else " " for k, t in toks[i:j + 1]) + "$")
        i = j + 1
    return "".join(out)


def _long_numbers(s: str) -> str:
    """A long number in text may break every 5 digits (a column is narrow)."""
    return re.sub(r"(\d{5})(?=\d{3})", r"\1\\allowbreak{}", s)


def truncate(value, digits: int) -> str:
    """Returns the first ``digits`` significant digits of ``value`` (an mpmath or SymPy number, or a decimal
    string), truncated toward zero, never rounded: the digits a trailing "..." may follow.
    """
    import mpmath

    if digits < 1:
        raise ValueError(f"digits must be at least 1, got {digits}")
    with mpmath.workdps(digits + 30):
        x = mpmath.mpf(str(value)) if isinstance(value, str) else mpmath.mpf(value)
        if x == 0:
            return "0"
        sign, x = ("-" if x < 0 else ""), abs(x)
        e = int(mpmath.floor(mpmath.log10(x)))
        n = int(mpmath.floor(x * mpmath.mpf(10) ** (digits - 1 - e)))
        if n < 10 ** (digits - 1):  # log10 rounded up to a power of ten
            e -= 1
            n = int(mpmath.floor(x * mpmath.mpf(10) ** (digits - 1 - e)))
        if n >= 10 ** digits:  # log10 rounded down below a power of ten
            e, n = e + 1, n // 10
        s = str(n)
        if e >= digits - 1:
            return sign + s + "0" * (e - digits + 1)
        if e >= 0:
            return sign + s[:e + 1] + "." + s[e + 1:]
        return sign + "0." + "0" * (-e - 1) + s


# a decimal number (or one in e-notation) standing alone: not a part of a word, of a list of digits ("4,000") or of
# digits a trailing "..." marks as truncated (a certified statement's own digits are left as they are)
_NUMBER = re.compile(r"(?<![\w.,^])(\d+)(\.\d+)?(?:e([+-]?\d+))?(?![\w]|[.,]\d|\.\.\.|\\[lc]?dots|\u2026)")


def significant(number: str) -> int:
    """Returns how many significant digits a decimal number shows ("0.0565" 3, "96.48" 4; an integer's trailing
    zeros do not count: "50,000" 1)."""
    mantissa = re.sub(r"e[+-]?\d+$", "", number.replace(",", ""))
    digits = mantissa.replace(".", "").lstrip("0")
    return len(digits if "." in mantissa else digits.rstrip("0")) or 1


def readable(s, digits: int = 4) -> str:
    """Returns ``s`` with each measured number shown to at most ``digits`` significant digits (rounded; an integer
    without an exponent is a count, kept whole; digits before "..." are a truncated exact value, kept)."""
    def cut(m):
        whole, frac, power = m.groups()
        if frac is None and power is None:
            return m[0]
        if significant(m[0]) <= digits:
            return m[0]
        x = float(m[0])
        out = f"{x:.{digits}g}"
        if "e" in out:
            mantissa, exp = out.split("e")
            out = f"{mantissa}e{int(exp):+03d}" if power is not None or abs(int(exp)) >= digits else \
                f"{x:.{max(0, digits - 1 - int(exp))}f}"
        return out
    return _NUMBER.sub(cut, str(s))
