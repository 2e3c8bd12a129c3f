"""Claims of the sigmoid itself: sigma' = sigma(1 - sigma) (ch. 3) and its maximum 1/4 at z = 0 (ch. 5).

Each ``check_*`` returns ``Evidence`` built from SymPy results computed in the call; the chain network's
claims that rest on these facts are ``proofs.claims.chain``.
"""

from __future__ import annotations

import sympy as sp

from numeric.figures import sigma_prime_figure
from theory.notation import sigma, sigma_prime, sigmoid_prime, specialise_sigmoid, to_latex
from theory.sigmoid_facts import derivative_identity, max_derivative, z

from .. import book
from ..claim import Claim, Evidence, Fact, exact_number
from ..figures import save


def check_sigmoid_derivative(ctx) -> Evidence:
    diff, cancelled = derivative_identity()
    shown = sp.Eq(sigma_prime(z), sp.Mul(sigma(z), 1 - sigma(z), evaluate=False), evaluate=False)
    t = sp.Symbol("t", positive=True)
    shown_gap = sp.cancel(specialise_sigmoid(shown.lhs - shown.rhs).subs(sp.exp(-z), t))
    return Evidence("proved", [
        Fact("d sigma/dz - sigma(1 - sigma) cancels to 0 as a rational function of t = e^{-z}", cancelled == 0,
             "sympy.diff, then cancel with e^{-z} named t", cancelled),
        Fact("the displayed statement, with the logistic function put in for sigma and sigma', holds", shown_gap == 0,
             "specialise_sigmoid; cancel in t = e^{-z}", shown_gap)], statement=shown)


def check_sigmoid_prime_max(ctx) -> Evidence:
    m = max_derivative()
    facts = [
        Fact("1/4 - s(1-s) - (s - 1/2)^2 expands to 0, so sigma' = s(1-s) <= 1/4 for every z",
             m["gap_minus_square"] == 0, "sympy.expand", m["gap_factored"]),
        Fact("sigma(z) = 1/2 has the single real solution z = 0", m["solutions_of_sigma_eq_half"] == [0],
             "sympy.solve", m["solutions_of_sigma_eq_half"]),
        Fact("sigma'(0) = 1/4 exactly", m["sigma_prime_at_0"] == sp.Rational(1, 4), "exact evaluation",
             m["sigma_prime_at_0"]),
    ]
    argmax, peak = m["solutions_of_sigma_eq_half"][0], m["sigma_prime_at_0"]
    figures = save(ctx, sigma_prime_figure(float(argmax), float(peak)), "sigma-prime")
    return Evidence("proved", facts, statement=sp.Le(sigmoid_prime(z), peak, evaluate=False),
                    latex=rf"\max_{{z}} \sigma'(z) = \sigma'({to_latex(argmax)}) = {to_latex(peak)}",
                    numbers={"max_sigma_prime": exact_number(peak), "argmax": exact_number(sp.sympify(argmax)),
                             "book_vs_run": [{"quantity": "max sigma'",
                                              "book": f"{book.SIGMA_PRIME_MAX}, at z = {book.SIGMA_PRIME_ARGMAX}",
                                              "run": f"{peak}, at z = {argmax}"}]}, figures=figures)


CLAIMS = [
    Claim("sigmoid-derivative", "ch. 3, sigma' = sigma(1 - sigma)", "The sigmoid's derivative",
          check_sigmoid_derivative,
          latex_title=r"The sigmoid's derivative: $\sigma' = \sigma(1 - \sigma)$"),
    Claim("sigmoid-prime-max", "ch. 5, Fig. of sigma'",
          f"sigma' peaks at sigma'({book.SIGMA_PRIME_ARGMAX}) = {book.SIGMA_PRIME_MAX}", check_sigmoid_prime_max,
          figures=("sigma-prime",),
          latex_title=r"$\ugsigmaprime$ peaks at $\ugsigmaprime(0) = 1/4$"),
]
