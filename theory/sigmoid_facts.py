"""Facts about the logistic sigmoid, proved by exact algebra (not sampled).

Each function returns the SymPy objects that make the proof: an expression that must
``cancel`` to 0, or a factorisation that exhibits a square. Rational forms come from naming
t = e^{-z} > 0, so sigma = 1/(1 + t) and sigma' = t/(1 + t)^2: ``cancel`` on a rational
function decides equality in both directions, quickly.
"""

from __future__ import annotations

import sympy as sp

from .notation import sigmoid, sigmoid_prime

__all__ = ["z", "t", "s", "rationalise", "derivative_identity", "max_derivative"]

z = sp.Symbol("z", real=True)
t = sp.Symbol("t", positive=True)  # t = exp(-z)
s = sp.Symbol("s", positive=True)  # s = sigma(z), in (0, 1)


def rationalise(expr, zs=None, ts=None):
    """Returns ``expr`` with exp(-z_k) named t_k (and exp(z_k) as 1/t_k): a rational function.

    ``zs`` may be nested expressions; ``xreplace`` matches the outermost exponentials first.
    Do not ``expand`` before calling: that splits exp(-z) into factors that no longer match.
    """
    zs = [z] if zs is None else list(zs)
    ts = [t] if ts is None else list(ts)
    mapping = {}
    for zk, tk in zip(zs, ts):
        mapping[sp.exp(-zk)] = tk
        mapping[sp.exp(zk)] = 1 / tk
    expr = expr.xreplace(mapping)
    # a plain symbol z_k may still sit in exp(-2 z_k) etc.: z_k = -ln t_k turns those into powers
    return expr.subs({zk: -sp.log(tk) for zk, tk in zip(zs, ts) if isinstance(zk, sp.Symbol)})


def derivative_identity():
    """Returns (d sigma/dz - sigma (1 - sigma), that difference as a cancelled rational in t).

    $\\sigma'(z) = \\sigma(z)(1 - \\sigma(z))$ holds iff the second item is 0.
    """
    diff = sp.diff(sigmoid(z), z) - sigmoid(z) * (1 - sigmoid(z))
    return diff, sp.cancel(rationalise(diff))


def max_derivative():
    """Returns a dict proving $\\max_z \\sigma'(z) = \\sigma'(0) = 1/4$.

    With s = sigma(z) in (0, 1): $1/4 - s(1 - s) = (s - 1/2)^2 \\ge 0$, equality iff s = 1/2,
    and sigma(z) = 1/2 iff z = 0 (sigma is strictly increasing: sigma' > 0).
    Keys: ``gap`` (1/4 - s(1-s)), ``gap_factored``, ``square`` ((s - 1/2)^2),
    ``gap_minus_square`` (must be 0), ``solutions_of_sigma_eq_half``, ``sigma_prime_at_0``,
    ``sigma_prime_positive`` (sigma' in t, a quotient of positives).
    """
    gap = sp.Rational(1, 4) - s * (1 - s)
    square = (s - sp.Rational(1, 2)) ** 2
    return {
        "gap": gap,
        "gap_factored": sp.factor(gap),
        "square": square,
        "gap_minus_square": sp.expand(gap - square),
        "solutions_of_sigma_eq_half": sp.solve(sp.Eq(sigmoid(z), sp.Rational(1, 2)), z),
        "sigma_prime_at_0": sp.nsimplify(sigmoid_prime(sp.Integer(0))),
        "sigma_prime_in_t": sp.cancel(rationalise(sigmoid_prime(z))),
    }
