"""The diagnosis as one screen of text (``python -m proofs diagnose``): read from a record of ``proofs.diagnosis``.

Returns a string; prints nothing. Layers are shown all up to ``ROWS``, else the first three, the last two and
evenly spaced ones between (the record holds every layer).
"""

from __future__ import annotations

import math

import numpy as np

from .diagnosis import sizes_text

__all__ = ["screen", "ROWS", "layer_rows"]

ROWS = 12


def _g(v, digits: int = 4) -> str:
    """A number in ``digits`` significant digits; powers of ten where it is small or large; "-" for None."""
    if v is None:
        return "-"
    v = float(v)
    if not math.isfinite(v):
        return "inf" if v > 0 else "-inf" if v < 0 else "nan"
    if v != 0 and not 1e-3 <= abs(v) < 1e5:
        return f"{v:.{digits - 1}e}"
    return f"{v:.{digits}g}"


def _span(spread: dict, i: int, digits: int = 3) -> str:
    return f"[{_g(spread['min'][i], digits)}, {_g(spread['max'][i], digits)}]"


def layer_rows(hidden: int, rows: int = ROWS) -> list[int]:
    """Returns the hidden layers (1-based) a table shows: all up to ``rows``, else the first three, the last two and
    evenly spaced ones between."""
    if hidden <= rows:
        return list(range(1, hidden + 1))
    picked = {1, 2, 3, hidden - 1, hidden} | {int(round(v)) for v in np.linspace(1, hidden, rows - 4)}
    return sorted(picked)


def _network(r: dict) -> list[str]:
    n, H = r["network"], len(r["network"]["sizes"]) - 2
    extras = [w for w, on in (("residual blocks", n["residual"]), ("batch normalisation", n["batch_norm"])) if on]
    head = f"network   {sizes_text(n['sizes'])} ({H} hidden layer{'s' if H > 1 else ''}), {n['activation']}"
    if n["source"] == "file":
        head += f", from {n['file']} ({n['format']})"
    else:
        head += f", init {n['init']}: {n['init_words']}"
    sw, sb = n["sigma_w"], n["sigma_b"]
    same = len({round(v, 6) for v in sw}) == 1 and len({round(v, 6) for v in sb}) == 1
    sig = (f"sigma_w = {_g(sw[0])}, sigma_b = {_g(sb[0])} in every layer" if same else
           "sigma_w per layer " + ", ".join(_g(v, 3) for v in sw) + "; sigma_b " + ", ".join(_g(v, 3) for v in sb))
    return [head + (" with " + " and ".join(extras) if extras else ""),
            f"          read out by {n['output']} ({n['cost']} cost); {sig}",
            "          (mean field's convention: W^l ~ N(0, sigma_w^2 / n_(l-1)), b^l ~ N(0, sigma_b^2))"]


def _meanfield(r: dict) -> list[str]:
    m, H = r["meanfield"], len(r["network"]["sizes"]) - 2
    out = ["", "mean field (Poole et al. 2016; Schoenholz et al. 2017)"
           + ("" if m["uniform"] else ", at the hidden layers' median")
           + f": sigma_w = {_g(m['sigma_w'])}, sigma_b = {_g(m['sigma_b'])}"]
    if m["bounded"]:
        out.append(f"  q* = {_g(m['q_star'], 6)}   chi_1 = {_g(m['chi_1'], 6)}   sqrt(chi_1) = "
                   f"{_g(m['sqrt_chi_1'], 6)} (the factor per layer at q*)")
    else:
        keeps = m["phase"] == "edge" and m["sigma_b"] == 0
        why = ("none unique: at sigma_b = 0 on the edge the variance map keeps every q (q^l stays near q^1)" if keeps
               else "none, the variance grows without bound")
        out.append(f"  q*: {why}; chi_1 = {_g(m['chi_1'], 6)} and sqrt(chi_1) = {_g(m['sqrt_chi_1'], 6)} "
                   + ("at every q" if keeps else "as q -> infinity"))
    tol, c_star = m["edge_tolerance"], (f"c* = {_g(m['c_star'])}" if m["bounded"] else "c* needs a fixed point q*")
    out.append("  phase: " + {"ordered": f"ordered (chi_1 < 1 - {tol:g}): gradients vanish, inputs' correlations go "
                                         f"to 1; {c_star}",
                              "chaotic": f"chaotic (chi_1 > 1 + {tol:g}): gradients explode, correlations fall below 1"
                                         f"; {c_star}",
                              "edge": f"at the edge of chaos (|chi_1 - 1| <= {tol:g}); {c_star}"}[m["phase"]])
    grow = " (negative: gradients grow)" if m["xi_grad"] < 0 else ""
    xi_grad = f"{_g(m['xi_grad'])} layers{grow}" if abs(m["xi_grad"]) < 1e12 else "inf (chi_1 = 1 to rounding)"
    out.append(f"  depth scales: xi_c = {_g(m['xi_c'])}, xi_grad = {xi_grad}" if m["bounded"] else
               f"  depth scales: xi_grad = {xi_grad}; xi_c needs a fixed point q*")
    if m["trainable_depth"] is None:
        why = ("no limit from mean field (xi_c diverges at the edge)" if m["phase"] == "edge"
               else "mean field gives none here (no fixed point to take xi_c at)")
        out.append(f"  trainable depth: {why}")
    else:
        out.append(f"  trainable up to depth {m['trainable_factor']:g} xi_c = {_g(m['trainable_depth'], 3)} "
                   f"(Schoenholz et al.'s empirical bound); this network: {H} hidden layers")
    e = m["edge"]
    a = (f"sigma_w = {_g(e['sigma_w_at_sigma_b'], 6)} (sigma_w^2 = {_g(e['sigma_w_at_sigma_b'] ** 2, 6)})"
         if e["sigma_w_at_sigma_b"] is not None else "no sigma_w")
    b = f"sigma_b = {_g(e['sigma_b_at_sigma_w'], 6)}" if e["sigma_b_at_sigma_w"] is not None else "no sigma_b"
    out.append(f"  nearest edge of chaos: {a} at sigma_b = {_g(m['sigma_b'])}; {b} at sigma_w = {_g(m['sigma_w'])}")
    out.append(f"  from the digits' q^1 = {_g(m['q1'])}: RMS ||delta^1|| / RMS ||delta^{H}|| = "
               f"{_g(m['first_over_last'], 3)} predicted (prod sqrt(chi^l))")
    return out


def _measured(r: dict) -> list[str]:
    s, H, m = r["measured"], len(r["network"]["sizes"]) - 2, r["meanfield"]
    spread = "; spread = [min, max] over them" if s["networks"] > 1 else " (one network: no spread)"
    seed = f", seed {r['settings']['seed']}" if r["network"]["source"] != "file" else ""
    out = ["", f"measured: {s['what']} on {s['examples']} embedded digits ({s['pairs']} pairs){seed}{spread}",
           f"  RMS ||delta^1|| / RMS ||delta^{H}|| = {_g(s['first_over_last']['centre'][0], 3)}"
           + (f" {_span(s['first_over_last'], 0)}" if s["networks"] > 1 else ""), ""]
    L, P = s["layers"], m.get("layers") if m["applies"] else None
    multi = s["networks"] > 1
    spread = (lambda d, i: " " + _span(d, i)) if multi else (lambda d, i: "")  # noqa: E731
    w = 30 if multi else 10
    out += ["  backward: factor = RMS ||delta^l|| / RMS ||delta^(l+1)||, to last = RMS ||delta^l|| / RMS ||delta^H||",
            f"  {'layer':>5}  {'chi^l':>8}  {'factor':>9}  {'measured' + (' [spread]' if multi else ''):<{w}}   "
            f"{'to last':>9}  measured" + (" [spread]" if multi else "")]
    for l in layer_rows(H):
        i, inner = l - 1, P is not None and l < H
        chi, fac = (_g(P["chi"][i]), _g(P["factor"][i])) if inner else ("-", "-")
        got = _g(L["factor"]["centre"][i]) + spread(L["factor"], i) if l < H else "-"
        rp = _g(P["rms_over_last"][i], 3) if P else "-"
        rm = _g(L["rms_over_last"]["centre"][i], 3) + spread(L["rms_over_last"], i)
        out.append(f"  {l:>5d}  {chi:>8s}  {fac:>9s}  {got:<{w}s}   {rp:>9s}  {rm}")
    out += ["", "  forward   q^l, the variance of z^l     c^l, the correlation of two digits' z^l",
            f"  {'layer':>5}  {'predicted':>9}  {'measured':>9}      {'predicted':>9}  measured"
            + (" [spread]" if multi else "")]
    for l in layer_rows(H):
        i = l - 1
        qp, cp = (_g(P["q"][i]), _g(P["c"][i], 3)) if P else ("-", "-")
        out.append(f"  {l:>5d}  {qp:>9s}  {_g(L['q']['centre'][i]):>9s}      {cp:>9s}  "
                   f"{_g(L['c']['centre'][i], 3)}{spread(L['c'], i)}")
    return out


def screen(record: dict) -> str:
    """Returns the diagnosis of ``record`` as text: the network, mean field's prediction (or why it does not
    apply), the measurement layer by layer, and the verdict."""
    lines = _network(record)
    if record["meanfield"]["applies"]:
        lines += _meanfield(record)
    else:
        why = record["meanfield"]["why_not"]
        lines += ["", f"mean field does not apply: {why[0].upper()}{why[1:]}"]
    lines += _measured(record)
    lines += ["", f"verdict: {record['verdict']}"]
    return "\n".join(lines) + "\n"
