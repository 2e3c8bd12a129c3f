"""Writers for the output folder: LaTeX fragments and master, results.json, REPORT.md, figures.

Safety rules (nothing the user had is lost):
* the folder is created if missing; a path that is a file, or a folder we cannot write,
  is a clear ``OutputError`` before any claim runs;
* every file we write is recorded in ``.proofs-manifest.json``; an existing file that is
  not in the manifest is never overwritten (unless ``force``), and nothing is ever deleted;
* each file is written to a temporary name and renamed, so a crash leaves no half file.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from .latex import fragment, master

MANIFEST = ".proofs-manifest.json"

__all__ = ["OutputError", "OutputDir"]


class OutputError(Exception):
    """The output folder cannot be used as asked (not a folder, not writable, foreign files)."""


class OutputDir:
    """An output folder that only overwrites files it wrote itself."""

    def __init__(self, path, *, force: bool = False):
        self.root = Path(path)
        self.force = force
        if self.root.exists() and not self.root.is_dir():
            raise OutputError(f"--out {self.root}: exists and is not a folder")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=".write-test-"):
                pass
        except OSError as exc:
            raise OutputError(f"--out {self.root}: cannot write there ({exc.strerror or exc})") from None
        self.manifest_path = self.root / MANIFEST
        self.owned = self._read_manifest()

    def _read_manifest(self) -> set[str]:
        if not self.manifest_path.exists():
            return set()
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
            return set(data["files"])
        except (ValueError, KeyError, TypeError):
            raise OutputError(
                f"{self.manifest_path} is not a manifest written by python -m proofs; "
                "move it away or choose another --out"
            ) from None

    def check_writable(self, rel_paths) -> None:
        """Raises OutputError listing files that exist, were not written by us, and would be overwritten."""
        foreign = sorted(r for r in rel_paths if (self.root / r).exists() and r not in self.owned)
        if foreign and not self.force:
            raise OutputError(
                f"refusing to overwrite {len(foreign)} file(s) in {self.root} that python -m proofs did not write: "
                f"{', '.join(foreign[:5])}{' ...' if len(foreign) > 5 else ''}. "
                "Choose another --out, move them, or pass --force."
            )

    def write(self, rel: str, data: bytes | str) -> Path:
        """Writes one file atomically and records it in the manifest; returns its path."""
        self.check_writable([rel])
        target = self.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        payload = data.encode("utf-8") if isinstance(data, str) else data
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(payload)
            os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        self.owned.add(rel)
        self._save_manifest()
        return target

    def _save_manifest(self) -> None:
        text = json.dumps({"written_by": "python -m proofs", "files": sorted(self.owned)}, indent=1)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".manifest.")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
        os.replace(tmp, self.manifest_path)

    def save_figure(self, fig, stem: str) -> str:
        """Writes a matplotlib figure as figures/<stem>.pdf and .png (no timestamps); returns the stem."""
        import io

        for ext, meta in (("pdf", {"CreationDate": None, "ModDate": None}), ("png", {"Software": None})):
            buf = io.BytesIO()
            fig.savefig(buf, format=ext, metadata=meta, dpi=150, bbox_inches="tight")
            self.write(f"figures/{stem}.{ext}", buf.getvalue())
        return stem

    def planned(self, records: list[dict]) -> list[str]:
        """Returns the relative paths ``write_results`` will write for these records."""
        return [f"latex/{r['id']}.tex" for r in records] + ["unstable-gradients.tex", "results.json", "REPORT.md",
                                                            "BOOK_VS_RUN.md"]

    def write_results(self, records: list[dict], settings: dict) -> None:
        """Writes every claim's fragment, the master .tex, results.json and REPORT.md."""
        self.check_writable(self.planned(records))
        for r in records:
            self.write(f"latex/{r['id']}.tex", fragment(r))
        self.write("unstable-gradients.tex", master(records))
        self.write("results.json", json.dumps(results_json(records, settings), indent=2) + "\n")
        self.write("REPORT.md", report(records, settings))
        self.write("BOOK_VS_RUN.md", book_vs_run(records) + "\n")


def results_json(records: list[dict], settings: dict) -> dict:
    """Returns the results.json object: settings, a verdict summary and the ``claims`` list."""
    summary = {}
    for r in records:
        summary[r["verdict"]] = summary.get(r["verdict"], 0) + 1
    return {"tool": "unstable-gradients", "settings": settings, "summary": summary, "claims": records}


def book_vs_run(records: list[dict]) -> str:
    """Returns a Markdown table of the book's values beside this run's, from the claims' numbers."""
    def cell(text) -> str:
        return str(text).replace("|", "\\|")  # a norm's bars must not split the table's cells

    lines = ["| quantity | book | this run | claim | verdict |", "|---|---|---|---|---|"]
    for r in records:
        for row in (r.get("numbers") or {}).get("book_vs_run", []):
            lines.append(f"| {cell(row['quantity'])} | {cell(row['book'])} | {cell(row['run'])} | `{r['id']}` | {r['verdict']} |")
    return "\n".join(lines)


def report(records: list[dict], settings: dict) -> str:
    """Returns REPORT.md: a verdict table, then each claim's statement and evidence."""
    lines = ["# Unstable gradients: report", "",
             f"Generated by `python -m proofs` with {', '.join(f'{k}={v}' for k, v in settings.items())}.", "",
             "| claim | source | verdict | seconds |", "|---|---|---|---:|"]
    lines += [f"| `{r['id']}` | {r['source']} | **{r['verdict']}** | {r['seconds']:.2f} |" for r in records]
    lines += ["", "## The book beside this run", "", book_vs_run(records)]
    for r in records:
        lines += ["", f"## {r['title']}", "", f"`{r['id']}`, source {r['source']}: **{r['verdict']}**", ""]
        if r.get("latex"):
            lines += ["$$", r["latex"], "$$", ""]
        for f in r["evidence"]:
            mark = "holds" if f["holds"] else "DOES NOT HOLD"
            lines.append(f"- {f['what']} ({f['how']}): {mark}")
        for fig in r.get("figures", []):
            lines.append(f"\n![{fig}](figures/{fig}.png)")
        if r.get("error"):
            lines += ["", "```", r["error"].rstrip(), "```"]
    return "\n".join(lines) + "\n"
