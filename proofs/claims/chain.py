"""Claims of the chain network (one neuron per layer): eq. 114-122 (the sigmoid's own facts: ``claims_sigmoid``).

Each ``check_*`` returns ``Evidence`` built from SymPy results computed in the call.
"""

from __future__ import annotations

import sympy as sp

from theory import chain_network, gradient_direct, gradient_formula, gradient_statement, gradients_implicit
from theory.cascade import cascade
from theory.chain import formula_factors, to_composed
from theory.chain_implicit import factors_of, gradient_factors_bidiagonal, same_product
from theory.consequences import cross_entropy_output, exploding, ratio_b1_b3
from theory.induction import base_case, bias_step, weight_step
from theory.notation import (
    C_prime,
    PartialC,
    is_identity,
    sigma_prime,
    to_latex,
)

from .. import book
from ..claim import Claim, Evidence, Fact, display, exact_number

DIRECT_MAX_DEPTH = 12  # SymPy's nested differentiation grows faster than L^3 beyond this
IMPLICIT_DEPTH = 32  # SymPy's general sparse solve covers every depth 1..32 (the bidiagonal family goes to 256)
FAMILY_DEPTH = 256  # forward substitution on the bidiagonal layer equations covers every depth 1..256


def _family_facts(wrt: str) -> list[Fact]:
    name = "dC/db_j" if wrt == "b" else "dC/dw_j"
    direct_ok, direct_n = True, 0
    for L in range(1, DIRECT_MAX_DEPTH + 1):
        net = chain_network(L)
        for j in range(1, L + 1):
            d = gradient_direct(net, j, wrt=wrt)
            direct_ok &= is_identity(d, to_composed(net, gradient_formula(net, j, wrt=wrt), start=j))
            direct_n += 1
    implicit, net = gradients_implicit(chain_network(IMPLICIT_DEPTH), wrt=wrt), chain_network(IMPLICIT_DEPTH)
    implicit_ok = all(same_product(factors_of(v), formula_factors(net, j, wrt=wrt, depth=m)) for (m, j), v in
                      implicit.items())
    deep = chain_network(FAMILY_DEPTH)
    family = gradient_factors_bidiagonal(deep, wrt=wrt)
    family_ok = all(same_product(v, formula_factors(deep, j, wrt=wrt, depth=m)) for (m, j), v in family.items())
    return [
        Fact(f"{name} of the composed network equals the product formula for every L = 1..{DIRECT_MAX_DEPTH} "
             f"and every j ({direct_n} identities)", direct_ok, "sympy.diff of the nested network; expand", direct_n),
        Fact(f"{name} by implicit differentiation of the layer equations equals the product formula for every "
             f"depth m = 1..{IMPLICIT_DEPTH} and every j <= m ({len(implicit)} identities)", implicit_ok,
             "sympy.diff of the layer equations; sparse lower_triangular_solve; factor multisets", len(implicit)),
        Fact(f"{name} by implicit differentiation equals the product formula for every depth m = 1..{FAMILY_DEPTH} "
             f"and every j <= m ({len(family)} identities)", family_ok,
             "sympy.diff of each layer equation; Jacobian checked unit lower bidiagonal; forward substitution; "
             "products compared as factor multisets", len(family)),
    ]


def check_chain_gradient(ctx) -> Evidence:
    base, step = base_case(), bias_step()
    facts = [
        Fact("base case: dC/db_L = sigma'(z_L) dC/da_L, for every L", is_identity(*base), "sympy.diff", base[0]),
        Fact("induction step: dC/db_j = sigma'(z_j) w_{j+1} dC/db_{j+1}, the layers above z_{j+1} an abstract "
             "function R", is_identity(*step), "sympy.diff", step[0]),
        *_family_facts("b"),
    ]
    net = chain_network(4)
    return Evidence("proved", facts, statement=gradient_statement(net, 1),
                    numbers={"direct_depths": DIRECT_MAX_DEPTH, "implicit_depth": IMPLICIT_DEPTH,
                             "family_depth": FAMILY_DEPTH})


def check_chain_weight_gradient(ctx) -> Evidence:
    step = weight_step()
    facts = [Fact("dC/dw_j = a_{j-1} dC/db_j for an abstract cost of z_j, hence every depth and j",
                  is_identity(*step), "sympy.diff", step[0]), *_family_facts("w")]
    net = chain_network(4)
    statement = sp.Eq(PartialC(net.w[0]), sp.Mul(net.a[0], PartialC(net.b[0]), evaluate=False), evaluate=False)
    return Evidence("proved", facts, statement=statement)


def check_cascade(ctx) -> Evidence:
    steps, coeff = cascade(4)
    net = chain_network(4)
    direct = gradient_direct(net, 1)
    facts = [
        Fact("the cascade's coefficient Delta C / Delta b_1 (a product of SymPy's local partials) equals the "
             "product formula", is_identity(coeff, gradient_formula(net, 1)), "sympy.diff per layer; expand", coeff),
        Fact("and equals SymPy's derivative of the composed depth-4 network",
             is_identity(direct, to_composed(net, coeff)), "sympy.diff; expand"),
    ]
    factors = formula_factors(net, 1)  # the statement is the book's (121): the proved product, its middle elided
    elided = factors[3:-2] == (net.w[2], net.sigma_primes[2], net.w[3])
    facts.append(Fact("the displayed (121) shows the first three and the last two factors of the proved product, "
                      "the middle elided", is_identity(sp.Mul(*factors), coeff) and elided, "the product's factors"))
    shown = " ".join([f"{to_latex(PartialC(net.b[0]))} =", *map(to_latex, factors[:3]), r"\cdots",
                      *map(to_latex, factors[-2:])])
    return Evidence("proved", facts, statement=gradient_statement(net, 1), latex=shown, steps=steps)


def check_cross_entropy_output(ctx) -> Evidence:
    r = cross_entropy_output(3)
    facts = [
        Fact("sigma'(z_L) dC/da_L - (a_L - y) cancels to 0 for the sigmoid and the cross-entropy",
             r["output_gap"] == 0, "exact rational form in t = e^{-z_L}; cancel", r["output_gap"]),
        Fact("SymPy's dC/db_1 of the composed depth-3 cross-entropy network equals "
             "sigma'(z_1) w_2 sigma'(z_2) w_3 (a_3 - y)", r["hidden_gap"] == 0, "cancel in t_k = e^{-z_k}",
             r["hidden_gap"]),
        Fact("the hidden factor sigma'(z_1) does not cancel: dC/db_1 over the product without it is sigma'(z_1)",
             r["hidden_ratio_to_formula_without_sigma1"] == r["sigma1_prime_in_t"], "cancel",
             r["hidden_ratio_to_formula_without_sigma1"]),
    ]
    net, y = r["net"], r["y"]
    aL, zL = net.a[net.L], net.z[net.L - 1]
    product = [sigma_prime(net.z[0])] + [f for k in range(1, net.L - 1) for f in (net.w[k], sigma_prime(net.z[k]))]
    shown = sp.Eq(PartialC(net.b[0]), sp.Mul(*product, net.w[net.L - 1], aL - y, evaluate=False), evaluate=False)
    facts.append(Fact("the displayed dC/db_1 is the formula checked above", is_identity(shown.rhs, r["formula"]),
                      "expand", shown.rhs))
    output = sp.Mul(sigma_prime(zL), PartialC(aL), evaluate=False)
    latex = display(rf"\delta_{{{net.L}}} = {to_latex(output)} = {to_latex(aL - y)}", shown)
    return Evidence("proved", facts, statement=shown, latex=latex)


def check_ratio_b1_b3(ctx) -> Evidence:
    r = ratio_b1_b3()
    net = chain_network(4)
    w2, w3 = net.w[1], net.w[2]
    exact = sigma_prime(net.z[0]) * w2 * sigma_prime(net.z[1]) * w3
    facts = [
        Fact("(dC/db_1)/(dC/db_3) = sigma'(z_1) w_2 sigma'(z_2) w_3 exactly", is_identity(r["ratio"], exact),
             "quotient of the two proved products", r["ratio"]),
        Fact("that is the book's two extra factors w_2 sigma'(z_2) w_3 sigma'(z_3) times sigma'(z_1)/sigma'(z_3)",
             is_identity(r["book_reading_gap"], sigma_prime(net.z[0]) / sigma_prime(net.z[2])), "simplify",
             r["book_reading_gap"]),
        Fact("|ratio| is a product of independent factors sigma'(z_1), sigma'(z_2) (each at most 1/4, proved) and "
             "|w_2|, |w_3| (each at most 1), so |ratio| <= 1/16",
             set(r["independent_factors"]) == {w2, w3, sigma_prime(net.z[0]), sigma_prime(net.z[1])},
             "factor list of the exact ratio"),
        Fact("the bound 1/16 is attained at z_1 = z_2 = 0, w_2 = w_3 = 1", r["value_at_extremum"] == sp.Rational(1, 16),
             "exact evaluation with the sigmoid", r["value_at_extremum"]),
    ]
    s1, s2, s3 = (sigma_prime(zk) for zk in net.z[:3])
    shown = sp.Mul(s1, w2, s2, w3, evaluate=False)
    groups = [s1 / s3, sp.Mul(w2, s2, evaluate=False), sp.Mul(w3, s3, evaluate=False)]
    reading = sp.Mul(*groups, evaluate=False)  # the book's reading, grouped as it writes it
    facts.append(Fact("the displayed forms are the exact ratio",
                      is_identity(shown, exact) and is_identity(reading, exact), "expand"))
    ratio = r"\frac{\partial C/\partial b_1}{\partial C/\partial b_3}"
    book_tex = to_latex(groups[0]) + "".join(rf"\bigl({to_latex(g)}\bigr)" for g in groups[1:])
    latex = display(f"{ratio} = {to_latex(shown)}", f"\\quad = {book_tex}",
                    rf"\left|{ratio}\right| \le {to_latex(r['value_at_extremum'])} \text{{ when }} |w_2|, |w_3| \le 1")
    return Evidence("proved", facts, statement=sp.Eq(PartialC(net.b[0]) / PartialC(net.b[2]), shown, evaluate=False),
                    latex=latex, numbers={"bound": exact_number(r["value_at_extremum"]), "book_vs_run": [
                        {"quantity": "|dC/db_1| / |dC/db_3| when |w_j| <= 1",
                         "book": f"at most {book.RATIO_B1_B3_BOUND}",
                         "run": f"at most {r['value_at_extremum']} (attained)"}]})


def check_exploding(ctx) -> Evidence:
    weight, depth = book.EXPLODING_WEIGHT, 4  # the book's construction: w_1 = ... = w_4 = 100
    r = exploding(depth, weight)
    grads = r["gradients"]
    c = C_prime(sp.Rational(1, 2))
    j, L = sp.symbols("j L", integer=True, positive=True)
    a_L, b_j = sp.Symbol("a_L", real=True), sp.Symbol("b_j", real=True)
    shown = sp.Eq(PartialC(b_j), sp.Mul(sp.Pow(r["factor"], L - j, evaluate=False) / 4, PartialC(a_L), evaluate=False),
                  evaluate=False)
    expected = [shown.rhs.xreplace({L: depth, j: jj, PartialC(a_L): c}) for jj in range(1, depth + 1)]
    facts = [
        Fact(f"with w_j = {weight} and b_j = -{weight} a_{{j-1}}, every z_j = 0", all(zj == 0 for zj in r["zs"]),
             "exact substitution into the composed network", r["zs"]),
        Fact(f"each factor w_j sigma'(z_j) = {weight} * 1/4 = {r['factor']}", r["factor"] == sp.Rational(weight, 4),
             "exact", r["factor"]),
        Fact(f"SymPy's dC/db_j of the composed depth-{depth} sigmoid network is the displayed "
             f"{r['factor']}^(L-j)/4 * C'(1/2) for j = 1..{depth}",
             all(is_identity(g, e) for g, e in zip(grads, expected)), "sympy.diff with the concrete sigmoid; exact",
             grads),
        Fact(f"(dC/db_j)/(dC/db_{{j+1}}) = {r['factor']} for j = 1..{depth - 1}",
             r["ratios"] == [r["factor"]] * (depth - 1), "exact quotients", r["ratios"]),
    ]
    zero = to_latex(r["zs"][0])
    latex = display(rf"w_j = {weight},\; b_j = -{weight}\,a_{{j-1}} \;\Rightarrow\; z_j = {zero},",
                    rf"w_j\sigma'(z_j) = {to_latex(r['factor'])},\quad {to_latex(shown)}")
    return Evidence("proved", facts, statement=shown, latex=latex,
                    numbers={"gradients_L4": [str(g) for g in grads], "ratio_per_layer": exact_number(r["factor"]),
                             "book_vs_run": [{"quantity": f"growth of dC/db_j per layer, w = {weight}, z = 0",
                                              "book": str(book.EXPLODING_FACTOR),
                                              "run": ", ".join(str(x) for x in r["ratios"])}]})


CLAIMS = [
    # the id predates the book's numbering and stays: papers cite ug:eq115-121-cascade
    Claim("eq115-121-cascade", "(114)-(121)", "The cascade of changes from Delta b_1 to Delta C", check_cascade,
          tag="121", latex_title=r"The cascade of changes from $\Delta b_1$ to $\Delta C$, eq.~114--121"),
    Claim("eq122-chain-gradient", "(122)", "The chain-network gradient, every depth (induction)",
          check_chain_gradient, tag="122", cost=7.0,
          latex_title="The chain-network gradient, every depth (induction)"),
    Claim("chain-weight-gradient", "(122), BP4", "dC/dw_j = a_{j-1} dC/db_j, every depth",
          check_chain_weight_gradient, cost=8.0,
          latex_title=r"$\partial C/\partial w_j = a_{j-1}\,\partial C/\partial b_j$, every depth"),
    Claim("cross-entropy-output-layer", "ch. 3, (66); ch. 5", "sigma' cancels in the output layer only",
          check_cross_entropy_output,
          latex_title=r"$\ugsigmaprime$ cancels in the output layer only"),
    Claim("ratio-b1-b3", "ch. 5, dC/db_1 vs dC/db_3",
          f"dC/db_1 against dC/db_3: at most {book.RATIO_B1_B3_BOUND} when |w| <= 1", check_ratio_b1_b3,
          latex_title=r"$\partial C/\partial b_1$ against $\partial C/\partial b_3$: at most $1/16$ when $|w_j| \le "
                      r"1$"),
    Claim("exploding-construction", "ch. 5, the exploding gradient problem",
          f"w = {book.EXPLODING_WEIGHT}, z = 0: growth by {book.EXPLODING_FACTOR} per layer", check_exploding,
          latex_title="$w = 100$, $z = 0$: growth by 25 per layer",
          cites=("nielsen2015", "pascanu2013")),
]
