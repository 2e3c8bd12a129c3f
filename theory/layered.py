"""Networks of any widths [n_0, n_1, ..., n_L] and the matrix form of backprop (eq. 124, BP1-BP4).

Explicit matrices of symbols, one shape at a time: SymPy's MatrixSymbol cannot be
differentiated through an elementwise sigma (SymPy issue 21062). Layer l (1-based, as in the
book) has w^l (n_l x n_{l-1}), b^l, z^l = w^l a^{l-1} + b^l, a^l = sigma(z^l); the cost is an
abstract C(a^L_1, ..., a^L_{n_L}) (or quadratic / cross-entropy in ``concrete_cost``).

Routes to delta^l = dC/db^l:
* ``deltas_implicit``: implicit differentiation of the layer equations (block lower-triangular,
  sparse forward substitution), every layer at once;
* ``delta_direct``: SymPy differentiates the composed (nested) cost; for small shapes;
* ``deltas_bp``: BP1 then BP2, delta^l = Sigma'(z^l) (w^{l+1})^T delta^{l+1};
* ``delta_eq124``: the unrolled product Sigma'(z^l)(w^{l+1})^T Sigma'(z^{l+1}) ... Sigma'(z^L) grad_a C.
Python tuples are 0-based: ``net.w[l - 1]`` is the book's w^l.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .notation import check_positive_int, sigma, sigma_prime

__all__ = ["LayeredNetwork", "layered_network", "GradC", "Cvec", "Sigma_prime", "grad_a_C", "deltas_bp",
           "delta_eq124", "deltas_implicit", "delta_direct", "weight_gradients_implicit", "named_activations",
           "eq124_matrix_symbols", "explicit_matrices", "check_widths"]


class GradC(sp.Function):
    """dC/da^L_j at the output; args (j, a^L_1, ..., a^L_n). Prints as the book's partial."""

    def _latex(self, printer, exp=None):
        s = r"\frac{\partial C}{\partial a^L_{%s}}" % printer._print(self.args[0])
        return s if exp is None else r"\left(%s\right)^{%s}" % (s, exp)


class Cvec(sp.Function):
    """The abstract cost C(a^L_1, ..., a^L_n); its j-th partial is ``GradC(j, ...)``."""

    def fdiff(self, argindex=1):
        return GradC(sp.Integer(argindex), *self.args)


@dataclass(frozen=True)
class LayeredNetwork:
    """Symbols of a network of widths [n_0, ..., n_L]: w[l-1], b[l-1], z[l-1], aL for layer l."""

    widths: tuple
    w: tuple
    b: tuple
    z: tuple
    a0: sp.Matrix
    aL: sp.Matrix

    @property
    def L(self) -> int:
        return len(self.widths) - 1

    def check_layer(self, l) -> int:
        l = check_positive_int("l", l)
        if l > self.L:
            raise ValueError(f"l must be a layer index in 1..L = 1..{self.L}, got {l}")
        return l


def check_widths(widths) -> tuple:
    """Returns ``widths`` as a tuple of ints, or raises naming what is wrong (at least two positive integers)."""
    if isinstance(widths, (str, bytes)) or not hasattr(widths, "__len__"):
        raise TypeError(f"widths must be a list of layer widths such as [2, 3, 2], got {widths!r}")
    if len(widths) < 2:
        raise ValueError(f"widths needs at least two entries [n_0, n_1] (input and output), got {list(widths)}")
    return tuple(check_positive_int(f"widths[{i}]", n) for i, n in enumerate(widths))


def layered_network(widths) -> LayeredNetwork:
    """Returns the symbols for ``widths`` = [n_0, n_1, ..., n_L] (at least two positive integers)."""
    widths = check_widths(widths)

    def mat(name, rows, cols=1):
        return sp.Matrix(rows, cols, lambda j, k: sp.Symbol(name(j + 1, k + 1), real=True))

    w, b, z = [], [], []
    for l in range(1, len(widths)):
        n, m = widths[l], widths[l - 1]
        w.append(mat(lambda j, k, l=l: f"w^{{{l}}}_{{{j}{k}}}", n, m))
        b.append(mat(lambda j, k, l=l: f"b^{{{l}}}_{{{j}}}", n))
        z.append(mat(lambda j, k, l=l: f"z^{{{l}}}_{{{j}}}", n))
    a0 = mat(lambda j, k: f"a^{{0}}_{{{j}}}", widths[0])
    aL = mat(lambda j, k: f"a^{{L}}_{{{j}}}", widths[-1])
    return LayeredNetwork(widths, tuple(w), tuple(b), tuple(z), a0, aL)


def Sigma_prime(z: sp.Matrix) -> sp.Matrix:
    """Returns the diagonal matrix Sigma'(z) = diag(sigma'(z_1), ..., sigma'(z_n))."""
    return sp.diag(*[sigma_prime(zj) for zj in z])


def grad_a_C(net: LayeredNetwork) -> sp.Matrix:
    """Returns grad_a C = (dC/da^L_1, ..., dC/da^L_n)^T at the output symbols a^L."""
    return sp.Matrix([GradC(sp.Integer(j + 1), *net.aL) for j in range(net.widths[-1])])


def deltas_bp(net: LayeredNetwork) -> list:
    """Returns [delta^1, ..., delta^L] by BP1 (delta^L = Sigma'(z^L) grad_a C) and BP2."""
    deltas = [Sigma_prime(net.z[-1]) * grad_a_C(net)]
    for l in range(net.L - 1, 0, -1):
        deltas.insert(0, Sigma_prime(net.z[l - 1]) * net.w[l].T * deltas[0])
    return deltas


def delta_eq124(net: LayeredNetwork, l: int, *, evaluate: bool = True):
    """Returns eq. 124 for layer l: Sigma'(z^l)(w^{l+1})^T Sigma'(z^{l+1}) ... Sigma'(z^L) grad_a C.

    ``evaluate=False`` returns the unevaluated factor list (for display); otherwise the product.
    """
    l = net.check_layer(l)
    factors = [Sigma_prime(net.z[l - 1])]
    for k in range(l + 1, net.L + 1):
        factors += [net.w[k - 1].T, Sigma_prime(net.z[k - 1])]
    factors.append(grad_a_C(net))
    if not evaluate:
        return factors
    out = factors[-1]
    for f in reversed(factors[:-1]):
        out = f * out
    return out


def eq124_matrix_symbols(widths, l: int):
    """Returns (delta^l, the product (124)) as matrix symbols of the right shapes, for any widths.

    delta^l is n_l x 1; the product is Sigma'^l (w^{l+1})^T Sigma'^{l+1} ... (w^L)^T Sigma'^L
    grad_a C with Sigma'^k (n_k x n_k) standing for Sigma'(z^k), w^k (n_k x n_{k-1}) and real
    transposes, in the book's factor order (unevaluated). ``explicit_matrices`` maps every symbol
    to its explicit matrix for ``layered_network(widths)``; the tests check that substitution
    gives ``delta_eq124``, and the bridge lambdifies this product for the NumPy network.
    """
    n = check_widths(widths)  # no explicit symbols: this form serves widths such as [784, 30, 10]
    L = len(n) - 1
    l = check_positive_int("l", l)
    if l > L:
        raise ValueError(f"l must be a layer index in 1..L = 1..{L}, got {l}")
    S = [sp.MatrixSymbol(rf"\Sigma'^{{{k}}}", n[k], n[k]) for k in range(l, L + 1)]
    W = [sp.MatrixSymbol(f"w^{{{k}}}", n[k], n[k - 1]) for k in range(l + 1, L + 1)]
    factors = [S[0]]
    for Wk, Sk in zip(W, S[1:]):
        factors += [Wk.T, Sk]
    grad = sp.MatrixSymbol(r"\nabla_{a} C", n[-1], 1)
    return sp.MatrixSymbol(rf"\delta^{{{l}}}", n[l], 1), sp.MatMul(*factors, grad, evaluate=False), (S, W, grad)


def explicit_matrices(widths, l: int) -> dict:
    """Returns {matrix symbol of ``eq124_matrix_symbols(widths, l)``: its explicit matrix}."""
    net = layered_network(widths)
    _, _, (S, W, grad) = eq124_matrix_symbols(widths, l)
    out = {Sk: Sigma_prime(net.z[k - 1]) for k, Sk in zip(range(l, net.L + 1), S)}
    out |= {Wk: net.w[k - 1] for k, Wk in zip(range(l + 1, net.L + 1), W)}
    out[grad] = grad_a_C(net)
    return out


def named_activations(net: LayeredNetwork) -> dict:
    """Returns {sigma(z^L_j): a^L_j}: names the output activations in derivatives."""
    return {sigma(zj): aj for zj, aj in zip(net.z[-1], net.aL)}


def _implicit(net: LayeredNetwork, params) -> sp.Matrix:
    zs = [zj for zl in net.z for zj in zl]
    F = []
    for l in range(net.L):
        prev = net.a0 if l == 0 else net.z[l - 1].applyfunc(sigma)
        F.extend(list(net.z[l] - (net.w[l] * prev + net.b[l])))
    F = sp.Matrix(F)
    dz_dp = sp.SparseMatrix(F.jacobian(zs)).lower_triangular_solve(-sp.SparseMatrix(F.jacobian(params)))
    nL = net.widths[-1]
    top = dz_dp[dz_dp.rows - nL:, :]  # rows of z^L
    cost = Cvec(*[sigma(zj) for zj in net.z[-1]])
    dC_dzL = sp.Matrix([[sp.diff(cost, zj) for zj in net.z[-1]]]).xreplace(named_activations(net))
    return (dC_dzL * top).T


def deltas_implicit(net: LayeredNetwork) -> list:
    """Returns [dC/db^1, ..., dC/db^L] by implicit differentiation of the layer equations.

    F^l = z^l - w^l sigma(z^{l-1}) - b^l = 0 (a^0 for l = 1); SymPy solves
    (dF/dz) dz/db = -dF/db by sparse forward substitution; dC/db = (dC/dz^L)(dz^L/db).
    """
    params = [bj for bl in net.b for bj in bl]
    flat = _implicit(net, params)
    out, start = [], 0
    for n in net.widths[1:]:
        out.append(flat[start:start + n, :])
        start += n
    return out


def weight_gradients_implicit(net: LayeredNetwork) -> list:
    """Returns [dC/dw^1, ..., dC/dw^L] (each n_l x n_{l-1}) by the same implicit differentiation."""
    params = [wjk for wl in net.w for wjk in wl]  # row-major per layer
    flat = _implicit(net, params)
    out, start = [], 0
    for l in range(net.L):
        n, m = net.w[l].shape
        out.append(sp.Matrix(n, m, list(flat[start:start + n * m, 0])))
        start += n * m
    named = {sigma(zj): sp.Symbol(f"a^{{{l + 1}}}_{{{j + 1}}}", real=True)
             for l in range(net.L - 1) for j, zj in enumerate(net.z[l])}
    return [g.xreplace(named) for g in out]


def delta_direct(net: LayeredNetwork, l: int) -> sp.Matrix:
    """Returns dC/db^l by SymPy differentiation of the composed network, in z and a^L symbols.

    The layers below l are summarised by the symbols a^{l-1} (``net.a0`` when l = 1, else
    sigma(z^{l-1}) symbols): they do not depend on b^l.
    """
    l = net.check_layer(l)
    a = net.a0 if l == 1 else net.z[l - 2].applyfunc(sigma)
    nested = []
    for k in range(l, net.L + 1):
        zk = net.w[k - 1] * a + net.b[k - 1]
        nested.append(zk)
        a = zk.applyfunc(sigma)
    grad = sp.Matrix([sp.diff(Cvec(*a), bj) for bj in net.b[l - 1]])
    # name the nested weighted inputs z^k again, outermost first, so the result is comparable
    back = {}
    for k in range(net.L, l - 1, -1):
        for zj_expr, zj in zip(nested[k - l], net.z[k - 1]):
            back[zj_expr] = zj
    return grad.xreplace(back).xreplace(named_activations(net))
