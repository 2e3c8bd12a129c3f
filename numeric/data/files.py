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

__all__ = ["atomic_write", "umask_mode", "is_regular_file", "npz_headers"]


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


def npz_headers(path, *, max_bytes: int | None = None) -> dict:
    """Returns {array name: (shape, dtype, bytes stored)} from the .npy headers inside an .npz file,
    without reading any array: sizes can be checked before anything is allocated.

    With ``max_bytes``, a member whose decompressed size in the zip's directory, or whose array
    (itemsize x count, from its .npy header) exceeds it raises ValueError before it is read. Raises
    ValueError for a member that is not an .npy array, zipfile.BadZipFile for a file that is not a zip.
    """
    import math
    import zipfile

    import numpy as np

    out = {}
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            if not info.filename.endswith(".npy"):
                raise ValueError(f"{path}: unexpected member {info.filename!r} (not a NumPy .npz file)")
            if max_bytes is not None and info.file_size > max_bytes + 65536:  # an .npy header is < 64 kB
                raise ValueError(f"{path}: member {info.filename} decompresses to {info.file_size:,} bytes, more "
                                 f"than the {max_bytes:,} allowed (refused before reading)")
            with z.open(info) as fh:
                version = np.lib.format.read_magic(fh)
                read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
                shape, _, dtype = read(fh)
                nbytes = math.prod(shape) * dtype.itemsize
                if max_bytes is not None and nbytes > max_bytes:
                    raise ValueError(f"{path}: array {info.filename[:-4]} of shape {shape} and dtype {dtype} needs "
                                     f"{nbytes:,} bytes, more than the {max_bytes:,} allowed (refused before reading)")
                out[info.filename[:-4]] = (shape, dtype, info.file_size - fh.tell())
    return out
