"""The network with remedies (numeric.networks.deep): network2 fidelity at its defaults, every backward pass
against finite differences, the training options, and clear errors for bad combinations."""

import itertools
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numeric.networks.deep import ACTIVATIONS, INITS, DeepNetwork
from numeric.networks.network import Network


def data(rng, n, n_in, n_out):
    return rng.random((n, n_in)), rng.integers(0, n_out, n)


@pytest.mark.parametrize("init", ["default", "large"])
def test_defaults_are_network2(init):
    """Same draws, same forward pass, same gradients and the same SGD epoch as numeric.networks.network.Network."""
    rng = np.random.default_rng(0)
    x, y = data(rng, 23, 12, 4)
    a, b = Network([12, 7, 5, 4], init=init, rng=5), DeepNetwork([12, 7, 5, 4], init=init, rng=5)
    for u, v in zip(a.weights + a.biases, b.weights + b.biases):
        assert np.array_equal(u, v)
    assert np.allclose(a.feedforward(x), b.feedforward(x), rtol=0, atol=1e-15)
    ga, gb = a.backprop(x, y), b.backprop(x, y)
    for u, v in zip(ga.nabla_w + ga.nabla_b, gb.nabla_w + gb.nabla_b):
        assert np.allclose(u, v, rtol=1e-13, atol=1e-15)
    a.SGD(x, y, 2, 5, 0.5, 0.3, rng=9)
    b.SGD(x, y, 2, 5, 0.5, 0.3, rng=9)
    for u, v in zip(a.weights + a.biases, b.weights + b.biases):
        assert np.allclose(u, v, rtol=1e-12, atol=1e-13)


def batch_cost(net, x, y, training):
    zs, acts, _ = net.forward(x, training=training)
    return float(np.sum(net.cost.fn(zs[-1], acts[-1], np.eye(net.sizes[-1])[y])))


def numeric_gradient(net, x, y, array, idx, training, h=1e-6):
    keep = array[idx]
    vals = []
    for step in (-2 * h, -h, h, 2 * h):  # five-point stencil: error O(h^4)
        array[idx] = keep + step
        vals.append(batch_cost(net, x, y, training))
    array[idx] = keep
    return (vals[0] - 8 * vals[1] + 8 * vals[2] - vals[3]) / (12 * h)


COMBOS = [(act, bn, res, "sigmoid") for act in ACTIVATIONS for bn, res in ((False, False), (True, False),
                                                                            (False, True), (True, True))]
COMBOS += [(act, False, False, "softmax") for act in ACTIVATIONS] + [("sigmoid", True, True, "softmax")]


@pytest.mark.parametrize("activation,batch_norm,residual,output", COMBOS)
def test_backward_pass_matches_finite_differences(activation, batch_norm, residual, output):
    """Every hidden activation, batch norm, residual blocks, and both output layers (sigmoid with cross-entropy,
    softmax with log-likelihood: delta^L = a^L - y), against five-point finite differences of the cost."""
    rng = np.random.default_rng(zlib.crc32(f"{activation}{batch_norm}{residual}{output}".encode()))
    net = DeepNetwork([5, 4, 4, 4, 3], activation=activation, batch_norm=batch_norm, residual=residual,
                      init="xavier-normal", output=output, rng=rng)
    for b in net.biases:  # nonzero biases: a dead ReLU layer would otherwise put z exactly on the kink at 0
        b += rng.normal(0, 0.3, b.shape)
    if batch_norm:  # move gamma and beta off their trivial start so their gradients are tested
        for g, b in zip(net.gamma[:-1], net.beta[:-1]):
            g += rng.normal(0, 0.3, g.shape)
            b += rng.normal(0, 0.3, b.shape)
    x, y = data(rng, 6, 5, 3)
    for training in ((True, False) if batch_norm else (True,)):
        g = net.backprop(x, y, training=training)
        arrays = [(w, gw) for w, gw in zip(net.weights, g.nabla_w)]
        for l in range(len(net.weights)):
            b = net.beta[l] if net.beta[l] is not None else net.biases[l]
            arrays.append((b, g.nabla_b[l]))
            if net.gamma[l] is not None:
                arrays.append((net.gamma[l], g.nabla_gamma[l]))
        for array, grad in arrays:
            for idx in itertools.islice(np.ndindex(array.shape), 0, None, 3):
                want = numeric_gradient(net, x, y, array, idx, training)
                assert abs(grad[idx] - want) <= 1e-6 * max(1.0, abs(want)), (activation, batch_norm, residual, idx)


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(sorted(ACTIVATIONS)), st.sampled_from(INITS), st.integers(0, 2**31))
def test_gradient_deltas_are_the_bias_gradients_and_finite(activation, init, seed):
    """BP3 for every activation and initialisation: dC/db^l is delta^l summed over the batch."""
    rng = np.random.default_rng(seed)
    net = DeepNetwork([8, 6, 6, 3], activation=activation, init=init, rng=seed)
    x, y = data(rng, 5, 8, 3)
    g = net.backprop(x, y)
    for d, nb in zip(g.deltas, g.nabla_b):
        assert np.all(np.isfinite(d)) and np.allclose(d.sum(axis=0), nb, rtol=1e-12, atol=1e-15)


def test_initialisations_have_their_variances():
    rng = 7
    n_in, n_out = 400, 300
    cases = {"default": 1 / n_in, "large": 1.0, "xavier-normal": 2 / (n_in + n_out),
             "xavier-uniform": 2 / (n_in + n_out), "he": 2 / n_in, "glorot-2010": 1 / (3 * n_in)}
    for init, var in cases.items():
        w = DeepNetwork([n_in, n_out, 2], init=init, rng=rng).weights[0]
        assert abs(w.var() / var - 1) < 0.02, init
    q = DeepNetwork([300, 300, 2], init="orthogonal", rng=rng).weights[0]
    assert np.allclose(q @ q.T, np.eye(300), atol=1e-12)
    assert np.all(DeepNetwork([5, 4, 2], init="he", rng=1).biases[0] == 0)


def test_remedies_change_the_ratio_at_initialisation_as_theory_says():
    """Depth 8: sigmoid with network2's init vanishes (last/first >> 1); ReLU with He stays within a factor 10."""
    rng = np.random.default_rng(0)
    x, y = data(rng, 200, 30, 10)
    sizes = [30] + [30] * 8 + [10]
    ratios = {}
    for activation, init in (("sigmoid", "default"), ("relu", "he"), ("tanh", "orthogonal")):
        norms = DeepNetwork(sizes, activation=activation, init=init, rng=1).bias_gradient_norms(x, y)
        ratios[activation] = norms[-2] / norms[0]
    assert ratios["sigmoid"] > 1e3
    assert 0.1 < ratios["relu"] < 10 and 0.1 < ratios["tanh"] < 10


def test_clip_momentum_and_l1():
    rng = np.random.default_rng(2)
    x, y = data(rng, 10, 6, 3)
    base = DeepNetwork([6, 5, 3], init="large", rng=3)
    clipped = DeepNetwork([6, 5, 3], init="large", rng=3)
    before = [p.copy() for p in clipped._params()]
    clipped.SGD(x, y, 1, 10, eta=2.0, clip=0.01, rng=4)
    moved = np.sqrt(sum(np.sum((p - q) ** 2) for p, q in zip(clipped._params(), before)))
    assert moved <= 2.0 * 0.01 * (1 + 1e-12)  # one step of norm at most eta * clip
    base.SGD(x, y, 1, 10, eta=2.0, rng=4)
    assert np.sqrt(sum(np.sum((p - q) ** 2) for p, q in zip(base._params(), before))) > 0.05
    # L1 with eta * lmbda / n larger than any weight pulls every weight through zero by exactly that amount
    net = DeepNetwork([6, 5, 3], rng=3)
    w0 = net.weights[0].copy()
    g = net.backprop(x, y)
    net.SGD(x, y, 1, 10, eta=0.1, lmbda=5.0, penalty="l1", rng=4)
    assert np.allclose(net.weights[0], w0 - 0.1 * 5.0 / 10 * np.sign(w0) - 0.1 * g.nabla_w[0] / 10)
    # momentum: two steps on the same batch move further than plain SGD's two steps
    a, b = DeepNetwork([6, 5, 3], rng=3), DeepNetwork([6, 5, 3], rng=3)
    a.SGD(x, y, 2, 10, eta=0.1, rng=4)
    b.SGD(x, y, 2, 10, eta=0.1, momentum=0.9, rng=4)
    start = DeepNetwork([6, 5, 3], rng=3)
    dist = lambda n: np.linalg.norm(n.weights[0] - start.weights[0])  # noqa: E731
    assert dist(b) > dist(a)


def test_batch_norm_inference_uses_running_statistics():
    rng = np.random.default_rng(5)
    x, y = data(rng, 64, 6, 3)
    net = DeepNetwork([6, 5, 5, 3], batch_norm=True, rng=1)
    net.SGD(x, y, 3, 16, 0.1, rng=2)
    one = net.feedforward(x[:1])
    assert np.allclose(one, net.feedforward(x)[:1])  # an example's output does not depend on its batch
    mean, var = net.running[0]
    assert np.all(var > 0) and np.all(np.isfinite(mean))


@pytest.mark.parametrize("kwargs,train,match", [
    ({"batch_norm": True}, {"mini_batch_size": 1}, "at least 2|>= 2"),
    ({}, {"clip": 0.0}, "positive number"),
    ({}, {"clip": -1.0}, "positive number"),
    ({}, {"momentum": 1.0}, "momentum"),
    ({}, {"penalty": "l3"}, "penalty"),
])
def test_bad_training_options_are_refused(kwargs, train, match):
    rng = np.random.default_rng(0)
    x, y = data(rng, 8, 4, 2)
    net = DeepNetwork([4, 3, 3, 2], rng=0, **kwargs)
    args = {"epochs": 1, "mini_batch_size": 4, "eta": 0.1} | train
    with pytest.raises(ValueError, match=match):
        net.SGD(x, y, **args)


def test_bad_networks_are_refused():
    with pytest.raises(ValueError, match="derivative rule"):
        DeepNetwork([4, 3, 2], activation="softsign")
    with pytest.raises(ValueError, match="one width"):
        DeepNetwork([4, 5, 6, 2], residual=True)
    with pytest.raises(ValueError, match="at least two hidden"):
        DeepNetwork([4, 5, 2], residual=True)
    with pytest.raises(ValueError, match="init must be"):
        DeepNetwork([4, 3, 2], init="lecun")
    net = DeepNetwork([4, 3, 3, 2], batch_norm=True, rng=0)
    with pytest.raises(ValueError, match="at least 2"):
        net.backprop(np.ones((1, 4)), [0], training=True)


def test_momentum_follows_its_update_rule_exactly():
    """v -> mu v - eta g, w -> w + v: two full-batch steps against the rule written out."""
    rng = np.random.default_rng(8)
    x, y = data(rng, 12, 5, 3)
    eta, mu = 0.3, 0.9
    net = DeepNetwork([5, 4, 3], rng=2)
    ref = DeepNetwork([5, 4, 3], rng=2)
    net.SGD(x, y, 2, 12, eta, momentum=mu, rng=0)
    g1 = [v / 12 for v in ref._grads(ref.backprop(x, y))]
    for p, g in zip(ref._params(), g1):
        p -= eta * g
    g2 = [v / 12 for v in ref._grads(ref.backprop(x, y))]
    for p, a, b in zip(ref._params(), g1, g2):
        p -= mu * eta * a + eta * b
    for p, q in zip(net._params(), ref._params()):
        assert np.allclose(p, q, rtol=1e-12, atol=1e-14)
    assert net.total_cost(x, y) < DeepNetwork([5, 4, 3], rng=2).total_cost(x, y)  # downhill


def test_gradient_norms_use_the_data_statistics_and_leave_running_ones_alone():
    """Batch norm at initialisation: the norms see the data's own statistics; the running averages stay 0 and 1."""
    rng = np.random.default_rng(4)
    x, y = data(rng, 50, 6, 3)
    net = DeepNetwork([6, 5, 5, 3], batch_norm=True, rng=1)
    norms = net.bias_gradient_norms(x, y)
    assert all(np.array_equal(r[0], np.zeros(5)) and np.array_equal(r[1], np.ones(5)) for r in net.running[:2])
    g = net.backprop(x, y, training=True, update_running=False)
    assert np.allclose(norms, [np.linalg.norm(v / 50) for v in g.nabla_b])
    assert not np.allclose(norms, [np.linalg.norm(v / 50) for v in net.backprop(x, y, training=False).nabla_b])
