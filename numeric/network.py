"""Moved: ``numeric.networks.network`` (0.3.0). This shim warns and goes in 0.5.0 (CHANGELOG.md)."""

from ._moved import moved

moved("numeric.network", "numeric.networks.network")

from .networks.network import *  # noqa: E402, F401, F403
from .networks.network import Network  # noqa: E402, F401
