"""Claims of the recurrent network (weights shared over time) and the LSTM: the chain of eq. (122) unrolled
in time, its matrix form, the bound of Pascanu, Mikolov and Bengio (2013), and the LSTM's cell path.
The measured claims (gradient norms through time, the longest length learned) are in claims_recurrent_runs
(registered beside this module).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from numeric import streams
from theory import Step, is_identity, sigma_prime, to_latex
from theory import lstm as lstm_theory
from theory import recurrent as recurrent_theory
from theory import recurrent_matrix as matrix_theory
from theory.activations import z as zsym
from theory.layered import GradC, delta_eq124, layered_network
from theory.notation import sigmoid_prime
from theory.widths import same

from ..bridge_recurrent import rnn_product
from ..claim import Claim, Evidence, Fact, display, exact_number

DIRECT_STEPS = 12  # every T = 1..12 and every k < T by differentiating the unrolled state
WEIGHT_STEPS = 6  # backpropagation through time for the shared w, every T = 1..6
EXPLICIT = ((1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (3, 1), (2, 3))  # (n, T - k) with explicit matrices


def scalar_facts(base=None, step=None) -> list[Fact]:
    """The scalar chain's facts: the induction, every small T by direct differentiation, BPTT for w."""
    b, s = recurrent_theory.base_case(base), recurrent_theory.induction_step(step)
    ok, count = True, 0
    for T in range(1, DIRECT_STEPS + 1):
        net = recurrent_theory.recurrent_chain(T)
        for k in range(T):
            formula = recurrent_theory.to_unrolled(net, recurrent_theory.jacobian_formula(net, k), k)
            ok &= is_identity(recurrent_theory.jacobian_direct(net, k), formula)
            count += 1
    bptt = all(is_identity(recurrent_theory.weight_gradient_direct(net),
                           recurrent_theory.to_unrolled(net, recurrent_theory.weight_gradient_bptt(net), 0))
               for net in map(recurrent_theory.recurrent_chain, range(1, WEIGHT_STEPS + 1)))
    return [
        Fact("base case (T = k + 1): dh_{k+1}/dh_k = w sigma'(z_{k+1})", is_identity(*b), "sympy.diff; expand", b[0]),
        Fact("induction step: dh_{T+1}/dh_k = w sigma'(z_{T+1}) dh_T/dh_k, the T - k steps in between an abstract "
             "function H of h_k, the same w at every step: so the product holds for every T and k",
             is_identity(*s), "sympy.diff; expand", s[0]),
        Fact(f"dh_T/dh_k of the unrolled state equals the product for every T = 1..{DIRECT_STEPS} and every k < T "
             f"({count} identities)", ok, "sympy.diff of the nested recurrence; expand", count),
        Fact(f"backpropagation through time: dC/dw = sum_t C'(h_T) (dh_T/dh_t) sigma'(z_t) h_(t-1), w shared by every "
             f"step, equals SymPy's derivative of the unrolled network for T = 1..{WEIGHT_STEPS}", bptt,
             "sympy.diff in the shared w; expand", WEIGHT_STEPS),
    ]


def check_chain(ctx) -> Evidence:
    facts = scalar_facts()
    s = recurrent_theory._step_symbols()
    z1, zT1 = sp.symbols("z_{k+1} z_{T+1}", real=True)
    dT = sp.Symbol(r"\frac{\partial h_{T}}{\partial h_{k}}")
    base_shown = sp.Mul(s["w"], sigma_prime(z1), evaluate=False)
    step_shown = sp.Mul(s["w"], sigma_prime(zT1), dT, evaluate=False)
    (_, base), (_, step) = recurrent_theory.base_case(), recurrent_theory.induction_step()
    hT = recurrent_theory.H(s["h_k"])
    as_checked = {z1: s["w"] * s["h_k"] + s["u"] * s["x_{k+1}"] + s["b"],
                  zT1: s["w"] * hT + s["u"] * s["x_{T+1}"] + s["b"], dT: sp.diff(hT, s["h_k"])}
    facts.append(Fact("the displayed base and step, with z_{k+1}, z_{T+1} and dh_T/dh_k written out, are the ones "
                      "checked above", is_identity(base_shown.xreplace(as_checked), base)
                      and is_identity(step_shown.xreplace(as_checked), step), "xreplace; expand"))
    steps = [Step(sp.Symbol(r"\frac{\partial h_{k+1}}{\partial h_{k}}"), base_shown,
                  why=r"base: the derivative of one step, $z_{k+1} = w h_k + u x_{k+1} + b$"),
             Step(sp.Symbol(r"\frac{\partial h_{T+1}}{\partial h_{k}}"), step_shown,
                  why=r"step: $h_T = H(h_k)$ for an arbitrary map $H$ (every step between $h_k$ and $h_T$), "
                      r"then the derivative of $h_{T+1}$"),
             Step(sp.Symbol(r"\frac{\partial h_{T+1}}{\partial h_{k}}"),
                  sp.Symbol(r"\prod_{t=k+1}^{T+1} w\,\sigma'(z_t)"),
                  why=r"the hypothesis for $T$; one more factor, the same $w$")]
    return Evidence("proved", facts, statement=recurrent_theory.jacobian_statement(), steps=steps,
                    numbers={"direct_steps": DIRECT_STEPS, "weight_steps": WEIGHT_STEPS})


def matrix_facts(layer=None) -> list[Fact]:
    one, step = matrix_theory.one_step(layer), matrix_theory.induction_step(layer)
    explicit = True
    for n, k in EXPLICIT:
        net = matrix_theory.explicit_network(n, 1, k)
        zs, hT = matrix_theory.state_explicit(net)
        nested = {a: b for z, ze in zip(net["z"], zs) for a, b in zip(z, ze)}
        gap = hT.jacobian(net["h"]) - matrix_theory.product_explicit(net).xreplace(nested)
        explicit &= all(sp.expand(e) == 0 for e in gap)
    # shared weights: eq. (124) with every w^l the one W gives dC/dh_k = W^T delta_{k+1} = (dh_T/dh_k)^T grad
    n, k = 2, 3
    lay = layered_network([n] * (k + 1))
    net = matrix_theory.explicit_network(n, 1, k)
    rename = {a: b for wl in lay.w for a, b in zip(wl, net["W"])} | {a: b for zl, z in zip(lay.z, net["z"])
                                                                        for a, b in zip(zl, z)}
    grad = sp.Matrix([GradC(sp.Integer(j + 1), *lay.aL) for j in range(n)])
    link = net["W"].T * delta_eq124(lay, 1).xreplace(rename) - matrix_theory.product_explicit(net).T * grad
    return [
        Fact("base (T = k + 1): dh^t_p/dh^{t-1}_r = sigma'(z^t_p) W_pr, i.e. Sigma'(z_t) W, for every width n, m",
             same(one["derived"], one["claimed"]), "IndexedBase/Sum layer equation; sympy.diff; Sum.doit(); range "
             "conditions dropped only where the index ranges imply them", one["derived"]),
        Fact("step: dh^{T+1}/dh^k = Sigma'(z_{T+1}) W Pi when dh^T/dh^k = Pi, entry (p, r), widths symbolic, the "
             "matrix product's entry computed by SymPy from n x n matrix symbols",
             same(step["derived"], step["claimed"]),
             "chain rule through h^T; sympy.diff; MatrixSymbol entry shifted to 1-based", step["derived"]),
        Fact(f"supporting: the Jacobian of the unrolled state equals the explicit product for (n, T - k) in {EXPLICIT}",
             explicit, "sympy jacobian of nested explicit matrices; expand"),
        Fact("with every w^l the one W, eq. (124) gives the same: dC/dh_k = W^T delta^{k+1} = (dh_T/dh_k)^T grad C "
             f"(n = {n}, T - k = {k})", all(sp.expand(e) == 0 for e in link), "theory.layered.delta_eq124; expand"),
    ]


def check_matrix(ctx) -> Evidence:
    facts = matrix_facts()
    steps = [Step(sp.Symbol(r"\frac{\partial h^t_p}{\partial h^{t-1}_r}"), matrix_theory.one_step()["derived"],
                  why=r"the derivative of the layer equation, entry by entry; the base, $\Sigma'(z_t) W$"),
             Step(sp.Symbol(r"\frac{\partial h^{T+1}_p}{\partial h^k_r}"), matrix_theory.induction_step()["derived"],
                  why=r"chain rule through $h^T$ with $\partial h^T/\partial h^k = \Pi$: entry $(p, r)$ of "
                      r"$\Sigma'(z_{T+1}) W \Pi$")]
    return Evidence("proved", facts, statement=matrix_theory.statement(), steps=steps,
                    numbers={"proved_for": "all widths n, m and all T > k (induction on T)",
                             "supporting": [list(e) for e in EXPLICIT]})


def bound_facts(rng) -> tuple[list[Fact], dict]:
    g = recurrent_theory.gamma()
    gamma = {name: v["gamma"] for name, v in g.items()}
    gamma_ok = all(v["written_ok"] and v["gap_is_square"] and v["at_zero"] == v["gamma"] for v in g.values())
    w, e = sp.Symbol("w", real=True), sp.Symbol("epsilon", positive=True)
    n = sp.Symbol("N", integer=True, positive=True)
    tight = True
    tanh_prime = sp.Lambda(zsym, sp.diff(sp.tanh(zsym), zsym))
    for steps in range(1, 9):
        net = recurrent_theory.recurrent_chain(steps)
        at0 = recurrent_theory.jacobian_formula(net, 0).xreplace({zt: 0 for zt in net.z})
        tight &= sp.expand(at0.replace(sigma_prime, sigmoid_prime) - (gamma["sigmoid"] * w) ** steps) == 0
        tight &= sp.expand(at0.replace(sigma_prime, tanh_prime) - (gamma["tanh"] * w) ** steps) == 0
    below = sp.limit((1 / (1 + e)) ** n, n, sp.oo)
    above = sp.limit((1 + e) ** n, n, sp.oo)
    Q = sp.Matrix([[sp.Rational(3, 5), -sp.Rational(4, 5)], [sp.Rational(4, 5), sp.Rational(3, 5)]])
    c = sp.Symbol("c", positive=True)
    attained = all(sp.expand(P.T * P - (gamma["sigmoid"] * c) ** (2 * k) * sp.eye(2)) == sp.zeros(2)
                   for k, P in ((k, (gamma["sigmoid"] * sp.eye(2) * c * Q) ** k) for k in range(1, 7)))
    worst = 0.0
    for act, g in (("tanh", 1.0), ("sigmoid", 0.25)):
        for _ in range(100):
            W = rng.normal(0, 1 / np.sqrt(6), (6, 6)) * rng.uniform(0.5, 3)
            zs = rng.normal(0, 2, (10, 6))
            sps = 1 - np.tanh(zs) ** 2 if act == "tanh" else 0.25 / np.cosh(zs / 2) ** 2
            P = rnn_product(6, 10)(list(sps), W)
            worst = max(worst, np.linalg.norm(P, 2) / (g * np.linalg.norm(W, 2)) ** 10)
    facts = [
        Fact("gamma = sup |phi'| is exactly 1/4 for the sigmoid and 1 for tanh, attained at z = 0: with a = phi(z), "
             "gamma - phi' is a square ((a - 1/2)^2, a^2)",
             gamma_ok and gamma == {"sigmoid": sp.Rational(1, 4), "tanh": 1},
             "sympy.diff; expand; exact value at 0", {k: str(v) for k, v in gamma.items()}),
        Fact("scalar chain: |dh_T/dh_k| = |w|^(T-k) prod phi'(z_t) <= (gamma |w|)^(T-k), with equality when every "
             "z_t = 0 (checked exactly for T - k = 1..8, sigmoid and tanh)", tight, "exact substitution; simplify"),
        Fact("Pascanu et al.'s sufficient condition: if gamma ||W|| = 1/(1 + epsilon) < 1 the bound tends to 0 as "
             "T - k grows; if the gradient explodes, gamma ||W|| > 1 (the bound (1 + epsilon)^N is then unbounded)",
             below == 0 and above == sp.oo, "sympy.limit", {"below": str(below), "above": str(above)}),
        Fact("the matrix bound is attained: W = c Q with Q orthogonal (rational rotation) and z = 0 gives "
             "||dh_T/dh_k||_2 = (c/4)^(T-k) exactly for the sigmoid (T - k = 1..6)", attained, "exact P^T P"),
        Fact("||dh_T/dh_k||_2 <= (gamma ||W||_2)^(T-k) on 200 random (W, z), n = 6, T - k = 10, the product "
             "evaluated from theory's matrix symbols", bool(worst <= 1 + 1e-12), "lambdified product; numpy 2-norms",
             f"largest ratio {worst:.3g}"),
    ]
    return facts, gamma


def check_bound(ctx) -> Evidence:
    facts, gamma = bound_facts(streams.generator(streams.replica(ctx.run.seed, 0), "data"))
    steps = [Step(r"\left\|\frac{\partial h_T}{\partial h_k}\right\|",
                  r"\prod_{t=k+1}^{T} \|\Sigma'(z_t)\|\,\|W\|", relation="<=",
                  why=r"the product form of $\partial h_T/\partial h_k$ and $\|AB\| \le \|A\|\,\|B\|$"),
             Step(r"\|\Sigma'(z_t)\|", r"\max_j |\varphi'(z_{t,j})| \le \gamma", relation="=",
                  why=r"a diagonal matrix's 2-norm is its largest entry in absolute value; $\gamma = \sup|\varphi'|$"),
             Step(r"\left\|\frac{\partial h_T}{\partial h_k}\right\|", r"(\gamma\,\|W\|)^{T-k}", relation="<=",
                  why=r"so $\|W\| < 1/\gamma$ makes the gradient vanish geometrically (Pascanu et al. 2013)")]
    latex = display(r"\left\|\frac{\partial h_T}{\partial h_k}\right\| \le (\gamma\,\|W\|)^{T-k},\quad "
                    rf"\gamma = {to_latex(gamma['sigmoid'])}\ (\sigma),\ {to_latex(gamma['tanh'])}\ (\tanh)",
                    r"\|W\| < 1/\gamma \;\Rightarrow\; \frac{\partial h_T}{\partial h_k} \to 0")
    return Evidence("verified", facts, latex=latex, steps=steps,
                    numbers={"gamma": {k: exact_number(v) for k, v in gamma.items()}})


def lstm_facts(cell=lstm_theory.lstm_cell) -> list[Fact]:
    paths = lstm_theory.local_paths(cell)
    base, step = lstm_theory.cell_base_case(cell), lstm_theory.cell_induction_step(cell)
    original, with_gate = lstm_theory.carousel()
    widths = lstm_theory.cell_path_widths(cell)
    facts = [Fact(f"{name} as the module states (SymPy's derivative of one step)", is_identity(d, c),
                  "sympy.diff; expand", d) for name, (d, c) in paths.items()]
    return facts + [
        Fact("cell path, base: dc_{k+1}/dc_k = f_{k+1} (h_k held)", is_identity(*base), "sympy.diff", base[0]),
        Fact("cell path, step: dc_{T+1}/dc_k = f_{T+1} dc_T/dc_k with c_T an abstract function of c_k: "
             "prod_{t=k+1}^T f_t for every T", is_identity(*step), "sympy.diff", step[0]),
        Fact("the constant error carousel: the original cell c_t = c_(t-1) + i_t g_t, and the forget-gate cell at "
             "f_t = 1, pass the error on unchanged (dc_t/dc_(t-1) = 1)", original == 1 and with_gate == 1, "sympy.diff",
             [original, with_gate]),
        Fact("vector form, width n symbolic: dc^t_p/dc^(t-1)_s = f_p delta_ps, i.e. diag(f_t); every gate a function "
             "of h^(t-1) and x^t only", sp.expand(widths["derived"] - widths["claimed"]) == 0,
             "IndexedBase/Sum gates; sympy.diff; Sum.doit()", widths["derived"]),
    ]


def check_lstm(ctx) -> Evidence:
    facts = lstm_facts()
    f, i, o, g, c, cp, h = sp.symbols("f_t i_t o_t g_t c_t c_{t-1} h_{t-1}")
    latex = display(r"\frac{\partial c_t}{\partial c_{t-1}} = \operatorname{diag}(f_t),\qquad "
                    r"\frac{\partial c_T}{\partial c_k}\Big|_{\text{cell}} = "
                    r"\prod_{t=k+1}^{T} \operatorname{diag}(f_t)",
                    r"\frac{\partial c_t}{\partial h_{t-1}} = c_{t-1}\sigma'(a_f) r_f + g_t \sigma'(a_i) r_i + "
                    r"i_t \tanh'(a_g) r_g")
    steps = [Step(r"\frac{\partial c_t}{\partial c_{t-1}}", r"f_t",
                  why=r"$c_t = f_t c_{t-1} + i_t g_t$; no gate reads $c_{t-1}$"),
             Step(r"\frac{\partial h_t}{\partial c_{t-1}}", r"o_t \tanh'(c_t)\, f_t", why=r"$h_t = o_t \tanh(c_t)$"),
             Step(r"\frac{\partial h_t}{\partial h_{t-1}}", r"\tanh(c_t)\sigma'(a_o) r_o + o_t \tanh'(c_t)\,"
                  r"\frac{\partial c_t}{\partial h_{t-1}}", why="the output gate's path and the cell's")]
    return Evidence("proved", facts, latex=latex, steps=steps)


CLAIMS = [
    Claim("recurrent-chain-jacobian", "Hochreiter et al. 2001; cf. (122)",
          "The recurrent chain: dh_T/dh_k = prod w sigma'(z_t), every T (induction)", check_chain,
          group="recurrent", cost=4.0,
          latex_title=r"The recurrent chain: $\partial h_T/\partial h_k = \prod_{t=k+1}^{T} w\,\ugsigmaprime(z_t)$, "
                      r"every $T$ (induction)",
          cites=("hochreiter2001", "pascanu2013", "nielsen2015")),
    Claim("recurrent-matrix-jacobian", "Pascanu et al. 2013; cf. (124)",
          "dh_T/dh_k = Sigma'(z_T) W ... Sigma'(z_{k+1}) W for all widths and T", check_matrix, group="recurrent",
          cost=6.0,
          latex_title=r"$\partial h_T/\partial h_k = \ugSigmaprime(z_T) W \cdots \ugSigmaprime(z_{k+1}) W$ for all "
                      r"widths and all $T$",
          cites=("pascanu2013",)),
    Claim("recurrent-norm-bound", "Pascanu, Mikolov and Bengio 2013",
          "||dh_T/dh_k|| <= (gamma ||W||)^(T-k): vanishing when ||W|| < 1/gamma", check_bound, group="recurrent",
          cost=3.0,
          latex_title=r"$\|\partial h_T/\partial h_k\| \le (\gamma \|W\|)^{T-k}$: vanishing when $\|W\| < 1/\gamma$",
          cites=("pascanu2013",)),
    Claim("lstm-cell-path", "Hochreiter and Schmidhuber 1997; Gers et al. 2000",
          "The LSTM's cell path dc_t/dc_{t-1} = diag(f_t); the gates' paths", check_lstm, group="recurrent", cost=1.5,
          latex_title=r"The LSTM's cell path $\partial c_t/\partial c_{t-1} = \operatorname{diag}(f_t)$ and the "
                      r"gates' paths",
          cites=("hochreiter1997", "gers2000")),
]
