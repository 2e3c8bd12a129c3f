"""``python -m proofs``: see ``proofs.cli`` (the package sets one BLAS thread per process on import)."""

import sys

from .cli import main

sys.exit(main())
