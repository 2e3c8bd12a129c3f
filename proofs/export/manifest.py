"""The output folder's manifest: what is ours, proven by content.

``.proofs-manifest.json`` maps each file the tool wrote (a path relative to ``--out``) to the
SHA-256 digests its content may have: the digest as written, and while a write is in flight also
the previous one, so that whichever version a crash leaves on disk is recognised. A file counts as
ours only when its content matches one of them and it is reached through real folders below
``--out`` as a regular file of one name (``proofs.export.inside``: no symbolic link on the way, no
hard link); anything else is the user's: a file whose content matches none (edited since), a file
not listed, and an entry without digests (a names-only manifest of version 0.3, or ``null``), which
proves nothing. Entries are validated on reading (relative paths inside the folder, hex digests), and
the file is read within a size, depth and count bound, so a damaged or hostile manifest is refused in
one line, never followed.

The lock (``.proofs-lock``) and the temporary files of a killed run are ``proofs.export.lock``'s.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from pathlib import Path, PurePosixPath

from numeric.data.files import atomic_write

from .inside import probe, remove_if
from .lock import LOCK

__all__ = ["MANIFEST", "LOCK", "OutputError", "Manifest", "digest", "file_digest", "keep_backup"]

MANIFEST = ".proofs-manifest.json"
MAX_MANIFEST_BYTES = 10_000_000
MAX_ENTRIES = 100_000  # a run writes a few hundred files
MAX_DIGESTS = 16  # per entry: one as written, one more per write a crash interrupted
_HEX = re.compile(r"^[0-9a-f]{64}$")


class OutputError(Exception):
    """The output folder cannot be used as asked (not a folder, not writable, the user's files, locked)."""


def digest(data: bytes) -> str:
    """Returns the SHA-256 of ``data`` as 64 hex digits."""
    return hashlib.sha256(data).hexdigest()


def file_digest(path: Path) -> str:
    """Returns the SHA-256 of the file at ``path``, read a megabyte at a time."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _valid_rel(rel) -> bool:
    if not isinstance(rel, str) or not rel or "\\" in rel or "\0" in rel:
        return False
    p = PurePosixPath(rel)
    return not p.is_absolute() and all(part not in ("", ".", "..") for part in p.parts) and str(p) == rel


class Manifest:
    """{relative path: digests its content may have} for the files of ours in ``root``; ``tag`` names the
    temporary file its saves go through (the run's lock token)."""

    def __init__(self, root: Path, tag: str | None = None):
        self.root, self.path, self.tag = root, root / MANIFEST, tag
        self.files: dict[str, list[str] | None] = self._read()

    def _refuse(self, why: str) -> OutputError:
        return OutputError(f"{self.path} is not a manifest written by python -m proofs ({why}); move it away or "
                           "choose another --out")

    def _read(self) -> dict:
        if not os.path.lexists(self.path):
            return {}
        if self.path.is_symlink() or not self.path.is_file():
            raise self._refuse("not a regular file")
        try:
            with open(self.path, "rb") as fh:
                raw = fh.read(MAX_MANIFEST_BYTES + 1)
            if len(raw) > MAX_MANIFEST_BYTES:
                raise self._refuse(f"larger than {MAX_MANIFEST_BYTES:,} bytes")
            data = json.loads(raw.decode("utf-8"))
        except RecursionError:
            raise self._refuse("nested deeper than a manifest ever is") from None
        except (ValueError, OSError) as exc:
            raise self._refuse(getattr(exc, "strerror", None) or "not JSON") from None
        files = data.get("files") if isinstance(data, dict) else None
        if isinstance(files, list):  # version 0.3: names only (they prove nothing, see state)
            if not all(isinstance(rel, str) for rel in files):
                raise self._refuse("a name in 'files' is not a string")
            files = {rel: None for rel in files}
        if not isinstance(files, dict):
            raise self._refuse("no 'files' list or object")
        if len(files) > MAX_ENTRIES:
            raise self._refuse(f"more than {MAX_ENTRIES:,} entries")
        for rel, digests in files.items():
            if not _valid_rel(rel) or rel in (MANIFEST, LOCK):
                raise self._refuse(f"entry {rel[:200]!r} is not a path inside the folder")
            if digests is not None and not (isinstance(digests, list) and len(digests) <= MAX_DIGESTS
                                            and all(isinstance(d, str) and _HEX.match(d) for d in digests)):
                raise self._refuse(f"entry {rel!r} has digests {str(digests)[:200]}, not up to {MAX_DIGESTS} "
                                   "SHA-256 hex strings")
        return dict(files)

    def state(self, rel: str) -> str:
        """Returns "absent", "ours" (content as we wrote it, inside the folder), "edited" (listed with digests, changed
        since) or "foreign" (not listed, listed without digests, or not a regular file of one name in real folders)."""
        accepted = self.files.get(rel)
        found = probe(self.root, rel, digest=bool(accepted))
        if found.kind == "absent":
            return "absent"
        if found.kind != "file" or not accepted:
            return "foreign"
        return "ours" if found.digest in accepted else "edited"

    def remove(self, rel: str) -> bool:
        """Removes ``rel`` if it is ours (see ``state``), checked as it is removed; returns whether it did."""
        return remove_if(self.root, rel, self.files.get(rel) or ())

    def save(self) -> None:
        files = {rel: self.files[rel] if self.files[rel] is not None else [] for rel in sorted(self.files)}
        text = json.dumps({"written_by": "python -m proofs", "format": 2, "files": files}, indent=1)
        atomic_write(self.path, text + "\n", tag=self.tag)


def keep_backup(target: Path, reserved=(), tag: str | None = None) -> Path:
    """Returns a new path NAME.bak (NAME.bak2, ...) beside ``target`` that holds its content: a hard link
    (no space needed, the file's own data), or a copy where hard links are not possible."""
    n = 1
    while True:
        backup = target.with_name(target.name + (".bak" if n == 1 else f".bak{n}"))
        if not os.path.lexists(backup) and backup not in reserved:
            break
        n += 1
    try:
        os.link(target, backup, follow_symlinks=False)
    except OSError:  # a file system without hard links: copy it (same folder, atomically)
        atomic_write(backup, target.read_bytes(), tag=tag)
        shutil.copystat(target, backup)
    return backup
