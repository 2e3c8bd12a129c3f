"""Returns what a claim and its parts cost: wall and CPU seconds, recorded in results.json (issue 24).

A claim's ``seconds`` and ``cpu_seconds`` are its check's own work, its parts' work left out; each part
(a ``Part`` the claim hands to ``Context.compute``, run as a task of its own before the claim, in this process
under ``--jobs 1``, or inline when a check runs on its own) is listed in ``parts`` with its own seconds, in the
order the claim asked for it (0 and ``computed_by`` where another claim of the run computed it), so
that the record has the same fields and the same keys for any ``--jobs``: only the numbers in
``TIMING_FIELDS`` differ, and ``without_timings`` drops them for comparisons. CPU seconds are the process's
(``time.process_time``: every thread of the process that ran the piece).
"""

from __future__ import annotations

import time

__all__ = ["TIMING_FIELDS", "Stopwatch", "timed", "part_label", "part_entry", "total_seconds", "without_timings",
           "eta_text"]

TIMING_FIELDS = ("seconds", "cpu_seconds")  # in a claim record and in each of its "parts"


class Stopwatch:
    """Wall (``time.perf_counter``) and CPU (``time.process_time``) seconds since it was made."""

    def __init__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def read(self) -> tuple[float, float]:
        """Returns (wall seconds, CPU seconds) since the stopwatch was made."""
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


def timed(fn, args) -> tuple:
    """Returns (fn(*args), wall seconds, CPU seconds)."""
    watch = Stopwatch()
    value = fn(*args)
    return (value, *watch.read())


def part_label(key) -> str:
    """Returns a part's key as a short stable text: tuples joined by "/", a protocol by its ``name``.

    ("remedy", ("relu", "he"), <Protocol name='book'>, 0) -> "remedy/relu,he/book/0". Never an object's
    address, so the label is the same in every process.
    """
    if _derived(key):  # (function, args, run key): the function's name and its arguments (the run's are the run's)
        return "/".join([key[0].rsplit(".", 1)[-1].lstrip("_")] + [_label(a) for a in key[1]])
    if isinstance(key, tuple):
        return "/".join(_label(k) for k in key)
    return _label(key)


def _derived(key) -> bool:
    """Whether ``key`` is a part's derived key (``proofs.context.Part.of``): (qualified name, args, run key)."""
    return (isinstance(key, tuple) and len(key) == 3 and isinstance(key[0], str) and "." in key[0]
            and isinstance(key[1], tuple) and isinstance(key[2], tuple) and key[2][:1] and key[2][0][0] == "seed")


def _label(x) -> str:
    if x is None or isinstance(x, (bool, int, float, str)):
        return str(x)
    if isinstance(x, (tuple, list)):
        return ",".join(_label(v) for v in x)
    name = getattr(x, "name", None)
    if isinstance(name, str):
        return name
    text = str(x)  # a small value object prints itself; an object printed by its address gives its type's name
    return type(x).__name__ if " at 0x" in text or len(text) > 60 else text


def part_entry(key, wall: float | None, cpu: float | None) -> dict:
    """Returns a part's record {"key", "seconds", "cpu_seconds"} (0 where the timing was not received)."""
    return {"key": part_label(key), "seconds": round(wall or 0.0, 3), "cpu_seconds": round(cpu or 0.0, 3)}


def total_seconds(record: dict) -> tuple[float, float]:
    """Returns a claim's (wall, CPU) seconds with its parts': the work it took, wherever it ran."""
    parts = record.get("parts", [])
    return (record["seconds"] + sum(p["seconds"] for p in parts),
            record.get("cpu_seconds", 0.0) + sum(p["cpu_seconds"] for p in parts))


def without_timings(record: dict) -> dict:
    """Returns a copy of a claim record without its timings (the fields that differ between runs)."""
    out = {k: v for k, v in record.items() if k not in TIMING_FIELDS}
    if "parts" in out:
        out["parts"] = [{k: v for k, v in p.items() if k not in TIMING_FIELDS} for p in out["parts"]]
    return out


def eta_text(costs_left: float, costs_done: float, started: float) -> str:
    """Returns "about N s left" from the claims' cost hints and the wall time spent on those done."""
    spent = time.perf_counter() - started
    rate = spent / costs_done if costs_done else 1.0
    return f"about {max(0.0, costs_left * rate):.0f} s left"
