"""Moved: ``numeric.experiments.chapter`` (0.4.0). This shim warns and goes in 0.5.0 (CHANGELOG.md)."""

from .._moved import moved

moved("numeric.experiments.experiments", "numeric.experiments.chapter")

from .chapter import accuracy_by_depth, norm_bound_ratios, norm_of, speed_at_init, training_run  # noqa: E402, F401
