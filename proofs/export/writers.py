"""Writers for the output folder: LaTeX fragments and master, results.json, REPORT.md, figures.

The folder itself (what is ours, the lock, backups of the user's files, the order of writes) is
``proofs.export.outdir.OutputDir`` with its manifest in ``proofs.export.manifest``; the folder calls these writers
(never the other way round, so the two modules form no import cycle).
"""

from __future__ import annotations

import json

from .latex_main import planned as latex_planned
from .markdown import book_vs_run, report

REPORTS = ["results.json", "REPORT.md", "BOOK_VS_RUN.md"]

__all__ = ["planned_paths", "results_json", "book_vs_run", "report", "write_results"]


def planned_paths(claims, formats=("pdf", "png")) -> list[str]:
    """Returns every path (relative to the output folder) a run of these claims will write."""
    out = latex_planned([c.id for c in claims])
    out += [f"figures/{stem}.{ext}" for c in claims for stem in c.figures for ext in formats]
    return out + REPORTS


SCHEMA_VERSION = 3  # bump when a field changes meaning (3: one protocol type; 2: parts timed apart);
# export/results.schema.json describes it


def library_versions() -> dict:
    """Returns the versions of Python and of the libraries behind the numbers."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("sympy", "numpy", "mpmath", "matplotlib"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "unknown"
    return out


def results_json(records: list[dict], settings: dict) -> dict:
    """Returns the results.json object: schema and versions, settings, a verdict summary and the ``claims``."""
    from .. import __version__

    summary = {}
    for r in records:
        summary[r["verdict"]] = summary.get(r["verdict"], 0) + 1
    return {"schema_version": SCHEMA_VERSION, "tool": "unstable-gradients", "version": __version__,
            "libraries": library_versions(), "settings": settings, "summary": summary, "claims": records}


def write_results(out, records: list[dict], settings: dict) -> None:
    """Writes into ``out`` (an OutputDir) the LaTeX bundle (latex/), results.json, REPORT.md and BOOK_VS_RUN.md,
    then lets it remove the fragments of earlier runs (``finish``)."""
    from .latex_main import bundle

    files = dict(bundle(records, settings))
    files["results.json"] = json.dumps(results_json(records, settings), indent=2) + "\n"
    files["REPORT.md"] = report(records, settings)
    files["BOOK_VS_RUN.md"] = book_vs_run(records) + "\n"
    out.write_many(files)
    out.finish()
