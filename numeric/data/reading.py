"""Reading a user's file within a byte cap: streamed a megabyte at a time, hashed as it streams,
gunzipped when it is gzip, refused (``DataError`` naming the file) the moment it passes the cap.

Returns bytes; the cap is checked against the size on disk before the first read and against the
decompressed output after every chunk, so no file, sparse or compressed, makes a reader hold more
than the cap (plus one chunk). An IDX file (``read_idx_file``) is capped tighter, by its own header,
itself checked against MNIST's dimensions before any data is read.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from pathlib import Path

from ..errors import DataError
from .files import is_regular_file

__all__ = ["MAX_BYTES", "CHUNK", "IDX_MAGIC", "read_idx_file"]

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


IDX_MAGIC = {2051: 3, 2049: 1}  # uint8 images (3 dims), uint8 labels (1 dim)


def _decoded(fh, md5):
    """Yields the file's content in pieces of at most CHUNK bytes, gunzipped when it is gzip, hashing the bytes as
    stored into ``md5``; DataError (without the file's name) when a gzip stream is truncated."""
    raw = fh.read(CHUNK)
    d = zlib.decompressobj(16 + zlib.MAX_WBITS) if raw[:2] == b"\x1f\x8b" else None
    while raw:
        md5.update(raw)
        if d is None:
            yield raw
        while d is not None and raw and not d.eof:
            out = d.decompress(raw, CHUNK)
            raw = d.unconsumed_tail
            if out:
                yield out
        raw = fh.read(CHUNK)
    if d is not None and not d.eof:
        raise DataError("not a valid gzip file (truncated: the stream ends early)")


def _idx_header(path: Path, head: bytes, expect_dims: int, max_items: int, stored: int | None) -> tuple:
    """Returns (shape, bytes of data) from an IDX header, checked against MNIST's: the magic number, the kind,
    28 x 28 images, at most ``max_items`` items. ``stored``: bytes of data in an uncompressed file, else None."""
    magic = int.from_bytes(head[:4], "big")
    if magic not in IDX_MAGIC:
        raise DataError(f"{path}: wrong magic number {magic:#010x}; expected 0x00000803 (images) or 0x00000801 "
                        "(labels)")
    dims = IDX_MAGIC[magic]
    if dims != expect_dims:
        raise DataError(f"{path}: holds {'images' if dims == 3 else 'labels'}, expected "
                        f"{'images' if expect_dims == 3 else 'labels'} (files swapped or misnamed?)")
    shape = tuple(int.from_bytes(head[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims))
    if dims == 3 and shape[1:] != (28, 28):
        raise DataError(f"{path}: images must be 28 x 28, its header says {shape[1]} x {shape[2]}")
    what, per_item = ("images", 784) if dims == 3 else ("labels", 1)
    if stored is not None and stored != shape[0] * per_item:
        held = f"{stored // per_item:,} {what}" + (f" and {stored % per_item} bytes" if stored % per_item else "")
        cause = ("a corrupt header or a truncated file" if stored < shape[0] * per_item
                 else "trailing bytes after the data")
        raise DataError(f"{path}: its header says {shape[0]:,} {what}, the file holds {held} ({cause})")
    if shape[0] > max_items:
        raise DataError(f"{path}: its header says {shape[0]:,} {what}, more than MNIST's {max_items:,} (a corrupt "
                        "header, or not MNIST; refused before reading)")
    return shape, shape[0] * per_item


def read_idx_file(path: Path, *, expect_dims: int, max_items: int):
    """Returns (the uint8 array an IDX file holds, MD5 of the file as stored), gunzipped if it is gzip.

    The header is read first and checked (``_idx_header``): the file is then read into an array of exactly the
    size it declares (at most ``max_items`` items: 47 MB for MNIST's training images, 60,008 bytes for its labels),
    and refused the moment its content passes that size; an uncompressed file is refused from its size on disk.
    """
    import numpy as np

    path = Path(path)
    _check_regular(path)
    md5, head, out, filled, header = hashlib.md5(), bytearray(), None, 0, 4 + 4 * expect_dims
    try:
        with open(path, "rb") as fh:
            stored = None if fh.read(2) == b"\x1f\x8b" else os.fstat(fh.fileno()).st_size - header
            fh.seek(0)
            for piece in _decoded(fh, md5):
                if out is None:
                    head += piece
                    if len(head) < header:
                        continue
                    shape, nbytes = _idx_header(path, head, expect_dims, max_items, stored)
                    out, piece = np.empty(nbytes, np.uint8), bytes(head[header:])
                if filled + len(piece) > out.size:
                    raise DataError(f"{path}: its content is longer than its header says ({out.size:,} bytes of "
                                    "data): trailing bytes, or not MNIST (refused before reading the rest)")
                out[filled: filled + len(piece)] = np.frombuffer(piece, np.uint8)
                filled += len(piece)
    except OSError as exc:
        raise DataError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except zlib.error as exc:
        raise DataError(f"{path}: not a valid gzip file (truncated or corrupt: {exc})") from None
    except DataError as exc:
        raise DataError(str(exc) if str(path) in str(exc) else f"{path}: {exc}") from None
    if out is None:
        raise DataError(f"{path}: truncated ({len(head)} bytes), not an IDX file" if len(head) < 4
                        else f"{path}: truncated inside the header")
    if filled < out.size:
        raise DataError(f"{path}: its header says {shape[0]:,} items of {out.size // shape[0]} bytes, the file holds "
                        f"{filled:,} bytes of data (a corrupt header or a truncated file)")
    return out.reshape(shape), md5.hexdigest()
