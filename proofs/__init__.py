"""The claims registry, the CLI (``python -m proofs``) and LaTeX/JSON/Markdown export.

The only package that imports both ``theory`` (SymPy) and ``numeric`` (NumPy, mpmath). Importing it
changes nothing in the process (no environment variable, no global setting) and loads neither SymPy nor
NumPy: the names below are imported on first use. The CLI entry (``proofs.__main__``) and the process
pool's worker initialiser set one BLAS thread per process, before NumPy loads.
"""

__version__ = "0.4.0"

__all__ = ["Claim", "Context", "Evidence", "Fact", "all_claims", "run_claim", "select", "__version__"]

_LAZY = {"Claim": "claim", "Context": "claim", "Evidence": "claim", "Fact": "claim", "run_claim": "claim",
         "all_claims": "registry", "select": "registry"}


def __getattr__(name):
    """Returns the package's public names on first use (PEP 562), so ``import proofs`` stays light."""
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
