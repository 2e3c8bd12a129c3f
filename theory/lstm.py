"""The LSTM cell with a forget gate (Hochreiter and Schmidhuber 1997; Gers, Schmidhuber and Cummins 2000):
every path of the error from step t back to step t - 1, derived by SymPy.

One step, scalar (the vector form is diagonal in the cell path, see ``cell_path_widths``):

    a_q = w_q x_t + r_q h_{t-1} + b_q  (q = i, f, o, g),
    i_t = sigma(a_i), f_t = sigma(a_f), o_t = sigma(a_o), g_t = tanh(a_g),
    c_t = f_t c_{t-1} + i_t g_t,    h_t = o_t tanh(c_t).

The gates use the abstract sigma (any differentiable squashing function); the cell's input and output
use tanh, whose derivative SymPy writes 1 - tanh^2. The results (``local_paths``):

    dc_t/dc_{t-1} = f_t                      (the cell's own path; 1 when f = 1: the constant error carousel)
    dc_t/dh_{t-1} = c_{t-1} sigma'(a_f) r_f + g_t sigma'(a_i) r_i + i_t tanh'(a_g) r_g   (through the gates)
    dh_t/dc_{t-1} = o_t tanh'(c_t) f_t
    dh_t/dh_{t-1} = tanh(c_t) sigma'(a_o) r_o + o_t tanh'(c_t) dc_t/dh_{t-1}

and, along the cell path over many steps (``cell_induction_step``), dc_T/dc_k = prod_{t=k+1}^{T} f_t for
every T. Each function takes the cell update as an argument, so a planted error (a forget gate
ignored) can be fed in and must make the proof fail.
"""

from __future__ import annotations

import sympy as sp

from .indexed import Index, reduce
from .induction import abstract_function
from .notation import sigma, sigma_prime

__all__ = [
    "cell_symbols",
    "gates",
    "lstm_cell",
    "local_paths",
    "cell_base_case",
    "cell_induction_step",
    "carousel",
    "Ccell",
    "cell_path_widths",
]

GATES = ("i", "f", "o", "g")


def cell_symbols() -> dict:
    """Returns the symbols x_t, h_{t-1}, c_{t-1} and w_q, r_q, b_q for the gates q = i, f, o, g (all real)."""
    names = ["x_t", "h_{t-1}", "c_{t-1}"] + [f"{p}_{q}" for q in GATES for p in ("w", "r", "b")]
    return {n: sp.Symbol(n, real=True) for n in names}


def gates(s: dict, h=None, x=None) -> dict:
    """Returns {q: pre-activation a_q} and the gates {i, f, o, g} as expressions of h_{t-1} (or ``h``) and x_t."""
    h = s["h_{t-1}"] if h is None else h
    x = s["x_t"] if x is None else x
    a = {q: s[f"w_{q}"] * x + s[f"r_{q}"] * h + s[f"b_{q}"] for q in GATES}
    return a, {"i": sigma(a["i"]), "f": sigma(a["f"]), "o": sigma(a["o"]), "g": sp.tanh(a["g"])}


def lstm_cell(c_prev, gate: dict):
    """Returns (c_t, h_t) = (f c_{t-1} + i g, o tanh(c_t)): the book-keeping of Gers et al. (2000)."""
    c = gate["f"] * c_prev + gate["i"] * gate["g"]
    return c, gate["o"] * sp.tanh(c)


def local_paths(cell=lstm_cell) -> dict:
    """Returns {name: (derived by SymPy, claimed)} for the four partials of one step (see the module).

    ``claimed`` is written with the gates as the expressions they are; SymPy's tanh' is 1 - tanh^2.
    """
    s = cell_symbols()
    a, g = gates(s)
    c, h = cell(s["c_{t-1}"], g)
    tanh_prime = lambda v: 1 - sp.tanh(v) ** 2  # noqa: E731
    dc_dh = (
        s["c_{t-1}"] * sigma_prime(a["f"]) * s["r_f"]
        + g["g"] * sigma_prime(a["i"]) * s["r_i"]
        + g["i"] * tanh_prime(a["g"]) * s["r_g"]
    )
    c_true = g["f"] * s["c_{t-1}"] + g["i"] * g["g"]
    return {
        "dc_t/dc_{t-1}": (sp.diff(c, s["c_{t-1}"]), g["f"]),
        "dc_t/dh_{t-1}": (sp.diff(c, s["h_{t-1}"]), dc_dh),
        "dh_t/dc_{t-1}": (sp.diff(h, s["c_{t-1}"]), g["o"] * tanh_prime(c_true) * g["f"]),
        "dh_t/dh_{t-1}": (
            sp.diff(h, s["h_{t-1}"]),
            sp.tanh(c_true) * sigma_prime(a["o"]) * s["r_o"] + g["o"] * tanh_prime(c_true) * dc_dh,
        ),
    }


Ccell, Ccell_prime = abstract_function(
    "Ccell", r"\frac{\partial c_T}{\partial c_k}", __name__,
    "c_T as a function of c_k along the cell path (the gates of every step held at their values), abstract.")


def cell_base_case(cell=lstm_cell):
    """Returns (dc_{k+1}/dc_k by SymPy with h_k held, f_{k+1}): the cell path over one step."""
    s = cell_symbols()
    _, g = gates(s)
    return sp.diff(cell(s["c_{t-1}"], g)[0], s["c_{t-1}"]), g["f"]


def cell_induction_step(cell=lstm_cell):
    """Returns (dc_{T+1}/dc_k by SymPy, f_{T+1} dc_T/dc_k) with c_T = Ccell(c_k) abstract and the gates of step
    T + 1 held (the cell path): the product prod f_t gains one factor per step, so it holds for every T."""
    s = cell_symbols()
    c_k = sp.Symbol("c_k", real=True)
    _, g = gates(s)
    cT = Ccell(c_k)
    return sp.diff(cell(cT, g)[0], c_k), g["f"] * sp.diff(cT, c_k)


def carousel():
    """Returns (dc_t/dc_{t-1} of the original LSTM, c_t = c_{t-1} + i_t g_t, by SymPy; and the forget-gate cell's
    value at f_t = 1): both 1, the constant error carousel of Hochreiter and Schmidhuber (1997)."""
    s = cell_symbols()
    _, g = gates(s)
    original = sp.diff(s["c_{t-1}"] + g["i"] * g["g"], s["c_{t-1}"])
    with_gate = sp.diff(lstm_cell(s["c_{t-1}"], g)[0], s["c_{t-1}"]).xreplace({g["f"]: sp.Integer(1)})
    return original, with_gate


def cell_path_widths(cell=lstm_cell) -> dict:
    """Returns the cell path dc_t/dc_{t-1} in components for a symbolic width n: {"derived", "claimed", "rewrites"}.

    c^t_p = f_p c^{t-1}_p + i_p g_p with each gate q_p = act(sum_j r^q_{pj} h^{t-1}_j + sum_i w^q_{pi} x_i + b^q_p);
    SymPy differentiates in c^{t-1}_s (p, s free indices over 1..n) and the claim is diag(f_t): f_p delta_{ps}.
    """
    n, m = sp.symbols("n m", integer=True, positive=True)
    p, s_, j, i = Index("p", (1, n)), Index("s", (1, n)), Index("j", (1, n)), Index("i", (1, m))
    h, x, c = (sp.IndexedBase(name, real=True) for name in ("h^{t-1}", "x^{t}", "c^{t-1}"))

    def act(q, row):
        pre = (
            sp.Sum(sp.IndexedBase(f"r^{q}", real=True)[row, j] * h[j], (j, 1, n))
            + sp.Sum(sp.IndexedBase(f"w^{q}", real=True)[row, i] * x[i], (i, 1, m))
            + sp.IndexedBase(f"b^{q}")[row]
        )
        return sp.tanh(pre) if q == "g" else sigma(pre)

    gate = {q: act(q, p) for q in GATES}
    derived, rewrites = reduce(sp.diff(cell(c[p], gate)[0], c[s_]), (p, s_))
    return {
        "derived": derived,
        "claimed": gate["f"] * sp.KroneckerDelta(p, s_),
        "rewrites": rewrites,
        "indices": (p, s_),
    }
