"""Writers for the output folder: LaTeX fragments and master, results.json, REPORT.md, figures.

Safety rules (nothing the user had is lost):
* ``preflight`` runs before any claim: it knows every path the run will write (fragments, figures
  the claims declare, the reports) and refuses at once, naming them, when one is the user's (not in
  our manifest), when a path we need is a file where a folder must be, or when the folder is ``/``,
  the home folder, or holds many files we did not write; ``--force`` overrides;
* every file we write is recorded in ``.proofs-manifest.json`` right after it lands; a new file that
  cannot be recorded (a full disk) is removed again, so the manifest lists exactly our files on
  disk and the next run needs no ``--force``; nothing of the user's is ever deleted;
* each file is written to a temporary name and renamed (``numeric.files.atomic_write``), with the
  user's umask, so a crash or a full disk leaves the previous file and no temporary file.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from numeric.files import atomic_write

from .latex_main import bundle
from .latex_main import planned as latex_planned
from .markdown import book_vs_run, report  # noqa: F401 (REPORT.md and the table: proofs/markdown.py)

MANIFEST = ".proofs-manifest.json"
REPORTS = ["results.json", "REPORT.md", "BOOK_VS_RUN.md"]
MANY_FOREIGN = 50  # a folder holding more files we did not write is probably not a results folder

__all__ = ["OutputError", "OutputDir", "planned_paths"]


class OutputError(Exception):
    """The output folder cannot be used as asked (not a folder, not writable, foreign files)."""


def planned_paths(claims, formats=("pdf", "png")) -> list[str]:
    """Returns every path (relative to the output folder) a run of these claims will write."""
    out = latex_planned([c.id for c in claims])
    out += [f"figures/{stem}.{ext}" for c in claims for stem in c.figures for ext in formats]
    return out + REPORTS


class OutputDir:
    """An output folder that only overwrites files it wrote itself."""

    def __init__(self, path, *, force: bool = False):
        self.root = Path(path)
        self.force = force
        self.allowed: set[str] | None = None  # set by preflight: the only paths write() accepts
        if self.root.exists() and not self.root.is_dir():
            raise OutputError(f"--out {self.root}: exists and is not a folder")
        self._refuse_special_folders()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=".write-test-"):
                pass
        except OSError as exc:
            raise OutputError(f"--out {self.root}: cannot write there ({exc.strerror or exc})") from None
        self.manifest_path = self.root / MANIFEST
        self.owned = self._read_manifest()

    def _refuse_special_folders(self) -> None:
        if self.force:
            return
        resolved = self.root.resolve()
        if resolved == Path(resolved.anchor) or resolved == Path.home().resolve():
            raise OutputError(f"--out {self.root}: refusing to write results into {resolved} (the root or home "
                              "folder); choose a folder of its own, or pass --force")

    def _read_manifest(self) -> set[str]:
        if not self.manifest_path.exists():
            return set()
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
            return set(data["files"])
        except (ValueError, KeyError, TypeError, OSError):
            raise OutputError(
                f"{self.manifest_path} is not a manifest written by python -m proofs; "
                "move it away or choose another --out"
            ) from None

    def preflight(self, rel_paths) -> None:
        """Raises OutputError before any work if any planned path cannot be written without harm.

        Refused: a planned file that exists and is not ours; a planned file whose folder is a file
        (or whose path is a folder); a folder holding more than MANY_FOREIGN files we did not write.
        ``--force`` allows the first and last; the second can never be written.
        """
        rel_paths = list(rel_paths)
        blocked = []
        for rel in rel_paths:
            target = self.root / rel
            parents = [p for p in target.relative_to(self.root).parents if str(p) != "."]
            if any((self.root / p).exists() and not (self.root / p).is_dir() for p in parents):
                blocked.append(f"{rel} (a file stands where its folder must be)")
            elif target.exists() and not target.is_file():
                blocked.append(f"{rel} (not a regular file)")
        if blocked:
            raise OutputError(f"cannot write into {self.root}: {'; '.join(blocked[:5])}"
                              f"{' ...' if len(blocked) > 5 else ''}. Move them or choose another --out.")
        self.allowed = set(rel_paths)
        if self.force:
            return
        foreign = sorted(r for r in rel_paths if (self.root / r).exists() and r not in self.owned)
        if foreign:
            raise OutputError(
                f"refusing to overwrite {len(foreign)} file(s) in {self.root} that python -m proofs did not write: "
                f"{', '.join(foreign[:5])}{' ...' if len(foreign) > 5 else ''}. "
                "Choose another --out, move them, or pass --force."
            )
        others = self._count_foreign(limit=MANY_FOREIGN + 1)
        if others > MANY_FOREIGN:
            raise OutputError(f"--out {self.root} holds more than {MANY_FOREIGN} files python -m proofs did not "
                              "write; is it the right folder? Choose an empty or new one, or pass --force.")

    def _count_foreign(self, limit: int) -> int:
        count = 0
        for dirpath, _, files in os.walk(self.root):
            for name in files:
                rel = os.path.relpath(os.path.join(dirpath, name), self.root).replace(os.sep, "/")
                if rel != MANIFEST and rel not in self.owned and not name.startswith(".write-test-"):
                    count += 1
                    if count >= limit:
                        return count
        return count

    def write(self, rel: str, data: bytes | str) -> Path:
        """Writes one file atomically and records it in the manifest; returns its path.

        On any error (a full disk) the folder is as it was: the file keeps its old content, a new
        file that landed but could not be recorded is removed again (it is ours), no temporary file
        remains, and the manifest lists exactly the files of ours on disk.
        """
        if self.allowed is not None and rel not in self.allowed:
            raise OutputError(f"{rel} was not declared before the run (a claim must list its figures)")
        target = self.root / rel
        if target.exists() and rel not in self.owned and not self.force:
            raise OutputError(f"refusing to overwrite {target}: python -m proofs did not write it")
        new = rel not in self.owned
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, data)
        if new:
            self.owned.add(rel)
            try:
                self._save_manifest()
            except BaseException:
                self.owned.discard(rel)
                target.unlink(missing_ok=True)  # our own new file, unrecorded: take it back
                raise
        return target

    def _save_manifest(self) -> None:
        text = json.dumps({"written_by": "python -m proofs", "files": sorted(self.owned)}, indent=1)
        atomic_write(self.manifest_path, text + "\n")

    def save_figure(self, fig, stem: str) -> str:
        """Writes a matplotlib figure as figures/<stem>.pdf and .png (no timestamps); returns the stem."""
        from numeric.figures import to_bytes

        for ext in ("pdf", "png"):
            self.write(f"figures/{stem}.{ext}", to_bytes(fig, ext))
        return stem

    def write_results(self, records: list[dict], settings: dict) -> None:
        """Writes the LaTeX bundle (latex/), results.json, REPORT.md and BOOK_VS_RUN.md."""
        for rel, text in bundle(records, settings).items():
            self.write(rel, text)
        self.write("results.json", json.dumps(results_json(records, settings), indent=2) + "\n")
        self.write("REPORT.md", report(records, settings))
        self.write("BOOK_VS_RUN.md", book_vs_run(records) + "\n")


SCHEMA_VERSION = 1  # bump when a field changes meaning; proofs/results.schema.json describes it


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
    from . import __version__

    summary = {}
    for r in records:
        summary[r["verdict"]] = summary.get(r["verdict"], 0) + 1
    return {"schema_version": SCHEMA_VERSION, "tool": "unstable-gradients", "version": __version__,
            "libraries": library_versions(), "settings": settings, "summary": summary, "claims": records}
