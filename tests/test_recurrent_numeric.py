"""The batched RNN and LSTM (networks.rnn, networks.lstm): backpropagation through time against five-point finite
differences and against theory's products and paths; replicas independent; the task and the training
deterministic; bad input refused."""

import itertools
import zlib

import numpy as np
import pytest

import numeric.networks.lstm as lstm_mod
import numeric.networks.rnn as rnn_mod
from numeric.experiments.recurrent_task import PROTOCOL, first_symbol, make, streams, train
from proofs.bridge_recurrent import bptt_against_paths, bptt_against_product

MODELS = ("rnn-tanh", "rnn-sigmoid", "lstm")


def small(model, replicas=2, seed=0):
    rng = np.random.default_rng(zlib.crc32(model.encode()) + seed)
    net, forward, backward = make(
        model, PROTOCOL, [np.random.default_rng(rng.integers(1 << 30)) for _ in range(replicas)]
    )
    for arr in net.arrays().values():  # move every parameter off its start (zero biases, the forget bias)
        arr += rng.normal(0, 0.3, arr.shape)
    x = rng.normal(0, 1, (replicas, 3, 6, PROTOCOL.symbols + 1))
    y = rng.integers(0, PROTOCOL.symbols, (replicas, 3))
    return net, forward, backward, x, y


def cost(net, forward, backward, x, y):
    return float(backward(net, forward(net, x), y)["cost"].sum())


@pytest.mark.parametrize("model", MODELS)
def test_bptt_matches_five_point_finite_differences(model):
    """Every third entry of every parameter (all replicas): dC/dtheta by BPTT equals the five-point stencil."""
    net, forward, backward, x, y = small(model)
    grads = backward(net, forward(net, x), y)["grads"]
    h = 1e-5
    for name, arr in net.arrays().items():
        for idx in itertools.islice(np.ndindex(arr.shape), 0, None, 3):
            keep = arr[idx]
            vals = []
            for step in (-2 * h, -h, h, 2 * h):
                arr[idx] = keep + step
                vals.append(cost(net, forward, backward, x, y))
            arr[idx] = keep
            want = (vals[0] - 8 * vals[1] + 8 * vals[2] - vals[3]) / (12 * h)
            assert abs(grads[name][idx] - want) <= 1e-8 * max(1.0, abs(want)), (model, name, idx)


@pytest.mark.parametrize("model", ("rnn-tanh", "rnn-sigmoid"))
def test_rnn_state_gradients_are_theorys_product_and_fail_without_w(model, monkeypatch):
    """dC/dh_k = (Sigma'(z_T) W ... Sigma'(z_{k+1}) W)^T dC/dh_T, the product lambdified from matrix symbols."""
    net, forward, backward, x, y = small(model)
    cache = forward(net, x)
    dh = backward(net, cache, y)["dh"]
    phi_prime = lambda h: rnn_mod.through_output(net.activation, h)  # noqa: E731
    assert max(bptt_against_product(net, cache, dh, phi_prime, r, e) for r in range(2) for e in range(3)) < 1e-12
    monkeypatch.setattr(rnn_mod, "step_back", lambda dz, W: dz)  # the planted error: W left out of the product
    dh_bad = backward(net, cache, y)["dh"]
    assert bptt_against_product(net, cache, dh_bad, phi_prime, 0, 0) > 1e-3


def test_lstm_cell_gradients_follow_theorys_paths_and_fail_without_the_forget_gate(monkeypatch):
    net, forward, backward, x, y = small("lstm")
    cache = forward(net, x)
    assert bptt_against_paths(cache, backward(net, cache, y)) < 1e-12
    monkeypatch.setattr(lstm_mod, "cell_back", lambda dc, f: dc)  # the planted error: the forget gate ignored
    assert bptt_against_paths(cache, backward(net, cache, y)) > 1e-3


@pytest.mark.parametrize("model", MODELS)
def test_replicas_are_independent_networks(model):
    """A stack of R networks gives each the gradients it has alone (no mixing across the replica axis)."""
    net, forward, backward, x, y = small(model, replicas=3)
    together = backward(net, forward(net, x), y)
    for r in range(3):
        alone = type(net)(
            **{k: v[r : r + 1] for k, v in net.arrays().items()},
            **({"activation": net.activation} if hasattr(net, "activation") else {}),
        )
        one = backward(alone, forward(alone, x[r : r + 1]), y[r : r + 1])
        for k in together["grads"]:
            assert np.allclose(together["grads"][k][r], one["grads"][k][0], rtol=1e-13, atol=1e-15)
        assert np.allclose(together["dh"][:, r], one["dh"][:, 0], rtol=1e-13, atol=1e-15)


def test_float32_and_float64_agree_to_float32_precision():
    net, forward, backward, x, y = small("lstm")
    g64 = backward(net, forward(net, x), y)["grads"]
    net32 = type(net)(**{k: v.astype(np.float32) for k, v in net.arrays().items()})
    out32 = backward(net32, forward(net32, x), y)
    assert out32["dh"].dtype == np.float32
    for k in g64:
        assert np.allclose(out32["grads"][k], g64[k], rtol=1e-3, atol=1e-5)


def test_first_symbol_task_is_what_it_says():
    x, y = first_symbol(np.random.default_rng(0), 50, 7, 4)
    assert x.shape == (50, 7, 5) and y.shape == (50,)
    assert np.all(x[:, 0, 4] == 1) and np.all(x[:, 1:, 4] == 0)  # the marker, on the first step only
    assert np.all(x[..., :4].sum(axis=-1) == 1) and np.array_equal(x[:, 0, :4].argmax(axis=-1), y)
    blank, _ = first_symbol(np.random.default_rng(0), 5, 7, 4, "blank")
    assert np.all(blank[:, 1:] == 0)
    with pytest.raises(ValueError, match="distractors must be"):
        first_symbol(np.random.default_rng(0), 5, 7, 4, "noise")


def test_streams_are_spawned_children_not_seed_arithmetic():
    (v0, t0), per0 = streams(0, 3)
    _, per1 = streams(1, 3)
    draws = lambda ss: np.random.default_rng(ss).random(4)  # noqa: E731
    assert not np.allclose(draws(per0[1][0]), draws(per1[0][0]))  # seed 0's replica 1 is not seed 1's replica 0
    assert len({tuple(draws(s)) for s in (v0, t0, *[x for p in per0 for x in p])}) == 8


def test_training_is_deterministic_and_learns_a_short_length():
    p = PROTOCOL.replace(seeds=2, steps=200, validation=128, test=128)
    a, b = train("lstm", 5, p, 3), train("lstm", 5, p, 3)
    assert np.array_equal(a["test"], b["test"]) and a["steps"] == b["steps"]
    for k, v in a["net"].arrays().items():
        assert np.array_equal(v, b["net"].arrays()[k])
    assert np.median(a["test_chosen"]) >= p.learned  # T = 5 is within reach of 200 updates


@pytest.mark.parametrize(
    "bad,match",
    [
        ({"activation": "relu"}, "activation must be one of"),
        ({"n_hidden": 0}, "n_hidden must be finite and > 0"),
        ({"n_in": 2.5}, "n_in must be an integer"),
    ],
)
def test_bad_arguments_are_refused(bad, match):
    kw = {"n_in": 3, "n_hidden": 4, "n_out": 2, "activation": "tanh"} | bad
    with pytest.raises((ValueError, TypeError), match=match):
        rnn_mod.init_rnn(
            kw["n_in"], kw["n_hidden"], kw["n_out"], [np.random.default_rng(0)], activation=kw["activation"]
        )


def test_bad_inputs_and_models_are_refused():
    net, forward, _, x, _ = small("rnn-tanh")
    with pytest.raises(ValueError, match="x must have shape"):
        forward(net, x[..., :2])
    with pytest.raises(ValueError, match="model must be one of"):
        make("gru", PROTOCOL, [np.random.default_rng(0)])
    with pytest.raises(ValueError, match="at least one numpy Generator"):
        lstm_mod.init_lstm(3, 4, 2, [])
