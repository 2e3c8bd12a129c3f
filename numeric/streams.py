"""Independent random streams for replicas and purposes, spawned from one seed (numpy.random.SeedSequence).

Replica k of an experiment run from the base seed s draws from ``SeedSequence(s).spawn(S)[k]``; inside a
replica, each purpose (its initial draws, its shuffling, its data sampling) has its own child of that
replica's stream. No stream is made by seed arithmetic (``default_rng(s + 1)`` for replica s's shuffling
is the very stream that initialises replica s + 1): spawned children are independent by construction.

``purpose(stream, name)`` spawns from a fresh copy of ``stream``, so asking twice gives the same child
(``SeedSequence.spawn`` itself counts its children and would hand out new ones).
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["PURPOSES", "replica_streams", "replica", "child", "purpose", "generator", "replica_generators", "describe",
           "sequence"]

PURPOSES = ("init", "shuffle", "data")  # a replica's children, in this order


def sequence(stream) -> np.random.SeedSequence:
    """Returns ``stream`` as a SeedSequence (an int s stands for ``SeedSequence(s)``), a fresh copy whose spawn
    counter is untouched."""
    return _copy(_sequence(stream))


def _sequence(stream) -> np.random.SeedSequence:
    if isinstance(stream, np.random.SeedSequence):
        return stream
    if isinstance(stream, numbers.Integral) and not isinstance(stream, bool) and int(stream) >= 0:
        return np.random.SeedSequence(int(stream))
    raise TypeError(f"stream must be a numpy.random.SeedSequence or a non-negative integer seed, got {stream!r}")


def replica_streams(base_seed, count: int) -> list:
    """Returns ``numpy.random.SeedSequence(base_seed).spawn(count)``: one independent stream per replica."""
    if isinstance(count, bool) or not isinstance(count, numbers.Integral) or count < 1:
        raise ValueError(f"count must be a positive number of replicas, got {count!r}")
    return sequence(base_seed).spawn(int(count))


def replica(base_seed, k: int) -> np.random.SeedSequence:
    """Returns replica k's stream, ``SeedSequence(base_seed).spawn(k + 1)[k]``: the same child whatever the number of
    replicas a run asks for (``--seeds 2`` runs the first two replicas of ``--seeds 5``)."""
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or k < 0:
        raise ValueError(f"replica index must be a non-negative integer, got {k!r}")
    return child(base_seed, int(k))


def child(stream, key: int) -> np.random.SeedSequence:
    """Returns child number ``key`` of ``stream`` (what the key-th call of ``spawn`` would give a fresh copy)."""
    ss = _sequence(stream)
    return np.random.SeedSequence(ss.entropy, spawn_key=tuple(ss.spawn_key) + (int(key),), pool_size=ss.pool_size)


def _copy(ss: np.random.SeedSequence) -> np.random.SeedSequence:
    return np.random.SeedSequence(ss.entropy, spawn_key=ss.spawn_key, pool_size=ss.pool_size)


def purpose(stream, name: str, purposes: tuple = PURPOSES) -> np.random.SeedSequence:
    """Returns the child of a replica's ``stream`` for one purpose: "init", "shuffle" or "data" (or one of an
    experiment's own ``purposes``, such as the remedies' ("init", "shuffle", "pretrain")).

    The children are ``stream.spawn(len(purposes))`` in the order of ``purposes`` (spawned from a copy: the same
    child every time). An int stream s stands for ``SeedSequence(s)``.
    """
    purposes = tuple(purposes)
    if name not in purposes:
        raise ValueError(f"purpose must be one of {purposes}, got {name!r}")
    return sequence(stream).spawn(len(purposes))[purposes.index(name)]


def generator(stream, name: str, purposes: tuple = PURPOSES) -> np.random.Generator:
    """Returns ``numpy.random.default_rng(purpose(stream, name, purposes))``."""
    return np.random.default_rng(purpose(stream, name, purposes))


def replica_generators(base_seed, count: int, purposes: tuple = PURPOSES) -> list[dict]:
    """Returns, per replica of ``replica_streams(base_seed, count)``, {purpose: Generator} for each of ``purposes``."""
    return [{name: generator(s, name, purposes) for name in purposes} for s in replica_streams(base_seed, count)]


def describe(base_seed: int, count: int, within: str | None = None, purposes: tuple = PURPOSES) -> str:
    """Returns one line saying how a run's streams were spawned (for captions and results.json); ``within`` says
    what a replica does with its stream (default: spawning one child per purpose of ``purposes``)."""
    within = within or f"each spawning {len(purposes)} ({', '.join(purposes)})"
    return f"numpy.random.SeedSequence({int(base_seed)}).spawn({int(count)}), one child per replica, {within}"
