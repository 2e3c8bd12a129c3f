"""What the chapter's experiment claims share: the book's numbers, the protocol a run uses, and its records.

The book's numbers are quoted in ``proofs.book`` and never used as evidence; every threshold a claim applies
lives in its protocol (``numeric.experiments.chapter``), not here.
"""

from __future__ import annotations

import numpy as np

from numeric.experiments import chapter

from . import book

__all__ = ["BOOK_NORMS_AT_INIT", "BOOK_LAST_OVER_FIRST", "BOOK_ACCURACY", "BOOK_RATIOS", "protocol_record",
           "data_caveat", "spread", "name"]

# The book's numbers (proofs.book, quoted once), under the names the experiment claims use.
BOOK_NORMS_AT_INIT = book.NORMS_AT_INIT
BOOK_LAST_OVER_FIRST = book.LAST_OVER_FIRST
BOOK_ACCURACY = book.ACCURACY
# the chapter's successive-layer ratios at initialisation, from its norms: 0.176 to 0.246
_BOOK_STEPS = [a / b for norms in BOOK_NORMS_AT_INIT.values() for a, b in zip(norms, norms[1:])]
BOOK_RATIOS = (round(min(_BOOK_STEPS), 3), round(max(_BOOK_STEPS), 3))


def protocol_record(p, ctx, n: int) -> dict:
    """Returns the protocol as results.json records it: its fields, criteria, streams, caption and images."""
    return chapter.record(p, ctx.run.seed, n)


def data_caveat(ctx, n: int, book_n: int) -> str:
    """The caveat of a measured row: which digits, and how many against the book's."""
    source = ctx.data().source
    which = "the embedded 5,000-digit subset" if source.startswith("embedded") else source
    return f"{which}, {n:,} images" + ("" if n == book_n else f" (the book: {book_n:,})") + "; " + \
        "seeds spread shown, the book reports one run"


def spread(v) -> str:
    """Returns "median [min, max]" of the values v, 3 significant digits."""
    return f"{np.median(v):.3g} [{np.min(v):.3g}, {np.max(v):.3g}]"


def name(sizes) -> str:
    return str(list(sizes))
