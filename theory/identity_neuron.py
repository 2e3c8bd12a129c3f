"""The identity neuron (Nielsen ch. 5, Problem): w_2 sigma(w_1 x + b) ~ x for x in [0, 1].

With x = 1/2 + Delta and b = -w_1/2 the neuron computes w_2 sigma(w_1 Delta). Taylor:
sigma(u) = 1/2 + u/4 - u^3/48 + O(u^5), so w_2 = 4/w_1 gives

    w_2 sigma(w_1 x + b) = x + (2/w_1 - 1/2) - w_1^2 Delta^3 / 12 + O(w_1^4).

It is x plus a *constant* 2/w_1 - 1/2 (large when w_1 is small: the next layer's bias must
absorb it) plus an error of order w_1^2. The error is bounded for every x in [0, 1]:
|sigma(u) - 1/2 - u/4| = |tanh(u/2) - u/2| / 2 <= |u|^3/48, hence
|error| <= w_1^2 |Delta|^3 / 12 <= w_1^2 / 96.
"""

from __future__ import annotations

import sympy as sp

from .notation import sigmoid

__all__ = ["w1", "Delta", "u", "v", "identity_choice", "tanh_bound_facts"]

w1 = sp.Symbol("w_1", positive=True)
Delta = sp.Symbol(r"\Delta", real=True)
u = sp.Symbol("u", real=True)
v = sp.Symbol("v", nonnegative=True)


def identity_choice():
    """Returns a dict: the neuron's output expanded in w_1 with b = -w_1/2, w_2 = 4/w_1.

    ``expansion``: 4/w_1 sigma(w_1 Delta) as a series in w_1 to O(w_1^5);
    ``constant``: the Delta-free part (2/w_1); ``linear``: the Delta coefficient (1);
    ``error_leading``: the w_1^2 term (-w_1^2 Delta^3/12). In x = 1/2 + Delta the output is
    x + (2/w_1 - 1/2) + error.
    """
    x = sp.Rational(1, 2) + Delta
    b = -w1 / 2
    w2 = 4 / w1
    pre = sp.expand(w1 * x + b)  # = w_1 Delta
    expansion = sp.series(w2 * sigmoid(pre), w1, 0, 5).removeO()
    expansion = sp.expand(expansion)
    return {
        "pre_activation": pre,
        "expansion": expansion,
        "constant": expansion.coeff(Delta, 0),
        "linear": expansion.coeff(Delta, 1),
        "error_leading": sp.expand(expansion - expansion.coeff(Delta, 0) - Delta).coeff(w1, 2) * w1**2,
        "offset_from_x": sp.simplify(expansion.coeff(Delta, 0) - sp.Rational(1, 2)),
    }


def tanh_bound_facts():
    """Returns a dict of SymPy results proving |tanh v - v| <= v^3/3 for v >= 0 (odd: all v).

    f(v) = tanh v - v + v^3/3 has f(0) = 0 and f'(v) = v^2 - tanh(v)^2 >= 0 since 0 <= tanh v <= v;
    g(v) = v - tanh v has g(0) = 0 and g'(v) = tanh(v)^2 >= 0. So 0 <= v - tanh v <= v^3/3.
    And sigma(u) - 1/2 - u/4 = (tanh(u/2) - u/2)/2, so |sigma(u) - 1/2 - u/4| <= |u|^3/48.
    """
    f = sp.tanh(v) - v + v**3 / 3
    g = v - sp.tanh(v)
    return {
        "f(0)": f.subs(v, 0),
        "f' - (v^2 - tanh^2)": sp.simplify(sp.diff(f, v) - (v**2 - sp.tanh(v) ** 2)),
        "g(0)": g.subs(v, 0),
        "g' - tanh^2": sp.simplify(sp.diff(g, v) - sp.tanh(v) ** 2),
        "sigma - (1 + tanh(u/2))/2": sp.simplify((sigmoid(u) - (1 + sp.tanh(u / 2)) / 2).rewrite(sp.exp)),
        "bound at u": (sp.Rational(1, 2) * (u / 2) ** 3 / 3),
    }
