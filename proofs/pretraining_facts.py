"""Greedy layer-wise pre-training, a row of the remedies protocol: the facts of the ``greedy-pretraining`` claim.

The pre-trained configuration (``experiments.remedies.REMEDIES``, key "pretrained": the chapter's sigmoid network,
each hidden layer first trained as an autoencoder, ``numeric.networks.pretrain``) is fine-tuned like every other row:
the same learning-rate grid, the same rule on the validation split, test accuracy on the split that chooses
nothing. Its facts reuse the protocol's thresholds (thresholds ``vanishing`` and ``learns``), fixed
before any pre-training was run. They read two of the remedies' cells (the chapter's network beside the
pre-trained one, from the same initial draws); ``proofs.claims.pretraining`` asks for them with the remedies'
own part keys, so a run of both claims trains them once (``proofs.run.plan``).

* check: the pre-training ran, lowering every layer's reconstruction cost on every seed at every depth (a
  skipped pre-training leaves no record and fails);
* reproduction (Hinton et al. 2006, Bengio et al. 2007): at the deepest depth the averaged last/first after
  pre-training is below ``vanishing`` (the chapter's initialisation is above it), and the pre-trained network
  learns: median test accuracy at its chosen rate >= ``learns``, where the chapter's network stays at chance.
"""

from __future__ import annotations

import numpy as np

from .claim import Fact, margin_fact

KEY = "pretrained"


def log_spread(values) -> float:
    """Returns log10(max / min) of the finite, non-zero |values| (the seeds' spread in decades), NaN if none."""
    v = np.abs(np.asarray(values, dtype=float))
    v = v[np.isfinite(v) & (v > 0)]
    return float(np.log10(v.max() / v.min())) if v.size else float("nan")


def chapter_network_facts(cells: dict, rows: dict, p, key: str = "network2") -> list[Fact]:
    """The chapter's network at the deepest depth, the contrast both the remedies and pre-training are judged
    against: its averaged last/first at initialisation >= ``vanishing``, and it stays at chance at its best rate
    (median test accuracy <= ``chance``)."""
    c, deep = p.thresholds(), max(p.depths)
    base, brow = cells[key][deep], rows[key][deep]
    avg = np.asarray(base["init"]["averaged"], float)
    return [margin_fact(f"the chapter's network at depth {deep}: the book's averaged last/first at initialisation "
                        f">= {c.vanishing:g} (the vanishing gradient)", np.log10(float(np.median(avg))),
                        np.log10(c.vanishing), log_spread(avg), how="log10, median over seeds", role="reproduction"),
            margin_fact(f"the chapter's network at depth {deep} stays at chance at its best rate: median test "
                        f"accuracy <= {c.chance:.0%}", brow["test"], c.chance, brow["test_max"] - brow["test_min"],
                        above=False, how=f"eta {brow['eta']:g} chosen on validation", role="reproduction")]


def pretraining_facts(cells: dict, rows: dict, p) -> list[Fact]:
    """The pre-training facts on the remedies' cells {key: {depth: cell}} and table rows {key: {depth: summary}}
    (``experiments.remedies``), under protocol ``p``; [] when the protocol has no pre-trained configuration."""
    if KEY not in cells:
        return []
    c, deep = p.thresholds(), max(p.depths)
    drops, ran = {}, True
    for h in p.depths:
        rec = cells[KEY][h].get("pretraining")
        if not rec or not rec.get("cost_before"):
            ran, drops[f"H={h}"] = False, "no pre-training record"
            continue
        before, after = np.asarray(rec["cost_before"], float), np.asarray(rec["cost_after"], float)
        ran &= bool(before.shape == after.shape and len(before) == h and np.all(after < before))
        drops[f"H={h}"] = [round(float(np.median(1 - a / b)), 3) for b, a in zip(before, after)]
    facts = [Fact("greedy pre-training ran: every hidden layer's reconstruction cost fell during its own training, "
                  f"on every seed, at every depth {list(p.depths)}", ran, "cost after < cost before, per layer and "
                  "seed (value: median relative drop per layer)", drops)]
    cell, base = cells[KEY][deep], cells.get("network2", {}).get(deep)
    avg = np.asarray(cell["init"]["averaged"], float)
    med = float(np.median(avg)) if avg.size else float("nan")
    value = {"pre-trained, averaged": med, "pre-trained, per example": float(np.median(cell["init"]["per_example"]))}
    if base is not None:
        value["network2 at init, averaged"] = float(np.median(base["init"]["averaged"]))
    facts.append(margin_fact(f"after pre-training the chapter's network at depth {deep} no longer vanishes at the "
                             f"start of training: averaged last/first < {c.vanishing:g}, the threshold the chapter's "
                             "initialisation exceeds", np.log10(med) if med > 0 else float("nan"),
                             np.log10(c.vanishing), log_spread(avg), above=False,
                             how="log10, median over seeds, the same seeds' initial draws as network2's",
                             value=value, role="reproduction"))
    r = rows[KEY][deep]
    facts.append(margin_fact(f"the pre-trained network learns at depth {deep}: median test accuracy at its chosen "
                             f"rate >= {c.learns:.0%} (the chapter's network, from the same draws, stays at chance)",
                             r["test"], c.learns, r["test_max"] - r["test_min"],
                             how=f"eta {r['eta']:g} chosen on validation; diverged {r['diverged']}/{r['seeds']}",
                             value={"pre-trained": r["test"], "network2": rows.get("network2", {}).get(deep, {})
                                    .get("test")}, role="reproduction"))
    return facts
