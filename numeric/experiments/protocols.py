"""Moved: ``numeric.experiments.chapter`` (the protocols) and ``numeric.experiments.protocol`` (the types), 0.4.0.
This shim warns and goes in 0.5.0 (CHANGELOG.md)."""

from .._moved import moved

moved("numeric.experiments.protocols", "numeric.experiments.chapter")

from .chapter import (  # noqa: E402, F401
    ACCURACY,
    ACCURACY_LITERAL,
    ACCURACY_MATCHED_UPDATES,
    BOOK_ACCURACY_RANGE,
    BOOK_TRAINING_IMAGES,
    BOOK_UPDATES,
    CHAPTER_NETWORKS,
    DEPTH_NETWORKS,
    MEANFIELD,
    MEANFIELD_WIDTHS,
    SPEED_AT_INIT,
    SPEED_DURING_TRAINING,
    SPEED_DURING_TRAINING_MINIBATCH,
    WEIGHTS_BELOW_ONE,
)
from .protocol import Criterion, Protocol  # noqa: E402, F401
