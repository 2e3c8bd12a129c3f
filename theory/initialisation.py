"""Glorot's and He's variance conditions, derived (SymPy).

A layer z = W a with n_in inputs, n_out outputs and weights of variance v (zero mean, independent of a):
* forward, in the linear regime of an activation with phi'(0) = 1 (tanh): Var(z) = n_in v Var(a), so the
  signal keeps its variance when n_in v = 1;
* backward: Var(delta_in) = n_out v Var(delta_out), so the gradient keeps its variance when n_out v = 1.
Both hold only when n_in = n_out; Glorot and Bengio (2010) take v = 2/(n_in + n_out), whose two factors
n_in v and n_out v multiply to 4 n_in n_out/(n_in + n_out)^2 <= 1 with equality exactly at n_in = n_out.
* ReLU halves the second moment: E[relu(x)^2] = E[x^2]/2 for symmetric x (theory.meanfield), so the forward
  variance keeps when n_in v / 2 = 1: He et al.'s v = 2/n_in (2015).
"""

from __future__ import annotations

import sympy as sp

from .meanfield import relu_facts

__all__ = ["n_in", "n_out", "v", "glorot", "he"]

n_in, n_out = sp.symbols("n_{in} n_{out}", positive=True)
v = sp.Symbol("v", positive=True)


def glorot() -> dict:
    """Returns the forward and backward conditions, Glorot's compromise and the AM-GM gap of its factors."""
    forward = sp.solve(sp.Eq(n_in * v, 1), v)[0]
    backward = sp.solve(sp.Eq(n_out * v, 1), v)[0]
    compromise = 2 / (n_in + n_out)  # the harmonic mean of the two conditions' v
    harmonic = sp.simplify(2 / (1 / forward + 1 / backward))
    product = sp.simplify(n_in * compromise * n_out * compromise)
    gap = sp.factor(sp.simplify(1 - product))  # (n_in - n_out)^2 / (n_in + n_out)^2 >= 0
    return {"forward": forward, "backward": backward, "compromise": compromise, "harmonic": harmonic,
            "product": product, "gap": gap}


def he() -> dict:
    """Returns He's condition from E[relu(sqrt(q) z)^2] = q/2: the v with n_in v q/2 = q."""
    q = sp.Symbol("q", positive=True)
    second = relu_facts()["second_moment"]
    condition = sp.solve(sp.Eq(n_in * v * second, q), v)
    return {"second_moment": second, "v": condition}
