"""The claims registry, the CLI (``python -m proofs``) and LaTeX/JSON/Markdown export.

The only package that imports both ``theory`` (SymPy) and ``numeric`` (NumPy, mpmath).
"""

from .claim import Claim, Context, Evidence, Fact, run_claim
from .registry import all_claims, select

__all__ = ["Claim", "Context", "Evidence", "Fact", "all_claims", "run_claim", "select"]
