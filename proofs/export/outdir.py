"""The output folder: writes only what is ours, keeps what is the user's, and never loses both versions.

Rules (tests/test_output_folder.py checks them, with injected faults):
* one run at a time: ``OutputDir`` holds ``.proofs-lock`` from opening to ``close``; a second run into
  the same folder is refused with one line; leftovers of a killed run are removed on opening;
* ``preflight`` runs before any claim: it knows every path the run writes and refuses at once, naming
  them, a file that is the user's (not in the manifest, or in it with other content: edited since),
  a file or symbolic link where a folder must be, a folder it cannot write into, ``/``, the home
  folder, or a folder holding many files it did not write. ``--force`` overrides the user's files
  (they are then kept, not lost) and the crowded folder, never the rest;
* ``write_many`` writes a batch in this order: (1) a backup of each file of the user's it replaces,
  as a hard link ``NAME.bak`` (a copy where links are not possible) beside it, reported through
  ``notify``; (2) the manifest, listing the new digest beside the old one; (3) each file, through a
  temporary file and a rename (``numeric.data.files.atomic_write``). A failure at any step leaves every
  path holding its old content or its new one, the user's old content is in the file or its backup,
  and the manifest recognises whatever is on disk as ours, so the next run needs no ``--force``;
* ``finish`` (after results.json): fragments of earlier runs that this run did not write are removed
  when they are ours and unchanged, or dropped from the manifest (they are the user's now) and
  reported when edited; then the manifest is compacted to the digests as written.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from numeric.data.files import atomic_write

from .manifest import (
    LOCK,
    MANIFEST,
    WRITE_TEST,
    Manifest,
    OutputError,
    acquire_lock,
    clean_leftovers,
    digest,
    file_digest,
    keep_backup,
)

__all__ = ["OutputDir", "MANY_FOREIGN"]

MANY_FOREIGN = 50  # a folder holding more files we did not write is probably not a results folder


def _why(exc: OSError) -> str:  # the system's reason, without errno numbers
    return exc.strerror or str(exc)


class OutputDir:
    """An output folder that only overwrites files it wrote itself (``force``: keeps the user's as backups)."""

    def __init__(self, path, *, force: bool = False, notify=None):
        if str(path) == "":
            raise OutputError("--out is empty; name a folder (use --out . for the current one)")
        self.root, self.force, self.notify = Path(path), force, notify or (lambda message: None)
        self.allowed: set[str] | None = None  # set by preflight: the only paths write() accepts
        self.written: dict[str, str] = {}  # this run's files and their digests
        self._check_root()
        self._refuse_special_folders()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=WRITE_TEST):
                pass
        except OSError as exc:
            raise OutputError(f"--out {self.root}: cannot write there ({_why(exc)})") from None
        self._lock = acquire_lock(self.root)
        try:
            self.manifest_path = self.root / MANIFEST
            self.manifest = Manifest(self.root)
            self.cleaned = clean_leftovers(self.root, self.manifest)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Releases the folder's lock (the kernel does so too when the process ends)."""
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _check_root(self) -> None:
        try:
            os.stat(self.root)
        except FileNotFoundError:
            if os.path.lexists(self.root):
                raise OutputError(f"--out {self.root}: is a symbolic link to {os.readlink(self.root)}, which does "
                                  "not exist") from None
        except OSError as exc:
            if exc.errno == 40:  # ELOOP
                raise OutputError(f"--out {self.root}: a symbolic link loop (it points back to itself)") from None
            raise OutputError(f"--out {self.root}: cannot write there ({_why(exc)})") from None
        if self.root.exists() and not self.root.is_dir():
            raise OutputError(f"--out {self.root}: exists and is not a folder")

    def _refuse_special_folders(self) -> None:
        if self.force:
            return
        resolved = self.root.resolve()
        if resolved == Path(resolved.anchor) or resolved == Path.home().resolve():
            raise OutputError(f"--out {self.root}: refusing to write results into {resolved} (the root or home "
                              "folder); choose a folder of its own, or pass --force")

    # -- before any claim runs -------------------------------------------------------------------
    def preflight(self, rel_paths) -> None:
        """Raises OutputError before any work if any planned path cannot be written without harm.

        Refused: a file where a folder must be, a symbolic link or special file on the way, a folder
        that cannot be written into; without ``force`` also a planned file that is the user's (not
        ours, or ours edited since) and a folder holding more than MANY_FOREIGN files not ours.
        """
        rel_paths = list(rel_paths)
        blocked = []
        for rel in rel_paths:
            target = self.root / rel
            parents = [self.root / p for p in reversed(Path(rel).parents[:-1])]
            bad = next((p for p in parents if p.is_symlink() or (os.path.lexists(p) and not p.is_dir())), None)
            if bad is not None:
                kind = "a symbolic link" if bad.is_symlink() else "a file"
                blocked.append(f"{bad.relative_to(self.root)} ({kind} where a folder must be: the tool writes only "
                               "inside --out)")
            elif target.is_symlink() or (os.path.lexists(target) and not target.is_file()):
                blocked.append(f"{rel} (a symbolic link or not a regular file)")
        blocked = list(dict.fromkeys(blocked))
        if not blocked:
            blocked = self._unwritable({(self.root / rel).parent for rel in rel_paths})
        if blocked:
            raise OutputError(f"cannot write into {self.root}: {'; '.join(blocked[:5])}"
                              f"{' ...' if len(blocked) > 5 else ''}. Move them or choose another --out.")
        self.allowed = set(rel_paths)
        if self.force:
            return
        states = {rel: self.manifest.state(rel) for rel in rel_paths}
        for kind, what in (("foreign", "that python -m proofs did not write"),
                           ("edited", "that python -m proofs wrote and you changed since")):
            mine = sorted(r for r, s in states.items() if s == kind)
            if mine:
                raise OutputError(f"refusing to overwrite {len(mine)} file(s) in {self.root} {what}: "
                                  f"{', '.join(mine[:5])}{' ...' if len(mine) > 5 else ''}. Choose another --out, "
                                  "move them, or pass --force (your versions are then kept beside them as NAME.bak).")
        if self._count_foreign(limit=MANY_FOREIGN + 1) > MANY_FOREIGN:
            raise OutputError(f"--out {self.root} holds more than {MANY_FOREIGN} files python -m proofs did not "
                              "write; is it the right folder? Choose an empty or new one, or pass --force.")

    def _unwritable(self, folders) -> list[str]:
        """Returns the folders (made now if missing) that refuse a test file, with the system's reason."""
        out = []
        for folder in sorted(folders):
            try:
                folder.mkdir(parents=True, exist_ok=True)
                with tempfile.NamedTemporaryFile(dir=folder, prefix=WRITE_TEST):
                    pass
            except OSError as exc:
                out.append(f"{folder.relative_to(self.root).as_posix() or '.'}/ (cannot write there: {_why(exc)})")
        return out

    def _count_foreign(self, limit: int) -> int:
        count = 0
        for dirpath, _, files in os.walk(self.root):
            for name in files:
                rel = os.path.relpath(os.path.join(dirpath, name), self.root).replace(os.sep, "/")
                if rel not in (MANIFEST, LOCK) and rel not in self.manifest.files and not name.startswith(WRITE_TEST):
                    count += 1
                    if count >= limit:
                        return count
        return count

    # -- while the claims finish ------------------------------------------------------------------
    def write(self, rel: str, data: bytes | str) -> Path:
        """Writes one file (see ``write_many``); returns its path."""
        self.write_many({rel: data})
        return self.root / rel

    def write_many(self, files: dict) -> None:
        """Writes {relative path: bytes or str}: backups of the user's files, then the manifest, then the files."""
        blobs = {rel: d.encode("utf-8") if isinstance(d, str) else bytes(d) for rel, d in files.items()}
        undeclared = sorted(rel for rel in blobs if self.allowed is not None and rel not in self.allowed)
        if undeclared:
            raise OutputError(f"{', '.join(undeclared)} was not declared before the run "
                              "(a claim must list its figures)")
        states = {rel: self.manifest.state(rel) for rel in blobs}
        users = sorted(rel for rel, s in states.items() if s in ("foreign", "edited"))
        if users and not self.force:
            raise OutputError(f"refusing to overwrite {self.root / users[0]}: it is yours (python -m proofs did not "
                              "write it, or you changed it since); pass --force to keep it as a backup and replace it")
        for rel in users:  # (1) the user's version is kept before anything else happens
            backup = keep_backup(self.root / rel, reserved={self.root / r for r in self.allowed or ()})
            self.notify(f"kept your version of {rel} as {backup.relative_to(self.root).as_posix()}")
        digests = {rel: digest(b) for rel, b in blobs.items()}
        changed = [rel for rel in blobs if not (states[rel] == "ours" and self._on_disk(rel) == digests[rel])]
        if changed:  # (2) the manifest accepts old and new content while the files change
            for rel in changed:
                old = self.manifest.files.get(rel) if states[rel] == "ours" else None
                self.manifest.files[rel] = list(dict.fromkeys((old or []) + [digests[rel]]))
            self.manifest.save()
        for rel in changed:  # (3) each file atomically
            target = self.root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(target, blobs[rel])
        self.written.update(digests)

    def _on_disk(self, rel: str) -> str | None:
        try:
            return file_digest(self.root / rel)
        except OSError:
            return None

    def save_figure(self, fig, stem: str) -> str:
        """Writes a matplotlib figure as figures/<stem>.pdf and .png (no timestamps); returns the stem."""
        from numeric.figures import to_bytes

        self.write_many({f"figures/{stem}.{ext}": to_bytes(fig, ext) for ext in ("pdf", "png")})
        return stem

    # -- after results.json -----------------------------------------------------------------------
    def finish(self) -> list[str]:
        """Removes fragments of earlier runs this run did not write (ours, unchanged); returns them.

        A stale fragment the user edited stays on disk, leaves the manifest (it is the user's now) and
        is reported through ``notify``. The manifest then lists this run's files with one digest each.
        """
        removed, kept = [], {}
        for rel in sorted(set(self.manifest.files) - set(self.written)):
            state = self.manifest.state(rel)
            if state == "ours":
                try:
                    (self.root / rel).unlink()
                    removed.append(rel)
                except OSError as exc:  # still ours: listed again, and removed by a later run
                    kept[rel] = self.manifest.files[rel]
                    self.notify(f"could not remove {rel}, a fragment of an earlier run ({_why(exc)})")
            elif state == "edited":
                self.notify(f"left {rel} in place: an earlier run wrote it, you changed it since, and this run does "
                            "not describe it (it is no longer listed as the tool's)")
        self.manifest.files = kept | {rel: [d] for rel, d in self.written.items()}
        self.manifest.save()
        return removed
