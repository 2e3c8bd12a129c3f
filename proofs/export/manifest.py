"""The output folder's manifest, lock and leftovers: what is ours, by content, and who may write.

``.proofs-manifest.json`` maps each file the tool wrote (a path relative to ``--out``) to the
SHA-256 digests its content may have: the digest as written, and while a write is in flight also
the previous one, so that whichever version a crash leaves on disk is recognised. A file whose
content matches none of them is the user's (edited since), as is any file not listed. Entries are
validated on reading (relative paths inside the folder, hex digests), so a damaged or hostile
manifest is refused, never followed.

``.proofs-lock`` is held (``flock``) by the one run writing into a folder; the kernel releases it
when that run ends, killed or not. Temporary files a killed run left (``.NAME.XXXXXXXX.tmp`` of a
file in the manifest, ``.write-test-*``) are removed by the next run, under the lock.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
from pathlib import Path, PurePosixPath

from numeric.data.files import atomic_write

__all__ = ["MANIFEST", "LOCK", "OutputError", "Manifest", "digest", "file_digest", "acquire_lock", "clean_leftovers",
           "keep_backup"]

MANIFEST = ".proofs-manifest.json"
LOCK = ".proofs-lock"
MAX_MANIFEST_BYTES = 10_000_000
TEMPORARY = re.compile(r"^\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp$")  # numeric.data.files.atomic_write's names
WRITE_TEST = ".write-test-"
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
    """{relative path: digests its content may have} for the files of ours in ``root``.

    A digest list of ``None`` comes from a manifest of version 0.3 (names only): that file is trusted
    to be ours until it is written again.
    """

    def __init__(self, root: Path):
        self.root, self.path = root, root / MANIFEST
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
            data = json.loads(raw.decode("utf-8")) if len(raw) <= MAX_MANIFEST_BYTES else None
        except (ValueError, OSError) as exc:
            raise self._refuse(getattr(exc, "strerror", None) or "not JSON") from None
        files = data.get("files") if isinstance(data, dict) else None
        if isinstance(files, list):  # version 0.3: names only
            files = {rel: None for rel in files}
        if not isinstance(files, dict):
            raise self._refuse("no 'files' list or object")
        for rel, digests in files.items():
            if not _valid_rel(rel) or rel in (MANIFEST, LOCK):
                raise self._refuse(f"entry {rel!r} is not a path inside the folder")
            if digests is not None and not (isinstance(digests, list)
                                            and all(isinstance(d, str) and _HEX.match(d) for d in digests)):
                raise self._refuse(f"entry {rel!r} has digests {digests!r}, not SHA-256 hex strings")
        return dict(files)

    def state(self, rel: str) -> str:
        """Returns "absent", "ours" (content as we wrote it), "edited" (ours, changed since) or "foreign"."""
        target = self.root / rel
        if not os.path.lexists(target):
            return "absent"
        if rel not in self.files or target.is_symlink() or not target.is_file():
            return "foreign"
        accepted = self.files[rel]
        return "ours" if accepted is None or file_digest(target) in accepted else "edited"

    def save(self) -> None:
        files = {rel: self.files[rel] if self.files[rel] is not None else [] for rel in sorted(self.files)}
        text = json.dumps({"written_by": "python -m proofs", "format": 2, "files": files}, indent=1)
        atomic_write(self.path, text + "\n")


def acquire_lock(root: Path) -> int:
    """Returns an open descriptor holding ``root/.proofs-lock`` exclusively; OutputError if another run holds it."""
    path = root / LOCK
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    except OSError as exc:
        raise OutputError(f"--out {root}: cannot create its lock file {LOCK} ({exc.strerror or exc})") from None
    try:
        _lock(fd)
    except OSError as exc:
        os.close(fd)
        if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            raise OutputError(f"--out {root}: cannot lock {LOCK} ({exc.strerror or exc})") from None
        try:
            holder = path.read_text(encoding="ascii", errors="replace").strip()
        except OSError:
            holder = ""
        raise OutputError(f"--out {root}: another python -m proofs run{f' (process {holder})' if holder else ''} is "
                          "writing there; wait for it to finish or choose another --out") from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def _lock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        return
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def clean_leftovers(root: Path, manifest: Manifest) -> list[str]:
    """Removes the temporary files a killed run left in ``root``; returns their relative paths.

    Only ours, and only in the folders the tool writes into (``root`` and those holding files of the
    manifest; never a walk of a whole tree): ``.write-test-*`` and ``.NAME.XXXXXXXX.tmp`` where NAME
    is the manifest or a file it lists.
    """
    removed = []
    folders = {""} | {rel.rsplit("/", 1)[0] for rel in manifest.files if "/" in rel}
    for rel_dir in sorted(folders):
        here = root / rel_dir if rel_dir else root
        if here.is_symlink() or not here.is_dir():
            continue
        for entry in os.scandir(here):
            m = TEMPORARY.match(entry.name)
            target = m and (f"{rel_dir}/{m['name']}" if rel_dir else m["name"])
            if entry.name.startswith(WRITE_TEST) or (target and (target == MANIFEST or target in manifest.files)):
                try:
                    os.unlink(entry.path)
                    removed.append(f"{rel_dir}/{entry.name}" if rel_dir else entry.name)
                except FileNotFoundError:
                    pass
    return removed


def keep_backup(target: Path, reserved=()) -> Path:
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
        atomic_write(backup, target.read_bytes())
        shutil.copystat(target, backup)
    return backup
