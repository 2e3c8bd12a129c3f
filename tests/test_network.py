"""The NumPy network: backprop against mpmath finite differences and an independent
per-example port of network2, one epoch number for number, bad input, persistence."""

import mpmath
import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from numeric.data import load_embedded
from numeric.functions import CrossEntropyCost, QuadraticCost, sigmoid, sigmoid_prime
from numeric.networks.network import Network
from reference_network2 import ReferenceNetwork

sizes_st = st.lists(st.integers(1, 5), min_size=2, max_size=5)


@given(sizes_st, st.integers(0, 2**32 - 1), st.sampled_from(["quadratic", "cross-entropy"]), st.data())
@example([1, 2], 0, "quadratic", None)  # once caught: a single example's target given as a vector
def test_backprop_equals_mpmath_finite_differences(sizes, seed, cost, data):
    """BP1-BP4: every entry of nabla_b and nabla_w equals dC/db, dC/dw to 1e-12 (relative)."""
    rng = np.random.default_rng(seed)
    net = Network(sizes, cost=cost, init="large", rng=rng)
    x = rng.random(sizes[0])
    y = (rng.random(sizes[-1]) > 0.5).astype(float)
    g = net.backprop(x, y)
    mpmath.mp.dps = 40
    draw = data.draw if data is not None else (lambda strategy: 0)
    l = draw(st.integers(0, len(sizes) - 2))
    j = draw(st.integers(0, sizes[l + 1] - 1))
    k = draw(st.integers(0, sizes[l] - 1))
    for kind, arr, idx, got in (("b", net.biases[l], (j,), g.nabla_b[l][j]),
                                ("w", net.weights[l], (j, k), g.nabla_w[l][j, k])):
        orig = float(arr[idx])
        exact = mpmath.diff(lambda t, kind=kind, idx=idx: mp_cost_at(net, x, y, cost, kind, l, idx, t),
                            mpmath.mpf(orig))
        assert abs(got - float(exact)) <= 1e-12 * max(1.0, abs(float(exact))), (kind, l, idx)


def mp_cost_at(net, x, y, cost, kind, l, idx, t):
    """C with one parameter replaced by the mpf t (the network's arrays are left untouched)."""
    ws = [[[mpmath.mpf(float(v)) for v in row] for row in w] for w in net.weights]
    bs = [[mpmath.mpf(float(v)) for v in b] for b in net.biases]
    if kind == "b":
        bs[l][idx[0]] = t
    else:
        ws[l][idx[0]][idx[1]] = t
    a = [mpmath.mpf(float(v)) for v in x]
    for w, b in zip(ws, bs):
        a = [1 / (1 + mpmath.exp(-(sum(wj[k] * a[k] for k in range(len(a))) + bj))) for wj, bj in zip(w, b)]
    if cost == "quadratic":
        return sum((aj - yj) ** 2 for aj, yj in zip(a, y)) / 2
    return -sum(yj * mpmath.log(aj) + (1 - yj) * mpmath.log(1 - aj) for aj, yj in zip(a, y))


@given(sizes_st, st.integers(1, 7), st.integers(0, 2**32 - 1), st.sampled_from(["quadratic", "cross-entropy"]))
def test_batched_backprop_equals_per_example_reference(sizes, n, seed, cost):
    """The whole-batch backprop sums exactly what network2's per-example loop sums (1e-12)."""
    net = Network(sizes, cost=cost, rng=np.random.default_rng(seed))
    ref = ReferenceNetwork(sizes, np.random.default_rng(seed), cost)
    rng = np.random.default_rng(seed + 1)
    x, y = rng.random((n, sizes[0])), rng.random((n, sizes[-1]))
    g = net.backprop(x, y)
    sums_b = [np.zeros(s) for s in sizes[1:]]
    sums_w = [np.zeros(w.shape) for w in net.weights]
    for i in range(n):
        db, dw = ref.backprop(x[i][:, None], y[i][:, None])
        for acc, d in zip(sums_b + sums_w, [d.ravel() for d in db] + dw):
            acc += d
    for got, want in zip(g.nabla_b + g.nabla_w, sums_b + sums_w):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("cost,lmbda,m", [("cross-entropy", 5.0, 10), ("quadratic", 0.0, 7)])
def test_one_epoch_matches_the_reference_weights(cost, lmbda, m):
    """One epoch on 300 real digits from the same seed ends with the reference's weights (1e-12)."""
    train = load_embedded().training.head(300)
    net = Network([784, 30, 10], cost=cost, rng=np.random.default_rng(7))
    ref = ReferenceNetwork([784, 30, 10], np.random.default_rng(7), cost)
    net.SGD(train.x, train.y, 1, m, 0.5, lmbda, rng=np.random.default_rng(11))
    onehot = train.onehot()
    ref.epoch([(train.x[i][:, None], onehot[i][:, None]) for i in range(len(train))], m, 0.5, lmbda,
              np.random.default_rng(11))
    for got, want in zip(net.weights + net.biases, ref.weights + [b.ravel() for b in ref.biases]):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


def test_sigmoid_and_costs_are_finite_and_silent_at_z_1000():
    z = np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0])
    s, sp = sigmoid(z), sigmoid_prime(z)
    assert np.isfinite(s).all() and np.isfinite(sp).all()
    assert s[0] == 0.0 and s[-1] == 1.0 and sp[2] == 0.25
    assert sp[3] == pytest.approx(np.exp(-40.0), rel=1e-14)  # no cancellation in the tail
    a, y = sigmoid(z), np.array([1.0, 1.0, 0.0, 0.0, 0.0])
    for cost in (CrossEntropyCost, QuadraticCost):
        assert np.isfinite(cost.fn(z, a, y)).all()
    assert CrossEntropyCost.fn(np.array([1000.0]), np.array([1.0]), np.array([0.0])) == pytest.approx(1000.0)


def test_training_with_huge_weights_is_silent():
    """Saturated neurons (|z| in the thousands) train without overflow warnings or NaN."""
    net = Network([4, 3, 2], init="large", rng=0)
    net.weights = [w * 1000 for w in net.weights]
    x = np.random.default_rng(0).random((20, 4))
    net.SGD(x, np.arange(20) % 2, 2, 5, 0.1, 1.0, rng=1)
    assert all(np.isfinite(w).all() for w in net.weights)
    assert np.isfinite(net.total_cost(x, np.arange(20) % 2))


@pytest.mark.parametrize("sizes,err,match", [
    ([784], ValueError, "at least 2 layers"), ([784, 0, 10], ValueError, r"sizes\[1\] must be a positive"),
    ([784, -3], ValueError, "positive"), ([784, 2.5], TypeError, "integer"), (784, TypeError, "list of layer widths"),
])
def test_bad_sizes_are_refused(sizes, err, match):
    with pytest.raises(err, match=match):
        Network(sizes)


@pytest.mark.parametrize("kwargs,err,match", [
    (dict(eta=0.0), ValueError, "eta"), (dict(eta=-1.0), ValueError, "eta"),
    (dict(mini_batch_size=0), ValueError, "mini_batch_size"), (dict(lmbda=float("nan")), ValueError, "lmbda"),
    (dict(epochs=-1), ValueError, "epochs"), (dict(mini_batch_size=2.5), TypeError, "integer"),
])
def test_bad_training_arguments_are_refused(kwargs, err, match):
    args = dict(epochs=1, mini_batch_size=2, eta=0.1, lmbda=0.0) | kwargs
    with pytest.raises(err, match=match):
        Network([3, 2], rng=0).SGD(np.zeros((4, 3)), np.zeros(4, dtype=int), **args)


@pytest.mark.parametrize("x,match", [
    (np.zeros((4, 5)), r"shape \(n, 3\)"), (np.full((4, 3), np.nan), "NaN"), (np.full((4, 3), np.inf), "inf"),
    (np.zeros((0, 3)), "no examples"), (np.array([["a", "b", "c"]]), "numeric"),
])
def test_bad_inputs_are_refused(x, match):
    with pytest.raises((ValueError, TypeError), match=match):
        Network([3, 2], rng=0).feedforward(x)


def test_bad_labels_are_refused():
    net = Network([3, 2], rng=0)
    with pytest.raises(ValueError, match="labels must be in 0..1"):
        net.backprop(np.zeros((2, 3)), np.array([0, 5]))
    with pytest.raises(ValueError, match="2 integer labels or have shape"):
        net.backprop(np.zeros((2, 3)), np.zeros((2, 3)))


def test_save_and_load_round_trip(tmp_path):
    net = Network([5, 4, 3], cost="quadratic", rng=3)
    path = net.save(tmp_path / "net.npz")
    back = Network.load(path)
    assert back.sizes == net.sizes and back.cost is net.cost
    for a, b in zip(net.weights + net.biases, back.weights + back.biases):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(FileExistsError):
        net.save(path)
    net.save(path, overwrite=True)


def test_damaged_network_file_is_refused(tmp_path):
    path = Network([5, 4, 3], rng=3).save(tmp_path / "net.npz")
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ValueError, match="not a readable"):
        Network.load(path)
    other = tmp_path / "other.npz"
    np.savez(other, a=np.zeros(3))
    with pytest.raises(ValueError, match="not a saved network"):
        Network.load(other)


def test_bias_gradient_norms_average_over_the_data():
    net = Network([4, 3, 2], rng=0)
    x = np.random.default_rng(1).random((10, 4))
    y = np.arange(10) % 2
    norms = net.bias_gradient_norms(x, y)
    g = net.backprop(x, y)
    assert norms == pytest.approx([np.linalg.norm(b / 10) for b in g.nabla_b], rel=1e-12)


def test_float32_networks_train_in_float32():
    net = Network([4, 3, 2], rng=0, dtype=np.float32)
    x = np.random.default_rng(0).random((20, 4))
    net.SGD(x, np.arange(20) % 2, 2, 5, 0.5, rng=1)
    assert all(w.dtype == np.float32 for w in net.weights + net.biases)
    with pytest.raises(TypeError, match="float32 or float64"):
        Network([4, 2], dtype=np.int32)


def test_same_seed_same_numbers():
    """A fixed seed gives the same weights after training, bit for bit."""
    x = np.random.default_rng(0).random((30, 4))
    runs = []
    for _ in range(2):
        net = Network([4, 5, 3], rng=42)
        net.SGD(x, np.arange(30) % 3, 3, 4, 0.3, 1.0, rng=7)
        runs.append(np.concatenate([w.ravel() for w in net.weights + net.biases]))
    assert np.array_equal(runs[0], runs[1])


def test_sgd_monitors_like_network2():
    data = load_embedded()
    tr, va = data.training.head(200), data.validation.head(100)
    net = Network([784, 10, 10], rng=0)
    ec, ea, tc, ta = net.SGD(tr.x, tr.y, 3, 10, 0.5, 1.0, rng=1, evaluation_data=(va.x, va.y),
                             monitor_evaluation_cost=True, monitor_evaluation_accuracy=True,
                             monitor_training_cost=True, monitor_training_accuracy=True)
    assert len(ec) == len(ea) == len(tc) == len(ta) == 3
    assert all(0 <= a <= 100 for a in ea) and all(0 <= a <= 200 for a in ta) and tc[-1] < tc[0]
    with pytest.raises(ValueError, match="evaluation_data"):
        net.SGD(tr.x, tr.y, 1, 10, 0.5, monitor_evaluation_accuracy=True)


@given(st.integers(0, 2**32 - 1), st.floats(0, 10), st.sampled_from(["quadratic", "cross-entropy"]))
def test_total_cost_is_the_mean_cost_plus_the_l2_term(seed, lmbda, cost):
    """total_cost = (1/n) sum_x C_x + (lmbda / 2n) sum_w w^2 (network2's total_cost), against mpmath."""
    rng = np.random.default_rng(seed)
    net = Network([4, 3, 2], cost=cost, rng=rng)
    x, y = rng.random((5, 4)), (rng.random((5, 2)) > 0.5).astype(float)
    mpmath.mp.dps = 30
    per_example = [mp_cost_at(net, xi, yi, cost, "b", 0, (0,), mpmath.mpf(float(net.biases[0][0])))
                   for xi, yi in zip(x, y)]
    l2 = sum(mpmath.mpf(float(v)) ** 2 for w in net.weights for v in w.ravel())
    expected = mpmath.fsum(per_example) / 5 + mpmath.mpf(lmbda) / (2 * 5) * l2
    assert net.total_cost(x, y, lmbda) == pytest.approx(float(expected), rel=1e-12)


@given(st.floats(-745, 745), st.floats(0, 1))
@example(-700.0, 0.0)
@example(37.5, 1.0)
def test_activation_and_cost_values_against_mpmath(z, y):
    """sigma, sigma', softplus and both costs (value and delta^L) at z against 40-digit mpmath, tails included."""
    from numeric.functions import COSTS, sigmoid, sigmoid_prime, softplus

    mpmath.mp.dps = 40
    Z = mpmath.mpf(z)
    s = 1 / (1 + mpmath.exp(-Z))
    zz, yy = np.array([[z]]), np.array([[y]])
    a = sigmoid(zz)
    assert a[0, 0] == pytest.approx(float(s), rel=1e-13, abs=1e-300)
    assert sigmoid_prime(zz)[0, 0] == pytest.approx(float(mpmath.exp(-Z) / (1 + mpmath.exp(-Z)) ** 2),
                                                    rel=1e-12, abs=1e-300)
    assert softplus(zz)[0, 0] == pytest.approx(float(mpmath.log1p(mpmath.exp(Z))), rel=1e-13, abs=1e-300)
    Y = mpmath.mpf(y)
    quad = (s - Y) ** 2 / 2
    ce = Y * mpmath.log1p(mpmath.exp(-Z)) + (1 - Y) * mpmath.log1p(mpmath.exp(Z))  # -(y ln s + (1-y) ln(1-s))
    # the quadratic cost is computed from a, as network2 does: a - y carries a's rounding (1e-16 absolute)
    assert COSTS["quadratic"].fn(zz, a, yy)[0] == pytest.approx(float(quad), rel=1e-12, abs=1e-16)
    assert COSTS["cross-entropy"].fn(zz, a, yy)[0] == pytest.approx(float(ce), rel=1e-12, abs=1e-300)
    assert COSTS["quadratic"].delta(zz, a, yy)[0, 0] == pytest.approx(float((s - Y) * s * (1 - s)), rel=1e-9, abs=1e-16)
    assert COSTS["cross-entropy"].delta(zz, a, yy)[0, 0] == pytest.approx(float(s - Y), rel=1e-12, abs=1e-15)
