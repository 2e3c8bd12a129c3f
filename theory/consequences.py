"""What eq. 122 implies: vanishing (dC/db_1 against dC/db_3), the exploding construction,
and the cross-entropy output layer (Nielsen ch. 5 and ch. 3).

Every function returns SymPy objects computed in the call; ``proofs`` turns them into
evidence and verdicts.
"""

from __future__ import annotations

import sympy as sp

from .chain import chain_network, composed_cost, gradient_formula, pre_activations
from .notation import C_prime, cross_entropy_cost, sigma_prime, sigmoid, sigmoid_prime
from .sigmoid_facts import rationalise

__all__ = ["ratio_b1_b3", "exploding", "cross_entropy_output", "weight_below_one"]


def ratio_b1_b3():
    """Returns a dict for the comparison of dC/db_1 and dC/db_3 in the depth-4 chain.

    ``ratio`` is SymPy's exact quotient (dC/db_1)/(dC/db_3) = sigma'(z_1) w_2 sigma'(z_2) w_3.
    The book reads it as "two extra factors w_2 sigma'(z_2) and w_3 sigma'(z_3)": that reading is
    ``book_factors`` times sigma'(z_1)/sigma'(z_3) (``book_reading_gap``). Since each sigma' <= 1/4,
    |ratio| <= 1/16 when |w_2|, |w_3| <= 1, with equality at z_1 = z_2 = 0, |w_2| = |w_3| = 1
    (``value_at_extremum``, computed with the concrete sigmoid).
    """
    net = chain_network(4)
    ratio = gradient_formula(net, 1) / gradient_formula(net, 3)
    w2, w3 = net.w[1], net.w[2]
    z1, z2, z3 = net.z[:3]
    book = w2 * sigma_prime(z2) * w3 * sigma_prime(z3)
    extremum = ratio.subs({w2: 1, w3: 1}).replace(sigma_prime, sigmoid_prime).subs({z1: 0, z2: 0})
    return {
        "ratio": ratio,
        "book_factors": book,
        "book_reading_gap": sp.simplify(ratio / book),
        "independent_factors": sp.Mul.make_args(ratio),
        "value_at_extremum": sp.nsimplify(extremum),
    }


def exploding(L: int = 4, weight=100):
    """Returns a dict for the exploding construction: w_j = ``weight``, b_j = -weight a_{j-1}.

    Then every z_j = 0 and w_j sigma'(z_j) = weight/4 (25 for the book's w = 100). Keys:
    ``zs`` (each z_j after substitution, exact), ``gradients`` (dC/db_j by SymPy differentiation
    of the composed network with the concrete sigmoid, exact), ``ratios`` ((dC/db_j)/(dC/db_{j+1})),
    ``factor`` (w sigma'(0)).
    """
    net = chain_network(L)
    weight = sp.nsimplify(weight)
    values, a_prev = {}, net.a[0]
    for j in range(1, L + 1):  # forward pass: b_j cancels w_j a_{j-1}, so a_j = sigma(0) = 1/2
        values[net.w[j - 1]] = weight
        values[net.b[j - 1]] = -weight * a_prev
        a_prev = sigmoid(sp.expand(weight * a_prev + values[net.b[j - 1]]))
    zs = [sp.simplify(zj.xreplace(values)) for zj in _concrete_zs(net)]
    grads = []
    for j in range(1, L + 1):
        d = sp.diff(composed_cost(net, _Sigmoid), net.b[j - 1])
        grads.append(sp.simplify(d.xreplace(values)))
    ratios = [sp.simplify(grads[j] / grads[j + 1]) for j in range(L - 1)]
    return {"zs": zs, "gradients": grads, "ratios": ratios, "factor": weight * sigmoid_prime(sp.Integer(0))}


class _Sigmoid(sp.Function):
    """The logistic function as a SymPy function class (for composing concrete networks)."""

    @classmethod
    def eval(cls, x):
        return sigmoid(x)


def _concrete_zs(net):
    return pre_activations(net, _Sigmoid)


def cross_entropy_output(L: int = 3):
    """Returns a dict showing where sigma' cancels with a sigmoid output and the cross-entropy.

    ``output_gap``: sigma'(z_L) dC/da_L - (a_L - y) as a cancelled rational in t = e^{-z_L}
    (0 means delta_L = a_L - y). ``hidden_gap``: SymPy's dC/db_1 of the composed depth-L network
    minus sigma'(z_1) w_2 sigma'(z_2) ... w_L (a_L - y), cancelled (0 means the hidden layers keep
    every sigma'). ``hidden_ratio_to_formula_without_sigma1``: SymPy's dC/db_1 divided by the same product with
    sigma'(z_1) left out, cancelled; it equals ``sigma1_prime_in_t`` (t_1/(1 + t_1)^2, not 1), so the
    hidden factor sigma'(z_1) does not cancel.
    """
    y = sp.Symbol("y", real=True)
    zL = sp.Symbol("z_L", real=True)
    t = sp.Symbol("t", positive=True)
    a = sigmoid(zL)
    delta_L = sigmoid_prime(zL) * sp.diff(cross_entropy_cost(sp.Symbol("a"), y), sp.Symbol("a")).subs(sp.Symbol("a"), a)
    output_gap = sp.cancel(rationalise(delta_L - (a - y), [zL], [t]))

    net = chain_network(L)
    zs = _concrete_zs(net)
    direct = sp.diff(composed_cost(net, _Sigmoid, lambda aL: cross_entropy_cost(aL, y)), net.b[0])
    formula = gradient_formula(net, 1).xreplace({C_prime(net.a[L]): (net.a[L] - y) / sigma_prime(net.z[L - 1])})
    abstract = formula  # in sigma', before the sigmoid is put in
    formula = formula.replace(sigma_prime, sigmoid_prime)
    ts = sp.symbols(f"t_1:{L + 1}", positive=True)
    subs = {net.z[k]: zs[k] for k in range(L)}
    subs[net.a[L]] = sigmoid(zs[-1])

    def rational(expr):
        return rationalise(expr, zs, ts)

    without_sigma1 = (formula / sigmoid_prime(net.z[0])).xreplace(subs)
    return {
        "output_gap": output_gap,
        "delta_L": delta_L,
        "hidden_gap": sp.cancel(rational(direct - formula.xreplace(subs))),
        "hidden_ratio_to_formula_without_sigma1": sp.cancel(rational(direct) / rational(without_sigma1)),
        "sigma1_prime_in_t": sp.cancel(rational(sigmoid_prime(zs[0]))),
        "y": y,
        "formula": abstract,
        "net": net,
    }


def weight_below_one(bound=1):
    """Returns a dict for the chapter's "|w_j| < 1 usually" with weights w ~ N(0, 1).

    ``integral``: SymPy's value of int_{-bound}^{bound} e^{-w^2/2} / sqrt(2 pi) dw, the
    probability P(|w| < bound); ``closed_form``: erf(bound / sqrt 2); ``gap``: their difference,
    simplified (0 when the integral is that error function). For bound 1, P = erf(1/sqrt 2)
    = 0.6826...: about 68.3 % of the weights have |w| < 1.
    """
    w = sp.Symbol("w", real=True)
    bound = sp.nsimplify(bound)
    density = sp.exp(-w**2 / 2) / sp.sqrt(2 * sp.pi)
    integral = sp.integrate(density, (w, -bound, bound))
    closed = sp.erf(bound / sp.sqrt(2))
    return {"w": w, "density": density, "integral": integral, "closed_form": closed,
            "gap": sp.simplify(integral - closed)}
