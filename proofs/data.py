"""The run's digits, loaded once per process: what a claim needs from the run besides its Context.

Sits below the registry and the executor (it imports only ``numeric.data``), so a claims module
can reach the digits without importing the executor, which imports the registry, which imports
the claims modules.
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["load_data"]


@lru_cache(maxsize=4)
def load_data(mnist):
    """Returns the run's digits (``numeric.data.load(mnist)``), loaded once per process (workers and parts share it)."""
    from numeric.data import load

    return load(mnist)
