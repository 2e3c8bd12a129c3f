"""Measured claims of the recurrent group: the gradient through time at initialisation and after training (the
RNN's within the bound (gamma ||W||)^(T-t), the LSTM's not vanishing like it), and the longest length each model
learns. The protocol is this suite's (experiments.recurrent_task.PROTOCOL; the book has none), named in every output.

Criteria (in code, fixed before a run; GRADIENT_CRITERIA, LENGTH_CRITERIA; thresholds from the theory and from
development runs of the protocol): gradients at T = protocol.gradient_length, initial and trained: every RNN
per-step factor and fitted rate <= gamma ||W||_2; the sigmoid RNN meets gamma ||W|| < 1 (Pascanu et al.) and
decays; the tanh RNN decays at initialisation; the LSTM's D = median ||grad at t = 1|| / median ||grad at t = T||
is >= 100 times each RNN's and its rate >= 0.9; BPTT equals theory's products (RNN) and paths (LSTM) to 1e-10.
Lengths: the LSTM learns every length; each RNN stops short; the sigmoid RNN learns no longer than the tanh RNN.
"""

from __future__ import annotations

import numpy as np

from numeric.experiments import recurrent_runs
from numeric.experiments.recurrent_task import LONG, PROTOCOL, caption, first_symbol, make, train
from numeric.figures.recurrent import gradient_through_time_figure, longest_length_figure
from numeric.networks.rnn import through_output

from ..bridge_recurrent import bptt_against_paths, bptt_against_product
from ..claim import Claim, Evidence, Fact, Part, display, margin_fact
from ..figures import save

PROTOCOLS = {p.name: p for p in (PROTOCOL, LONG)}
GRADIENT_CRITERIA = PROTOCOL.criterion("gradient")
LENGTH_CRITERIA = PROTOCOL.criterion("learned")
NAMES = {"rnn-tanh": "tanh RNN", "rnn-sigmoid": "sigmoid RNN", "lstm": "LSTM"}  # the models as a paper names them


def protocol_record(p, seed: int) -> dict:
    """Returns the protocol as results.json records it: its fields, caption and the seeds' streams."""
    return p.as_dict() | {"caption": caption(p), "seeds_used": [seed],
                          "streams": f"numpy.random.SeedSequence({seed}).spawn({p.seeds + 1}): child 0 draws the "
                                     f"validation and test sequences, child s + 1 (initial weights, batches) seed s"}


def protocol_for(ctx, name: str = PROTOCOL.name):
    """Returns the protocol with the run's seeds (--seeds K; --quick: 2, marked QUICK)."""
    return ctx.protocol(PROTOCOLS[name])


def gradient_part(inputs, model: str, protocol) -> dict:
    """Returns {"summary", "init", "trained"} profiles of ``model`` at the protocol's gradient length, and the
    bridge's worst relative disagreement on the trained networks."""
    T, seed = protocol.gradient_length, inputs.seed
    run = train(model, T, protocol, seed)
    nets = {"init": recurrent_runs.initial_networks(model, protocol, seed),
            "trained": recurrent_runs.chosen_networks(run)}
    out = {"summary": recurrent_runs.summary(run, protocol)}
    for stage, net in nets.items():
        prof = recurrent_runs.gradient_profile(model, net, T, protocol, seed)
        out[stage] = ({k: prof[k] for k in ("state", "factors", "W_norm", "gamma")}
                      | {"rate": recurrent_runs.fitted_rate(prof)})
    out["bridge"] = bridge_error(model, nets["trained"], T, protocol)
    return out


def bridge_error(model: str, net, T: int, protocol) -> float:
    """Returns the largest relative gap between the network's BPTT and theory's lambdified product (RNN, replica 0,
    examples 0..2) or paths (LSTM, every replica and example) on a few test-like sequences."""
    x, y = first_symbol(np.random.default_rng(0), 3, T, protocol.symbols, protocol.distractors)
    _, forward, backward = make(model, protocol, [np.random.default_rng(0)])
    R = net.V.shape[0]
    cache = forward(net, np.broadcast_to(x, (R, *x.shape)))
    out = backward(net, cache, np.broadcast_to(y, (R, len(y))))
    if model == "lstm":
        return bptt_against_paths(cache, out)
    prime = lambda h: through_output(net.activation, h)  # noqa: E731
    return max(bptt_against_product(net, cache, out["dh"], prime, 0, e) for e in range(3))


def _r4(values) -> list:
    return [round(float(v), 4) for v in values]


def _D(stage: dict) -> float:
    return float(np.median(stage["state"][..., 1]) / np.median(stage["state"][..., -1]))


def _D_per_seed(stage: dict) -> np.ndarray:
    return np.median(stage["state"][..., 1], axis=1) / np.median(stage["state"][..., -1], axis=1)


def gradient_facts(res: dict) -> list[Fact]:
    """The gradient claim's criteria on {model: gradient_part(...)} (GRADIENT_CRITERIA)."""
    c, facts = GRADIENT_CRITERIA, []
    rnns = [m for m in res if m != "lstm"]
    for m in rnns:
        for stage in ("init", "trained"):
            r = res[m][stage]
            bound = r["gamma"] * r["W_norm"]
            worst = float(np.nanmax(r["factors"] / bound[:, None, None]))
            facts.append(Fact(f"{m}, {stage}: every per-step factor ||dC/dh_(t-1)|| / ||dC/dh_t|| <= gamma ||W||_2 "
                              "(all seeds, examples, steps)", worst <= 1 + c["factor_slack"],
                              "per-example norms, float64; largest factor / bound", f"{worst:.4g}"))
            facts.append(Fact(f"{m}, {stage}: the fitted geometric rate per step <= gamma ||W||_2 for every seed",
                              bool(np.all(r["rate"] <= bound)), "least squares on ln(median norm) against T - t",
                              {"rate": _r4(r["rate"]), "gamma_W": _r4(bound)}))
    if "rnn-sigmoid" in res:
        ok = all(np.all(res["rnn-sigmoid"][s]["gamma"] * res["rnn-sigmoid"][s]["W_norm"] < 1)
                 and np.all(res["rnn-sigmoid"][s]["rate"] < 1) for s in ("init", "trained"))
        facts.append(Fact("rnn-sigmoid meets Pascanu et al.'s sufficient condition ||W||_2 < 1/gamma = 4 at "
                          "initialisation and after training, and its gradient vanishes geometrically (rate < 1)", ok,
                          "largest singular values; fitted rates", role="reproduction"))
    if "rnn-tanh" in res:
        facts.append(Fact("rnn-tanh at initialisation: the gradient vanishes geometrically (rate < 1, every seed) "
                          "although ||W||_2 > 1/gamma = 1 lets the bound grow",
                          bool(np.all(res["rnn-tanh"]["init"]["rate"] < 1)), "fitted rates",
                          _r4(res["rnn-tanh"]["init"]["rate"]),
                          role="reproduction"))
    if "lstm" in res:
        for stage in ("init", "trained"):
            D = {m: _D(res[m][stage]) for m in res}
            seeds = {m: _D_per_seed(res[m][stage]) for m in res}
            ratio = min(D["lstm"] / D[m] for m in rnns)  # in decades: the margin and the seeds' spread beside it
            spread = max(np.ptp(np.log10(seeds[m])) for m in res)
            facts.append(margin_fact(f"lstm, {stage}: D = median ||grad at t = 1|| / median ||grad at t = T|| is at "
                                     f"least {c['lstm_over_rnn']:g} times each RNN's (margin, spread in decades)",
                                     np.log10(ratio), np.log10(c["lstm_over_rnn"]), spread,
                                     how="state = (h, c) for the LSTM, h for the RNN",
                                     value={m: f"{v:.3g}" for m, v in D.items()}, role="reproduction"))
            rate = res["lstm"][stage]["rate"]
            facts.append(margin_fact(f"lstm, {stage}: fitted rate per step >= {c['lstm_rate']} for every seed (the "
                                     "cell path multiplies by f_t, which can sit near 1)", float(np.min(rate)),
                                     c["lstm_rate"], float(np.ptp(rate)), how="fitted rates", value=_r4(rate),
                                     role="reproduction"))
    for m in res:
        what = "the lambdified product (prod Sigma' W)^T dC/dh_T" if m != "lstm" else "the two paths f_t and o tanh'(c)"
        facts.append(Fact(f"{m}, trained: backpropagation through time equals theory's {what}",
                          res[m]["bridge"] <= c["bridge"], "proofs.bridge_recurrent (sympy.lambdify)",
                          f"{res[m]['bridge']:.2g}"))
    return facts


def _model_parts(ctx, tag: str, fn) -> list:
    """Returns one ``Part`` per model of the run's protocol: ``fn(run, model, protocol)``."""
    p = protocol_for(ctx)
    return [Part.of(ctx.run, fn, m, p) for m in p.models]


def gradient_parts(ctx) -> list:
    return _model_parts(ctx, "recurrent-gradient", gradient_part)


def check_gradients(ctx) -> Evidence:
    p = protocol_for(ctx)
    res = {m: ctx.compute(part) for m, part in zip(p.models, gradient_parts(ctx))}
    facts = gradient_facts(res)
    T = p.gradient_length
    lag, curves, bounds, numbers = T - np.arange(T + 1), {}, {}, {}
    for m, r in res.items():
        curves[m] = {}
        for stage in ("init", "trained"):
            med = np.median(r[stage]["state"], axis=1)  # (seeds, T + 1)
            curves[m][stage] = (lag, np.median(med, axis=0), med.min(axis=0), med.max(axis=0))
        numbers[m] = {s: {"rate": r[s]["rate"].tolist(), "W_norm": r[s]["W_norm"].tolist(), "D": _D(r[s])}
                      for s in ("init", "trained")} | {"accuracy": r["summary"]}
        if r["init"]["gamma"] is not None:
            g = float(np.median(r["init"]["gamma"] * r["init"]["W_norm"]))
            bounds[f"{m}, initial"] = (lag, np.median(curves[m]["init"][1][-1:]) * g ** lag.astype(float))
    figures = save(ctx, gradient_through_time_figure(curves, {k: v for k, v in bounds.items() if "sigmoid" in k}),
                   "recurrent-gradient-through-time")
    rows = [{"quantity": f"{NAMES.get(m, m)}: ||dC/dh_1|| / ||dC/dh_{T}|| at init; after training (fitted rate per "
                         f"step; state {'(h, c)' if m == 'lstm' else 'h'}), {p.seeds} seeds",
             "book": "does not vanish (cell path f_t)" if m == "lstm" else "vanishes; per step at most gamma ||W||",
             "run": f"{numbers[m]['init']['D']:.3g} ({np.median(res[m]['init']['rate']):.3f}); "
                    f"{numbers[m]['trained']['D']:.3g} ({np.median(res[m]['trained']['rate']):.3f})",
             "caveat": "our protocol"} for m in res]
    paper = {"columns": ["Network", "Source", "Initial", "Trained"],
             "rows": [[NAMES.get(m, m), "does not vanish" if m == "lstm" else "vanishes"]
                      + [f"{numbers[m][s]['D']:.3g} ({np.median(res[m][s]['rate']):.3f})"
                         for s in ("init", "trained")] for m in res],
             "caption": rf"$\|\partial C/\partial h_1\|/\|\partial C/\partial h_{{{T}}}\|$ at initialisation and "
                        f"after training, median over {p.seeds} seeds (fitted rate per step in parentheses), beside "
                        "the source's statement"}
    latex = display(r"\frac{\|\partial C/\partial h_t\|}{\|\partial C/\partial h_{t+1}\|} \le \gamma\,\|W\|"
                    r"\ \text{(RNN)};", r"\text{LSTM: the cell path multiplies by } f_t;",
                    rf"\text{{measured at }} T = {T}\text{{, initial and trained, {p.seeds} seeds}}")
    return Evidence("verified", facts, latex=latex, figures=figures, headline="; ".join(
                        f"{m}: D {numbers[m]['init']['D']:.2g} -> {numbers[m]['trained']['D']:.2g}" for m in res),
                    numbers={"protocol": protocol_record(p, ctx.run.seed), "criteria": GRADIENT_CRITERIA.as_dict(),
                             "models": numbers, "book_vs_run": rows,
                             "paper_table": paper})


def sweep_part(inputs, model: str, protocol) -> list[dict]:
    """Returns the summaries of ``model``'s sweep (no networks): the part a worker runs."""
    return [recurrent_runs.summary(run, protocol) for run in recurrent_runs.sweep(model, protocol, inputs.seed)]


def length_facts(sweeps: dict, lengths) -> list[Fact]:
    """The length claim's criteria on {model: [summary per length]} (LENGTH_CRITERIA)."""
    top = max(lengths)
    best = {m: recurrent_runs.longest(s) for m, s in sweeps.items()}
    facts = []
    if "lstm" in best:
        shortest = min(sweeps["lstm"], key=lambda r: r["T"])
        facts.append(Fact(f"the training works: the LSTM learns the shortest length T = {shortest['T']} (a network "
                          "that learned nothing fails here)", shortest["learned"], "median test accuracy",
                          shortest["median"]))
        worst = min(sweeps["lstm"], key=lambda r: r["median"])
        facts.append(margin_fact(f"the LSTM learns every length of the grid up to T = {top} (margin: the lowest "
                                 "median over the lengths above the criterion; spread: that length's seeds)",
                                 worst["median"] if best["lstm"] == top else -1.0, LENGTH_CRITERIA["learned"],
                                 max(worst["test"]) - min(worst["test"]), how="median test accuracy at the "
                                 "validation-chosen rate, diverged seeds at chance", value=best, role="reproduction"))
    for m in (m for m in best if m != "lstm"):
        stop = next((r for r in sorted(sweeps[m], key=lambda r: r["T"]) if not r["learned"]), None)
        facts.append(margin_fact(f"{m} stops short of T = {top}: its longest length learned is {best[m]} (margin: how "
                                 "far the first length missed lies below the criterion; spread: its seeds)",
                                 stop["median"] if stop else 1.0, LENGTH_CRITERIA["learned"],
                                 (max(stop["test"]) - min(stop["test"])) if stop else 0.0, above=False,
                                 how="the same rule", value=best[m], role="reproduction"))
    if {"rnn-tanh", "rnn-sigmoid"} <= set(best):
        facts.append(Fact("the sigmoid RNN (gamma = 1/4) learns no longer a length than the tanh RNN (gamma = 1)",
                          best["rnn-sigmoid"] <= best["rnn-tanh"], "longest lengths", best, role="reproduction"))
    return facts


def length_parts(ctx) -> list:
    return _model_parts(ctx, "recurrent-sweep", sweep_part)


def check_lengths(ctx) -> Evidence:
    p = protocol_for(ctx)
    sweeps = {m: ctx.compute(part) for m, part in zip(p.models, length_parts(ctx))}
    facts = length_facts(sweeps, p.lengths)
    best = {m: recurrent_runs.longest(s) for m, s in sweeps.items()}
    series = {m: tuple([f(r) for r in s] for f in (lambda r: r["T"], lambda r: r["median"], lambda r: min(r["test"]),
                                                   lambda r: max(r["test"]))) for m, s in sweeps.items()}
    figures = save(ctx, longest_length_figure(series, p.learned, 1 / p.symbols), "recurrent-longest-length")
    rows = [{"quantity": f"{NAMES.get(m, m)}: test accuracy by T, median [min, max] of {p.seeds} seeds; longest T "
                         "learned",
             "book": "LSTM: long dependencies; RNN: vanishing (Hochreiter et al. 2001)",
             "run": "; ".join(f"T={r['T']}: {r['median']:.0%} [{min(r['test']):.0%}, {max(r['test']):.0%}]"
                              + (f" diverged {r['diverged']}/{p.seeds}" if r["diverged"] else "") for r in s)
                    + f"; longest {best[m]}", "caveat": "our protocol"} for m, s in sweeps.items()]
    lengths = sorted({r["T"] for s in sweeps.values() for r in s})
    paper = {"columns": ["Network"] + [f"$T{{=}}{t}$" for t in lengths] + ["Longest"],
             "rows": [[NAMES.get(m, m)] + [next((f"{100 * r['median']:.0f}" for r in s if r["T"] == t), "--")
                                          for t in lengths] + [str(best[m])] for m, s in sweeps.items()],
             "caption": f"Median test accuracy (%) over {p.seeds} seeds on the first-symbol task against the length "
                        f"$T$; longest: the largest $T$ up to which every median is at least {p.learned:.0%}"}
    latex = display(r"T_{\max} = \max\{T : \text{median test accuracy}",
                    rf"\ge {p.learned * 100:g}\% \text{{ at every length}} \le T\}},",
                    r"\text{" + ", ".join(f"{NAMES.get(m, m)}: {best[m]}" for m in best) + "}")
    return Evidence("verified", facts, latex=latex, figures=figures,
                    headline="longest T learned: " + ", ".join(f"{m} {best[m]}" for m in best),
                    numbers={"protocol": protocol_record(p, ctx.run.seed), "criteria": LENGTH_CRITERIA.as_dict(),
                             "sweeps": sweeps, "longest": best, "book_vs_run": rows,
                             "paper_table": paper})


CLAIMS = [
    Claim("recurrent-gradient-through-time", "Pascanu et al. 2013; Hochreiter and Schmidhuber 1997",
          "||dC/dh_t|| against T - t: the RNN's within (gamma ||W||)^(T-t), the LSTM's does not vanish",
          check_gradients, group="recurrent", figures=("recurrent-gradient-through-time",), cost=6.0,
          parts=gradient_parts, cites=("pascanu2013", "hochreiter1997", "tallec2018"),
          latex_title=r"$\|\partial C/\partial h_t\|$ against $T - t$: the RNN's within the bound, the LSTM's not "
                      r"vanishing"),
    Claim("recurrent-longest-length", "Hochreiter et al. 2001; Gers et al. 2000",
          "The longest sequence each network learns: the LSTM's against the RNNs'", check_lengths,
          group="recurrent", figures=("recurrent-longest-length",), cost=20.0, parts=length_parts,
          latex_title="The longest sequence each network learns: LSTM against RNN", cites=("hochreiter2001", "gers2000",
                                                                                          "tallec2018")),
]
