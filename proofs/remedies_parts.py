"""The remedies protocol's parts, keyed so that every claim asking for a configuration shares its training.

A part is one configuration of ``numeric.experiments.remedies`` trained at every depth of the run's protocol, every
(eta, seed) replica at once (``experiments.remedies_run.run_config``), or one configuration's width sweep. Its key,
("remedy", configuration, protocol, seed, digits), names the work exactly: the ``remedies`` claim asks for
every configuration, ``greedy-pretraining`` for two of them, and a run of both trains those once
(``proofs.run.plan``).
"""

from __future__ import annotations

from numeric.experiments import remedies as R
from numeric.experiments import remedies_run as RR

from .context import Part
from .data import load_data

__all__ = ["protocol", "config_part", "sweep_part", "config_parts"]


def protocol(ctx) -> R.RemediesProtocol:
    """The run's protocol: the default, with --seeds applied, or a reduced one marked QUICK."""
    return ctx.labelled(R.PROTOCOL, quick=2)


def config_part(key: str, mnist, p: R.RemediesProtocol, seed: int) -> dict:
    """Returns {depth: ``run_config`` cell} for configuration ``key``."""
    return {h: RR.run_config(key, h, p, load_data(mnist), seed) for h in p.depths}


def sweep_part(key: str, mnist, p: R.RemediesProtocol, seed: int) -> dict:
    """Returns configuration ``key``'s width sweep (``width_sweep``)."""
    return RR.width_sweep(key, p, load_data(mnist), seed)


def config_parts(ctx, keys) -> list:
    """Returns the parts (``Part``) that train the configurations ``keys`` under the run's protocol."""
    p = protocol(ctx)
    return [Part(("remedy", k, p, ctx.seed, ctx.mnist), config_part, (k, ctx.mnist, p, ctx.seed)) for k in keys]
