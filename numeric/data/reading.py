"""Reading a user's file within a byte cap: streamed a megabyte at a time, hashed as it streams,
gunzipped when it is gzip, refused (``DataError`` naming the file) the moment it passes the cap.

Returns bytes; the cap is checked against the size on disk before the first read and against the
decompressed output after every chunk, so no file, sparse or compressed, makes a reader hold more
than the cap (plus one chunk).
"""

from __future__ import annotations

import hashlib
import os
import zlib
from pathlib import Path

from ..errors import DataError
from .files import is_regular_file

__all__ = ["MAX_BYTES", "CHUNK"]

MAX_BYTES = 300_000_000  # the largest MNIST file decompressed (Nielsen's pickle) is about 220 MB
CHUNK = 1 << 20


def _check_regular(path: Path) -> None:
    """Refuses folders, FIFOs, devices and sockets before opening (a FIFO would block the read)."""
    if not path.exists():
        raise DataError(f"{path}: no such file")
    if not is_regular_file(path):
        raise DataError(f"{path}: not a regular file (a folder, FIFO or device cannot be an MNIST file)")


def _read_hashed(path: Path, limit: int = MAX_BYTES) -> tuple[bytes, str]:
    """Returns (contents, MD5 of the file as stored): gunzipped if it is gzip, read in chunks of
    ``CHUNK`` bytes and hashed as they stream; never holds more than ``limit`` bytes of contents.

    A file larger than ``limit`` on disk is refused from its size alone, before any read; a gzip
    stream is refused as soon as its output passes ``limit`` (no gzip bomb). An unreadable file is
    a ``DataError`` naming it and the system's reason.
    """
    _check_regular(path)
    md5, out, d = hashlib.md5(), bytearray(), None
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > limit:
                raise DataError(f"{path}: {size:,} bytes on disk, larger than the {limit:,} bytes any MNIST file "
                                "takes (refused before reading)")
            chunk = fh.read(CHUNK)
            if chunk[:2] == b"\x1f\x8b":
                d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            while chunk:
                md5.update(chunk)
                if d is None:
                    out += chunk
                elif not d.eof:
                    out += d.decompress(chunk, limit + 1 - len(out))
                    if d.unconsumed_tail:
                        raise DataError(f"{path}: decompresses to more than {limit:,} bytes, far more than any "
                                        "MNIST file (refused before it could fill memory)")
                if len(out) > limit:
                    raise DataError(f"{path}: larger than {limit:,} bytes, far more than any MNIST file")
                chunk = fh.read(CHUNK)
    except OSError as exc:
        raise DataError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except zlib.error as exc:
        raise DataError(f"{path}: not a valid gzip file (truncated or corrupt: {exc})") from None
    if d is not None and not d.eof:
        raise DataError(f"{path}: not a valid gzip file (truncated: the stream ends early)")
    return bytes(out), md5.hexdigest()


def _read_bytes(path: Path, limit: int = MAX_BYTES) -> bytes:
    """Returns the file's contents, gunzipped if it is gzip; never more than ``limit`` bytes (see ``_read_hashed``)."""
    return _read_hashed(path, limit)[0]
