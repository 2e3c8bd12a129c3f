"""What a run computed, kept for the next run: claims' records and files, and parts' values, never computed twice.

An entry is named by the SHA-256 of what its value depends on: the suite's own source (every file of the packages
``theory``, ``numeric`` and ``proofs``, so any change of code recomputes), the libraries' versions, and the work's
key: a part's derived key (its function, arguments and the run's key: seed, seeds, --quick, the data's digest,
mpmath's digits; ``proofs.context.Part.of``), or a claim's id with the run's key and figure options. A warm run
therefore writes the same output as a cold one (a test compares them); its lines say "cached".

Entries are plain data, never pickles: JSON with tagged arrays (dtype, shape, the bytes in base64), tuples and
non-string dict keys, compressed, with the SHA-256 of the payload inside; an entry that does not decode, whose
digest or key does not match, or that was written by another format, is recomputed, never trusted. Each is written
to a temporary file of its own and renamed into place (atomic); the folder is kept under a size bound, the oldest
entries removed first, and only files this module names (``<64 hex digits>.ugc``) are ever read or removed.

The folder: ``--cache-dir`` or ``$UNSTABLE_GRADIENTS_CACHE`` (``off`` disables it, as ``--no-cache`` does), else
``$XDG_CACHE_HOME/unstable-gradients`` or ``~/.cache/unstable-gradients``.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import platform
import secrets
import zlib
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = ["Cache", "default_folder", "suite_digest", "encode", "decode", "CACHE_ENV"]

CACHE_ENV = "UNSTABLE_GRADIENTS_CACHE"
FORMAT = "unstable-gradients-cache/1"
SUFFIX = ".ugc"
LIMIT = 2 * 1024**3  # bytes the folder may hold before the oldest entries go
MAX_ENTRY = 32 * 1024**2  # an entry larger than this, compressed or not, is neither written nor read (the default
# run's largest is about 1 MB): a gzip bomb planted in the folder is refused after MAX_ENTRY + 1 bytes of output
PACKAGES = ("theory", "numeric", "proofs")


def default_folder() -> Path | None:
    """Returns the cache folder from the environment (None when ``$UNSTABLE_GRADIENTS_CACHE`` is "off")."""
    env = os.environ.get(CACHE_ENV, "")
    if env.lower() in ("off", "0", "none", "no"):
        return None
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "unstable-gradients"


@lru_cache(maxsize=1)
def suite_digest() -> str:
    """Returns the SHA-256 of the suite's source and package data (every file of its packages, by relative path)."""
    root = Path(__file__).resolve().parents[2]
    h = hashlib.sha256()
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


@lru_cache(maxsize=1)
def library_versions() -> tuple:
    """Returns the versions a cached number depends on: Python, the platform, NumPy, SymPy, mpmath, Matplotlib."""
    import matplotlib
    import mpmath
    import sympy

    return (platform.python_version(), platform.machine(), np.__version__, sympy.__version__, mpmath.__version__,
            matplotlib.__version__)


# -- plain-data encoding -----------------------------------------------------------------------------------------
class NotPlain(TypeError):
    """A value that is not plain data (an object, a function): it is not cached."""


def encode(value):
    """Returns ``value`` as JSON-able data with tags, exactly reversible by ``decode``; NotPlain for anything else."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float) and type(value) in (int, float):
        return value
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf" or value.dtype.hasobject:
            raise NotPlain(f"array of dtype {value.dtype}")
        return {"a": [value.dtype.str, list(value.shape), base64.b64encode(value.tobytes()).decode()]}
    if isinstance(value, np.generic):
        return {"s": [value.dtype.str, base64.b64encode(value.tobytes()).decode()]}
    if isinstance(value, tuple):
        return {"t": [encode(v) for v in value]}
    if isinstance(value, list):
        return {"l": [encode(v) for v in value]}
    if isinstance(value, dict):
        if all(type(k) is str for k in value):
            return {"d": {k: encode(v) for k, v in value.items()}}
        return {"m": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, bytes):
        return {"b": base64.b64encode(value).decode()}
    raise NotPlain(f"{type(value).__name__} is not plain data")


def decode(data):
    """Returns the value ``encode`` encoded; ValueError for anything it could not have written."""
    if data is None or isinstance(data, bool | str | int | float):
        return data
    if not isinstance(data, dict) or len(data) != 1:
        raise ValueError("not an encoded value")
    (tag, body), = data.items()
    if tag == "a":
        dtype, shape, raw = body
        if np.dtype(dtype).kind not in "biuf":
            raise ValueError(f"array of dtype {dtype}")
        return np.frombuffer(base64.b64decode(raw), dtype=np.dtype(dtype)).reshape(shape).copy()
    if tag == "s":
        return np.frombuffer(base64.b64decode(body[1]), dtype=np.dtype(body[0]))[0]
    if tag in ("t", "l"):
        items = [decode(v) for v in body]
        return tuple(items) if tag == "t" else items
    if tag == "d":
        return {k: decode(v) for k, v in body.items()}
    if tag == "m":
        return {_hashable(decode(k)): decode(v) for k, v in body}
    if tag == "b":
        return base64.b64decode(body)
    raise ValueError(f"unknown tag {tag!r}")


def _hashable(key):
    return key.item() if isinstance(key, np.generic) else key


def _inflate(data: bytes) -> bytes:
    """Returns the gzip ``data`` decompressed, at most MAX_ENTRY bytes of it (ValueError past that, or on a stream
    that does not end where the data does)."""
    d = zlib.decompressobj(wbits=31)
    out = d.decompress(data, MAX_ENTRY + 1)
    if len(out) > MAX_ENTRY or d.unconsumed_tail or not d.eof:
        raise ValueError("a cache entry larger than its bound, or damaged")
    return out


class Cache:
    """The cache in ``folder`` (None: disabled: every lookup misses, nothing is written)."""

    def __init__(self, folder: Path | str | None, *, limit: int = LIMIT):
        self.folder = None if folder is None else Path(folder)
        self.limit = int(limit)
        self.hits = self.misses = 0

    def name(self, kind: str, key) -> str:
        """Returns the entry's name: the SHA-256 of the source, the libraries, ``kind`` and the key's exact text."""
        text = repr((FORMAT, suite_digest(), library_versions(), kind, key))
        if " at 0x" in text:  # an object printed by its address names nothing stable: such work is not cached
            raise NotPlain("a key that prints an address")
        return hashlib.sha256(text.encode()).hexdigest()

    def get(self, kind: str, key):
        """Returns (True, value) for a valid entry, else (False, None); a damaged or foreign entry is removed."""
        if self.folder is None:
            return False, None
        try:
            name = self.name(kind, key)
        except NotPlain:
            return False, None
        path = self.folder / (name + SUFFIX)
        try:
            if not path.is_file() or path.is_symlink() or path.stat().st_size > MAX_ENTRY:
                raise FileNotFoundError
            entry = json.loads(_inflate(path.read_bytes()))
            payload = entry["payload"]
            ok = (entry.get("format") == FORMAT and entry.get("name") == name
                  and entry.get("sha256") == hashlib.sha256(payload.encode()).hexdigest())
            if not ok:
                raise ValueError("foreign or damaged entry")
            value = decode(json.loads(payload))
        except FileNotFoundError:
            self.misses += 1
            return False, None
        except (OSError, ValueError, KeyError, TypeError, EOFError, json.JSONDecodeError):
            self.misses += 1
            path.unlink(missing_ok=True)  # our own name: recomputed and written again
            return False, None
        self.hits += 1
        os.utime(path)  # recently used: the last to go when the folder is trimmed
        return True, value

    def put(self, kind: str, key, value) -> bool:
        """Writes the entry (atomically); returns False where the value or key is not plain data or the disk
        refuses (a cache never stops a run)."""
        if self.folder is None:
            return False
        try:
            name = self.name(kind, key)
            payload = json.dumps(encode(value), allow_nan=True, separators=(",", ":"))
        except (NotPlain, ValueError, RecursionError):
            return False
        data = gzip.compress(json.dumps({"format": FORMAT, "name": name, "kind": kind,
                                         "sha256": hashlib.sha256(payload.encode()).hexdigest(),
                                         "payload": payload}).encode(), compresslevel=3, mtime=0)
        if len(data) > MAX_ENTRY or len(payload) > MAX_ENTRY // 2:  # the whole entry, inflated, within MAX_ENTRY
            return False
        tmp = self.folder / f".{name}.{secrets.token_hex(6)}.tmp"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, self.folder / (name + SUFFIX))
        except OSError:
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass
            return False
        try:
            self.trim()
        except OSError:  # another run trimmed the same file first
            pass
        return True

    def entries(self) -> list[Path]:
        """Returns this cache's entry files (only names it makes: 64 hex digits and its suffix)."""
        if self.folder is None or not self.folder.is_dir():
            return []
        return [p for p in self.folder.iterdir() if p.suffix == SUFFIX and len(p.stem) == 64
                and all(c in "0123456789abcdef" for c in p.stem) and p.is_file() and not p.is_symlink()]

    def trim(self) -> None:
        """Removes the least recently used entries until the folder's entries fit ``limit`` bytes."""
        entries = [(p.stat().st_mtime, p.stat().st_size, p) for p in self.entries()]
        total = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries):
            if total <= self.limit:
                break
            path.unlink(missing_ok=True)
            total -= size
