"""One run at a time per output folder: ``.proofs-lock``, a file only this run makes, and the leftovers of a killed one.

The lock is created with ``O_EXCL`` (never opened over a file that is there), holds ``flock`` for as long as the run
writes, records the run's process id and a random token, and is removed when the run ends, however it ends short of
SIGKILL. A file already at that name is inspected read-only, never written:

* a lock in this format (or a bare process id, as versions before issue 32 wrote) whose ``flock`` is held: another
  run is writing there, and this one is refused naming its process;
* the same, not held: the run that made it was killed; it is taken over (removed and made again), with a line saying
  so, and its token lets this run remove the temporary files that run left, by name;
* anything else (the user's file, a hard link, a folder, a FIFO): refused with one line; it stays as it was.

Temporary files carry the token of the run that made them (``.NAME.TOKEN.XXXXXXXX.tmp``, see
``numeric.data.files.atomic_write``), so clean-up removes exactly what a killed run made and never a file of the
user's that only looks like one.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import stat
import time
from pathlib import Path

__all__ = ["LOCK", "FolderLock", "clean_leftovers"]

LOCK = ".proofs-lock"
_HEADER = "python -m proofs lock"
_FORMAT = re.compile(r"python -m proofs lock\npid (\d{1,10})\ntoken ([0-9a-f]{12})\n\Z")
_LEGACY = re.compile(r"(\d{1,10})\n\Z")  # before issue 32: the pid alone, and the file stayed after the run
_MAX_SIZE = 256
_WAIT = 0.5  # seconds another run may take between making its lock and writing into it
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DEPTH = 4  # folders below --out searched for a killed run's temporary files (the suite writes 1 deep)
_KINDS = {stat.S_IFDIR: "a folder", stat.S_IFIFO: "a FIFO", stat.S_IFSOCK: "a socket", stat.S_IFLNK: "a symbolic link",
          stat.S_IFCHR: "a device", stat.S_IFBLK: "a device"}


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


class FolderLock:
    """This run's ``root/.proofs-lock``; ``token`` names its temporary files, ``stale_tokens`` those of the killed
    run it took over from. OutputError (raised as ``error``) when another run holds it or the name is taken."""

    def __init__(self, root: Path, error, notify=None):
        self.root, self.path, self._error = root, root / LOCK, error
        self.notify = notify or (lambda text: None)
        self.token = secrets.token_hex(6)
        self.stale_tokens: list[str] = []
        self.fd = self._acquire()

    def _refuse(self, why: str):
        return self._error(f"--out {self.root}: {LOCK} {why}")

    def _acquire(self) -> int:
        deadline = time.monotonic() + _WAIT
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, 0o644)
            except FileExistsError:
                if not self._take_over() and time.monotonic() > deadline:
                    raise self._refuse("is empty: not a lock of a run (a run killed as it made it leaves one); "
                                       "remove it if no run is writing there") from None
                time.sleep(0.01)
                continue
            except OSError as exc:
                raise self._error(f"--out {self.root}: cannot write there (cannot create its lock file {LOCK}: "
                                  f"{_why(exc)})") from None
            try:
                while not _try_lock(fd):  # another run may be inspecting it for a moment
                    if time.monotonic() > deadline + _WAIT:
                        raise self._refuse("is held by another process as this run makes it; try again")
                    time.sleep(0.01)
                os.write(fd, f"{_HEADER}\npid {os.getpid()}\ntoken {self.token}\n".encode())
            except BaseException:
                self._remove(fd)
                raise
            return fd

    def _take_over(self) -> bool:
        """Inspects the lock file that is there: returns True when it is gone or was a killed run's (removed now),
        False while it is empty (being made); raises when another run holds it or it is not a lock of ours."""
        try:
            st = os.lstat(self.path)
        except FileNotFoundError:
            return True
        if not stat.S_ISREG(st.st_mode):
            raise self._refuse(f"is not a regular file ({_KINDS.get(stat.S_IFMT(st.st_mode), 'a special file')}), "
                               "so not a lock python -m proofs made; move it away or choose another --out")
        if st.st_nlink != 1 or st.st_size > _MAX_SIZE:
            raise self._refuse("exists and is not a lock python -m proofs made (it is your file, or linked to one); "
                               "move it away or choose another --out")
        try:
            fd = os.open(self.path, os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | _CLOEXEC)
        except FileNotFoundError:
            return True
        try:
            text = os.read(fd, _MAX_SIZE + 1).decode("ascii", "replace")
            if not text:
                return False
            held = _FORMAT.match(text) or _LEGACY.match(text)
            if held is None:
                raise self._refuse("exists and is not a lock python -m proofs made (it holds something else); "
                                   "move it away or choose another --out")
            pid = held.group(1)
            if not _try_lock(fd):
                raise self._error(f"--out {self.root}: another python -m proofs run (process {pid}) is writing "
                                  "there; wait for it to finish or choose another --out")
            if os.stat(self.path, follow_symlinks=False).st_ino != os.fstat(fd).st_ino:
                return True  # another run took it over meanwhile: look again
            os.unlink(self.path)
        except FileNotFoundError:
            return True
        finally:
            os.close(fd)
        if held.re is _FORMAT:
            self.stale_tokens.append(held.group(2))
        self.notify(f"took over {LOCK}: the run that made it (process {pid}) ended without removing it "
                    "(killed, or an earlier version)")
        return True

    def _remove(self, fd: int) -> None:
        try:
            if os.stat(self.path, follow_symlinks=False).st_ino == os.fstat(fd).st_ino:
                os.unlink(self.path)
        except OSError:
            pass
        finally:
            os.close(fd)

    def release(self) -> None:
        """Removes the lock file (if it is still this run's) and lets go of it."""
        if self.fd is not None:
            fd, self.fd = self.fd, None
            self._remove(fd)


def _try_lock(fd: int) -> bool:
    """Returns True when ``fd`` is now locked exclusively by this process, False when another holds it."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
            return False
        raise


def clean_leftovers(root: Path, tokens) -> list[str]:
    """Removes the temporary files a killed run (one of ``tokens``) left under ``root``; returns their relative paths.

    Only names that run made: ``.NAME.TOKEN.XXXXXXXX.tmp`` with its recorded token, regular files, in real folders
    (links are not followed) at most a few levels deep.
    """
    if not tokens:
        return []
    names = re.compile(r"\A\..+\.(?:%s)\.[a-z0-9_]{8}\.tmp\Z" % "|".join(re.escape(t) for t in tokens))
    removed = []
    for dirpath, dirs, files in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
        if rel_dir.count("/") + 1 >= _DEPTH:
            dirs[:] = []
        for name in files:
            path = os.path.join(dirpath, name)
            try:
                if names.match(name) and stat.S_ISREG(os.lstat(path).st_mode):
                    os.unlink(path)
                    removed.append(name if rel_dir == "." else f"{rel_dir}/{name}")
            except FileNotFoundError:
                pass
    return removed
