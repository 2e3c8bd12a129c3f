"""The cascade of small changes that yields eq. 121-122 (Nielsen ch. 5, eq. 114-122).

A change Delta b_1 moves a_1, which moves z_2, then a_2, ... and finally C. Every
coefficient in the cascade is a *local* partial derivative computed by SymPy on one layer's
formula; their product is compared with the derivative of the composed network.

Tags follow the book (shared/BOOK.md): (114) dC/db_1 ~ Delta C/Delta b_1, (115)-(116) Delta a_1,
(117)-(118) Delta z_2, (119) Delta z_2 in terms of Delta b_1, (120) Delta C, (121) the gradient
dC/db_1 = sigma'(z_1) w_2 sigma'(z_2) ... sigma'(z_4) dC/da_4 and (122) the same product written out.
"""

from __future__ import annotations

import sympy as sp

from .chain import chain_network, gradient_formula
from .notation import C, PartialC, Step, sigma

__all__ = ["cascade"]


def _delta(sym):
    return sp.Symbol(r"\Delta " + sym.name, real=True)


def cascade(L: int = 4):
    """Returns (steps, coefficient): the cascade's derivation lines and its final coefficient.

    ``coefficient`` is the product of SymPy's local partials dA_k/dz_k and dz_{k+1}/da_k and
    dC/da_L, i.e. Delta C / Delta b_1; it must equal ``gradient_formula(net, 1)``.
    """
    net = chain_network(L)
    db1 = _delta(net.b[0])
    # local partials, each from one layer's own formula
    da_dz = [sp.diff(sigma(z), z) for z in net.z]  # sigma'(z_k)
    dz_da = [sp.diff(net.w[k] * net.a[k] + net.b[k], net.a[k]) for k in range(1, L)]  # w_{k+1}
    dC_da = sp.diff(C(net.a[L]), net.a[L])
    dz1_db1 = sp.diff(net.w[0] * net.a[0] + net.b[0], net.b[0])  # = 1

    steps = [Step(PartialC(net.b[0]), sp.Mul(sp.Symbol(r"\Delta C"), sp.Pow(db1, -1), evaluate=False),
                  relation="approx", tag="114", why="definition of the partial derivative")]
    coeff = dz1_db1 * da_dz[0]
    steps.append(Step(_delta(net.a[1]), sp.Mul(da_dz[0], db1, evaluate=False), relation="approx",
                      tag="115--116",
                      why=r"to first order, with $\partial\sigma(w_1 a_0 + b_1)/\partial b_1 = \sigma'(z_1)$"))
    factors = [da_dz[0]]
    for k in range(1, L):
        steps.append(Step(_delta(net.z[k]), sp.Mul(dz_da[k - 1], _delta(net.a[k]), evaluate=False),
                          relation="approx", tag="117--118" if k == 1 else None,
                          why=rf"to first order, with $\partial z_{k + 1}/\partial a_{k} = w_{k + 1}$"))
        factors.append(dz_da[k - 1])
        coeff = coeff * dz_da[k - 1]
        if k == 1:
            steps.append(Step(_delta(net.z[1]), sp.Mul(*factors, db1, evaluate=False),
                              relation="approx", tag="119", why="(115)--(116) into (117)--(118)"))
        factors.append(da_dz[k])
        coeff = coeff * da_dz[k]
        steps.append(Step(_delta(net.a[k + 1]), sp.Mul(*factors, db1, evaluate=False),
                          relation="approx",
                          why=rf"to first order, with $\partial\sigma(z_{k + 1})/\partial z_{k + 1} = "
                              rf"\sigma'(z_{k + 1})$"))
    coeff = coeff * dC_da
    steps.append(Step(sp.Symbol(r"\Delta C"), sp.Mul(*factors, dC_da, db1, evaluate=False), relation="approx",
                      tag="120", why=r"to first order in $\Delta a_L$, through $\partial C/\partial a_L$"))
    steps.append(Step(PartialC(net.b[0]), gradient_formula(net, 1, evaluate=False), tag="121--122",
                      why=r"divide (120) by $\Delta b_1$; written out in full, (122)"))
    return steps, coeff
