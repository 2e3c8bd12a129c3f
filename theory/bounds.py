"""When can a gradient avoid vanishing? The bounds of Nielsen ch. 5, Problems (eq. 123).

* |w sigma'(wa + b)| >= 1 needs |w| >= 4 (from max sigma' = 1/4);
* for |w| >= 4, {a : |w sigma'(wa + b)| >= 1} is one interval of width (eq. 123)
  (2/|w|) ln(|w|(1 + sqrt(1 - 4/|w|))/2 - 1);
* with r = sqrt(1 - 4/|w|) in [0, 1) that width is exactly (1 - r^2) artanh(r), whose derivative
  1 - 2 r artanh(r) is strictly decreasing: one maximum, where 2 r artanh(r) = 1.

The book writes (123) for |w|: read literally at w <= -4 the logarithm's argument is negative,
so everything here takes W = |w|.
"""

from __future__ import annotations

import sympy as sp

from .notation import Step, sigmoid, sigmoid_prime

__all__ = ["W", "r", "x", "s", "book_width", "width_in_r", "width_derivation", "threshold", "unimodality",
           "width_limits", "width_derivatives"]

W = sp.Symbol("W", positive=True)  # |w|
r = sp.Symbol("r", nonnegative=True)  # sqrt(1 - 4/|w|)
x = sp.Symbol("x", real=True)  # the weighted input wa + b
s = sp.Symbol("s", positive=True)  # sigma(x)


def book_width(Wexpr=W):
    """Returns eq. (123): (2/|w|) ln(|w|(1 + sqrt(1 - 4/|w|))/2 - 1)."""
    return 2 / Wexpr * sp.log(Wexpr * (1 + sp.sqrt(1 - 4 / Wexpr)) / 2 - 1)


def width_in_r():
    """Returns the width as (1 - r^2) artanh(r), r = sqrt(1 - 4/|w|)."""
    return (1 - r**2) * sp.atanh(r)


def threshold():
    """Returns (the largest |w sigma'| over inputs, the set of |w| where it reaches 1).

    max_x |w| sigma'(x) = |w| sigma'(0) = |w|/4 (``theory.sigmoid_facts.max_derivative``), so
    |w sigma'(wa + b)| >= 1 for some a iff |w|/4 >= 1.
    """
    peak = W * sp.nsimplify(sigmoid_prime(sp.Integer(0)))
    return peak, sp.solve_univariate_inequality(peak >= 1, W, relational=False)


def unimodality():
    """Returns (d sigma'/dx - sigma'(x)(1 - 2 sigma(x)), cancelled in t = e^{-x}): 0 proves the formula.

    Hence sigma' rises for x < 0 and falls for x > 0 (1 - 2 sigma(x) has the sign of -x), so
    {x : sigma'(x) >= c} is an interval, and so is its preimage under a -> wa + b (w != 0).
    """
    from .sigmoid_facts import rationalise, t, z

    gap = sp.diff(sigmoid_prime(z), z) - sigmoid_prime(z) * (1 - 2 * sigmoid(z))
    return gap, sp.cancel(rationalise(gap, [z], [t]))


def width_derivation():
    """Returns (steps, facts): the width derived step by step, and the SymPy identities behind it.

    Steps: |w| s(1 - s) >= 1 with s = sigma(x) is the quadratic s^2 - s + 1/|w| <= 0, so
    s lies between s_- and s_+ = (1 +- r)/2; back through the logit x = ln(s/(1 - s)) the
    x-interval has width ln(s_+(1 - s_-)/(s_-(1 - s_+))) = 2 ln(s_+/s_-); divided by |w| it is the
    a-interval's width.
    """
    roots = sp.solve(sp.Eq(s**2 - s + 1 / W, 0), s)
    s_minus, s_plus = sorted(roots, key=lambda e: sp.N(e.subs(W, 8)))
    in_r = {W: 4 / (1 - r**2)}  # r = sqrt(1 - 4/W) in [0, 1) <=> W >= 4
    log_arg = W * (1 + sp.sqrt(1 - 4 / W)) / 2 - 1  # the argument of the log in (123)
    q = sp.Symbol("q", positive=True)  # q = s_+/s_- - 1 > 0: W = (q+2)^2/(q+1), r = q/(q+2), all logs of positives
    in_q = {W: (q + 2) ** 2 / (q + 1)}
    r_of_q = q / (q + 2)
    positive_logs = lambda e: sp.simplify(sp.logcombine(sp.expand_log(sp.simplify(e), force=True), force=True))  # noqa: E731
    facts = {
        "s_+ and s_- are (1 +- r)/2": sp.simplify((s_plus - (1 + r) / 2).subs(in_r)) == 0
        and sp.simplify((s_minus - (1 - r) / 2).subs(in_r)) == 0,
        "1 - s_- = s_+, so the x-width is 2 ln(s_+/s_-)": sp.simplify(1 - s_minus - s_plus) == 0,
        "s_+/s_- equals the argument of the log in (123)":
            sp.cancel(sp.simplify((s_plus / s_minus - log_arg).subs(in_r))) == 0,
        "with |w| = (q+2)^2/(q+1) (q > 0): sqrt(1 - 4/|w|) = q/(q+2) and the log's argument is q + 1":
            sp.simplify(sp.sqrt(1 - 4 / W).subs(in_q) - r_of_q) == 0 and sp.simplify(log_arg.subs(in_q) - (q + 1)) == 0,
        "(123) equals (1 - r^2) artanh(r)":
            positive_logs(book_width().subs(in_q) - width_in_r().subs(r, r_of_q).rewrite(sp.log)) == 0,
    }
    steps = [
        Step(r"|w|\,\sigma'(x)", "1", relation=">=", why=r"$x = wa + b$; the factor must reach 1"),
        Step(r"s^2 - s + \frac{1}{|w|}", "0", relation="<=", why=r"$\sigma' = s(1 - s)$ with $s = \sigma(x)$"),
        Step(r"s_\pm", r"\frac{1 \pm \sqrt{1 - 4/|w|}}{2}", why="the roots of the quadratic"),
        Step(r"x_+ - x_-", r"\ln\frac{s_+(1 - s_-)}{s_-(1 - s_+)} = 2\ln\frac{s_+}{s_-}",
             why=r"back through the logit $x = \ln\bigl(s/(1 - s)\bigr)$; $1 - s_- = s_+$"),
        Step(r"\text{width}", r"\frac{2}{|w|}\ln\left(\frac{|w|\bigl(1 + \sqrt{1 - 4/|w|}\bigr)}{2} - 1\right)",
             why=r"divide by $|w|$ and simplify"),
        Step(r"\text{width}", r"(1 - r^2)\,\operatorname{artanh} r, \quad r = \sqrt{1 - 4/|w|}",
             why=r"the same function, written in $r$"),
    ]
    return steps, facts


def width_derivatives():
    """Returns (d width/dr, d^2 width/dr^2) of (1 - r^2) artanh(r), simplified by SymPy."""
    d1 = sp.simplify(sp.diff(width_in_r(), r))
    d2 = sp.simplify(sp.diff(d1, r))
    return d1, d2


def width_limits():
    """Returns (width at |w| = 4, limit of the width as |w| -> oo)."""
    return sp.simplify(book_width(sp.Integer(4))), sp.limit(book_width(), W, sp.oo)
