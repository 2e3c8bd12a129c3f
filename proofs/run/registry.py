"""The claim registry: an explicit, ordered list (no discovery by import side effects)."""

from __future__ import annotations

from ..claim import Claim
from ..claims import (
    accuracy as claims_accuracy,
)
from ..claims import (
    bounds as claims_bounds,
)
from ..claims import (
    chain as claims_chain,
)
from ..claims import (
    experiments as claims_experiments,
)
from ..claims import (
    glorot as claims_glorot,
)
from ..claims import (
    matrix as claims_matrix,
)
from ..claims import (
    meanfield as claims_meanfield,
)
from ..claims import (
    meanfield_width as claims_meanfield_width,
)
from ..claims import (
    phase as claims_phase,
)
from ..claims import (
    pretraining as claims_pretraining,
)
from ..claims import (
    propagation as claims_propagation,
)
from ..claims import (
    recurrent as claims_recurrent,
)
from ..claims import (
    recurrent_runs as claims_recurrent_runs,
)
from ..claims import (
    remedies as claims_remedies,
)
from ..claims import (
    sigmoid as claims_sigmoid,
)
from ..claims import (
    trainability as claims_trainability,
)
from ..claims import (
    training as claims_training,
)

__all__ = ["all_claims", "select"]


def all_claims() -> list[Claim]:
    """Returns every claim, in the book's order, ids unique."""
    claims = [*claims_sigmoid.CLAIMS, *claims_chain.CLAIMS, *claims_recurrent.CLAIMS, *claims_recurrent_runs.CLAIMS,
              *claims_matrix.CLAIMS, *claims_bounds.CLAIMS, *claims_experiments.CLAIMS[:1], *claims_training.CLAIMS,
              *claims_accuracy.CLAIMS, *claims_experiments.CLAIMS[1:], *claims_meanfield.CLAIMS[:1],
              *claims_meanfield_width.CLAIMS, *claims_meanfield.CLAIMS[1:], *claims_glorot.CLAIMS[:1],
              *claims_remedies.CLAIMS, *claims_pretraining.CLAIMS, *claims_glorot.CLAIMS[1:], *claims_phase.CLAIMS,
              *claims_propagation.CLAIMS, *claims_trainability.CLAIMS]
    ids = [c.id for c in claims]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise RuntimeError(f"duplicate claim ids in the registry: {dup}")
    return claims


def select(only: str | None) -> list[Claim]:
    """Returns the claims named in ``only`` (comma-separated ids, or a group name), in registry order.

    Raises ValueError naming every unknown id, with the known ones listed.
    """
    claims = all_claims()
    if only is None:
        return claims
    wanted = [w.strip() for w in only.split(",") if w.strip()]
    if not wanted:
        raise ValueError("--only needs at least one claim id (see --list)")
    ids = {c.id for c in claims}
    groups = {c.group for c in claims}
    unknown = [w for w in wanted if w not in ids and w not in groups]
    if unknown:
        raise ValueError(
            f"unknown claim id(s) in --only: {', '.join(unknown)}. "
            f"Known ids: {', '.join(c.id for c in claims)}; groups: {', '.join(sorted(groups))}"
        )
    return [c for c in claims if c.id in wanted or c.group in wanted]
