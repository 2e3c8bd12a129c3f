"""The recurrent chain: one neuron whose weights are shared over time (Hochreiter et al. 2001; Pascanu,
Mikolov and Bengio 2013), the chain network of eq. (122) unrolled in time.

Step t (1-based, h_0 the initial state) computes z_t = w h_{t-1} + u x_t + b and h_t = sigma(z_t), with
the same w, u, b at every step. The claim, for every T and every k < T:

    dh_T/dh_k = prod_{t=k+1}^{T} w sigma'(z_t)                                   (cf. eq. 122)

Routes, as ``theory.chain`` has them for the chain network:
* ``base_case`` / ``induction_step``: SymPy differentiates one step; the steps between h_k and h_T are an
  abstract function ``H`` of h_k, so the step holds for every T (induction on T);
* ``jacobian_direct``: SymPy differentiates the unrolled (nested) state for a concrete T;
* ``jacobian_formula``: the product, factors in the order w sigma'(z_{k+1}) ... w sigma'(z_T).
``weight_gradient_bptt`` is backpropagation through time for the shared weight: dC/dw = sum over t of
(dC/dh_T)(dh_T/dh_t) sigma'(z_t) h_{t-1}. Tuples are 0-based: ``net.z[t - 1]`` is z_t, ``net.h[t]`` is h_t.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .induction import abstract_function
from .notation import C, C_prime, check_activation, check_positive_int, sigma, sigma_prime, sigmoid

__all__ = [
    "RecurrentChain",
    "recurrent_chain",
    "H",
    "unrolled_state",
    "jacobian_factors",
    "jacobian_formula",
    "jacobian_direct",
    "to_unrolled",
    "base_case",
    "induction_step",
    "jacobian_statement",
    "weight_gradient_bptt",
    "weight_gradient_direct",
    "gamma",
    "MAX_DIRECT_STEPS",
]

MAX_DIRECT_STEPS = 40  # SymPy's nested differentiation reaches Python's recursion limit near 50 (theory.chain)


H, H_prime = abstract_function("H", r"\frac{\partial h_T}{\partial h_k}", __name__,
                               "h_T as a function of h_k: every step between them, abstract (the induction "
                               "hypothesis's object).")


@dataclass(frozen=True)
class RecurrentChain:
    """The symbols of T steps: the shared w, u, b; x_1..x_T; z_1..z_T; h_0..h_T (h[0] the initial state)."""

    T: int
    w: sp.Symbol
    u: sp.Symbol
    b: sp.Symbol
    x: tuple
    z: tuple
    h: tuple

    def check_step(self, k, name: str = "k") -> int:
        """Returns ``k`` if it names a state 0..T-1 (the start of a product), else raises naming ``name``."""
        if isinstance(k, bool) or not isinstance(k, (int, sp.Integer)) or not 0 <= int(k) < self.T:
            raise ValueError(f"{name} must be an integer in 0..T-1 = 0..{self.T - 1}, got {k!r}")
        return int(k)


def recurrent_chain(T: int) -> RecurrentChain:
    """Returns the symbols of a recurrent chain of ``T`` >= 1 steps (all real)."""
    T = check_positive_int("T", T, maximum=4096, why="symbols grow with T")
    real = dict(real=True)
    return RecurrentChain(
        T,
        sp.Symbol("w", **real),
        sp.Symbol("u", **real),
        sp.Symbol("b", **real),
        tuple(sp.Symbol(f"x_{t}", **real) for t in range(1, T + 1)),
        tuple(sp.Symbol(f"z_{t}", **real) for t in range(1, T + 1)),
        tuple(sp.Symbol(f"h_{t}", **real) for t in range(T + 1)),
    )


def unrolled_state(net: RecurrentChain, k: int, activation=sigma) -> tuple[list, sp.Expr]:
    """Returns ([z_{k+1}, ..., z_T] nested, h_T nested), functions of the symbol h_k (the steps before k are
    summarised by h_k: none of them depends on h_k)."""
    check_activation(activation)
    k = net.check_step(k)
    h, zs = net.h[k], []
    for t in range(k + 1, net.T + 1):
        z = net.w * h + net.u * net.x[t - 1] + net.b
        zs.append(z)
        h = activation(z)
    return zs, h


def jacobian_factors(net: RecurrentChain, k: int) -> tuple:
    """Returns (w, sigma'(z_{k+1}), w, sigma'(z_{k+2}), ..., w, sigma'(z_T)): the product's factors in order."""
    k = net.check_step(k)
    out = []
    for t in range(k + 1, net.T + 1):
        out += [net.w, sigma_prime(net.z[t - 1])]
    return tuple(out)


def jacobian_formula(net: RecurrentChain, k: int, *, evaluate: bool = True):
    """Returns prod_{t=k+1}^{T} w sigma'(z_t) in z symbols; ``evaluate=False`` keeps the factors in order."""
    return sp.Mul(*jacobian_factors(net, k), evaluate=evaluate)


def to_unrolled(net: RecurrentChain, expr, k: int, activation=sigma):
    """Returns ``expr`` with z_{k+1}, ..., z_T and h_{k+1}, ..., h_T replaced by their nested expressions."""
    zs, _ = unrolled_state(net, k, activation)
    mapping = {net.z[t - 1]: zs[t - k - 1] for t in range(k + 1, net.T + 1)}
    mapping |= {net.h[t]: activation(zs[t - k - 1]) for t in range(k + 1, net.T + 1)}
    return expr.xreplace(mapping)


def jacobian_direct(net: RecurrentChain, k: int, activation=sigma):
    """Returns dh_T/dh_k by SymPy differentiation of the unrolled state (a nested expression in h_k)."""
    k = net.check_step(k)
    check_positive_int(
        "the number of steps T - k",
        net.T - k,
        maximum=MAX_DIRECT_STEPS,
        why="SymPy's nested differentiation exceeds Python's recursion limit near 50",
    )
    return sp.diff(unrolled_state(net, k, activation)[1], net.h[k])


def _step_symbols():
    names = ["w", "u", "b", "h_k", "x_{k+1}", "x_{T+1}"]
    return {n: sp.Symbol(n, real=True) for n in names}


def base_case(step=None):
    """Returns (dh_{k+1}/dh_k by SymPy, w sigma'(z_{k+1})): one step, T = k + 1.

    ``step(w, h, u, x, b)`` is the update h_{t-1} -> h_t, sigma(w h + u x + b) by default (tests feed
    wrong ones).
    """
    s = _step_symbols()
    step = step or (lambda w, h, u, x, b: sigma(w * h + u * x + b))
    z = s["w"] * s["h_k"] + s["u"] * s["x_{k+1}"] + s["b"]
    return sp.diff(step(s["w"], s["h_k"], s["u"], s["x_{k+1}"], s["b"]), s["h_k"]), s["w"] * sigma_prime(z)


def induction_step(step=None):
    """Returns (dh_{T+1}/dh_k by SymPy, w sigma'(z_{T+1}) dh_T/dh_k) with h_T = H(h_k) abstract.

    $h_{T+1} = \\sigma(w\\,H(h_k) + u x_{T+1} + b)$: whatever the T - k steps inside H are, the derivative
    gains the one factor $w\\,\\sigma'(z_{T+1})$ (the same shared w), so the product holds for T + 1
    when it holds for T.
    """
    s = _step_symbols()
    step = step or (lambda w, h, u, x, b: sigma(w * h + u * x + b))
    hT = H(s["h_k"])
    z = s["w"] * hT + s["u"] * s["x_{T+1}"] + s["b"]
    derived = sp.diff(step(s["w"], hT, s["u"], s["x_{T+1}"], s["b"]), s["h_k"])
    return derived, s["w"] * sigma_prime(z) * sp.diff(hT, s["h_k"])


def jacobian_statement():
    """Returns Eq(dh_T/dh_k, Product(w sigma'(z_t), (t, k + 1, T))): the claim for symbolic T and k."""
    t, k, T = sp.symbols("t k T", integer=True)
    z = sp.IndexedBase("z", real=True)
    w = sp.Symbol("w", real=True)
    lhs = sp.Symbol(r"\frac{\partial h_{T}}{\partial h_{k}}")
    return sp.Eq(
        lhs,
        sp.Product(sp.Mul(w, sigma_prime(z[t]), evaluate=False), (t, sp.Add(k, 1, evaluate=False), T)),
        evaluate=False,
    )


def weight_gradient_bptt(net: RecurrentChain):
    """Returns dC/dw = sum_{t=1}^{T} C'(h_T) (dh_T/dh_t) sigma'(z_t) h_{t-1}: backpropagation through time for
    the shared weight, each term the product formula (dh_T/dh_T = 1), in z and h symbols."""
    terms = []
    for t in range(1, net.T + 1):
        later = jacobian_formula(net, t) if t < net.T else sp.Integer(1)
        terms.append(C_prime(net.h[net.T]) * later * sigma_prime(net.z[t - 1]) * net.h[t - 1])
    return sp.Add(*terms)


def weight_gradient_direct(net: RecurrentChain):
    """Returns dC(h_T)/dw by SymPy differentiation of the unrolled network from h_0 (w in every step)."""
    check_positive_int("T", net.T, maximum=MAX_DIRECT_STEPS, why="nested differentiation")
    return sp.diff(C(unrolled_state(net, 0)[1]), net.w)


def gamma() -> dict:
    """Returns {name: (sup |phi'|, the square whose vanishing at z = 0 proves it, phi'(0))} for sigmoid and tanh.

    With a = phi(z): sigma' = a (1 - a) and 1/4 - a (1 - a) = (a - 1/2)^2; tanh' = 1 - a^2 and 1 - (1 - a^2) = a^2.
    A square is >= 0, so phi' <= gamma, with equality where a = 1/2 (sigmoid) or a = 0 (tanh), i.e. z = 0.
    (``theory.activations.sup_derivative`` finds the same sups by calculus, slower; the tests compare.)
    """
    z, a = sp.Symbol("z", real=True), sp.Symbol("a", real=True)
    out = {}
    for name, phi, target, peak in (
        ("sigmoid", sigmoid(z), sp.Rational(1, 4), sp.Rational(1, 2)),
        ("tanh", sp.tanh(z), sp.Integer(1), sp.Integer(0)),
    ):
        d = sp.diff(phi, z)
        in_a = a * (1 - a) if name == "sigmoid" else 1 - a**2  # phi' written in a = phi(z), checked below
        written = sp.simplify(d - in_a.subs(a, phi)) == 0
        gap = sp.expand(target - in_a - (a - peak) ** 2)
        out[name] = {
            "gamma": target,
            "derivative_in_a": in_a,
            "written_ok": written,
            "gap_is_square": gap == 0,
            "at_zero": sp.nsimplify(d.subs(z, 0)),
            "phi_at_zero": phi.subs(z, 0),
        }
    return out
