"""Eq. 124 (lambdified) against the NumPy network's backprop and mpmath finite differences;
the norm bound on random and constructed networks; bad widths."""

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambdified import eq124_function
from numeric.functions import sigmoid_prime
from numeric.networks.network import Network
from test_network import mp_cost_at
from theory.layered import layered_network

widths_st = st.lists(st.integers(1, 6), min_size=2, max_size=7)


def grad_a_C(a, y, cost):
    return a - y if cost == "quadratic" else (a - y) / (a * (1 - a))


@given(widths_st, st.integers(0, 2**32 - 1), st.sampled_from(["quadratic", "cross-entropy"]), st.data())
def test_eq124_equals_backprop_and_finite_differences(widths, seed, cost, data):
    """delta^l = Sigma'(z^l)(w^{l+1})^T Sigma'(z^{l+1}) ... (w^L)^T Sigma'(z^L) grad_a C   (124)"""
    rng = np.random.default_rng(seed)
    net = Network(widths, cost=cost, init=data.draw(st.sampled_from(["default", "large"])), rng=rng)
    x, y = rng.random(widths[0]), (rng.random(widths[-1]) > 0.5).astype(float)
    zs, acts = net.forward(x)
    deltas = net.backprop(x, y).deltas
    L = len(widths) - 1
    grad = grad_a_C(acts[-1][0], y, cost)
    for l in range(1, L + 1):
        f = eq124_function(widths, l)
        got = f([sigmoid_prime(z[0]) for z in zs[l - 1:]], net.weights[l:], grad)
        np.testing.assert_allclose(got, deltas[l - 1][0], rtol=1e-10, atol=1e-14)
    l = data.draw(st.integers(1, L))
    j = data.draw(st.integers(0, widths[l] - 1))
    mpmath.mp.dps = 40
    exact = mpmath.diff(lambda t: mp_cost_at(net, x, y, cost, "b", l - 1, (j,), t),
                        mpmath.mpf(float(net.biases[l - 1][j])))
    got = eq124_function(widths, l)([sigmoid_prime(z[0]) for z in zs[l - 1:]], net.weights[l:], grad)[j]
    assert abs(got - float(exact)) <= 1e-11 * max(1.0, abs(float(exact)))


@given(widths_st.filter(lambda w: len(w) >= 3), st.integers(0, 2**32 - 1), st.floats(0.1, 30))
def test_norm_bound_holds_for_random_weights(widths, seed, scale):
    """||delta^l|| <= (1/4)^(L-l+1) ||w^{l+1}|| ... ||w^L|| ||grad_a C|| (quadratic cost, grad = a - y)."""
    rng = np.random.default_rng(seed)
    net = Network(widths, cost="quadratic", init="large", rng=rng)
    net.weights = [w * scale for w in net.weights]
    x, y = rng.random((5, widths[0])), rng.random((5, widths[-1]))
    deltas = net.backprop(x, y).deltas
    grad = np.linalg.norm(net.feedforward(x) - y, axis=1)
    L = len(net.weights)
    for l in range(L):
        bound = 0.25 ** (L - l) * np.prod([np.linalg.norm(w, 2) for w in net.weights[l + 1:]]) * grad
        assert np.all(np.linalg.norm(deltas[l], axis=1) <= bound * (1 + 1e-12) + 1e-300)


def test_norm_bound_is_tight_for_scaled_identities_at_z_zero():
    """w^l = c_l I and biases that make every z = 0 give equality in the bound."""
    c = [2.0, 3.0, 5.0]
    net = Network([3, 3, 3, 3], cost="quadratic", rng=0)
    x = np.array([0.2, 0.7, 0.4])
    a = x
    for l, cl in enumerate(c):
        net.weights[l] = cl * np.eye(3)
        net.biases[l] = -cl * a
        a = np.full(3, 0.5)
    y = np.array([0.5 - 3.0, 0.5 - 4.0, 0.5])  # grad_a C = a - y = (3, 4, 0)
    zs, _ = net.forward(x)
    assert all(np.allclose(z, 0) for z in zs)
    deltas = net.backprop(x, y).deltas
    for l in range(3):
        bound = 0.25 ** (3 - l) * np.prod(c[l + 1:]) * 5.0
        assert np.linalg.norm(deltas[l][0]) == pytest.approx(bound, rel=1e-14)


@pytest.mark.parametrize("widths,err,match", [
    ([], ValueError, "at least two entries"), ([3], ValueError, "at least two entries"),
    ([2, 0, 1], ValueError, r"widths\[1\] must be an integer >= 1"), ([2, -1], ValueError, "widths"),
    ("23", TypeError, "list of layer widths"), ([2, 1.5], TypeError, "widths"),
])
def test_bad_widths_are_refused(widths, err, match):
    with pytest.raises(err, match=match):
        layered_network(widths)


def test_layer_out_of_range_is_refused():
    from theory.layered import delta_eq124

    with pytest.raises(ValueError, match="l must be a layer index in 1..L = 1..2"):
        delta_eq124(layered_network([2, 3, 2]), 3)
