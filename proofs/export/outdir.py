"""The output folder: writes only what is ours, keeps what is the user's, and never loses both versions.

Rules (tests/test_output_folder.py checks them, with injected faults):
* one run at a time: ``OutputDir`` holds ``.proofs-lock`` from opening to ``close``, which removes it
  (``proofs.export.lock``: made with O_EXCL, never over a file that is there); a second run into the
  same folder is refused with one line; a killed run's lock is taken over, and the temporary files
  named with its recorded token are removed;
* nothing is made before ``preflight`` passes but the lock (and ``--out`` itself when missing): ``close``
  removes both, the folder only when this run made it and it is empty;
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
  when they are ours and unchanged (``Manifest.state``: proven by content, in real folders), or dropped
  from the manifest (they are the user's now) and reported when edited; then the manifest is compacted
  to the digests as written.
"""

from __future__ import annotations

import os
from pathlib import Path

from numeric.data.files import atomic_write

from .inside import make_folders, probe, real_folders, writable
from .lock import FolderLock, clean_leftovers
from .manifest import LOCK, MANIFEST, Manifest, OutputError, digest, keep_backup

__all__ = ["OutputDir", "MANY_FOREIGN"]

MANY_FOREIGN = 50  # a folder holding more files we did not write is probably not a results folder


def _why(exc: OSError) -> str:  # the system's reason, without errno numbers
    return exc.strerror or str(exc)


def _shown(rel: Path) -> str:
    return f"{rel.as_posix()}/" if rel.parts else "./"


class OutputDir:
    """An output folder that only overwrites files it wrote itself (``force``: keeps the user's as backups)."""

    def __init__(self, path, *, force: bool = False, notify=None):
        if str(path) == "":
            raise OutputError("--out is empty; name a folder (use --out . for the current one)")
        self.root, self.force, self.notify = Path(path), force, notify or (lambda message: None)
        self.allowed: set[str] | None = None  # set by preflight: the only paths write() accepts
        self.written: dict[str, str] = {}  # this run's files and their digests
        self._lock, self._made = None, []
        self._check_root()
        self._refuse_special_folders()
        try:
            self._made = make_folders(self.root, OutputError)
            self._lock = FolderLock(self.root, OutputError, self.notify)
            self.manifest_path = self.root / MANIFEST
            self.manifest = Manifest(self.root, tag=self._lock.token)
            self.cleaned = clean_leftovers(self.root, self._lock.stale_tokens)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Removes the folder's lock, and the folders this run made for --out while they are empty."""
        if self._lock is not None:
            lock, self._lock = self._lock, None
            lock.release()
        while self._made:
            try:
                self._made.pop().rmdir()
            except OSError:  # not empty: it holds results (or a file of someone else's) now
                self._made.clear()

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
            blocked = self._unwritable({Path(rel).parent for rel in rel_paths})
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
        """Returns the folders (relative) that cannot be written into, or made where missing; creates nothing."""
        out = []
        for rel in sorted(folders):
            here = self.root / rel
            while not os.path.lexists(here) and here != self.root:  # made later: its parent must take it
                here = here.parent
            if not writable(here):
                where = "" if here == self.root / rel else f"; cannot make it in {_shown(here.relative_to(self.root))}"
                out.append(f"{_shown(rel)} (cannot write there: permission denied or a read-only file system{where})")
        return out

    def _count_foreign(self, limit: int) -> int:
        count = 0
        for dirpath, _, files in os.walk(self.root):
            for name in files:
                rel = os.path.relpath(os.path.join(dirpath, name), self.root).replace(os.sep, "/")
                if rel not in (MANIFEST, LOCK) and rel not in self.manifest.files:
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
        outside = sorted(rel for rel in blobs if not real_folders(self.root, rel))
        if outside:  # a folder became a link while the claims ran: nothing is written through it
            raise OutputError(f"refusing to write {self.root / outside[0]}: a folder on its way is now a symbolic "
                              "link or a file (the tool writes only inside --out)")
        tag = self._lock.token
        for rel in users:  # (1) the user's version is kept before anything else happens
            backup = keep_backup(self.root / rel, reserved={self.root / r for r in self.allowed or ()}, tag=tag)
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
            atomic_write(target, blobs[rel], tag=tag)
        self.written.update(digests)

    def _on_disk(self, rel: str) -> str | None:
        try:
            return probe(self.root, rel).digest
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
                    if self.manifest.remove(rel):
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
