"""Measured claims of the recurrent group: the gradient through time as a distribution over seeds (the LSTM's against
the RNN's, paired by seed, judged by a sign test; Pascanu et al.'s bound and the bridge to theory as checks of the
code), and the longest length each network learns within B updates (the chrono LSTM against equally tuned, orthogonal
RNNs, one of them matched to the LSTM's parameter count). The protocols are this suite's
(numeric.experiments.recurrent_task: GRADIENTS, LENGTHS; the book has none), their criteria and histories written
there before the run, and named in every output.
"""

from __future__ import annotations

import numpy as np

from numeric.experiments import recurrent_runs as RR
from numeric.experiments.recurrent_task import (
    GRADIENTS,
    LENGTH_PROTOCOLS,
    LENGTHS,
    LONG,
    LONG_GRADIENTS,
    MODELS,
    caption,
    codebook,
    codes,
    configs,
    families,
    rng,
    sign_test_count,
    symbols,
    work,
)
from numeric.figures.recurrent import gradient_through_time_figure, longest_length_figure
from numeric.networks.lstm import LSTM
from numeric.networks.rnn import RNN, through_output
from numeric.streams import describe

from ..bridge_recurrent import bptt_against_paths, bptt_against_product
from ..claim import Claim, Evidence, Fact, Part, display, margin_fact
from ..figures import save

PROTOCOLS = {p.name: p for p in (LENGTHS, LONG, GRADIENTS, LONG_GRADIENTS)}


NAMES = {"rnn-tanh": "tanh RNN", "rnn-sigmoid": "sigmoid RNN", "rnn-tanh-matched": "tanh RNN, matched",
         "rnn-tanh-orthogonal": "tanh RNN, orthogonal", "rnn-tanh-orthogonal-matched": "tanh RNN, orthogonal, matched",
         "lstm": "LSTM", "lstm-chrono": "LSTM, chrono"}  # the models as a paper names them


def protocol_record(p, seed: int) -> dict:
    """Returns the protocol as results.json records it: its fields, caption, criteria with history, the streams."""
    return p.as_dict() | {"caption": caption(p), "seeds_used": [seed],
                          "streams": describe(seed, p.seeds, "each spawning (init, data, validation, test); data, "
                                                             "validation and test one child per length T")}


def _r(values, digits: int = 4) -> list:
    return [round(float(v), digits) for v in np.atleast_1d(values)]


# -- the parts: one stacked training per family, one measurement per model at initialisation ----------------------

def family_part(run, p, family: tuple) -> dict:
    """Returns ``RR.train`` of one family (its models, lengths, seeds and configurations as one stack)."""
    return RR.train(p, family, run.seed)


def probes(p, run_seed: int, seeds: int, T: int) -> tuple[np.ndarray, np.ndarray]:
    """Returns each seed's first ``p.examples`` test sequences at length T: x (seeds, N, T, K + 1), y (seeds, N)."""
    K = p.symbols
    book = codebook(K)[:, :-1]
    sym = [symbols(rng(run_seed, s, "test", T), p.examples, T, K) for s in range(seeds)]
    x = np.stack([book[codes(s_, K, p.distractors)].transpose(1, 0, 2) for s_ in sym])
    return x, np.stack([s_[:, 0] for s_ in sym])


def _profile(net, T: int, x, y) -> dict:
    prof = RR.gradient_profile(net, T, x, y)
    st = prof["state"]
    out = {"D": np.median(st[..., 1], axis=1) / np.median(st[..., -1], axis=1), "rate": RR.fitted_rate(prof),
           "curve": RR.state_norms(prof), "W_norm": prof["W_norm"]}
    if prof["gamma"] is not None:
        out["worst"] = np.nanmax(prof["factors"] / (prof["gamma"] * prof["W_norm"])[:, None, None], axis=(1, 2))
        out["gamma_W"] = prof["gamma"] * prof["W_norm"]
    return out


def initial_part(run, p, model: str) -> dict:
    """Returns ``model``'s initial networks' profile at T = p.length for seeds 0..p.seeds-1 (D per seed, rates, the
    worst factor over the bound, the median curve)."""
    net = RR.initial(model, p, run.seed, p.seeds)
    x, y = probes(p, run.seed, p.seeds, p.length)
    return _profile(net, p.length, x, y)


def bridge_error(net, x, y) -> float:
    """Returns the largest relative gap between the networks' BPTT and theory's lambdified product (RNN: replica 0,
    examples 0..2) or paths (LSTM: every replica and example) on the sequences x (R, 3, T, m)."""
    kernel = "lstm" if hasattr(net, "Wh") else "rnn"
    forward, backward = RR.KERNELS[kernel]
    cache = forward(net, x)
    out = backward(net, cache, y)
    if kernel == "lstm":
        return bptt_against_paths(cache, out)
    act = net.replicas()[0]
    return max(bptt_against_product(net, cache, out["dh"], lambda h: through_output(act, h), 0, e) for e in range(3))


# -- the choices of the rule, read back from a family's run -----------------------------------------------------

def cell(fam: dict, p, model: str, T: int, b: int) -> dict:
    """Returns the chosen configuration of (model, T) at budget index b and its seeds' test accuracies."""
    C = len(configs(p))
    rows = [i for i, (TT, m, _, _) in enumerate(fam["replicas"]) if TT == T and m == model]
    val, test = (np.asarray(fam[k])[b, rows].reshape(p.seeds, C) for k in ("validation", "test"))
    c = RR.ranking(val, ~np.isnan(val[0]))[0]
    acc = test[:, c]
    lr, clip = configs(p)[c]
    return {"T": T, "lr": lr, "clip": clip, "test": _r(acc), "median": float(np.median(acc)),
            "learned": bool(np.median(acc) >= p.learned), "rows": [rows[s * C + c] for s in range(p.seeds)],
            "diverged": int(np.asarray(fam["diverged"])[b, rows].reshape(p.seeds, C)[:, c].sum())}


def cells(runs: dict, p) -> dict:
    """Returns {model: [[cell per length] per budget]} for every model of the protocol."""
    where = {m: f for f, ms in families(p).items() for m in ms}
    return {m: [[cell(runs[where[m]], p, m, T, b) for T in sorted(p.lengths)] for b in range(len(p.budgets))]
            for m in p.models}


def longest(row: list) -> int:
    """Returns the longest T learned with every shorter length learned too (0 if the shortest fails)."""
    best = 0
    for c in row:
        if not c["learned"]:
            break
        best = c["T"]
    return best


# -- the length claim ---------------------------------------------------------------------------------------------

def length_facts(table: dict, p) -> list[Fact]:
    """The length claim's criteria on ``cells`` (LENGTHS' criteria: trains, longer)."""
    facts, last = [], len(p.budgets) - 1
    for m in p.models:
        first = table[m][last][0]
        facts.append(margin_fact(f"{m} learns the shortest length T = {first['T']} within {p.budgets[-1]:,} "
                                 "updates (the training works; a network that learned nothing fails here)",
                                 first["median"], p.learned, float(np.ptp(first["test"])),
                                 how="median test accuracy over the seeds at the configuration chosen on validation",
                                 value=first["test"]))
    b, B = last, p.budgets[-1]
    for lstm, rnn in p.pairs:
        row_r, row_l = table[rnn][b], table[lstm][b]
        miss = next((i for i, c in enumerate(row_r) if not c["learned"]), None)
        if miss is None:
            facts.append(Fact(f"within {B:,} updates {lstm} learns a length {rnn} does not", False,
                              f"{rnn} learns every length of the grid", {"longest": longest(row_r)},
                              role="reproduction"))
            continue
        worst = min(row_l[: miss + 1], key=lambda c: c["median"])
        facts.append(margin_fact(
            f"within {B:,} updates {lstm} learns T* = {row_r[miss]['T']}, the shortest length {rnn} does not learn, "
            f"and every shorter one (margin: its lowest median there above {p.learned:.0%})", worst["median"],
            p.learned, float(np.ptp(worst["test"])), how="median test accuracy, seeds' range",
            value={"longest": {lstm: longest(row_l), rnn: longest(row_r)}, "T*": row_r[miss]["T"]},
            role="reproduction"))
    return facts


def length_parts(ctx) -> list:
    p = ctx.protocol(LENGTHS)
    return [Part.of(ctx.run, family_part, p, f) for f in families(p)]


def _runs(ctx, p) -> dict:
    return {f: ctx.compute(Part.of(ctx.run, family_part, p, f)) for f in families(p)}


def check_lengths(ctx) -> Evidence:
    p = ctx.protocol(LENGTHS)
    table = cells(_runs(ctx, p), p)
    facts = length_facts(table, p)
    best = {m: [longest(row) for row in table[m]] for m in p.models}
    last = len(p.budgets) - 1
    series = {NAMES[m]: {"lengths": sorted(p.lengths), "budgets": list(p.budgets),  # the legend in a paper's words
                  "median": [[c["median"] for c in row] for row in table[m]],
                  "low": [[min(c["test"]) for c in row] for row in table[m]],
                  "high": [[max(c["test"]) for c in row] for row in table[m]], "longest": best[m]} for m in p.models}
    figures = save(ctx, longest_length_figure(series, p.learned, 1 / p.symbols), "recurrent-longest-length")
    rows = [{"quantity": f"{m}: longest T learned within {', '.join(f'{B:,}' for B in p.budgets)} updates; test "
                         f"accuracy by T at {p.budgets[-1]:,} (median [min, max] of {p.seeds} seeds)",
             "book": "LSTM: long dependencies (Hochreiter and Schmidhuber 1997); RNN: vanishing",
             "run": ", ".join(map(str, best[m])) + "; " + "; ".join(
                 f"T={c['T']}: {c['median']:.0%} [{min(c['test']):.0%}, {max(c['test']):.0%}]"
                 + (f" diverged {c['diverged']}" if c["diverged"] else "") for c in table[m][last]),
             "caveat": "this suite's protocol (caption); equally tuned starts"} for m in p.models]
    latex = display(rf"T_{{\max}}(B) = \max\{{T : \text{{median test accuracy}} \ge {p.learned * 100:g}\%",
                    r"\text{within } B \text{ updates, every length} \le T\},",
                    rf"\text{{at }} B = {', '.join(map(str, p.budgets))}:",  # a line per network: fits a column
                    *(rf"\text{{{NAMES[m]}: }} {', '.join(map(str, best[m]))}" + (";" if i < len(p.models) - 1 else "")
                      for i, m in enumerate(p.models)))
    paper = {"columns": ["Network"] + [f"$B{{=}}{B:,}$" for B in p.budgets],
             "rows": [[NAMES.get(m, m)] + [str(b) for b in best[m]] for m in p.models],
             "caption": f"Longest length $T$ learned within $B$ updates (median test accuracy at least "
                        f"{p.learned:.0%} at $T$ and below; {p.seeds} seeds, rate and clipping chosen on "
                        "validation at each budget)"}
    return Evidence("verified", facts, latex=latex, figures=figures,
                    headline="longest T learned within " + "/".join(map(str, p.budgets)) + " updates: "
                             + ", ".join(f"{m} {'/'.join(map(str, best[m]))}" for m in p.models),
                    numbers={"protocol": protocol_record(p, ctx.run.seed), "cells": table, "longest": best,
                             "work": work(p), "book_vs_run": rows, "paper_table": paper})


# -- the gradient claim -------------------------------------------------------------------------------------------

def sign_fact(what: str, above: np.ndarray, below: np.ndarray, alpha: float) -> Fact:
    """Returns "``above`` > ``below`` in at least k of N seeds" (paired by seed; k the sign test's count at alpha),
    its margin in seeds beside the binomial spread sqrt(N p (1 - p)) of the count."""
    wins, N = int(np.sum(np.asarray(above) > np.asarray(below))), len(above)
    k = sign_test_count(N, alpha)
    share = wins / N
    return margin_fact(f"{what} in at least k = {k} of N = {N} seeds (sign test, level {alpha:g})", wins, k,
                       float(np.sqrt(N * share * (1 - share))), how="paired by seed; D = median ||dC/d state_1|| / "
                       "median ||dC/d state_T|| over the sequences", value={"seeds": wins, "of": N, "k": k},
                       role="reproduction")


def trained_profiles(runs: dict, p, g, run_seed: int) -> dict:
    """Returns {model: profile} of the length protocol ``p``'s networks (``runs``: its families' parts) at T = g.length,
    at its largest budget and chosen configuration, on their seeds' test sequences; with "learned" per seed and the
    bridge's worst disagreement."""
    out, where = {}, {m: f for f, ms in families(p).items() for m in ms}
    x, y = probes(g, run_seed, p.seeds, g.length)
    for m in p.models:
        fam = runs[where[m]]
        c = cell(fam, p, m, g.length, len(p.budgets) - 1)
        flat, shape = np.asarray(fam["nets"])[c["rows"]], tuple(fam["shape"])
        net = LSTM.from_flat(flat, shape) if MODELS[m].kernel == "lstm" else RNN.from_flat(flat, shape,
                                                                                           MODELS[m].activation)
        out[m] = _profile(net, g.length, x, y) | {"learned": np.asarray(c["test"]) >= p.learned,
                                                  "bridge": bridge_error(net, x[:, :3], y[:, :3])}
    return out


def gradient_facts(init: dict, trained: dict, g) -> list[Fact]:
    """The gradient claim's criteria (GRADIENTS: above, sigmoid, bound, bridge) on the profiles."""
    c, facts = g.thresholds(), []
    for lstm, rnn in g.pairs:
        facts.append(sign_fact(f"at initialisation {lstm}'s D is above {rnn}'s", init[lstm]["D"], init[rnn]["D"],
                               c.alpha))
    low, high = g.sigmoid_pair
    facts.append(sign_fact(f"at initialisation {low}'s D (gamma = 1/4) is below {high}'s (gamma = 1)", init[high]["D"],
                           init[low]["D"], c.alpha))
    for stage, profs in (("initialisation", init), ("trained", trained)):
        for m, r in profs.items():
            if "worst" in r:
                worst = float(np.max(r["worst"]))
                facts.append(Fact(f"{m}, {stage}: every per-step factor ||dC/dh_(t-1)|| / ||dC/dh_t|| <= gamma "
                                  "||W||_2 (Pascanu et al.'s bound; a check of the code, it cannot fail otherwise)",
                                  worst <= 1 + c.factor_slack, "every seed, sequence and step; largest factor / bound",
                                  f"{worst:.4g}"))
            if "bridge" not in r:
                continue
            facts.append(Fact(f"{m}, {stage}: backpropagation through time equals theory's "
                              + ("paths f_t and o tanh'(c)" if MODELS[m].kernel == "lstm" else
                                 "lambdified product (prod Sigma' W)^T dC/dh_T"), r["bridge"] <= c.bridge,
                              "proofs.bridge_recurrent (sympy.lambdify)", f"{r['bridge']:.2g}"))
    return facts


def initial_parts(ctx) -> list:
    g = ctx.protocol(GRADIENTS)
    return [Part.of(ctx.run, initial_part, g, m) for m in g.models] + length_parts(ctx)


def _split(r: dict) -> dict:
    out = {}
    for name, mask in (("learned", r["learned"]), ("not learned", ~r["learned"])):
        out[name] = {"seeds": int(mask.sum()), "D": _r(r["D"][mask], 6),
                     "median D": float(np.median(r["D"][mask])) if mask.any() else None}
    return out


def check_gradients(ctx) -> Evidence:
    g = ctx.protocol(GRADIENTS)
    init = {m: ctx.compute(Part.of(ctx.run, initial_part, g, m)) for m in g.models}
    p = ctx.protocol(LENGTH_PROTOCOLS[g.trained])
    trained = trained_profiles(_runs(ctx, p), p, g, ctx.run.seed)
    facts = gradient_facts(init, trained, g)
    T = g.length
    lag = np.arange(T + 1)  # T - t
    curves = {m: ({"init": _band(init[m]["curve"])} if m in init else {})
              | ({"trained": _band(trained[m]["curve"])} if m in trained else {}) for m in (*init, *trained)}
    figures = save(ctx, gradient_through_time_figure(lag, curves, {m: init[m]["D"] for m in g.models}),
                   "recurrent-gradient-through-time")
    numbers = {m: {"D": _r(init[m]["D"], 6), "median D": float(np.median(init[m]["D"])),
                   "rate": _r(np.median(init[m]["rate"])),
                   **({"gamma ||W|| below 1": int(np.sum(init[m]["gamma_W"] < 1))} if "gamma_W" in init[m] else {})}
               for m in g.models}
    split = {m: _split(r) | {"median rate": _r(np.median(r["rate"]))} for m, r in trained.items()}
    rows = []
    for m in (*g.models, *(m for m in split if m not in g.models)):
        first = f"{numbers[m]['median D']:.3g} (initial)" if m in numbers else ""
        then = " / ".join(f"{v['median D']:.3g} ({v['seeds']} {k})" if v["seeds"] else f"none {k}"
                          for k, v in split[m].items() if k != "median rate") if m in split else ""
        rows.append({"quantity": f"{m}: D = ||dC/d state_1|| / ||dC/d state_{T}||, median over seeds: "
                                 f"initial ({g.seeds} seeds); trained, split by learned / not learned",
                     "book": "does not vanish (cell path f_t)" if MODELS[m].kernel == "lstm" else
                     "vanishes; per step at most gamma ||W||",
                     "run": "; ".join(x for x in (first, then) if x), "caveat": "this suite's protocol (caption)"})
    latex = display(r"D = \frac{\operatorname{median}\|\partial C/\partial s_1\|}{\operatorname{median}"
                    rf"\|\partial C/\partial s_{{{T}}}\|}}\ \text{{per seed}};",
                    r"\#\{\text{seeds}: D_{\mathrm{LSTM}} > D_{\mathrm{RNN}}\} \ge k(N, \alpha)")
    fmt = lambda v: "--" if v is None else f"{v:.3g}"  # noqa: E731
    paper = {"columns": ["Network", "Initial", "Trained, learned", "Trained, not learned"],
             "rows": [[NAMES.get(m, m), fmt(numbers.get(m, {}).get("median D"))]
                      + [f"{fmt(split[m][k]['median D'])} ({split[m][k]['seeds']})" if m in split else "--"
                         for k in ("learned", "not learned")] for m in (*g.models, *(m for m in split
                                                                                      if m not in g.models))],
             "caption": rf"$D = \|\partial C/\partial s_1\|/\|\partial C/\partial s_{{{T}}}\|$, median over "
                        f"seeds: at initialisation ({g.seeds} seeds) and after training, split by whether the seed "
                        "learned (seeds in parentheses)"}
    return Evidence("verified", facts, latex=latex, figures=figures,
                    headline="; ".join(f"{a} above {b} in {f.value['seeds']}/{f.value['of']} seeds" for (a, b), f in
                                       zip(g.pairs, facts)),
                    numbers={"protocol": protocol_record(g, ctx.run.seed), "initial": numbers, "trained": split,
                             "work": work(g), "book_vs_run": rows, "paper_table": paper})


def _band(curve: np.ndarray) -> tuple:
    """Returns (median, min, max) over seeds of each seed's curve relative to its value at t = T, against T - t."""
    rel = (curve / curve[:, -1:])[:, ::-1]
    return np.median(rel, axis=0), rel.min(axis=0), rel.max(axis=0)


CLAIMS = [
    Claim("recurrent-gradient-through-time", "Pascanu et al. 2013; Hochreiter and Schmidhuber 1997",
          "||dC/dh_t|| against T - t over many seeds: the LSTM's ratio D above the RNN's (sign test), the RNN's within "
          "gamma ||W|| per step", check_gradients, group="recurrent", figures=("recurrent-gradient-through-time",),
          cost=3.0, parts=initial_parts, cites=("pascanu2013", "hochreiter1997", "tallec2018"),
          latex_title=r"$\|\partial C/\partial h_t\|$ against $T - t$ over seeds: the LSTM's ratio above the RNN's, "
                      r"the RNN's within the bound"),
    Claim("recurrent-longest-length", "Hochreiter et al. 2001; Gers et al. 2000",
          "The longest sequence each network learns within B updates: the chrono LSTM against equally tuned RNNs",
          check_lengths, group="recurrent", figures=("recurrent-longest-length",), cost=5.0, parts=length_parts,
          latex_title="The longest sequence each network learns within $B$ updates: LSTM against RNN",
          cites=("hochreiter2001", "gers2000", "tallec2018")),
]
