"""Beyond the chapter: the remedies for unstable gradients, measured side by side with mean field beside.

``python -m proofs --only remedies`` runs both claims. The protocol is this suite's (labelled in every
output; see numeric.remedies.PROTOCOL): the chapter gives the remedies in prose only.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from numeric import remedies as R
from numeric.figures import remedies_figure, saturation_figure
from theory import to_latex

from .claim import Claim, Evidence, Fact, display
from .data import load_data
from .figures import save

SEEDS = 3
EDGE_OF_CHAOS = ("tanh-xavier", "tanh-orthogonal", "relu-he", "leaky-relu-he")
SMOOTH = ("network2", "sigmoid-xavier", "tanh-xavier", "tanh-orthogonal", "elu-he")
KINKED = ("relu-he", "leaky-relu-he")
MEAN_FIELD_FACTOR = 3.0  # predicted and measured ratio at initialisation agree within this factor
LEARNS, CHANCE_MAX = 0.70, 0.20


def _seeds(ctx) -> int:
    return ctx.seeds or (1 if ctx.quick else SEEDS)


def _remedy_part(key: str, mnist, seed: int, seeds: int):
    d = load_data(mnist)
    remedy = next(r for r in R.REMEDIES if r.key == key)
    return R.run_remedy(remedy, d.training, d.validation, seed, seeds)


def remedies_parts(ctx) -> list:
    return [(("remedy", r.key, _seeds(ctx), ctx.seed), _remedy_part, (r.key, ctx.mnist, ctx.seed, _seeds(ctx)))
            for r in R.REMEDIES]


def _median(values) -> float:
    v = np.asarray(values, dtype=float)
    return float(np.median(v[np.isfinite(v)])) if np.isfinite(v).any() else float("nan")


def regime_fact(cells: dict, regimes: dict) -> Fact:
    """Mean field's regime at the deepest depth against the measured per-layer factor (last/first)^(-1/(H-1)):
    vanishing -> below 1, exploding -> above 1, stable -> within [0.8, 1.25]."""
    deep = max(R.DEPTHS)
    got, ok = {}, True
    for key, reg in regimes.items():
        if reg is None:
            continue
        measured = _median(cells[key][deep]["init"]) ** (-1 / (deep - 1))
        fits = {"vanishing": measured < 1, "exploding": measured > 1, "stable": 0.8 <= measured <= 1.25}[reg["regime"]]
        ok &= bool(fits)
        got[key] = f"{reg['regime']}: predicted {reg['per_layer']:.3f}, measured {measured:.3f} per layer"
    return Fact(f"mean field's regime (vanishing, stable, exploding) matches the measured per-layer factor at depth "
                f"{deep} for every plain network", ok, "(last/first)^(-1/(H-1)), medians over seeds", got)


def remedies_facts(cells: dict, predictions: dict) -> list[Fact]:
    """The criteria, on {remedy key: {depth: cell}} and {(key, depth): predicted ratio or None}."""
    base = cells["network2"][max(R.DEPTHS)]
    deep = max(R.DEPTHS)
    facts = [Fact(f"the chapter's network at depth {deep}: last/first at initialisation >= 1e3 and validation "
                  f"accuracy <= {CHANCE_MAX:.0%} (the vanishing gradient problem)",
                  _median(base["init"]) >= 1e3 and _median(base["accuracy"]) <= CHANCE_MAX, "medians over seeds",
                  {"init": _median(base["init"]), "accuracy": _median(base["accuracy"])})]
    edge = {k: [_median(cells[k][h]["init"]) for h in R.DEPTHS] for k in EDGE_OF_CHAOS}
    facts.append(Fact("the initialisations mean field puts at the edge of chaos (tanh with Xavier or orthogonal, ReLU "
                      "and leaky ReLU with He) keep last/first within [0.1, 10] at every depth",
                      all(0.1 <= v <= 10 for vals in edge.values() for v in vals), "medians over seeds",
                      {k: [round(v, 3) for v in vals] for k, vals in edge.items()}))
    gaps = {}
    for key in SMOOTH:
        for h in R.DEPTHS:
            gaps[f"{key} H={h}"] = abs(np.log10(_median(cells[key][h]["init"]) / predictions[(key, h)]))
    facts.append(Fact(f"smooth activations (sigmoid with network2's or Xavier's init, tanh with Xavier or orthogonal, "
                      f"ELU with He): mean field's finite-depth prediction of last/first at initialisation is within a "
                      f"factor {MEAN_FIELD_FACTOR:g} of the median measurement at every depth",
                      max(gaps.values()) <= np.log10(MEAN_FIELD_FACTOR), "|log10(measured / predicted)|",
                      {"worst": max(gaps, key=gaps.get), "worst_factor": round(10 ** max(gaps.values()), 3)}))
    relu = {k: [_median(cells[k][h]["init"]) / predictions[(k, h)] for h in R.DEPTHS] for k in KINKED}
    facts.append(Fact("ReLU and leaky ReLU with He: mean field predicts last/first = 1 (chi_1 = 1 exactly at every "
                      "layer); the measured ratio lies above it at every depth and further above at the deepest than "
                      "at the shallowest (finite-width fluctuations that grow with depth/width, which mean field "
                      "omits; Hanin 2018)", all(min(v) >= 1 and v[-1] > v[0] for v in relu.values()),
                      "measured / predicted, medians over seeds", {k: [round(x, 3) for x in v] for k, v in relu.items()}))
    learned = {k: _median(cells[k][deep]["accuracy"]) for k in cells}
    winners = sorted(k for k, v in learned.items() if v >= LEARNS)
    facts.append(Fact(f"at depth {deep}, where the chapter's network stays at chance, at least two remedies reach "
                      f"{LEARNS:.0%} validation accuracy", len(winners) >= 2 and learned["network2"] <= CHANCE_MAX,
                      "medians over seeds", winners))
    same = all(cells[k][h]["init"] == cells["network2"][h]["init"] for k in ("clipping", "momentum", "l2", "l1")
               for h in R.DEPTHS)
    facts.append(Fact("training options (clipping, momentum, L1, L2) leave the network at initialisation as it was: "
                      "the same seeds give the same ratios as the chapter's network", same, "exact equality"))
    return facts


def check_remedies(ctx) -> Evidence:
    data = ctx.data()
    seeds = _seeds(ctx)
    cells = {r.key: ctx.compute(("remedy", r.key, seeds, ctx.seed), R.run_remedy, r, data.training, data.validation,
                                ctx.seed, seeds) for r in R.REMEDIES}
    x = data.training.x[:R.PROTOCOL["images"]]
    mean_square = float(np.mean(np.sum(x.astype(np.float64) ** 2, axis=1)))
    predictions = {(r.key, h): R.prediction(r, h, mean_square) for r in R.REMEDIES for h in R.DEPTHS}
    regimes = {r.key: R.regime(r, max(R.DEPTHS), mean_square) for r in R.REMEDIES}
    facts = remedies_facts(cells, predictions) + [regime_fact(cells, regimes)]
    table, rows = {}, []
    for r in R.REMEDIES:
        table[r.key] = {"label": r.label, "network": r.net, "training": r.train, "depths": {}}
        for h in R.DEPTHS:
            c = cells[r.key][h]
            entry = {"ratio_init": _median(c["init"]), "ratio_trained": _median(c["trained"]),
                     "accuracy": _median(c["accuracy"]), "prediction": predictions[(r.key, h)],
                     "regime": (regimes[r.key] or {}).get("regime"),
                     "diverged": c["diverged"], "seeds": seeds}
            table[r.key]["depths"][str(h)] = entry
        e = table[r.key]["depths"]["4"]
        pred = "-" if e["prediction"] is None else f"{e['prediction']:.3g}"
        rows.append({"quantity": f"{r.label}, [784, 30 x 4, 10]: last/first at init; after training; accuracy",
                     "book": "about 100 after training (sigmoid)" if r.key == "network2" else "",
                     "run": f"{e['ratio_init']:.3g}; {e['ratio_trained']:.3g}; {e['accuracy']:.1%} (mean field: {pred})"
                            + (f"; {e['diverged']} of {seeds} diverged" if e["diverged"] else ""),
                     "caveat": f"this suite's protocol: {R.PROTOCOL['images']:,} digits, {R.PROTOCOL['epochs']} "
                               f"epochs, mini-batches of 10, eta 0.1, {seeds} seeds"})
    keys = [r.key for r in R.REMEDIES]
    labels = {r.key: r.label for r in R.REMEDIES}
    at_init = [r.key for r in R.REMEDIES if not r.train]  # training options leave the initial network as it is
    figures = save(ctx, remedies_figure(R.DEPTHS, {labels[k]: [table[k]["depths"][str(h)]["ratio_init"] for h in R.DEPTHS]
                                                   for k in at_init},
                                        {labels[k]: [predictions[(k, h)] for h in R.DEPTHS] for k in at_init},
                                        "last/first hidden layer at initialisation", log=True), "remedies-ratio-at-init")
    figures += save(ctx, remedies_figure(R.DEPTHS, {labels[k]: [table[k]["depths"][str(h)]["accuracy"] for h in R.DEPTHS]
                                                    for k in keys}, None, "validation accuracy after training",
                                         log=False), "remedies-accuracy")
    latex = display(r"\frac{\|\partial C/\partial b^H\|}{\|\partial C/\partial b^1\|}"
                    r"\ \text{at initialisation, after training,}",
                    rf"\text{{and accuracy, for {len(keys)} remedies and }} H = {', '.join(map(str, R.DEPTHS))}")
    deep = str(max(R.DEPTHS))
    return Evidence("verified", facts, latex=latex, figures=figures,
                    headline=f"depth {deep} accuracy: " + ", ".join(
                        f"{k} {table[k]['depths'][deep]['accuracy']:.2f}" for k in keys),
                    numbers={"protocol": {"name": "remedies", "caption": _caption(seeds), "seeds_used":
                                          list(range(ctx.seed, ctx.seed + seeds)), **R.PROTOCOL},
                             "mean_square_input": mean_square, "table": table, "book_vs_run": rows})


def _caption(seeds: int) -> str:
    p = R.PROTOCOL
    return (f"this suite's remedies protocol: [784, 30 x H, 10], H in {p['depths']}, the first {p['images']:,} "
            f"training digits, {p['epochs']} epochs of mini-batches of {p['mini_batch_size']}, eta {p['eta']}, "
            f"cross-entropy, accuracy on {p['validation_images']:,} validation digits, {seeds} seeds")


def saturation_facts(sig: np.ndarray, tanh: np.ndarray) -> list[Fact]:
    """Criteria on median curves (chunks + 1, 4): sigmoid's top layer heads to 0; tanh's units move away from 0."""
    change = sig[-1] - sig[0]
    return [
        Fact("sigmoid: the last hidden layer's mean activation falls by at least 0.1 during training (towards 0, "
             "Glorot and Bengio's saturation)", change[-1] <= -0.1, "median over seeds, first against last",
             [round(float(v), 3) for v in (sig[0, -1], sig[-1, -1])]),
        Fact("sigmoid: the last hidden layer moves more than any lower one (the lower layers stay near 0.5)",
             abs(change[-1]) > np.max(np.abs(change[:-1])), "absolute change", [round(float(v), 3) for v in change]),
        Fact("tanh beside it: the mean |activation| of every hidden layer grows by at least 0.2 (units move away from "
             "0 rather than dying at 0)", bool(np.all(tanh[-1] - tanh[0] >= 0.2)), "median over seeds",
             [round(float(v), 3) for v in tanh[-1] - tanh[0]]),
    ]


def check_saturation(ctx) -> Evidence:
    data = ctx.data().training
    seeds = 1 if ctx.quick else 2
    runs = {act: np.median([R.saturation(act, "glorot-2010", data, s) for s in range(ctx.seed, ctx.seed + seeds)],
                           axis=0) for act in ("sigmoid", "tanh")}
    facts = saturation_facts(runs["sigmoid"], runs["tanh"])
    figures = save(ctx, saturation_figure(runs["sigmoid"], runs["tanh"], 500), "saturation")
    sig = runs["sigmoid"]
    rows = [{"quantity": "mean activation of the last hidden layer, sigmoid, [784, 30 x 4, 10], Glorot and Bengio's "
                         "U(+-1/sqrt(n)) init", "book": "saturates near 0 early in training (Glorot and Bengio 2010)",
             "run": f"{sig[0, -1]:.2f} before, {sig[-1, -1]:.2f} after {len(sig) - 1} x 500 digits (lower layers "
                    f"{', '.join(f'{v:.2f}' for v in sig[-1, :-1])})",
             "caveat": "sigmoid outputs with cross-entropy (Glorot and Bengio: softmax); 5,000 updates; "
                       f"{seeds} seeds; this suite's protocol"}]
    return Evidence("verified", facts, figures=figures,
                    latex=display(r"\bar a^{4} \searrow 0 \text{ for sigmoid units (top hidden layer),}",
                                  r"\overline{|a^{l}|} \nearrow \text{ for tanh units}"),
                    headline="sigmoid mean activations, last chunk: " + ", ".join(f"{v:.3f}" for v in sig[-1]),
                    numbers={"sigmoid": sig.tolist(), "tanh": runs["tanh"].tolist(), "seeds": seeds,
                             "protocol": {"name": "glorot-saturation", "caption": "this suite's protocol: [784, 30, "
                                          "30, 30, 30, 10], U(+-1/sqrt(n_in)) weights, zero biases, 100 chunks of 500 "
                                          "random training digits, mini-batches of 10, eta 0.1, a probe of 300 digits",
                                          "seeds_used": list(range(ctx.seed, ctx.seed + seeds))},
                             "book_vs_run": rows})


def check_theory(ctx) -> Evidence:
    from theory.initialisation import glorot, he, n_in, n_out, v

    g, h = glorot(), he()
    from numeric.deep import DeepNetwork

    q = DeepNetwork([30, 30, 2], init="orthogonal", rng=ctx.seed).weights[0]  # the network's own draw
    a = np.random.default_rng(ctx.seed).standard_normal((100, 30))
    x = ctx.data().training.x[:R.PROTOCOL["images"]]
    mean_square = float(np.mean(np.sum(x.astype(np.float64) ** 2, axis=1)))
    regimes = {r.key: R.regime(r, max(R.DEPTHS), mean_square) for r in R.REMEDIES if not r.train}
    facts = [
        Fact("forward: Var(z) = n_in v Var(a) keeps its size when v = 1/n_in; backward: Var(delta) = n_out v "
             "Var(delta') when v = 1/n_out", g["forward"] == 1 / n_in and g["backward"] == 1 / n_out, "sympy.solve"),
        Fact("Glorot and Bengio's v = 2/(n_in + n_out) is the harmonic mean of the two, and its factors n_in v, n_out v "
             "multiply to 1 - (n_in - n_out)^2/(n_in + n_out)^2 <= 1, equal to 1 exactly when n_in = n_out",
             sp.simplify(g["harmonic"] - g["compromise"]) == 0
             and sp.simplify(g["gap"] - (n_in - n_out) ** 2 / (n_in + n_out) ** 2) == 0, "sympy.simplify, factor",
             g["gap"]),
        Fact("He et al.: E[relu(sqrt(q) z)^2] = q/2, so n_in v q/2 = q gives v = 2/n_in", h["v"] == [2 / n_in],
             "sympy.integrate, solve", h["v"]),
        Fact("an orthogonal weight matrix keeps every vector's norm (||W a|| = ||a||), forward and backward",
             bool(np.allclose(np.linalg.norm(a @ q.T, axis=1), np.linalg.norm(a, axis=1), rtol=1e-12)),
             "DeepNetwork's orthogonal init, 100 random vectors"),
        Fact("mean field classifies each plain initialisation at 10 hidden layers of 30: sigmoid (network2, N(0, 1), "
             "Xavier) vanishing; tanh (Xavier, orthogonal), ReLU and leaky ReLU (He) stable; ELU (He) exploding",
             {k: r["regime"] for k, r in regimes.items() if r} == {
                 "network2": "vanishing", "large-init": "vanishing", "sigmoid-xavier": "vanishing",
                 "tanh-xavier": "stable", "tanh-orthogonal": "stable", "relu-he": "stable", "leaky-relu-he": "stable",
                 "elu-he": "exploding"}, "finite-depth chi^l from the digits' mean squared norm",
             {k: f"{r['regime']} ({r['per_layer']:.3f} per layer)" for k, r in regimes.items() if r}),
    ]
    statement = sp.Tuple(sp.Eq(sp.Symbol("v_{Glorot}"), g["compromise"], evaluate=False),
                         sp.Eq(sp.Symbol("v_{He}"), h["v"][0], evaluate=False))
    latex = display(rf"v_{{\text{{Glorot}}}} = {to_latex(g['compromise'])},",
                    rf"n_{{in}} v \cdot n_{{out}} v = 1 - {to_latex(g['gap'])} \le 1,",
                    rf"v_{{\text{{He}}}} = {to_latex(h['v'][0])} \quad \bigl(\mathbb{{E}}[\mathrm{{relu}}(x)^2] = "
                    rf"{to_latex(h['second_moment'])}\bigr)")
    # SymPy proves the conditions; the orthogonal check and the regimes are float computations: verified
    return Evidence("verified", facts, statement=statement, latex=latex,
                    numbers={"regimes": regimes, "mean_square_input": mean_square, "variance": str(v)})


CLAIMS = [
    Claim("remedies-theory", "Glorot and Bengio 2010; He et al. 2015",
          "Glorot's and He's variance conditions, and mean field's regime for each initialisation", check_theory,
          group="remedies", cost=1.0),
    Claim("remedies", "the write-ups' remedies; Glorot and Bengio 2010; He et al. 2015; Sutskever et al. 2013",
          "The remedies side by side: ratio at init and after training, accuracy, mean field beside",
          check_remedies, group="remedies", figures=("remedies-ratio-at-init", "remedies-accuracy"), cost=30.0,
          parts=remedies_parts),
    Claim("glorot-saturation", "Glorot and Bengio 2010", "The sigmoid's top hidden layer heads to 0; tanh beside",
          check_saturation, group="remedies", figures=("saturation",), cost=6.0),
]
