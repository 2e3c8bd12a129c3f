"""Moved: ``numeric.experiments.remedies`` (and the width sweep to ``numeric.experiments.width_sweep``), 0.4.0. This
shim warns and goes in 0.5.0 (CHANGELOG.md)."""

from .._moved import moved

moved("numeric.experiments.remedies_run", "numeric.experiments.remedies")

from .averaging import ratios  # noqa: E402, F401
from .remedies import choose, run_config, splits, streams, summary  # noqa: E402, F401
from .width_sweep import width_sweep  # noqa: E402, F401
