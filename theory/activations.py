"""Activations with a larger derivative (Nielsen ch. 5, Exercise): exact sup |phi'|.

For each activation phi, ``sup_derivative`` returns M = sup_z |phi'(z)|, found by SymPy. The
factor a layer contributes to a gradient is w phi'(z), so |w phi'(z)| <= M |w|:
* every factor is below 1 (the product vanishes geometrically) when all |w_j| < 1/M;
* a factor can reach 1 only when |w| >= 1/M (4 for the sigmoid, 1 for tanh, softplus, ReLU).
A larger M moves the threshold, not the instability: a product of L factors each away from 1
still shrinks or grows geometrically in L. ReLU's factor is exactly w on active units, so it
neither shrinks nor grows only when |w| = 1.
"""

from __future__ import annotations

import sympy as sp

from .notation import sigmoid

__all__ = ["z", "k", "activations", "sup_derivative"]


def _piecewise_sup(d) -> dict:
    """Returns {derivative, sup, attained_at} for a Piecewise derivative: each piece's range over its own set."""
    from sympy.calculus.util import function_range

    rest, best = sp.S.Reals, []
    for expr, cond in d.args:
        where = rest if cond is sp.true else cond.as_set().intersect(rest)
        rest = rest - where
        if where is not sp.S.EmptySet:
            best.append((function_range(expr, z, where).sup, where))
    sup = sp.Max(*[s for s, _ in best])
    return {"derivative": d, "sup": sup, "attained_at": " or ".join(str(w) for s, w in best if s == sup)}

z = sp.Symbol("z", real=True)
k = sp.Symbol("k", positive=True)


def activations() -> dict:
    """Returns {name: phi(z)} for the sigmoid, tanh, a scaled sigmoid sigma(k z), softplus, ReLU, leaky ReLU (slope
    1/100 below 0) and ELU (e^z - 1 below 0): the SymPy twins of the suite's activations (same names)."""
    return {
        "sigmoid": sigmoid(z),
        "tanh": sp.tanh(z),
        "scaled sigmoid sigma(kz)": sigmoid(k * z),
        "softplus": sp.log(1 + sp.exp(z)),
        "relu": sp.Max(0, z),
        "leaky-relu": sp.Piecewise((z, z > 0), (z / 100, True)),
        "elu": sp.Piecewise((z, z > 0), (sp.exp(z) - 1, True)),
    }


def sup_derivative(phi) -> dict:
    """Returns {derivative, sup, attained_at}: sup over real z of |phi'(z)|, exactly.

    phi' is nonnegative for all five activations (they are nondecreasing), so the sup of |phi'|
    is the sup of phi'. SymPy's ``maximum`` finds it where phi' is smooth; where the sup is a
    limit (softplus) ``attained_at`` is ``oo``; for ReLU the derivative is the step function.
    """
    d = sp.diff(phi, z)
    if phi.has(sp.Piecewise):  # defined by pieces: the sup of each piece over the set where it holds
        return _piecewise_sup(sp.piecewise_fold(d.rewrite(sp.Piecewise)))
    if d.has(sp.Heaviside):  # piecewise constant: the sup is the largest piece
        pieces = d.rewrite(sp.Piecewise)
        values = [expr for expr, cond in pieces.args]
        sup = sp.Max(*values)
        where = ["every other z (z > 0)" if cond is sp.true else str(cond) for expr, cond in pieces.args if expr == sup]
        return {"derivative": d, "sup": sup, "attained_at": " or ".join(where)}
    sup = sp.simplify(sp.calculus.util.maximum(d, z, sp.S.Reals))
    at_zero = sp.simplify(d.subs(z, 0))
    limit = sp.limit(d, z, sp.oo)
    attained = ("0" if sp.simplify(sup - at_zero) == 0
                else "oo (not attained)" if sp.simplify(sup - limit) == 0 else "?")
    return {"derivative": d, "sup": sup, "attained_at": attained}
