"""A paper's voice: the records' plain strings as a methods section says them.

The records name things as the code does (configuration keys, module paths, how the random streams are spawned,
the command's reduced-run mark); text meant for a paper says what was done instead. ``paper`` rewrites a plain
string (pseudo-math kept for ``latex_text.plain``); ``JARGON`` lists the words that must never reach a fragment
(a test greps every fragment of a real run for them).
"""

from __future__ import annotations

import re

__all__ = ["JARGON", "paper", "sentence", "words"]

JARGON = ("this suite", "SeedSequence", "network2", "SymPy", "Sum.doit", "claim ", "AT CHANCE", "proved above",
          "--mnist", ".py", "numpy", "mpmath", "numeric.", "proofs.", "theory.", "QUICK", "lambdify", "srepr",
          "results.json", "replica_streams", "rnn-tanh", "rnn-sigmoid", "relu-he", "(check)", "(reproduction)")

# (pattern, replacement), applied in order; each says in a paper's words what the record says in the code's
_REWRITES = [
    (r"\s*\[QUICK:[^\]]*\]", " (reduced run)"),
    (r"\s*\((?:[^()]*\b(?:numeric|proofs|theory)\.\w[\w.]*[^()]*)\)", ""),  # a parenthesis naming a module
    (r":?\s*\b(?:numeric|proofs|theory)\.\w[\w.]*\w", ""),  # a module path standing alone
    (r"\b([Tt])his suite's version of ", lambda m: ("O" if m[1] == "T" else "o") + "ur version of "),
    (r"\b([Tt])his suite's ", lambda m: ("O" if m[1] == "T" else "o") + "ur "),
    (r"\bnetwork2's init(?:ialisation)?\b|\bnetwork2 init(?:ialisation)?\b", "the book's initialisation"),
    (r"the book's initialisation \(the chapter\)", "the book's initialisation"),
    (r"\bnetwork2\b", "the book's network"),
    (r"\bglorot-2010 init\b", "Glorot and Bengio's initialisation"),
    (r"\bAT CHANCE\b", "at chance"),
    (r"\s*\(applied with --mnist only\)", " (applied on the full MNIST training set only)"),
    (r"\brnn-tanh-orthogonal-matched\b", "orthogonal tanh RNN (matched size)"),
    (r"\brnn-tanh-orthogonal\b", "orthogonal tanh RNN"), (r"\brnn-tanh-matched\b", "tanh RNN (matched size)"),
    (r"\blstm-chrono\b", "LSTM (chrono initialisation)"),
    (r"\brnn-tanh\b", "tanh RNN"), (r"\brnn-sigmoid\b", "sigmoid RNN"), (r"\blstm\b", "LSTM"),
    (r"\brelu-he\b", "ReLU with He initialisation"), (r"\bbatch-norm\b", "batch normalisation"),
    (r"\((?:check|reproduction)\) ", ""),
    (r"\s*\(fragile where [^()]*(?:\([^()]*\)[^()]*)*\)", ""),  # how fragility is judged: said once, in the methods
    (r"\s*\(margin[^()]*\bspread[^()]*\)", ""),
    (r"\s*\([^()]*\.(?:npz|pkl|gz)\)", ""),  # a file name
    (r"\blmbda ([\d.]+) x n/([\d,]+) = ([\d.]+)", r"lmbda = \3 (\1 scaled by n/\2)"),
    (r"\b(eta|lmbda) (\d[\d.]*)\b", r"\1 = \2"),
    (r"\bdefault init\b", "the book's default initialisation"),
    (r"\beuclidean norm\b", "Euclidean norm"),
    (r"(?<![\d.,])\b1 seeds\b", "1 seed"),
]


def paper(s) -> str:
    """Returns the plain string ``s`` in a paper's words (see ``_REWRITES``); pseudo-math is left for ``plain``."""
    out = str(s)
    for pattern, repl in _REWRITES:
        out = re.sub(pattern, repl, out)
    return re.sub(r"  +", " ", out).strip()


def sentence(s: str) -> str:
    """Returns ``s`` with a capital first letter and a full stop (LaTeX or plain text alike)."""
    s = s.strip()
    if not s:
        return s
    lead = re.match(r"(?:\\[A-Za-z]+\{)?", s).end()  # \emph{... or \ugverdict{...: capitalise what prints
    s = s[:lead] + s[lead:lead + 1].upper() + s[lead + 1:]
    return s if re.search(r"[.!?]\}*$", s) else s + "."


def words(tex: str) -> int:
    """Returns how many words a caption prints: a $...$ span counts as one, commands and braces as none."""
    tex = re.sub(r"\$[^$]*\$", " X ", tex)
    tex = re.sub(r"\\[A-Za-z]+\*?(?:\[[^\]]*\])?", " ", tex)
    return len([w for w in re.split(r"\s+", re.sub(r"[{}~]", " ", tex)) if re.search(r"\w", w)])
