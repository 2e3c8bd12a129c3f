"""Writing files so that nothing the user had is lost: a temporary file in the same folder, renamed
into place (atomic on POSIX), created with the user's umask. On any error the temporary file is
removed and the previous file, if any, is untouched.

Used by every writer of the suite (``Network.save``, the results folder of ``python -m proofs``);
it lives in ``numeric`` because ``proofs`` may import ``numeric`` but not the other way round.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write", "umask_mode", "is_regular_file", "npz_headers", "zip_directory", "MAX_MEMBERS"]


def umask_mode(base: int = 0o666) -> int:
    """Returns the mode a new file gets from ``open`` under the current umask (0o666 & ~umask)."""
    mask = os.umask(0)
    os.umask(mask)
    return base & ~mask


def atomic_write(path, payload: bytes | str, *, tag: str | None = None) -> Path:
    """Writes ``payload`` to ``path`` through a temporary file in the same folder and a rename; returns ``path``.

    The temporary file is ``.NAME.XXXXXXXX.tmp`` (``.NAME.TAG.XXXXXXXX.tmp`` with ``tag``: a caller that records
    its tag can later recognise, by name alone, the temporary files it left), made with O_EXCL by ``mkstemp``.
    The file ends with mode 0o666 & ~umask (as ``open`` would give), not mkstemp's 0o600. Any
    exception (ENOSPC, EIO, KeyboardInterrupt) removes the temporary file and re-raises; the old
    file at ``path`` is then exactly as it was.
    """
    path = Path(path)
    data = payload.encode("utf-8") if isinstance(payload, str) else bytes(payload)
    prefix = f".{path.name}." + (f"{tag}." if tag else "")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, umask_mode())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def is_regular_file(path) -> bool:
    """Returns True when ``path`` is a regular file (not a folder, FIFO, device or socket)."""
    import stat

    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


MAX_MEMBERS = 4096  # arrays in an .npz: MNIST's has 4, a saved network 2 + 2 per layer
MAX_DIRECTORY = 1 << 20  # bytes of a zip's central directory (about 50 bytes a member)
_EOCD, _EOCD64, _LOCATOR64 = b"PK\x05\x06", b"PK\x06\x06", b"PK\x06\x07"


def zip_directory(fh) -> tuple[int, int]:
    """Returns (members, bytes of the central directory) that a zip file's end record declares, reading only its
    last 64 kB: what ``zipfile.ZipFile`` would read and build before any member can be checked. ValueError when
    there is no end record."""
    import struct

    size = fh.seek(0, os.SEEK_END)
    tail_at = max(0, size - 22 - 65535)
    fh.seek(tail_at)
    tail = fh.read()
    at = len(tail) - 22 if tail[-22:-18] == _EOCD else tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < 22:
        raise ValueError("not a zip file (no end of central directory)")
    members, directory = struct.unpack("<HI", tail[at + 10: at + 16])
    locator = tail_at + at - 20
    if locator >= 0:  # a Zip64 record: zipfile reads it whenever its locator is there, whatever the plain record says
        fh.seek(locator)
        loc = fh.read(20)
        if loc[:4] == _LOCATOR64:
            fh.seek(struct.unpack("<Q", loc[8:16])[0])
            record = fh.read(56)
            if record[:4] == _EOCD64 and len(record) == 56:
                members64, directory64 = struct.unpack("<QQ", record[32:48])
                members, directory = max(members, members64), max(directory, directory64)  # the larger claim
    return members, directory


def _short(shape: tuple) -> str:
    """A shape as text, at most 80 characters (a hostile header may declare thousands of dimensions)."""
    text = str(tuple(shape))
    return text if len(text) <= 80 else f"{text[:60]}... ({len(shape)} dimensions)"


def _member_error(path, name: str, exc: Exception) -> ValueError:
    """Returns a ValueError naming the file and member, in words (NumPy's parser shows ``<ast.Name object ...>``)."""
    text = str(exc)
    if "header" in text.lower() or "malformed node" in text or isinstance(exc, SyntaxError):
        why = "its .npy header is malformed (not an array header NumPy wrote)"
    elif isinstance(exc, EOFError) or "EOF" in text:
        why = "it ends before its .npy header does (truncated, or not an .npy array)"
    else:
        why = f"{type(exc).__name__}: {text[:200]}"
    return ValueError(f"{path}: member {name[:200]!r}: {why}")


def npz_headers(path, *, max_bytes: int | None = None, max_total: int | None = None,
                max_members: int = MAX_MEMBERS) -> dict:
    """Returns {array name: (shape, dtype, bytes stored)} from the .npy headers inside an .npz file,
    without reading any array: sizes can be checked before anything is allocated.

    Before ``zipfile`` reads the zip's directory, the counts its end record declares are checked: at most
    ``max_members`` members and MAX_DIRECTORY bytes. With ``max_bytes``, a member whose decompressed size in the
    directory, or whose array (itemsize x count, from its .npy header) exceeds it raises ValueError before it is
    read; with ``max_total``, the same for the members' decompressed sizes together. Raises ValueError naming the
    file for a member that is not an .npy array or whose header is damaged, zipfile.BadZipFile for a file that is
    not a zip.
    """
    import zipfile

    with open(path, "rb") as raw:
        try:
            members, directory = zip_directory(raw)
        except ValueError as exc:
            raise zipfile.BadZipFile(f"{path}: {exc}") from None
        if members > max_members or directory > MAX_DIRECTORY:
            raise ValueError(f"{path}: its zip directory declares {members:,} members in {directory:,} bytes, more "
                             f"than the {max_members:,} members and {MAX_DIRECTORY:,} bytes allowed (refused before "
                             "reading it)")
        raw.seek(0)
        out = {}
        with zipfile.ZipFile(raw) as z:
            infos = z.infolist()
            if len(infos) > max_members:
                raise ValueError(f"{path}: {len(infos):,} members, more than the {max_members:,} allowed")
            for info in infos:
                _check_member(path, info, max_bytes)
            total = sum(info.file_size for info in infos)
            if max_total is not None and total > max_total + 4096 * len(infos):  # NumPy's .npy headers: ~128 bytes
                raise ValueError(f"{path}: its members decompress to {total:,} bytes together, more than the "
                                 f"{max_total:,} allowed (refused before reading)")
            for info in infos:
                out.update(_member_header(path, z, info, max_bytes))
    return out


def _check_member(path, info, max_bytes) -> None:
    """Raises ValueError for a member that is not an .npy array, or whose size in the directory passes ``max_bytes``."""
    if not info.filename.endswith(".npy"):
        raise ValueError(f"{path}: unexpected member {info.filename[:200]!r} (not a NumPy .npz file)")
    if max_bytes is not None and info.file_size > max_bytes + 65536:  # an .npy header is < 64 kB
        raise ValueError(f"{path}: member {info.filename[:200]!r} decompresses to {info.file_size:,} bytes, more "
                         f"than the {max_bytes:,} allowed (refused before reading)")


def _member_header(path, z, info, max_bytes) -> dict:
    """Returns {name: (shape, dtype, bytes stored)} of one member, checked against ``max_bytes``."""
    import math

    import numpy as np

    with z.open(info) as fh:
        try:
            version = np.lib.format.read_magic(fh)
            read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, _, dtype = read(fh)
        except Exception as exc:  # noqa: BLE001 - NumPy's ValueError, EOFError, SyntaxError ...: one message
            raise _member_error(path, info.filename, exc) from None
        nbytes = math.prod(shape) * dtype.itemsize
        if max_bytes is not None and nbytes > max_bytes:
            raise ValueError(f"{path}: array {info.filename[:-4][:200]!r} of shape {_short(shape)} and dtype "
                             f"{str(dtype)[:60]} needs "
                             f"{nbytes:,} bytes, more than the {max_bytes:,} allowed (refused before reading)")
        return {info.filename[:-4]: (shape, dtype, info.file_size - fh.tell())}
