"""Returns the parts a run computes: one per distinct key, however many claims ask for it.

Two claims may need the same piece of work: the ``pretraining`` claim reads the remedies' pre-trained and
chapter networks, which the ``remedies`` claim trains too. A part is named by its key (``Claim.parts``);
equal keys are the same work with the same arguments, so the run computes each key once, as a task of the
claim that comes first in registry order among those that ask for it (its *owner*), and hands the value to
every claim that asked. Each record lists the part; only the owner's carries its seconds, the others name
the owner in ``computed_by`` (``proofs.context.Context.compute``). The same plan serves ``--jobs 1``, a
process pool and a Dask cluster, so the records are the same for any ``--jobs``.
"""

from __future__ import annotations

__all__ = ["Plan"]


class Plan:
    """The parts of ``claims`` (in registry order) for the run's context ``parent``.

    ``parts[cid]``: the claim's parts [``Part``]; ``owner[key]``: the claim that computes the key;
    ``users[key]``: every claim that asks for it, in order.
    """

    def __init__(self, claims, parent):
        self.parts = {c.id: list(c.parts(parent)) if c.parts else [] for c in claims}
        self.owner, self.users, first = {}, {}, {}
        for c in claims:
            for part in self.parts[c.id]:
                seen = first.setdefault(part.key, part)
                if (seen.fn, seen.args) != (part.fn, part.args):  # one key, two pieces of work: refuse, never guess
                    raise ValueError(f"claims {self.owner[part.key]} and {c.id} name different work by one part key "
                                     f"{part.key!r}")
                self.owner.setdefault(part.key, c.id)
                if c.id not in self.users.setdefault(part.key, []):
                    self.users[part.key].append(c.id)

    def tasks(self, cid: str) -> list:
        """Returns the parts claim ``cid`` computes itself: those it owns."""
        return [p for p in self.parts[cid] if self.owner[p.key] == cid]

    def borrowed(self, cid: str, keys) -> dict:
        """Returns {key: owner} for those of ``keys`` that claim ``cid`` receives from another claim."""
        return {k: self.owner[k] for k in keys if self.owner.get(k, cid) != cid}

    def shared(self) -> set:
        """Returns the keys more than one claim asks for (the values a ``--jobs 1`` run keeps)."""
        return {k for k, users in self.users.items() if len(users) > 1}
