"""Beyond the chapter: the remedies for unstable gradients, compared fairly, with mean field beside.

``python -m proofs --only remedies`` runs these claims. The protocol is this suite's (BOOK.md gives none for the
remedies): ``numeric.experiments.remedies.PROTOCOL``, with its criteria, printed in every output and recorded in
results.json. ``remedies_facts`` turns the measured cells into the claim's facts; the tests feed it planted flaws.
"""

from __future__ import annotations

import re

import numpy as np

from numeric.experiments import remedies, width_sweep
from numeric.figures.experiments import remedies_figure
from numeric.stats import spread_toward

from ..claim import Claim, Evidence, Fact, Part, display, margin_fact
from ..figures import save
from ..pretraining_facts import KEY as PRETRAINED
from ..pretraining_facts import chapter_network_facts
from ..remedies_parts import config_parts, protocol, sweep_part
from ..remedies_table import depth_table
from ..voice import paper


def remedies_parts(ctx) -> list:
    p = protocol(ctx)
    return config_parts(ctx, p.remedies) + sweep_parts(ctx, p)


def sweep_parts(ctx, p) -> list:
    return [Part.of(ctx.run, sweep_part, k, p) for k in p.sweep_configs]


def _med(values) -> float:
    v = np.asarray(values, dtype=float)
    return float(np.median(v)) if v.size else float("nan")


def all_seed_median(accuracies) -> float:
    """The median over every seed, a diverged (NaN) seed counted as chance: the rule, written independently of
    ``numeric.experiments.remedies.summary`` so that a fact can check the table against it."""
    v = np.asarray(accuracies, dtype=float)
    return float(np.median(np.where(np.isnan(v), remedies.CHANCE, v)))


def remedies_facts(cells: dict, sweep: dict, p, rows: dict | None = None) -> list[Fact]:
    """The claim's facts on {key: {depth: cell}} (``run_config``) and {key: {width: ratios}} (``width_sweep``);
    ``rows`` ({key: {depth: summary}}, default: computed here) is what the tables show."""
    c, deep = p.thresholds(), max(p.depths)
    rows = rows or {k: {h: remedies.summary(cell) for h, cell in v.items()} for k, v in cells.items()}
    ms = next(iter(next(iter(cells.values())).values()))["mean_square_input"]
    facts = []
    honest = {f"{k} H={h}": (r["test"], all_seed_median(cells[k][h]["test"][r["eta_index"]]), r["seeds"])
              for k, v in rows.items() for h, r in v.items()}
    facts.append(Fact(f"every median runs over all {p.seeds} seeds, a diverged seed counted as chance "
                      f"({remedies.CHANCE})",
                      all(a == b and n == p.seeds for a, b, n in honest.values()), "the table against the rule",
                      {k: v[:2] for k, v in honest.items() if v[0] != v[1]} or "all equal"))
    facts += chapter_network_facts(cells, rows, p)
    best = sorted(((r[deep]["test"], k) for k, r in rows.items()), reverse=True)
    # each configuration's room above the bar beside how far its median's 95% interval reaches toward it; "at least
    # k configurations" is as firm as the k-th firmest of them (ranked by room less reach)
    firm = {}
    for k, r in rows.items():
        seeds = np.where(np.isnan(cells[k][deep]["test"][r[deep]["eta_index"]]), remedies.CHANCE,
                         cells[k][deep]["test"][r[deep]["eta_index"]])
        firm[k] = (r[deep]["test"] - c.learns, spread_toward(seeds, c.learns))
    ranked = sorted(firm, key=lambda k: firm[k][0] - firm[k][1], reverse=True)
    kth = ranked[min(int(c.learners), len(ranked)) - 1]
    facts.append(margin_fact(f"at depth {deep} at least {c.learners:g} configurations reach {c.learns:.0%} median test "
                             "accuracy at their chosen rates (networks that learned)", firm[kth][0] + c.learns,
                             c.learns, firm[kth][1], how=f"the configuration ranked {c.learners:g} by its room less "
                             f"its median's reach: {kth}", value=[f"{k} {a:.3f}" for a, k in best]))
    edges = {f"{k} H={h}": r["eta"] for k, v in rows.items() for h, r in v.items()
             if r["edge"] and r["validation"] > c.chance}
    facts.append(Fact(f"the grid {list(p.etas)} brackets every learning configuration's rate: none that learns "
                      f"(median validation > {c.chance:.0%}) picks an edge of the grid", not edges or not c.bracketed,
                      "chosen eta against the grid's ends", edges or "none at an edge"))
    facts += mean_field_facts(cells, p, ms) + sweep_facts(sweep, p)
    same = all(cells[k][h]["init"] == cells["network2"][h]["init"] for k in ("clipping", "momentum", "l2", "l1")
               if k in cells for h in p.depths)
    facts.append(Fact("training options (clipping, momentum, L1, L2) leave the network at initialisation as it was: "
                      "the same seeds give the same ratios as the chapter's network", same, "exact equality"))
    return facts


def mean_field_facts(cells: dict, p, ms: float) -> list[Fact]:
    """Mean field's finite-depth prediction against the per-example RMS ratio, and its regime per layer."""
    c, deep = p.thresholds(), max(p.depths)
    bands, got, ok = {}, {}, True
    lim = np.log10(c.mean_field_factor)
    for r in remedies.configurations(p):
        for h in p.depths:
            pred = remedies.prediction(r, h, ms, p.width)
            if pred is not None:
                per_seed = np.log10(np.asarray(cells[r.key][h]["init"]["per_example"], dtype=float) / pred)
                bands[(r.key, h)] = (_band(per_seed, -lim, lim), 10 ** float(np.median(per_seed)))
        reg = remedies.regime(r, deep, ms, p.width)
        if reg is not None:
            factor = _med(cells[r.key][deep]["init"]["per_example"]) ** (-1 / (deep - 1))
            lo, hi = c.stable_low, c.stable_high
            fits = {"vanishing": factor < 1, "exploding": factor > 1, "stable": lo <= factor <= hi}[reg["regime"]]
            ok &= bool(fits)
            got[r.key] = f"{reg['regime']}: predicted {reg['per_layer']:.3f}, measured {factor:.3f} per layer"
    worst = min(bands, key=lambda k: bands[k][0][0])
    (room, spread), _ = bands[worst]
    seeds = len(cells[worst[0]][worst[1]]["init"]["per_example"])
    return [margin_fact(f"every plain network at every depth: mean field's prediction of last/first is within a factor "
                        f"{c.mean_field_factor:g} of the per-example RMS ratio it predicts", room, 0.0, spread,
                        how=f"the median over {seeds} draws of log10(measured / predicted), margin in log10 (the "
                        f"median's 95% interval beside); binding: {worst[0]} H={worst[1]}",
                        value={f"{k} H={h}": round(ratio, 3) for (k, h), (_, ratio) in bands.items()},
                        role="reproduction"),
            Fact("mean field's regime (vanishing, stable, exploding) matches the measured per-example factor per "
                 f"layer at depth {deep} for every plain network (stable: within [{c.stable_low:g}, "
                 f"{c.stable_high:g}])", ok,
                 "(last/first)^(-1/(H-1)), medians over seeds", got, role="reproduction")]


def _band(values, lo: float | None = None, hi: float | None = None) -> tuple[float, float]:
    """Returns (room, spread) of "the seeds' median of ``values`` (log10, per seed) lies in [lo, hi]": the room
    left by the median to the nearer bound (negative: outside), and how far the median's 95% interval reaches
    toward that bound (the seed spread the room is compared with)."""
    v = np.asarray(values, dtype=float)
    med = float(np.median(v))
    sides = [(med - lo, lo)] if lo is not None else []
    sides += [(hi - med, hi)] if hi is not None else []
    room, bound = min(sides)
    return room, spread_toward(v, bound)


def _judged(bands: dict, how: str, text: str, value, role: str = "check") -> Fact:
    """The fact "at every width, every median lies in its band": ``bands`` {width: [(room, spread), ...]}; the
    margin is the smallest room over widths and conditions, the spread the one beside it."""
    w0, (room, spread) = min(((w, b) for w, bs in bands.items() for b in bs), key=lambda t: t[1][0])
    return margin_fact(text, room, 0.0, spread, how=f"{how}; binding width {w0}", value=value, role=role)


def sweep_facts(sweep: dict, p) -> list[Fact]:
    """The explanation of the ReLU and batch-norm rows, from the width sweep: facts that can fail, each on the
    seeds' medians (in log10), its margin beside how far the median's 95% interval reaches toward the bound."""
    c, out = p.thresholds(), []
    lim = np.log10(c.relu_factor)
    lg = lambda v, k: np.log10(np.asarray(v[k], dtype=float))  # noqa: E731
    how = (f"seeds per width {dict(zip(p.sweep_widths, width_sweep.sweep_seeds(p)))}, medians, margins in log10 "
           "(the median's 95% interval beside)")
    rounded = lambda rows: {w: {"per_example": round(_med(v["per_example"]), 3),  # noqa: E731
                                "averaged": round(_med(v["averaged"]), 3)} for w, v in rows.items()}
    for key, gap in (("relu-he", c.averaging_gap), ("batch-norm", c.bn_gap)):
        if key not in sweep:
            continue
        rows = sweep[key]
        bands = {w: [_band(lg(v, "per_example"), -lim, lim),
                     _band(lg(v, "averaged") - lg(v, "per_example"), np.log10(gap))] for w, v in rows.items()}
        why = ("mean field's 1: the book's averaged measure, not finite width, separates the table from the "
               "per-example prediction" if key == "relu-he" else "1 (the gradient keeps its size)")
        out.append(_judged(bands, how, f"{key}, {p.sweep_depth} hidden layers, widths {list(p.sweep_widths)}: the "
                           f"per-example ratio stays within a factor {c.relu_factor:g} of 1 at every width, while the "
                           f"averaged ratio exceeds it by at least {gap:g}x; the per-example one is {why}",
                           rounded(rows)))
    relu = {w: v for w, v in sweep.get("relu-he", {}).items() if w >= c.pair_min_width}
    if relu:
        if not all("pair_prediction" in v for v in relu.values()):
            raise ValueError("the width sweep lacks the pair prediction at a width the relu-pairs criterion judges")
        bands = {w: [_band(lg(v, "pair_prediction") - lg(v, "averaged"), -np.log10(c.pair_factor),
                           np.log10(c.pair_factor))] for w, v in relu.items()}
        out.append(_judged(bands, how, "mean field for pairs predicts relu-he's averaged ratio: chi_c(c) = "
                           "sigma_w^2 (pi - arccos c)/(2 pi) per layer, from each layer's measured pair correlations "
                           f"and the top layer's pair terms, within a factor {c.pair_factor:g} of the measured "
                           f"averaged ratio at every width >= {c.pair_min_width:g} (the paired ratio's median)",
                           {w: {"predicted": round(_med(v["pair_prediction"]), 3),
                                "measured": round(_med(v["averaged"]), 3)} for w, v in relu.items()},
                           role="reproduction"))
    if "batch-norm" in sweep:
        layers = {w: np.log10(np.asarray(v["averaged_layers"], dtype=float)) for w, v in sweep["batch-norm"].items()}
        bands = {w: [_band(a[:, -1] - a[:, -2], np.log10(c.bn_gap)), _band(a[:, -2] - a[:, 0], -lim, lim)]
                 for w, a in layers.items()}
        out.append(_judged(bands, how, "batch-norm's averaged gap is a one-layer effect: the top hidden layer's "
                           f"averaged norm over the next one's exceeds {c.bn_gap:g}x, while layer H-1's over layer "
                           f"1's stays within a factor {c.relu_factor:g} of 1 (the backward pass removes the batch "
                           "mean in each layer; the top layer's gradient is the one left undiluted)",
                           {w: {"top_over_next": round(float(10 ** np.median(a[:, -1] - a[:, -2])), 2),
                                "next_over_first": round(float(10 ** np.median(a[:, -2] - a[:, 0])), 3)}
                            for w, a in layers.items()}))
    return out


def _row_text(r: dict, cell: dict, pred) -> str:
    pe, av = _med(cell["init"]["per_example"]), _med(cell["init"]["averaged"])
    div = f"DIVERGED {r['diverged']}/{r['seeds']}" if r["diverged"] else f"diverged 0/{r['seeds']}"
    mf = "-" if pred is None else f"{pred:.3g}"
    when = "after pre-training" if "pretraining" in cell else "at init"
    after = cell.get("trained") or {}
    trained = (f"; after training per example {_med(after['per_example']):.3g}, averaged {_med(after['averaged']):.3g}"
               if after.get("per_example") else "")
    return (f"eta {r['eta']:g}{' (grid edge)' if r['edge'] else ''}; test {r['test']:.1%} [{r['test_min']:.1%}, "
            f"{r['test_max']:.1%}]; {div}; last/first {when} per example {pe:.3g} (mean field {mf}), "
            f"averaged {av:.3g}{trained}")


def check_remedies(ctx) -> Evidence:
    p = protocol(ctx)
    data = ctx.data()
    cells = {k: ctx.compute(part) for k, part in zip(p.remedies, config_parts(ctx, p.remedies))}
    sweep = {k: ctx.compute(part) for k, part in zip(p.sweep_configs, sweep_parts(ctx, p))}
    rows = {k: {h: remedies.summary(cell) for h, cell in v.items()} for k, v in cells.items()}
    facts = remedies_facts(cells, sweep, p, rows)
    ms = cells["network2"][p.depths[0]]["mean_square_input"]
    confs = remedies.configurations(p)
    table, book_rows = {}, []
    for r in confs:
        table[r.key] = {**r.as_dict(), "depths": {}}
        for h in p.depths:
            pred = remedies.prediction(r, h, ms, p.width)
            cell = cells[r.key][h]
            table[r.key]["depths"][str(h)] = {**rows[r.key][h], "prediction": pred, "init": cell["init"],
                                              "trained": cell["trained"], "validation_grid": cell["validation"],
                                              "test_grid": cell["test"], "diverged_grid": cell["diverged"],
                                              **({"pretraining": cell["pretraining"]} if "pretraining" in cell else {})}
            book_rows.append({"quantity": f"{r.label}, [784, {p.width} x {h}, 10]: chosen eta; test accuracy median "
                                          "[min, max]; diverged; last/first at initialisation"
                                          + (" (after pre-training)" if r.pretrain else "") + " and after training",
                              "book": "vanishes; stays at chance when deep" if r.key == "network2" else "",
                              "run": _row_text(rows[r.key][h], cell, pred),
                              "caveat": f"this suite's protocol ({p.name}); {p.seeds} seeds, eta from {list(p.etas)}"})
    labels = {r.key: paper(r.label).replace("lmbda", r"$\lambda$") for r in confs}  # a figure's words: a paper's
    figures = save(ctx, remedies_figure(
        p.depths, {labels[k]: [rows[k][h]["test"] for h in p.depths] for k in p.remedies}, None,
        "median test accuracy", log=False,
        spread={labels[k]: [(rows[k][h]["test_min"], rows[k][h]["test_max"]) for h in p.depths] for k in p.remedies},
        diverged={labels[k]: [rows[k][h]["diverged"] for h in p.depths] for k in p.remedies}), "remedies-accuracy")
    plain = [r for r in confs if not r.train]
    figures += save(ctx, remedies_figure(
        p.depths, {labels[r.key]: [_med(cells[r.key][h]["init"]["per_example"]) for h in p.depths] for r in plain},
        {labels[r.key]: [remedies.prediction(r, h, ms, p.width) for h in p.depths] for r in plain},
        "last/first at init, per-example RMS", log=True), "remedies-ratio-at-init")
    figures += save(ctx, remedies_figure(
        p.sweep_widths, {paper(f"{k}, {q.replace('_', ' ')}"): [_med(sweep[k][w][q]) for w in p.sweep_widths]
                         for k in p.sweep_configs for q in ("per_example", "averaged")},
        {paper("relu-he, per example"): [1.0] * len(p.sweep_widths)} if "relu-he" in sweep else None,
        f"last/first at init, {p.sweep_depth} hidden layers", log=True, xlabel="width of the hidden layers"),
        "remedies-width-sweep")
    latex = display(r"\frac{\|\partial C/\partial b^H\|}{\|\partial C/\partial b^1\|}\ \text{at initialisation "
                    r"(per example and averaged), and test accuracy}",
                    rf"\text{{at each configuration's chosen }}\eta,\ \text{{{len(confs)} configurations, }} "
                    rf"H = {', '.join(map(str, p.depths))}")
    deep = max(p.depths)
    short = {r.key: re.sub(r"^sigmoid(?:, | (?=\+ ))", "", r.label) for r in confs}  # the table says "sigmoid" once
    shown = [r for r in confs if r.key != PRETRAINED]  # pre-training has its own table (greedy-pretraining)
    table_tex = depth_table(p.depths, [(r.key, short[r.key]) for r in shown], rows,
                        {r.key: {h: _med(cells[r.key][h]["init"]["per_example"]) for h in p.depths} for r in shown},
                        "Last/first",
                        rf"Configurations of $[784, {p.width}^{{\times H}}, 10]$ (sigmoid unless named; + adds to the "
                        f"book's network): median test accuracy over {p.seeds} "
                        "seeds at the rate chosen on validation; per-example "
                        r"$\|\partial C/\partial b^H\|/\|\partial C/\partial b^1\|$ at initialisation")
    return Evidence("verified", facts, latex=latex, figures=figures,
                    headline=f"depth {deep}, test accuracy at the chosen eta: " + ", ".join(
                        f"{k} {rows[k][deep]['test']:.2f}" + (f" (diverged {rows[k][deep]['diverged']})"
                                                             if rows[k][deep]["diverged"] else "") for k in p.remedies),
                    numbers={"protocol": {**remedies.record(p), "splits": remedies.splits(data, p)["description"],
                                          "seeds_used": [ctx.run.seed]},
                             "mean_square_input": ms, "table": table, "width_sweep": sweep, "book_vs_run": book_rows,
                             "paper_table": table_tex})


CLAIMS = [
    Claim("remedies", "the write-ups' remedies; Glorot and Bengio 2010; He et al. 2015; Sutskever et al. 2013; "
          "Hinton et al. 2006; Bengio et al. 2007",
          "The remedies compared fairly (greedy layer-wise pre-training among them): eta chosen on validation, test "
          "accuracy, divergence counted; per-example and averaged ratio at init, mean field beside",
          check_remedies, group="remedies",
          figures=("remedies-accuracy", "remedies-ratio-at-init", "remedies-width-sweep"), cost=30.0,
          parts=remedies_parts,
          latex_title="The remedies side by side: the ratio at initialisation and after training, accuracy, mean "
                      "field",
          cites=("glorot2010", "he2015", "sutskever2013", "pascanu2013", "ioffe2015", "he2016", "hanin2018",
                 "hinton2006", "bengio2007")),
]
