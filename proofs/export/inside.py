"""Files inside the output folder, reached one folder at a time without following a link.

A path of the manifest counts as inside ``--out`` only when every folder on its way below ``--out`` is a
real folder (not a symbolic link), and the file at its end is a regular file with one name (a hard link
shares its content with a name that may be outside). Each step opens the next folder relative to the
previous one (``openat`` with ``O_NOFOLLOW``), so what is checked is what is read and removed: a link
swapped in on the way is refused, not followed. Where the system cannot open relative to a folder
(Windows), each step is checked with ``os.lstat`` instead.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Probe", "probe", "remove_if", "real_folders", "make_folders", "writable"]

_AT = os.open in os.supports_dir_fd and os.stat in os.supports_dir_fd and os.unlink in os.supports_dir_fd
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIR = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_FILE = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


@dataclass(frozen=True)
class Probe:
    """What is at a path: ``kind`` "absent", "other" (a link or special file on the way or at the end, or a file
    with more than one name) or "file"; for a file its SHA-256 (when asked for) and (device, inode)."""

    kind: str
    digest: str | None = None
    inode: tuple | None = None


def real_folders(root: Path, rel: str) -> bool:
    """Returns True when no folder of ``rel`` below ``root`` is a symbolic link or other than a folder (missing
    folders are fine: they will be made)."""
    here = root
    for part in rel.split("/")[:-1]:
        here = here / part
        try:
            if not stat.S_ISDIR(os.lstat(here).st_mode):
                return False
        except FileNotFoundError:
            return True
    return True


def make_folders(path: Path, error) -> list[Path]:
    """Makes ``path`` and its missing parents; returns those it made, outermost first (``error``: the exception
    class raised, with the system's reason, when one cannot be made)."""
    missing, made = [], []
    while not os.path.lexists(path) and path != path.parent:
        missing.append(path)
        path = path.parent
    try:
        for folder in reversed(missing):
            folder.mkdir()
            made.append(folder)
    except OSError as exc:
        for folder in reversed(made):
            folder.rmdir()
        raise error(f"--out {missing[0]}: cannot write there ({exc.strerror or exc})") from None
    return made


def writable(folder: Path) -> bool:
    """Returns True when this process may make files in ``folder``, asked with access(2) (permissions, a read-only
    or immutable folder), which creates nothing."""
    kwargs = {"effective_ids": True} if os.access in os.supports_effective_ids else {}
    return os.access(folder, os.W_OK | os.X_OK, **kwargs)


def _parent(root: Path, rel: str):
    """Returns an open descriptor of the folder holding ``rel`` (the caller closes it); "absent" when a folder is
    missing, "other" when one is a link or not a folder."""
    fd = os.open(root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0))
    for part in rel.split("/")[:-1]:
        try:
            nxt = os.open(part, _DIR, dir_fd=fd)
        except FileNotFoundError:
            nxt = "absent"
        except OSError:  # ELOOP (a link), ENOTDIR (a file)
            nxt = "other"
        os.close(fd)
        if isinstance(nxt, str):
            return nxt
        fd = nxt
    return fd


def _hash(fd: int) -> str:
    h = hashlib.sha256()
    for chunk in iter(lambda: os.read(fd, 1 << 20), b""):
        h.update(chunk)
    return h.hexdigest()


def _probe_at(parent: int, name: str, digest: bool) -> Probe:
    try:
        fd = os.open(name, _FILE, dir_fd=parent)
    except FileNotFoundError:
        return Probe("absent")
    except OSError:  # a link at the end (ELOOP), or not openable
        return Probe("other")
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:
            return Probe("other")
        return Probe("file", _hash(fd) if digest else None, (st.st_dev, st.st_ino))
    finally:
        os.close(fd)


def _probe_path(root: Path, rel: str, digest: bool) -> Probe:
    if not real_folders(root, rel):
        return Probe("other")
    try:
        st = os.lstat(root / rel)
    except (FileNotFoundError, NotADirectoryError):
        return Probe("absent")
    if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:
        return Probe("other")
    fd = os.open(root / rel, _FILE)
    try:
        return Probe("file", _hash(fd) if digest else None, (st.st_dev, st.st_ino))
    finally:
        os.close(fd)


def probe(root: Path, rel: str, *, digest: bool = True) -> Probe:
    """Returns what is at ``root/rel`` (see ``Probe``), reached without following a link below ``root``."""
    if not _AT:
        return _probe_path(root, rel, digest)
    parent = _parent(root, rel)
    if isinstance(parent, str):
        return Probe(parent)
    try:
        return _probe_at(parent, rel.rsplit("/", 1)[-1], digest)
    finally:
        os.close(parent)


def remove_if(root: Path, rel: str, accepted) -> bool:
    """Removes ``root/rel`` when it is a file inside ``root`` (see the module) whose SHA-256 is in ``accepted``;
    returns whether it did. The name removed is the one whose content was read (same inode, checked just before)."""
    if not _AT:
        found = _probe_path(root, rel, True)
        if found.kind == "file" and found.digest in accepted:
            os.unlink(root / rel)
            return True
        return False
    parent = _parent(root, rel)
    if isinstance(parent, str):
        return False
    try:
        name = rel.rsplit("/", 1)[-1]
        found = _probe_at(parent, name, True)
        if found.kind != "file" or found.digest not in accepted:
            return False
        st = os.stat(name, dir_fd=parent, follow_symlinks=False)
        if (st.st_dev, st.st_ino) != found.inode:
            return False
        os.unlink(name, dir_fd=parent)
        return True
    finally:
        os.close(parent)
