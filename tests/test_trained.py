"""The derivations against networks trained on MNIST (the ``checkpoints`` fixture) at random mini-batches of
real digits, and against chain networks of widths [1, 1, ..., 1]; where float64 underflows, 50- to 400-digit
mpmath finite differences."""

import math

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, example, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from lambdified import chain_gradient, cost_prime, eq124_function
from numeric.functions import sigmoid_prime
from numeric.networks.network import Network
from theory.layered import delta_eq124, eq124_matrix_symbols, explicit_matrices, layered_network

NAMES = ["784-30-10", "784-30-30-10", "784-30-30-30-10", "784-30-30-30-30-10", "784-30-30-10-quadratic",
         "784-30-30-10-large"]
fixture_ok = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # read-only


def grad_a_C(a, y, cost):
    """dC/da^L through the bridge (the same function the claims use)."""
    return cost_prime(cost)(a, y)


def test_checkpoints_learned(checkpoints, digits):
    """The trained networks are well above chance (10%), so the tests below see trained weights, not initial
    ones (after 5 epochs: 87-91% for 1-3 hidden layers and the large initialisation, about 30% for 4)."""
    val = digits.validation
    for name, net in checkpoints.items():
        acc = net.accuracy(val.x, val.y) / len(val)
        assert acc > 0.25, (name, acc)


def test_eq124_matrix_symbols_are_theorys_explicit_product():
    """Theory's matrix-symbol form of (124), with real transposes, becomes delta_eq124 when the explicit matrices go
    in."""
    for widths, l in (([2, 3, 2], 1), ([3, 2, 4, 2], 1), ([3, 2, 4, 2], 2), ([2, 3, 2], 2)):
        lhs, rhs, _ = eq124_matrix_symbols(widths, l)
        assert lhs.shape == (widths[l], 1) and rhs.shape == lhs.shape
        explicit = sp.Matrix(rhs.xreplace(explicit_matrices(widths, l)).doit())
        assert sp.expand(explicit - delta_eq124(layered_network(widths), l)) == sp.zeros(widths[l], 1)


@fixture_ok
@given(st.sampled_from(NAMES), st.lists(st.integers(0, 3999), min_size=1, max_size=10, unique=True))
@example("784-30-30-30-30-10", [0, 1, 2])
def test_eq124_and_bp1_bp4_on_trained_networks(checkpoints, digits, name, rows):
    """On a random mini-batch of training digits, for every layer l:
    delta^l = Sigma'(z^l)(w^{l+1})^T ... Sigma'(z^L) grad_a C (124, BP1 at l = L, BP2 unrolled),
    dC/db^l = sum of delta^l (BP3) and dC/dw^l = sum of delta^l (a^{l-1})^T (BP4)."""
    net = checkpoints[name]
    cost = net.cost.name
    x, labels = digits.training.x[rows], digits.training.y[rows]
    y = np.eye(10)[labels]
    zs, acts = net.forward(x)
    g = net.backprop(x, y)
    L = len(net.weights)
    for l in range(1, L + 1):
        f = eq124_function(net.sizes, l)
        deltas = np.array([f([sigmoid_prime(z[i]) for z in zs[l - 1:]], net.weights[l:],
                             grad_a_C(acts[-1][i], y[i], cost)) for i in range(len(rows))])
        np.testing.assert_allclose(deltas, g.deltas[l - 1], rtol=1e-9, atol=1e-13)
        np.testing.assert_allclose(deltas.sum(axis=0), g.nabla_b[l - 1], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(deltas.T @ acts[l - 1], g.nabla_w[l - 1], rtol=1e-9, atol=1e-12)


def upper_cost(net, acts, y, l, kind, j, k, t):
    """C as a function of one parameter t of layer l (0-based), in mpmath: z^{l+1} is computed from the
    network's own a^l (which t does not change), shifted exactly by the change of that parameter, and
    carried through the layers above at the current precision."""
    a_prev = acts[l][0]
    z = [mpmath.mpf(float(v)) for v in a_prev @ net.weights[l].T + net.biases[l]]
    if kind == "b":
        z[j] += t - mpmath.mpf(float(net.biases[l][j]))
    else:
        z[j] += (t - mpmath.mpf(float(net.weights[l][j, k]))) * mpmath.mpf(float(a_prev[k]))
    a = [1 / (1 + mpmath.exp(-v)) for v in z]
    for w, b in zip(net.weights[l + 1:], net.biases[l + 1:]):
        a = [1 / (1 + mpmath.exp(-(mpmath.fsum(mpmath.mpf(float(wjk)) * ak for wjk, ak in zip(wj, a))
                                     + mpmath.mpf(float(bj))))) for wj, bj in zip(w, b)]
    ys = [mpmath.mpf(float(v)) for v in y]
    if net.cost.name == "quadratic":
        return mpmath.fsum((aj - yj) ** 2 for aj, yj in zip(a, ys)) / 2
    return -mpmath.fsum(yj * mpmath.log(aj) + (1 - yj) * mpmath.log(1 - aj) for aj, yj in zip(a, ys))


@fixture_ok
@given(st.sampled_from(NAMES), st.integers(0, 3999), st.data())
def test_trained_backprop_equals_mpmath_finite_differences(checkpoints, digits, name, row, data):
    """One bias and one weight of a trained network at a real digit: backprop's dC/db and dC/dw against
    40-digit finite differences of the cost (BP1-BP4 end to end, independent of any formula)."""
    net = checkpoints[name]
    x, y = digits.training.x[row:row + 1], np.eye(10)[digits.training.y[row]]
    acts = net.forward(x)[1]
    g = net.backprop(x, y[None, :])
    l = data.draw(st.integers(0, len(net.weights) - 1))
    j = data.draw(st.integers(0, net.sizes[l + 1] - 1))
    inputs = np.flatnonzero(acts[l][0]).tolist()
    k = data.draw(st.sampled_from(inputs))
    mpmath.mp.dps = 40
    for kind, got, start in (("b", g.nabla_b[l][j], net.biases[l][j]), ("w", g.nabla_w[l][j, k], net.weights[l][j, k])):
        exact = mpmath.diff(lambda t, kind=kind: upper_cost(net, acts, y, l, kind, j, k, t), mpmath.mpf(float(start)))
        assert abs(got - float(exact)) <= 1e-9 * max(1e-4, abs(float(exact))), (kind, l, j, k, got, float(exact))


@fixture_ok
@given(st.sampled_from(NAMES), st.lists(st.integers(0, 3999), min_size=1, max_size=10, unique=True))
def test_norm_bound_on_trained_networks(checkpoints, digits, name, rows):
    """||delta^l|| <= (1/4)^(L-l+1) ||w^{l+1}|| ... ||w^L|| ||grad_a C|| (spectral norms), each example."""
    net = checkpoints[name]
    x, y = digits.training.x[rows], np.eye(10)[digits.training.y[rows]]
    acts = net.forward(x)[1]
    grad = np.linalg.norm(grad_a_C(acts[-1], y, net.cost.name), axis=1)
    deltas = net.backprop(x, y).deltas
    L = len(net.weights)
    for l in range(L):
        bound = 0.25 ** (L - l) * np.prod([np.linalg.norm(w, 2) for w in net.weights[l + 1:]]) * grad
        norms = np.linalg.norm(deltas[l], axis=1)
        assert np.all(norms <= bound * (1 + 1e-12))
        assert np.all(norms >= 1e-6 * bound)  # the bound is not vacuous: within 6 orders of magnitude here


# -- eq. 122 on chain networks -----------------------------------------------------------------
@st.composite
def chain_params(draw, weight=st.floats(-4, 4), max_depth=12):
    L = draw(st.integers(1, max_depth))
    w = draw(st.lists(weight, min_size=L, max_size=L))
    b = draw(st.lists(st.floats(-3, 3), min_size=L, max_size=L))
    return L, w, b, draw(st.floats(0, 1)), draw(st.floats(0, 1)), draw(st.sampled_from(["quadratic", "cross-entropy"]))


def chain_net(L, w, b, cost):
    net = Network([1] * (L + 1), cost=cost, rng=0)
    net.weights = [np.array([[wj]]) for wj in w]
    net.biases = [np.array([bj]) for bj in b]
    return net


@given(chain_params())
@example((4, [1.0, -2.0, 0.5, 3.0], [0.1, 0.2, -0.3, 0.0], 0.7, 1.0, "cross-entropy"))
def test_eq122_equals_backprop_of_a_chain_network(params):
    """dC/db_j = sigma'(z_j) w_{j+1} sigma'(z_{j+1}) ... w_L sigma'(z_L) dC/da_L (122), lambdified through the bridge,
    equals the NumPy network's backprop for widths [1, 1, ..., 1], every j, both costs; dC/dw_j = a_{j-1} dC/db_j."""
    L, w, b, a0, y, cost = params
    net = chain_net(L, w, b, cost)
    zs, acts = net.forward(np.array([[a0]]))
    g = net.backprop(np.array([[a0]]), np.array([[y]]))
    z, a = [float(v[0, 0]) for v in zs], [float(v[0, 0]) for v in acts]
    dC_da = cost_prime(cost)(a[-1], y)
    for j in range(1, L + 1):
        formula = chain_gradient(L, j, module="math")(z, w, a, dC_da)
        assert math.isclose(formula, g.nabla_b[j - 1][0], rel_tol=1e-9, abs_tol=1e-300)
        formula_w = chain_gradient(L, j, wrt="w", module="math")(z, w, a, dC_da)
        assert math.isclose(formula_w, g.nabla_w[j - 1][0, 0], rel_tol=1e-9, abs_tol=1e-300)


@settings(max_examples=8)
@given(st.integers(50, 64), st.floats(300, 318), st.floats(0, 1))
@example(64, 310.0, 0.5)
def test_deep_chain_gradient_below_1e300_agrees_with_mpmath(L, exponent, a0):
    """Where dC/db_1 is below 1e-300 (deep chains of small weights), the formula at 60 digits equals the
    400-digit mpmath finite difference, and the float64 network's backprop agrees to its last ulps."""
    weight = 4 * 10 ** (-exponent / (L - 1))  # each of the L - 1 factors w sigma'(z) ~ w/4
    w, b = [weight] * L, [0.0] * L
    mpmath.mp.dps = 60
    zs, acts = [], [mpmath.mpf(a0)]
    for wj in w:
        zs.append(wj * acts[-1])
        acts.append(1 / (1 + mpmath.exp(-zs[-1])))
    exact = chain_gradient(L, 1)(zs, w, acts, acts[-1] - 1)

    def cost_at(t):
        a = 1 / (1 + mpmath.exp(-(w[0] * mpmath.mpf(a0) + t)))
        for wj in w[1:]:
            a = 1 / (1 + mpmath.exp(-wj * a))
        return (a - 1) ** 2 / 2

    mpmath.mp.dps = 400
    fd = mpmath.diff(cost_at, mpmath.mpf(0))
    assert mpmath.almosteq(exact, fd, rel_eps=mpmath.mpf(10) ** -40)
    assert abs(fd) < 1e-300
    got = chain_net(L, w, b, "quadratic").backprop(np.array([[a0]]), np.array([[1.0]])).nabla_b[0][0]
    assert math.isclose(got, float(fd), rel_tol=1e-9, abs_tol=4 * L * 5e-324)


# -- dC/db_1 against dC/db_3 -------------------------------------------------------------------
def ratio_b1_b3(w, b, a0, y):
    g = chain_net(4, w, b, "quadratic").backprop(np.array([[a0]]), np.array([[y]]))
    return g.nabla_b[0][0], g.nabla_b[2][0]


@given(st.lists(st.floats(-1, 1), min_size=4, max_size=4), st.lists(st.floats(-3, 3), min_size=4, max_size=4),
       st.floats(0, 1), st.floats(0, 1))
def test_b1_at_most_a_sixteenth_of_b3_when_weights_are_small(w, b, a0, y):
    """|dC/db_1| <= |dC/db_3| / 16 whenever |w_2|, |w_3| <= 1 (the network's backprop)."""
    d1, d3 = ratio_b1_b3(w, b, a0, y)
    assert abs(d1) <= abs(d3) / 16 * (1 + 1e-12) + 1e-300


def test_hypothesis_finds_a_violation_with_large_weights():
    """Without |w_j| <= 1 the bound fails: hypothesis finds weights where |dC/db_1| > |dC/db_3| / 16
    (so the test above can fail, and its premise matters)."""
    params = st.tuples(st.lists(st.floats(-10, 10), min_size=4, max_size=4), st.floats(0, 1))
    w, a0 = find(params, lambda p: abs(ratio_b1_b3(p[0], [0.0] * 4, p[1], 1.0)[0])
                 > abs(ratio_b1_b3(p[0], [0.0] * 4, p[1], 1.0)[1]) / 16,
                 settings=settings(database=None, max_examples=2000))
    assert max(abs(w[1]), abs(w[2])) > 1
    with pytest.raises(NoSuchExample):
        find(st.tuples(st.lists(st.floats(-1, 1), min_size=4, max_size=4), st.floats(0, 1)),
             lambda p: abs(ratio_b1_b3(p[0], [0.0] * 4, p[1], 1.0)[0])
             > abs(ratio_b1_b3(p[0], [0.0] * 4, p[1], 1.0)[1]) / 16 * (1 + 1e-12),
             settings=settings(database=None, max_examples=300))
