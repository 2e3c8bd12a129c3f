"""Warns, once per old module, that a public name moved (the shims of CHANGELOG.md, kept for one version)."""

from __future__ import annotations

import warnings

__all__ = ["moved"]


def moved(old: str, new: str, version: str = "0.5.0") -> None:
    """Warns that module ``old`` is now ``new`` and that the shim goes in ``version``."""
    warnings.warn(f"{old} moved to {new}; the old name goes in {version} (CHANGELOG.md)", DeprecationWarning,
                  stacklevel=3)
