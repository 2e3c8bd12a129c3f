"""numeric.networks.stacked: S DeepNetworks side by side compute what each computes alone (every option, to rounding),
their gradients agree with finite differences, and divergence is marked per replica, not raised."""

import numpy as np
import pytest

from numeric.activations import ACTIVATIONS, LogLikelihoodCost, softmax
from numeric.networks.deep import DeepNetwork
from numeric.networks.stacked import Stack
from numeric.networks.stacked_sgd import sgd

SIZES = [6, 5, 5, 5, 3]


def data(seed, n=16, n_in=6, n_out=3):
    rng = np.random.default_rng(seed)
    return rng.random((n, n_in)), rng.integers(0, n_out, n)


def nets(k, **kw):
    inits = kw.pop("inits", ["xavier-normal"] * k)
    return [DeepNetwork(kw.pop("sizes", SIZES), init=inits[i], rng=np.random.default_rng([7, i]), **kw)
            for i in range(k)]


def close(a, b, rtol=1e-10, atol=1e-13):
    return np.allclose(a, b, rtol=rtol, atol=atol)


ARCHS = [dict(activation=a) for a in ACTIVATIONS] + [
    dict(activation="sigmoid", batch_norm=True), dict(activation="tanh", residual=True),
    dict(activation="relu", batch_norm=True, residual=True), dict(activation="sigmoid", output="softmax")]


@pytest.mark.parametrize("arch", ARCHS, ids=lambda a: "-".join(f"{k}={v}" for k, v in a.items()))
def test_backprop_of_each_replica_is_its_network_s(arch):
    x, y = data(1)
    singles = nets(4, **arch, inits=["xavier-normal", "he", "default", "orthogonal"])
    stack = Stack(singles)
    for training in ((True, False) if arch.get("batch_norm") else (True,)):
        g = stack.backprop(x, y, training=training, update_running=False)
        for k, net in enumerate(singles):
            h = net.backprop(x, y, training=training, update_running=False)
            for u, v in zip(g.nabla_w + g.nabla_b, h.nabla_w + h.nabla_b):
                assert close(u[k], v)
            assert close(g.examples[-1][k], h.deltas[-1])
    # grouped inputs: group g's replicas see their own batch
    xg = np.stack([data(2)[0], data(3)[0]])
    yg = np.stack([np.eye(3)[data(2)[1]], np.eye(3)[data(3)[1]]])
    g = stack.backprop(xg, yg, update_running=False)
    for k, net in enumerate(singles):
        h = net.backprop(xg[k // 2], yg[k // 2], update_running=False)
        assert all(close(u[k], v) for u, v in zip(g.nabla_w + g.nabla_b, h.nabla_w + h.nabla_b))


TRAININGS = [dict(), dict(lmbda=0.7), dict(lmbda=0.7, penalty="l1"), dict(momentum=0.9), dict(clip=0.05)]


@pytest.mark.parametrize("arch", ARCHS[:1] + ARCHS[5:], ids=lambda a: "-".join(f"{k}={v}" for k, v in a.items()))
@pytest.mark.parametrize("train", TRAININGS, ids=lambda t: "-".join(f"{k}={v}" for k, v in t.items()) or "plain")
def test_sgd_of_each_replica_is_its_network_s(arch, train):
    """Two groups of two replicas, each replica its own eta, against DeepNetwork.SGD with the group's shuffle."""
    x, y = data(4, n=23)
    singles = nets(4, **arch)
    stack = Stack(nets(4, **arch))
    etas = [0.3, 0.1, 0.5, 0.2]
    sgd(stack, x, y, 2, 5, etas, shuffles=[np.random.default_rng([9, g]) for g in range(2)], **train)
    for k, net in enumerate(singles):
        net.SGD(x, y, 2, 5, etas[k], rng=np.random.default_rng([9, k // 2]), **train)
        mine = stack.network(k)
        for u, v in zip(mine._params(), net._params()):
            assert close(u, v, rtol=1e-9, atol=1e-12), (k, arch, train)
        if net.batch_norm:
            assert all(close(a, b) for a, b in zip(mine.running[0], net.running[0]))
    assert not stack.diverged.any()


def test_float32_stack_follows_float64_to_its_rounding():
    x, y = data(5, n=40)
    a, b = Stack(nets(2, activation="relu")), Stack(nets(2, activation="relu"), dtype=np.float32)
    for s in (a, b):
        sgd(s, x, y, 3, 10, 0.1, shuffles=[np.random.default_rng(1)])
    assert b.weights[0].dtype == np.float32
    assert all(np.allclose(u, v, rtol=1e-4, atol=1e-5) for u, v in zip(a.params(), b.params()))


def test_divergence_is_marked_per_replica_where_the_single_network_raises():
    x, y = data(6, n=20)
    singles = nets(2, activation="relu", inits=["large", "large"])
    stack = Stack(nets(2, activation="relu", inits=["large", "large"]))
    sgd(stack, x, y, 3, 5, [1e300, 1e-3], shuffles=[np.random.default_rng(0)])
    assert stack.diverged.tolist() == [True, False] and stack.diverged_epoch[0] == 0
    assert all(np.all(p[0] == 0) for p in stack.params())  # zeroed: no NaN left to spread
    with pytest.raises(FloatingPointError), np.errstate(all="ignore"):
        singles[0].SGD(x, y, 3, 5, 1e300, rng=np.random.default_rng(0))
    singles[1].SGD(x, y, 3, 5, 1e-3, rng=np.random.default_rng(0))
    assert all(close(u, v) for u, v in zip(stack.network(1)._params(), singles[1]._params()))


def test_stacked_gradients_match_finite_differences():
    """The stack's own cost, differentiated numerically, for softmax + batch norm + residual (the richest path)."""
    x, y = data(7, n=8)
    stack = Stack(nets(2, activation="tanh", batch_norm=True, residual=True, output="softmax"))
    g = stack.backprop(x, y, update_running=False)
    h = 1e-6
    for arr, grad in ((stack.weights[0], g.nabla_w[0]), (stack.weights[2], g.nabla_w[2]), (stack.beta[1], g.nabla_b[1]),
                      (stack.gamma[0], g.nabla_gamma[0])):
        for idx in [(1,) + tuple(0 for _ in arr.shape[1:]), (0,) + tuple(d - 1 for d in arr.shape[1:])]:
            keep = arr[idx]
            vals = []
            for step in (-h, h):
                arr[idx] = keep + step
                zs, acts, _ = stack.forward(x, training=True, update_running=False)
                vals.append(stack.cost.fn(zs[-1], acts[-1], np.eye(3)[y]).sum(axis=1)[idx[0]])
            arr[idx] = keep
            assert abs((vals[1] - vals[0]) / (2 * h) - grad[idx]) <= 1e-6 * max(1, abs(grad[idx]))


def test_gradient_norms_per_example_and_averaged():
    x, y = data(8, n=30)
    singles = nets(2, activation="relu")
    rms, avg = Stack(singles).gradient_norms(x, y)
    for k, net in enumerate(singles):
        d = net.backprop(x, y).deltas
        assert close(rms[k], [np.sqrt(np.mean(np.sum(v**2, axis=1))) for v in d[:-1]])
        assert close(avg[k], net.bias_gradient_norms(x, y)[:-1])
        assert np.all(avg[k] <= rms[k] * (1 + 1e-12))  # ||mean v|| <= sqrt(mean ||v||^2) (Jensen)


def test_softmax_log_likelihood():
    z = np.array([[1000.0, 0.0, -1000.0], [0.1, 0.2, 0.3]])
    a = softmax(z)
    assert np.allclose(a.sum(axis=1), 1) and np.all(np.isfinite(a))
    y = np.eye(3)[[0, 2]]
    assert np.allclose(LogLikelihoodCost.fn(z, a, y), [0.0, -np.log(a[1, 2])])
    with pytest.raises(ValueError, match="takes cost"):
        DeepNetwork([4, 3, 2], output="softmax", cost="cross-entropy")
    with pytest.raises(ValueError, match="one architecture"):
        Stack([DeepNetwork([4, 3, 2]), DeepNetwork([4, 3, 2], activation="tanh")])


def test_from_arrays_holds_copies_and_refuses_unchained_shapes():
    rng = np.random.default_rng(0)
    w, b = [rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 3))], [np.zeros((2, 3)), np.zeros((2, 5))]
    stack = Stack.from_arrays(w, b, activation="tanh")
    assert stack.sizes == [4, 3, 5] and stack.weights[0].dtype == np.float32 and len(stack) == 2
    stack.weights[0][:] = 0
    assert w[0].any()  # the caller's arrays are left alone
    with pytest.raises(ValueError, match="chained"):
        Stack.from_arrays([w[0], rng.standard_normal((2, 5, 4))], b, activation="tanh")
    with pytest.raises(ValueError, match="activation"):
        Stack.from_arrays(w, b, activation="swish")


@pytest.mark.parametrize("train", TRAININGS, ids=lambda t: "-".join(f"{k}={v}" for k, v in t.items()) or "plain")
def test_the_groups_layout_of_large_batches_is_each_replica_s_network(train, monkeypatch):
    """Mini-batches of >= Trainer.GROUPED_FROM inputs take the first layer in the groups' layout (one product per
    group); each replica still ends where its DeepNetwork.SGD ends, and where the replicas' layout ends."""
    from numeric.networks import stacked_sgd

    x, y = data(8, n=250)
    singles, grouped, plain = nets(4), Stack(nets(4)), Stack(nets(4))
    etas = [0.3, 0.1, 0.5, 0.2]
    shuffles = lambda: [np.random.default_rng([11, g]) for g in range(2)]  # noqa: E731
    sgd(grouped, x, y, 2, 120, etas, shuffles=shuffles(), **train)
    monkeypatch.setattr(stacked_sgd.Trainer, "GROUPED_FROM", 10**9)
    sgd(plain, x, y, 2, 120, etas, shuffles=shuffles(), **train)
    for k, net in enumerate(singles):
        net.SGD(x, y, 2, 120, etas[k], rng=np.random.default_rng([11, k // 2]), **train)
        for u, v, w in zip(grouped.network(k)._params(), plain.network(k)._params(), net._params()):
            assert close(u, w, rtol=1e-9, atol=1e-12) and close(u, v, rtol=1e-12, atol=1e-14), (k, train)


@pytest.mark.parametrize("arch", ARCHS, ids=lambda a: "-".join(f"{k}={v}" for k, v in a.items()))
def test_inference_of_each_replica_is_its_network_s(arch):
    """costs and accuracy at inference, on shared inputs of 16 (one product per replica) and of 300 (one product for
    every replica), are each network's own: the cost from z (an output's exact form), the accuracy from the outputs."""
    singles = nets(4, **arch, inits=["xavier-normal", "he", "default", "orthogonal"])
    stack = Stack(singles)
    for n in (16, 300):
        x, y = data(5, n=n)
        assert close(stack.costs(x, y), [net.total_cost(x, y) for net in singles], rtol=1e-9)
        assert list(stack.accuracy(x, y)) == [net.accuracy(x, y) for net in singles]
