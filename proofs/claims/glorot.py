"""Glorot and Bengio (2010) and He et al. (2015): the variance conditions (SymPy) with mean field's regime per
initialisation, and Glorot and Bengio's saturation experiment as they ran it (softmax output, log-likelihood
cost, U(+-1/sqrt(n_in)) weights, eta chosen on validation), its criterion fixed in
``numeric.experiments.saturation.SATURATION`` before the run.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from numeric import streams
from numeric.experiments import remedies, saturation
from numeric.figures.experiments import saturation_figure
from theory import to_latex

from ..claim import Claim, Evidence, Fact, Part, display, margin_fact
from ..figures import save


def saturation_protocol(ctx):
    return ctx.protocol(saturation.SATURATION)


def saturation_facts(run: dict, p) -> list[Fact]:
    """Returns the facts: the set-up is theirs, the chosen eta learns and the control's does not (checks), the
    criterion at the one probe the protocol fixes, seed by seed (reproduction), and both controls failing it."""
    c = p.thresholds()
    at = list(run["updates"]).index(int(c.at_updates))  # the one judged probe (ValueError if the run has none)
    layers, control = np.asarray(run["layers"], dtype=float), np.asarray(run["control"], dtype=float)
    val = np.asarray(run["validation"], dtype=float)
    val = np.where(np.isnan(val), 0.1, val)  # a diverged choice seed counts as chance
    e, ce = list(p.etas).index(run["eta"]), list(p.etas).index(p.control_eta)
    n = len(layers[at])
    judged = f"{n} seeds at the probe of {c.at_updates:.0f} updates, fixed in the protocol (no other probe is judged)"

    def share(acts, what, how, *, reproduction=False, **value):
        passed = saturation.seed_passes(acts, p)
        s = float(np.mean(passed))
        se = float(np.sqrt(max(s * (1 - s), 1 / n) / n))  # the share's binomial standard error (at least 1/n's)
        value = {"share": round(s, 4), "passed": int(passed.sum()), "seeds": n, **value}
        if reproduction:
            return margin_fact(what, s, c.min_share, se, how=how, value=value, role="reproduction")
        return Fact(what, s < c.min_share, how, value, margin=c.min_share - s, spread=se)

    def accuracy(what, rate, above):
        return margin_fact(what, float(np.mean(val[rate])), c.learned if above else c.chance_below, _se(val[rate]),
                           above=above, how=f"{val.shape[1]} choice seeds at eta {p.etas[rate]:g}; spread: the "
                           "standard error", value=[round(float(v), 3) for v in val[rate]])

    return [
        Fact("the set-up is Glorot and Bengio's: softmax output with the log-likelihood cost, zero biases, every "
             "weight within 1/sqrt(n_in) (read from the networks that ran)", run["setup"]["theirs"],
             "the stack at initialisation", run["setup"]),
        accuracy(f"eta {run['eta']:g} is chosen by the rule stated before the run, the grid's highest mean "
                 f"validation accuracy after {p.choice_updates:,} updates on seeds of its own ("
                 + ", ".join(f"{eta:g}: {m:.3f}" for eta, m in zip(p.etas, val.mean(axis=1)))
                 + f"), and learns: mean >= {c.learned:g}", e, True),
        accuracy(f"the control eta {p.control_eta:g} does not learn: mean validation accuracy <= {c.chance_below:g} "
                 f"after {p.choice_updates:,} updates", ce, False),
        share(layers[at], f"seed by seed: top hidden layer below {c.top_below:g}, the lower layers ordered toward the "
              f"input (each >= the one below, layer 1 >= {c.lower_floor:g}, layer {p.hidden - 1} at least "
              f"{c.order_gap:g} above layer 1), in at least {c.min_share:.0%} of the seeds (Glorot and Bengio: the top "
              "layer saturates at 0 very quickly; the others stay above 0.5, decreasing toward the input)",
              f"eta {run['eta']:g}; passed by {int(saturation.seed_passes(layers[at], p).sum())} of {judged}; "
              "spread: the share's binomial standard error", reproduction=True,
              median_layers=[round(float(v), 3) for v in np.median(layers[at], axis=0)]),
        share(layers[0], "control: the untrained networks (0 updates) fail the criterion", "the same seeds"),
        share(control[at], f"control: the same networks at eta {p.control_eta:g}, whose large steps scramble the "
              "lower layers, fail the criterion (it reads the activations' early course, not whether a network "
              "learns: that is the 'learned' check's)", f"the same seeds, initial draws and mini-batches; {judged}",
              median_layers=[round(float(v), 3) for v in np.median(control[at], axis=0)]),
    ]


def _se(values) -> float:
    """Returns the standard error of the mean of ``values`` (0 for one value)."""
    v = np.asarray(values, dtype=float)
    return float(np.std(v, ddof=1) / np.sqrt(len(v))) if len(v) > 1 else 0.0


def _saturation_part(run, p):
    return saturation.run(p, run.data(), run.seed)


def saturation_parts(ctx) -> list:
    return [Part.of(ctx.run, _saturation_part, saturation_protocol(ctx))]


def _row(run: dict, p, facts, per_probe) -> dict:
    """Returns the book-vs-run row: their words, the judged probe's medians, the pass rate and the controls'."""
    med = np.median(np.asarray(run["layers"], dtype=float)[run["updates"].index(int(p.at_updates))], axis=0)
    rate, untrained, dead = (f.value for f in facts[3:])
    ok = [k >= p.min_share * rate["seeds"] for k in per_probe]
    i = j = run["updates"].index(int(p.at_updates))
    while i > 1 and ok[i - 1]:
        i -= 1
    while j + 1 < len(ok) and ok[j + 1]:
        j += 1
    around = (f"every probe from {run['updates'][i]} to {run['updates'][j]}" if ok[j] else "")
    return {"quantity": f"mean activation of each hidden layer, [784, {p.width} x {p.hidden}, 10], "
                        "U(+-1/sqrt(n_in)) init",
            "book": "the top hidden layer saturates at 0 very quickly; the others stay above 0.5, decreasing toward "
                    "the input (Glorot and Bengio 2010)",
            "run": f"at {p.at_updates:.0f} updates, medians {', '.join(f'{v:.3f}' for v in med)}; holds in "
                   f"{rate['passed']}/{rate['seeds']} seeds (at least {p.min_share:.0%} needed); "
                   f"controls: untrained {untrained['passed']}/{untrained['seeds']}, eta {p.control_eta:g} "
                   f"{dead['passed']}/{dead['seeds']}; not judged: it holds "
                   f"at {sum(ok[1:])} of {len(ok) - 1} probes after 0" + (f" ({around})" if around else ""),
            "caveat": f"width {p.width} (theirs: 1000), MNIST digits (theirs: Shapeset); eta chosen after "
                      f"{p.choice_updates:,} updates (theirs: about 5 million); this suite's protocol"}


def check_saturation(ctx) -> Evidence:
    p = saturation_protocol(ctx)
    (part,) = saturation_parts(ctx)
    run = ctx.compute(part)
    facts = saturation_facts(run, p)
    rate, untrained, dead = (f.value for f in facts[3:])
    per_probe = {key: saturation.seed_passes(np.asarray(run[key], dtype=float), p).sum(axis=1).tolist()
                 for key in ("layers", "control")}  # shown, never judged: the verdict reads the protocol's probe only
    return Evidence("verified", facts, figures=save(ctx, saturation_figure(run, p), "saturation"),
                    latex=display(r"\bar a^{4} \to 0 \text{ (top hidden layer) while } \bar a^{3} \ge \bar a^{2} "
                                  r"\ge \bar a^{1} \gtrsim \tfrac12 \text{ (softmax output, Glorot and Bengio)}"),
                    headline=f"{rate['passed']}/{rate['seeds']} seeds at {p.at_updates:.0f} updates (eta "
                             f"{run['eta']:g}), medians {rate['median_layers']}; controls: untrained "
                             f"{untrained['passed']}, eta {p.control_eta:g} {dead['passed']}",
                    numbers={"judged_at": int(p.at_updates), "eta": run["eta"], "pass_rate": rate,
                             "controls": {"untrained": untrained, "control_eta": {"eta": p.control_eta, **dead}},
                             "passes_per_probe": per_probe, "updates": run["updates"],
                             "activations_median": np.median(np.asarray(run["layers"]), axis=1).tolist(),
                             **{k: run[k] for k in ("layers", "control", "validation", "choice", "accuracy",
                                                    "control_accuracy", "diverged", "setup")},
                             "protocol": {**p.as_dict(), "caption": saturation.caption(p),
                                          "seeds_used": [ctx.run.seed],
                                          "streams": saturation.describe_streams(ctx.run.seed, p)},
                             "book_vs_run": [_row(run, p, facts, per_probe["layers"])]})


def check_theory(ctx) -> Evidence:
    from theory.initialisation import glorot, he, n_in, n_out, v

    g, h = glorot(), he()
    from numeric.networks.deep import DeepNetwork

    draws = streams.replica(ctx.run.seed, 0)
    q = DeepNetwork([30, 30, 2], init="orthogonal", rng=streams.generator(draws, "init")).weights[0]  # its own draw
    a = streams.generator(draws, "data").standard_normal((100, 30))
    x = ctx.data().training.x[:remedies.PROTOCOL.norm_images]
    mean_square = float(np.mean(np.sum(x.astype(np.float64) ** 2, axis=1)))
    regimes = {r.key: remedies.regime(r, 10, mean_square) for r in remedies.REMEDIES if not r.train}
    facts = [
        Fact("forward: Var(z) = n_in v Var(a) keeps its size when v = 1/n_in; backward: Var(delta) = n_out v "
             "Var(delta') when v = 1/n_out", g["forward"] == 1 / n_in and g["backward"] == 1 / n_out, "sympy.solve"),
        Fact("Glorot and Bengio's v = 2/(n_in + n_out) is the harmonic mean of the two, and its factors n_in v, "
             "n_out v multiply to 1 - (n_in - n_out)^2/(n_in + n_out)^2 <= 1, equal to 1 exactly when n_in = n_out",
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
          group="remedies", cost=1.0,
          latex_title="Glorot's and He's variance conditions, and mean field's regime for each initialisation",
          cites=("glorot2010", "he2015", "poole2016")),
    Claim("glorot-saturation", "Glorot and Bengio 2010", "Glorot and Bengio's set-up: early in training the top "
          "sigmoid hidden layer saturates at 0 while the others stay above it, decreasing toward the input",
          check_saturation, group="remedies", figures=("saturation",), cost=6.0, parts=saturation_parts,
          latex_title="The top sigmoid hidden layer saturates at 0 early; the others stay above it, ordered toward "
                      "the input (Glorot and Bengio)",
          cites=("glorot2010", "lecun1998")),
]
