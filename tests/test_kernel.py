"""One training kernel (numeric.networks.stacked) under Network and Replicas: what the chapter's own loops computed
(frozen copies in tests/frozen_sgd.py and tests/frozen_replicas.py, independent references), to rounding (the kernel
sums in another order: the bias gradient inside the weight product, phi' from the output); Network equal to Replicas
with S = 1 bit for bit (one code path); and the quadratic cost against network2's per-example port to rounding."""

import numpy as np
import pytest

import frozen_replicas
import frozen_sgd
from numeric.data import load_embedded
from numeric.networks.network import Network
from numeric.networks.replicas import Replicas
from numeric.streams import purpose, replica_streams
from reference_network2 import ReferenceNetwork

SHAPES = [(784, 30, 10), (784, 20, 15, 10), (784, 12, 11, 9, 10)]


@pytest.fixture(scope="module")
def data():
    d = load_embedded().training.head(230)
    return d.x, d.y


def _params(net):
    return [w.copy() for w in net.weights], [b.copy() for b in net.biases]


def _assert_same(got, want):
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_array_equal(g, w)


def _assert_rounding(got, want):
    """Equal to the rounding of the dtype, after a few epochs of SGD (no step amplifies a difference much)."""
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        tol = (2e-4, 2e-5) if g.dtype == np.float32 else (1e-9, 1e-12)
        np.testing.assert_allclose(g, w, rtol=tol[0], atol=tol[1])


@pytest.mark.parametrize("sizes,seed,m,lmbda,cost,dtype", [
    (SHAPES[0], 0, 10, 0.0, "cross-entropy", np.float64),
    (SHAPES[1], 1, 7, 5.0, "cross-entropy", np.float64),  # 230 = 32 x 7 + 6: a short last mini-batch
    (SHAPES[2], 2, 23, 0.4, "quadratic", np.float64),
    (SHAPES[1], 3, 10, 1.0, "quadratic", np.float32),
    (SHAPES[0], 4, 1000, 2.0, "cross-entropy", np.float32),  # one mini-batch of all n
])
def test_network_sgd_is_the_chapter_s_loop(data, sizes, seed, m, lmbda, cost, dtype):
    """Network.SGD on the kernel ends with the chapter's loop's weights and biases (``train``, frozen), to rounding:
    the same operations, stacked as one replica."""
    x, y = data
    init, shuffle = np.random.SeedSequence(seed).spawn(2)
    net = Network(sizes, cost=cost, rng=init, dtype=dtype)
    W, B = _params(net)
    net.SGD(x, y, 3, m, 0.5, lmbda, rng=shuffle)
    rng, xs, ys = np.random.default_rng(shuffle), x.astype(dtype), np.eye(sizes[-1], dtype=dtype)[y]
    for _ in range(3):
        frozen_sgd.train(W, B, xs, ys, rng.permutation(len(x)), m, 0.5, lmbda, cost)
    _assert_rounding(net.weights + net.biases, W + B)


@pytest.mark.parametrize("cost,dtype", [("cross-entropy", np.float64), ("quadratic", np.float64),
                                        ("quadratic", np.float32)])
def test_network_backprop_is_the_chapter_s(data, cost, dtype):
    """backprop, deltas and mean_gradient on the kernel (exact sigma and sigma' from z) equal the frozen backward
    pass to rounding."""
    x, y = data
    net = Network(SHAPES[2], cost=cost, rng=5, dtype=dtype)
    onehot = np.eye(10)[y]
    nb, nw, deltas = frozen_sgd.backward(net.weights, net.biases, cost, x, onehot)
    g = net.backprop(x, y)
    _assert_rounding(g.nabla_b + g.nabla_w + g.deltas, nb + nw + deltas)
    _assert_rounding(net.deltas(x, y), deltas)
    mb, mw = net.mean_gradient(x, y, batch=100)
    parts = [frozen_sgd.backward(net.weights, net.biases, cost, x[k:k + 100], onehot[k:k + 100]) for k in (0, 100, 200)]
    _assert_rounding(mb + mw, [(p0 + p1 + p2) / len(x) for p0, p1, p2 in zip(*[p[0] + p[1] for p in parts])])


def test_replicas_are_the_chapter_s(data):
    """Replicas on the kernel: sgd (per-replica lmbda, a stream given twice), full_batch_descent's recorded
    gradients and weights, mean_bias_gradients and accuracy equal the chapter's Replicas (frozen) to rounding."""
    x, y = data
    streams = replica_streams(3, 2)
    streams = [streams[0], streams[1], streams[0]]
    new, old = (R([784, 20, 15, 10], streams) for R in (Replicas, frozen_replicas.Replicas))
    for reps in (new, old):
        reps.sgd(x, y, 2, 7, 0.5, [5.0, 0.4, 0.0])
    _assert_rounding(new.weights + new.biases, old.weights + old.biases)
    _assert_rounding(new.mean_bias_gradients(x, y), old.mean_bias_gradients(x, y))
    _assert_same([new.accuracy(x, y)], [old.accuracy(x, y)])
    grads = [reps.full_batch_descent(x[:150], y[:150], 3, 0.3, 5.0) for reps in (new, old)]
    _assert_rounding(grads[0] + new.weights + new.biases, grads[1] + old.weights + old.biases)


@pytest.mark.parametrize("cost", ["cross-entropy", "quadratic"])
def test_network_is_replicas_with_one_replica(data, cost):
    """Network.SGD and Replicas.sgd with S = 1 are one computation: the same weights to the bit."""
    x, y = data
    stream = replica_streams(11, 1)[0]
    reps = Replicas(SHAPES[1], [stream], cost=cost)
    reps.sgd(x, y, 2, 10, 0.5, 1.0)
    net = Network(SHAPES[1], cost=cost, rng=purpose(stream, "init"))
    net.SGD(x, y, 2, 10, 0.5, 1.0, rng=purpose(stream, "shuffle"))
    got = reps.network(0)
    _assert_same(got.weights + got.biases, net.weights + net.biases)
    assert got.cost.name == cost


def test_replicas_quadratic_is_network2_s(data):
    """The quadratic cost in Replicas: one SGD epoch equals network2's per-example port to 1e-12, and the recorded
    full-batch gradient is Network.mean_gradient's (sigma' = a(1 - a) against e^{-|z|}/(1 + e^{-|z|})^2: rounding)."""
    x, y = data
    stream = replica_streams(4, 1)[0]
    reps = Replicas([784, 30, 10], [stream], cost="quadratic")
    ref = ReferenceNetwork([784, 30, 10], np.random.default_rng(purpose(stream, "init")), "quadratic")
    reps.sgd(x, y, 1, 10, 0.5, 2.0)
    onehot = np.eye(10)[y]
    ref.epoch([(x[i][:, None], onehot[i][:, None]) for i in range(len(x))], 10, 0.5, 2.0,
              np.random.default_rng(purpose(stream, "shuffle")))
    got = reps.network(0)
    for g, w in zip(got.weights + got.biases, ref.weights + [b.ravel() for b in ref.biases]):
        np.testing.assert_allclose(g, w, rtol=0, atol=1e-12)
    grads = reps.full_batch_descent(x, y, 1, 0.3, 0.0)
    for l, want in enumerate(got.mean_gradient(x, y)[0]):
        np.testing.assert_allclose(grads[l][0, 0], want, rtol=1e-10, atol=1e-16)
    plain = Replicas([784, 30, 10], [stream]).mean_bias_gradients(x, y)[-1]
    assert not np.allclose(plain, grads[-1][0])  # the quadratic BP1 is not the cross-entropy one
