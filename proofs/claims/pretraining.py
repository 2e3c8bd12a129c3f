"""Beyond the chapter: greedy layer-wise pre-training (Hinton et al. 2006; Bengio et al. 2007), its own claim.

``python -m proofs --only pretraining`` runs it alone: the remedies protocol's pre-trained configuration and
the chapter's network beside it (``numeric.experiments.remedies``, keys "pretrained" and "network2"), at every depth of
the protocol, every (eta, seed) replica, the rate chosen on validation and test accuracy read on the split that
chooses nothing. The two are the ``remedies`` claim's own parts, with the same keys: in a run with both claims
they are trained once (``proofs.run.plan``), and the remedies table shows the same rows. The criteria are the
protocol's (its thresholds ``vanishing`` and ``learns``), fixed before any pre-training ran
(``proofs.pretraining_facts``).
"""

from __future__ import annotations

import numpy as np

from numeric.experiments import remedies

from ..claim import Claim, Evidence, display
from ..pretraining_facts import KEY, chapter_network_facts, pretraining_facts
from ..remedies_parts import config_parts, protocol
from ..remedies_table import depth_table

BASE = "network2"  # the chapter's network, from the same seeds' initial draws


def pretraining_parts(ctx) -> list:
    return config_parts(ctx, (BASE, KEY))


def _row(r: dict, cell: dict) -> str:
    avg = float(np.median(cell["init"]["averaged"]))
    when = "after pre-training" if "pretraining" in cell else "at init"
    return (f"eta {r['eta']:g}; test {r['test']:.1%} [{r['test_min']:.1%}, {r['test_max']:.1%}]; diverged "
            f"{r['diverged']}/{r['seeds']}; averaged last/first {when} {avg:.3g}")


def check_pretraining(ctx) -> Evidence:
    p = protocol(ctx)
    cells = {k: ctx.compute(part) for k, part in zip((BASE, KEY), pretraining_parts(ctx))}
    rows = {k: {h: remedies.summary(cell) for h, cell in v.items()} for k, v in cells.items()}
    facts = pretraining_facts(cells, rows, p) + chapter_network_facts(cells, rows, p, BASE)
    deep = max(p.depths)
    book_rows = [{"quantity": f"{label}, [784, {p.width} x {h}, 10]: chosen eta; test accuracy median [min, max]; "
                              "diverged; averaged last/first at the start of fine-tuning",
                  "book": "" if k == KEY else "vanishes; stays at chance when deep",
                  "run": _row(rows[k][h], cells[k][h]),
                  "caveat": f"this suite's protocol ({p.name}); {p.seeds} seeds, eta from {list(p.etas)}"}
                 for h in p.depths for k, label in ((BASE, "sigmoid, network2's init"),
                                                    (KEY, "sigmoid, greedy layer-wise pre-trained"))]
    pre = {str(h): cells[KEY][h]["pretraining"] for h in p.depths if "pretraining" in cells[KEY][h]}
    latex = display(r"\text{greedy layer-wise pre-training, then backprop: } "
                    r"\frac{\|\partial C/\partial b^H\|}{\|\partial C/\partial b^1\|}\ \text{and test accuracy}",
                    rf"\text{{beside the chapter's network, same draws, }} H = {', '.join(map(str, p.depths))}")
    paper = depth_table(p.depths, [(BASE, "the chapter's network"), (KEY, "pre-trained")], rows,
                        {k: {h: float(np.median(cells[k][h]["init"]["averaged"])) for h in p.depths}
                         for k in (BASE, KEY)},
                        "Last/first",
                        rf"The chapter's network $[784, {p.width}^{{\times H}}, 10]$ without and with greedy "
                        f"layer-wise pre-training (same draws): median test accuracy over {p.seeds} seeds at the "
                        r"rate chosen on validation; averaged $\|\partial C/\partial b^H\|/\|\partial C/\partial "
                        r"b^1\|$")
    return Evidence("verified", facts, latex=latex,
                    headline=f"depth {deep}: pre-trained {rows[KEY][deep]['test']:.2f} test accuracy at eta "
                             f"{rows[KEY][deep]['eta']:g}, the chapter's network {rows[BASE][deep]['test']:.2f}",
                    numbers={"protocol": {**remedies.record(p), "splits": remedies.splits(ctx.data(), p)["description"],
                                          "seeds_used": [ctx.run.seed]},
                             "rows": {k: {str(h): r for h, r in v.items()} for k, v in rows.items()},
                             "pretraining": pre, "book_vs_run": book_rows, "paper_table": paper})


CLAIMS = [
    Claim("greedy-pretraining", "Hinton et al. 2006; Bengio et al. 2007",
          "Greedy layer-wise pre-training lets the chapter's deep sigmoid network learn: every layer's reconstruction "
          "falls, the gradient no longer vanishes at the start of fine-tuning, test accuracy far above chance",
          check_pretraining, group="pretraining", cost=1.0, parts=pretraining_parts,
          latex_title="Greedy layer-wise pre-training lets the chapter's deep sigmoid network learn",
          cites=("hinton2006", "bengio2007")),
]
