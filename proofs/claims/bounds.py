"""Claims about when a gradient can avoid vanishing: |w| >= 4, eq. 123 and its maximum, the
identity neuron, and activations with larger derivatives (Nielsen ch. 5, Problems)."""

from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp

from numeric.experiments import width as numeric_width
from numeric.figures import interval_figure, width_figure
from theory import bounds, to_latex
from theory.activations import activations, k, sup_derivative, z
from theory.identity_neuron import identity_choice, tanh_bound_facts, u, w1

from .. import book
from ..bridge import sampled_max
from ..claim import Claim, Evidence, Fact, broken, display, enclosure, exact_number
from ..figures import save
from ..latex_text import truncate

DIGITS = 30  # significant digits printed for the maximum
SHOWN_DIGITS = 15  # of which the display equation shows these


def check_threshold(ctx) -> Evidence:
    peak, region = bounds.threshold()
    facts = [
        Fact("max over a of |w sigma'(wa + b)| is |w| sigma'(0) = |w|/4 (sigma' peaks at 1/4, claim sigmoid-prime-max)",
             sp.simplify(peak - bounds.W / 4) == 0, "exact", peak),
        Fact("|w|/4 >= 1 exactly when |w| is in [4, oo)", region == sp.Interval(4, sp.oo),
             "sympy.solve_univariate_inequality", region),
    ]
    latex = rf"\bigl|w\,\sigma'(wa+b)\bigr| \ge 1 \;\Rightarrow\; |w| \ge {to_latex(region.inf)}"
    statement = sp.Equivalent(sp.Ge(peak, 1), sp.Contains(bounds.W, region), evaluate=False)
    return Evidence("proved", facts, latex=latex, statement=statement)


def check_width(ctx) -> Evidence:
    steps, identities = bounds.width_derivation()
    gap, cancelled = bounds.unimodality()
    at4, at_inf = bounds.width_limits()
    facts = [Fact(name, bool(ok), "sympy, exact") for name, ok in identities.items()]
    facts += [
        Fact("sigma''(x) = sigma'(x)(1 - 2 sigma(x)): sigma' rises for x < 0 and falls for x > 0, so the set is one "
             "interval (the preimage of one under a -> wa + b)", cancelled == 0, "cancel in t = e^{-x}", cancelled),
        Fact("the width is 0 at |w| = 4", at4 == 0, "exact", at4),
        Fact("the width tends to 0 as |w| -> oo", at_inf == 0, "sympy.limit", at_inf),
    ]
    weights, b = (3, 5, 8), 0.5
    intervals = [numeric_width.interval(w, b) for w in weights]
    figures = save(ctx, interval_figure(weights, b, intervals), "interval-width")
    def book_form(a):  # (2/|w|) ln(|w|(1 + sqrt(1 - 4/|w|))/2 - 1), in the book's order
        ratio = sp.Mul(a, sp.Add(1, sp.sqrt(sp.Add(1, -4 / a, evaluate=False)), evaluate=False), evaluate=False)
        return sp.Mul(2 / a, sp.log(sp.Add(sp.Mul(ratio, sp.Pow(2, -1, evaluate=False), evaluate=False), -1,
                                            evaluate=False)),
                      evaluate=False)

    absw = sp.Symbol("|w|", positive=True)
    facts.append(Fact("the displayed form is eq. (123) as derived",
                      sp.simplify(book_form(bounds.W) - bounds.book_width()) == 0, "sympy.simplify of the difference"))
    length = r"\Bigl|\bigl\{a : |w\,\sigma'(wa+b)| \ge 1\bigr\}\Bigr|"
    return Evidence("proved", facts, statement=sp.Eq(sp.Symbol("width"), book_form(absw), evaluate=False),
                    latex=broken(length, book_form(absw)), steps=steps, figures=figures)


def check_width_maximum(ctx) -> Evidence:
    d1, d2 = bounds.width_derivatives()
    r = bounds.r
    m = numeric_width.maximum(dps=ctx.run.dps)
    c = numeric_width.certify(dps=ctx.run.dps)
    enc_w, enc_width = c["abs_w_enclosure"], c["width_enclosure"]
    digits = min(DIGITS, ctx.run.dps - 5)
    facts = [
        Fact("d width/dr = 1 - 2 r artanh(r) for width = (1 - r^2) artanh(r)",
             sp.simplify(d1 - (1 - 2 * r * sp.atanh(r))) == 0, "sympy.diff", d1),
        Fact("d^2 width/dr^2 = -2 artanh(r) - 2r/(1 - r^2) < 0 on (0, 1): the slope falls, one maximum",
             sp.simplify(d2 - (-2 * sp.atanh(r) - 2 * r / (1 - r**2))) == 0, "sympy.diff; both terms negative", d2),
        Fact("the slope's range over [0, r_lo] is > 0 (the width rises up to the enclosure)", c["rises_before"],
             f"mpmath.iv at {ctx.run.dps + 10} digits", mpmath.nstr(c["slope_before"].a, 10)),
        Fact("the slope's range over [r_hi, 1 - 1e-30] is < 0 (the width falls after it)", c["falls_after"],
             f"mpmath.iv at {ctx.run.dps + 10} digits", mpmath.nstr(c["slope_after"].b, 10)),
        Fact("the findroot maximiser lies inside the certified enclosure",
             bool(enc_w.a <= m["abs_w"] <= enc_w.b), "interval containment"),
    ]
    w_str, width_str = mpmath.nstr(m["abs_w"], digits), mpmath.nstr(m["width"], digits)
    abs_w = np.linspace(4, 40, 721)
    figures = save(ctx, width_figure(abs_w, np.array([float(numeric_width.width(v, dps=15)) for v in abs_w]),
                                     float(m["abs_w"]), float(m["width"])), "width-maximum")
    numbers = {
        "argmax_abs_w": exact_number(m["abs_w"], digits), "max_width": exact_number(m["width"], digits),
        "r_star": exact_number(m["r"], digits), "dps": ctx.run.dps,
        "abs_w_enclosure": enclosure(enc_w, digits + 5), "width_enclosure": enclosure(enc_width, digits + 5),
        "book_vs_run": [{"quantity": "|w| where the width (123) is largest", "book": f"about {book.WIDTH_ARGMAX_ABS_W}",
                         "run": w_str},
                        {"quantity": "largest width", "book": f"about {book.WIDTH_MAX}", "run": width_str}],
    }
    short = min(SHOWN_DIGITS, digits)  # the display fits a column; all digits are in the table and results.json
    latex = display(rf"\max_{{|w| \ge 4}} \text{{width}}(|w|) = {truncate(m['width'], short)}\ldots",
                    rf"\text{{at }} |w| = {truncate(m['abs_w'], short)}\ldots,",
                    r"2 r^\ast \operatorname{artanh} r^\ast = 1,\; r^\ast = \sqrt{1 - 4/|w|^\ast}")
    statement = sp.Eq(2 * r * sp.atanh(r), 1, evaluate=False)  # the maximiser's equation; r* = sqrt(1 - 4/|w|*)
    return Evidence("certified", facts, latex=latex, numbers=numbers, figures=figures, statement=statement,
                    headline=f"|w|* = {w_str}   max width = {width_str}")


def check_identity_neuron(ctx) -> Evidence:
    ch = identity_choice()
    tb = tanh_bound_facts()
    delta = sp.Symbol(r"\Delta", real=True)
    checks = numeric_width.identity_errors([0.5, 0.1, 0.01], dps=min(ctx.run.dps, 60))
    worst = max(c["max_error_over_bound"] for c in checks)
    facts = [
        Fact("with b = -w_1/2 the weighted input is w_1 Delta", sp.simplify(ch["pre_activation"] - w1 * delta) == 0,
             "exact"),
        Fact("with w_2 = 4/w_1 the output is x + (2/w_1 - 1/2) + O(w_1^2): linear coefficient 1",
             ch["linear"] == 1, "sympy.series in w_1", ch["expansion"]),
        Fact("the constant is 2/w_1 - 1/2 (the next layer's bias must absorb it)",
             sp.simplify(ch["offset_from_x"] - (2 / w1 - sp.Rational(1, 2))) == 0, "exact", ch["offset_from_x"]),
        Fact("the leading error is -w_1^2 Delta^3/12", sp.simplify(ch["error_leading"] + w1**2 * delta**3 / 12) == 0,
             "sympy.series", ch["error_leading"]),
        Fact("|tanh v - v| <= v^3/3: f(0) = 0, f' = v^2 - tanh^2 v >= 0; g = v - tanh v, g' = tanh^2 v",
             tb["f(0)"] == 0 and tb["f' - (v^2 - tanh^2)"] == 0 and tb["g(0)"] == 0 and tb["g' - tanh^2"] == 0,
             "sympy.diff"),
        Fact("sigma(u) = (1 + tanh(u/2))/2, so |sigma(u) - 1/2 - u/4| <= |u|^3/48 and |error| <= w_1^2/96 on [0, 1]",
             tb["sigma - (1 + tanh(u/2))/2"] == 0 and sp.simplify(tb["bound at u"] - u**3 / 48) == 0, "sympy"),
        Fact("at w_1 = 0.5, 0.1, 0.01 and 201 points of [0, 1] the error stays within w_1^2 |Delta|^3/12",
             bool(worst <= 1), f"mpmath at {min(ctx.run.dps, 60)} digits", mpmath.nstr(worst, 8)),
    ]
    x = sp.Symbol("x", real=True)
    offset = sp.Add(2 / w1, -sp.Rational(1, 2), evaluate=False)
    shown = sp.Add(x, offset, ch["error_leading"], sp.O(w1**4), evaluate=False)
    rest = sp.expand(shown.removeO().subs(x, sp.Rational(1, 2) + delta) - ch["expansion"])
    facts.append(Fact("the displayed expansion, with x = 1/2 + Delta, differs from SymPy's series by O(w_1^4) only",
                      sp.expand(rest / w1**4).is_polynomial(w1), "expand; the difference over w_1^4 is a polynomial",
                      rest))
    series = (rf"x + \Bigl({to_latex(2 / w1)} - {to_latex(sp.Rational(1, 2))}\Bigr) {to_latex(ch['error_leading'])} "
              rf"+ {to_latex(sp.O(w1**4))}")  # the terms of ``shown``, checked above
    latex = display(rf"w_2\,\sigma(w_1 x + b) = {series},",
                    rf"x = \tfrac12 + \Delta,\; b = {to_latex(-w1 / 2)},\; w_2 = {to_latex(4 / w1)},\quad "
                    r"|\text{error}| \le \frac{w_1^2}{96}")
    # no ``statement``: the display is an expansion with an O(w_1^4) term, which SymPy cannot store unevaluated
    return Evidence("proved", facts, latex=latex,
                    numbers={"max_error_by_w1": {str(mpmath.nstr(c["w1"], 3)): exact_number(c["max_error"], 10)
                                                for c in checks}})


def check_activations(ctx) -> Evidence:
    facts, rows, exported = [], {}, {}
    for name, phi in activations().items():
        res = sup_derivative(phi)
        rows[name] = {"sup |phi'|": res["sup"], "attained at": res["attained_at"], "|w| threshold 1/M": 1 / res["sup"]}
        exported[name] = {key: exact_number(v) if isinstance(v, sp.Basic) else v for key, v in rows[name].items()}
        d = res["derivative"].subs(k, 2)
        grid = sampled_max(d.replace(sp.Heaviside, lambda x, *rest: sp.Piecewise((0, x < 0), (1, True))), z)
        M = float(res["sup"].subs(k, 2))
        facts.append(Fact(f"{name}: sup |phi'| = {res['sup']} ({res['attained_at']}), so a factor |w phi'| can reach 1 "
                          f"only when |w| >= {1 / res['sup']}; on 2,001 points of [-50, 50] (k = 2) phi' stays <= M "
                          "and comes within 1e-6 of it", bool(grid <= M * (1 + 1e-12) and grid >= M - 1e-6),
                          "sympy.maximum / limit; mpmath sampling", res["derivative"]))
    facts.append(Fact("the sigmoid's sup agrees with claim sigmoid-prime-max",
                      rows["sigmoid"]["sup |phi'|"] == sp.Rational(1, 4), "exact"))
    facts.append(Fact("sigma(kz) has sup k/4: a steeper sigmoid only rescales the threshold to 4/k",
                      sp.simplify(rows["scaled sigmoid sigma(kz)"]["sup |phi'|"] - k / 4) == 0, "exact"))
    names = {"sigmoid": r"\sigma", "tanh": r"\tanh", "scaled sigmoid sigma(kz)": r"\sigma(kz)",
             "softplus": r"\text{softplus}", "relu": r"\text{ReLU}", "leaky-relu": r"\text{leaky ReLU}",
             "elu": r"\text{ELU}"}
    values = [rf"M_{{{names.get(n, n)}}} = {to_latex(rows[n]['sup |phi' + chr(39) + '|'])}" for n in rows]
    latex = display(r"\bigl|w\,\varphi'(z)\bigr| \le M|w|,\quad M = \sup_z|\varphi'(z)|:",
                    r",\; ".join(values[:3]) + ",", r",\; ".join(values[3:]))
    statement = sp.Tuple(*(sp.Eq(sp.Symbol(f"M_{{{n}}}"), rows[n]["sup |phi'|"], evaluate=False) for n in rows))
    return Evidence("proved", facts, latex=latex, numbers=exported, statement=statement)


CLAIMS = [
    Claim("w-at-least-4", "ch. 5, Problem", "|w sigma'(wa+b)| >= 1 needs |w| >= 4", check_threshold, group="bounds",
          latex_title=r"$|w\,\ugsigmaprime(wa+b)| \ge 1$ needs $|w| \ge 4$"),
    Claim("eq123-interval-width", "(123)", "The width of the interval where |w sigma'(wa+b)| >= 1", check_width,
          tag="123", group="bounds", figures=("interval-width",),
          latex_title=r"The width of the interval where $|w\,\ugsigmaprime(wa+b)| \ge 1$"),
    Claim("eq123-width-maximum", "ch. 5, Problem",
          f"The largest width, about {book.WIDTH_MAX} near |w| = {book.WIDTH_ARGMAX_ABS_W} (certified)",
          check_width_maximum, group="bounds", figures=("width-maximum",),
          latex_title="The largest width, about $0.45$ near $|w| = 6.9$ (certified)"),
    Claim("identity-neuron", "ch. 5, Problem", "A sigmoid neuron that approximates the identity", check_identity_neuron,
          group="bounds",
          latex_title="A sigmoid neuron that approximates the identity"),
    Claim("larger-derivative-activations", "ch. 5, Exercise", "Activations with a larger derivative: sup |phi'|",
          check_activations, group="bounds", cost=1.5,
          latex_title=r"Activations with a larger derivative: $\sup |\varphi'|$"),
]
