"""``python -m proofs``: see ``proofs.cli`` (the package sets one BLAS thread per process on import)."""

from .cli import run

run()
