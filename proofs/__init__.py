"""The claims registry, the CLI (``python -m proofs``) and LaTeX/JSON/Markdown export.

The only package that imports both ``theory`` (SymPy) and ``numeric`` (NumPy, mpmath).
"""

import os as _os

__version__ = "0.3.0"

# One BLAS thread per process, set before NumPy loads (this package imports it): the claims then
# compute the same floats in this process and in every worker (--jobs N), so the output is identical
# whatever ran where; the process pool, not BLAS, uses the cores. A value you set yourself is kept
# (results may then differ in the last digit between --jobs values).
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    _os.environ.setdefault(_name, "1")

from .claim import Claim, Context, Evidence, Fact, run_claim  # noqa: E402
from .registry import all_claims, select  # noqa: E402

__all__ = ["Claim", "Context", "Evidence", "Fact", "all_claims", "run_claim", "select", "__version__"]
