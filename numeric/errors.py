"""The error type of the data readers, below both ``numeric.data`` and ``numeric.data.mnist_files`` so that
neither imports the other to name it."""

from __future__ import annotations

__all__ = ["DataError"]


class DataError(ValueError):
    """A data file is missing, damaged, unreadable, or not what it claims to be."""
