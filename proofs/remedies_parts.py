"""The remedies protocol's parts, named so that every claim asking for a configuration shares its training.

A part is one configuration of ``numeric.experiments.remedies`` trained at every depth of the run's protocol, every
(eta, seed) replica at once (``remedies.run_config``), or one configuration's width sweep. Its key is derived from
the function, its arguments (configuration, protocol) and the run (``proofs.context.Part.of``): the ``remedies`` claim
asks for every configuration, ``greedy-pretraining`` for two of them, and a run of both trains those once
(``proofs.run.plan``).
"""

from __future__ import annotations

from numeric.experiments import remedies, width_sweep

from .context import Part

__all__ = ["protocol", "config_part", "sweep_part", "config_parts"]


def protocol(ctx):
    """The run's protocol: the default, with --seeds applied, or a reduced one marked QUICK."""
    return ctx.protocol(remedies.PROTOCOL)


def config_part(run, key: str, p) -> dict:
    """Returns {depth: ``run_config`` cell} for configuration ``key``."""
    return {h: remedies.run_config(key, h, p, run.data(), run.seed) for h in p.depths}


def sweep_part(run, key: str, p) -> dict:
    """Returns configuration ``key``'s width sweep (``width_sweep``)."""
    return width_sweep.width_sweep(key, p, run.data(), run.seed)


def config_parts(ctx, keys) -> list:
    """Returns the parts (``Part``) that train the configurations ``keys`` under the run's protocol."""
    p = protocol(ctx)
    return [Part.of(ctx.run, config_part, k, p) for k in keys]
