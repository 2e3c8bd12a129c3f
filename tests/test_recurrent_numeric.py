"""The stacked RNN and LSTM (networks.rnn, networks.lstm): backpropagation through time against five-point finite
differences and against theory's products and paths; replicas and sequence lengths independent; one-hot codes, step-
by-step evaluation and float32 equal to the plain path; the task, the streams and the training deterministic; the
count of the arithmetic (``recurrent_task.work``) against a hand count; bad input refused."""

import itertools
import zlib

import numpy as np
import pytest

import numeric.networks.lstm as lstm_mod
import numeric.networks.rnn as rnn_mod
from numeric.experiments import recurrent_runs as RR
from numeric.experiments import recurrent_task as task
from proofs.bridge_recurrent import bptt_against_paths, bptt_against_product

KERNELS = {"rnn-tanh": "tanh", "rnn-sigmoid": "sigmoid", "rnn-mixed": ("tanh", "sigmoid", "sigmoid"), "lstm": None}
K = 3


def small(model, replicas=3, seed=0, T=6, B=3):
    """Returns (net, forward, backward, x, y) of ``replicas`` networks moved off their start, float64."""
    rng = np.random.default_rng(zlib.crc32(model.encode()) + seed)
    gens = [np.random.default_rng(rng.integers(1 << 30)) for _ in range(replicas)]
    if model == "lstm":
        net, fb = lstm_mod.init_lstm(K + 1, 4, K, gens), (lstm_mod.lstm_forward, lstm_mod.lstm_backward)
    else:
        act = KERNELS[model]
        net = rnn_mod.init_rnn(K + 1, 4, K, gens, activation=act if isinstance(act, str) else act[:replicas])
        fb = (rnn_mod.rnn_forward, rnn_mod.rnn_backward)
    for arr in net.arrays().values():  # move every parameter off its start (zero biases, the forget bias)
        arr += rng.normal(0, 0.3, arr.shape)
    x = rng.normal(0, 1, (replicas, B, T, K + 1))
    y = rng.integers(0, K, (replicas, B))
    return net, *fb, x, y


def cost(net, forward, backward, x, y, lengths=None):
    return float(backward(net, forward(net, x, lengths), y)["cost"].sum())


@pytest.mark.parametrize("model", list(KERNELS))
def test_bptt_matches_five_point_finite_differences(model):
    """Every third parameter of every replica, lengths 6, 4, 2 in one stack: dC/dtheta by BPTT equals the stencil."""
    net, forward, backward, x, y = small(model)
    lengths = np.array([6, 4, 2])
    grads = backward(net, forward(net, x, lengths), y)["grads"]
    h = 1e-5
    for idx in itertools.islice(np.ndindex(net.flat.shape), 0, None, 3):
        keep = net.flat[idx]
        vals = []
        for step in (-2 * h, -h, h, 2 * h):
            net.flat[idx] = keep + step
            vals.append(cost(net, forward, backward, x, y, lengths))
        net.flat[idx] = keep
        want = (vals[0] - 8 * vals[1] + 8 * vals[2] - vals[3]) / (12 * h)
        assert abs(grads[idx] - want) <= 1e-8 * max(1.0, abs(want)), (model, idx)


@pytest.mark.parametrize("model", ["rnn-tanh", "rnn-sigmoid"])
def test_rnn_state_gradients_are_theorys_product_and_fail_without_w(model, monkeypatch):
    """dC/dh_k = (Sigma'(z_T) W ... Sigma'(z_{k+1}) W)^T dC/dh_T, the product lambdified from matrix symbols."""
    net, forward, backward, x, y = small(model)
    cache = forward(net, x)
    dh = backward(net, cache, y)["dh"]
    prime = lambda h: rnn_mod.through_output(net.replicas()[0], h)  # noqa: E731
    assert max(bptt_against_product(net, cache, dh, prime, r, e) for r in range(3) for e in range(3)) < 1e-12
    monkeypatch.setattr(rnn_mod, "step_back", lambda dz, WT, out=None: np.copyto(out, dz) if out is not None else dz)
    dh_bad = backward(net, cache, y)["dh"]  # the planted error: W left out of the product
    assert bptt_against_product(net, cache, dh_bad, prime, 0, 0) > 1e-3


def test_lstm_cell_gradients_follow_theorys_paths_and_fail_without_the_forget_gate(monkeypatch):
    net, forward, backward, x, y = small("lstm")
    cache = forward(net, x)
    assert bptt_against_paths(cache, backward(net, cache, y)) < 1e-12
    monkeypatch.setattr(lstm_mod, "cell_back", lambda dc, f, out=None: np.copyto(out, dc))  # the forget gate ignored
    assert bptt_against_paths(cache, backward(net, cache, y)) > 1e-3


@pytest.mark.parametrize("model", list(KERNELS))
def test_replicas_and_lengths_are_independent(model):
    """A stack of networks of lengths 6, 4, 2 gives each the cost and gradients it has alone on its own steps."""
    net, forward, backward, x, y = small(model)
    lengths = np.array([6, 4, 2])
    together = backward(net, forward(net, x, lengths), y)
    for r, L in enumerate(lengths):
        alone = net.select([r])
        one = backward(alone, forward(alone, x[r : r + 1, :, :L]), y[r : r + 1])
        assert np.allclose(together["grads"][r], one["grads"][0], rtol=1e-12, atol=1e-14)
        assert np.allclose(together["per_example_cost"][r], one["per_example_cost"][0], rtol=1e-13)
        assert np.allclose(together["dh"][: L + 1, r], one["dh"][:, 0], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("model", list(KERNELS))
def test_codes_and_step_by_step_evaluation_equal_the_plain_inputs(model):
    """One-hot inputs given as codes into the codebook, and the two-step evaluation buffers, change no number."""
    net, forward, backward, _, y = small(model)
    book = task.codebook(K)
    idx = np.random.default_rng(3).integers(0, 2 * K + 1, (6, 3, 3)).astype(np.int8)
    x = book[idx].transpose(1, 2, 0, 3)[..., :-1]
    lengths = np.array([6, 4, 2])
    plain = backward(net, forward(net, x, lengths), y)
    coded = backward(net, forward(net, codes=(book, idx), lengths=lengths), y)
    assert np.array_equal(plain["grads"], coded["grads"])
    step = forward(net, codes=(book, idx), lengths=lengths, keep=False)["logits"]
    assert np.array_equal(step, forward(net, x, lengths)["logits"])


def test_the_sigmoid_network_is_the_sigmoid_recurrence():
    """Run through tanh, the sigmoid RNN's states are h_t = sigma(W h_{t-1} + U x_t + b) step by step (h_0 = 0)."""
    from numeric.activations import sigmoid

    net, forward, _, x, _ = small("rnn-mixed")
    hs = forward(net, x)["hs"]
    for r, act in enumerate(net.replicas()):
        phi = sigmoid if act == "sigmoid" else np.tanh
        h = np.zeros((x.shape[1], 4))
        for t in range(x.shape[2]):
            h = phi(h @ net.W[r].T + x[r, :, t] @ net.U[r].T + net.b[r])
            assert np.allclose(hs[t + 1, r], h, rtol=1e-13, atol=1e-15), (act, t)


def test_the_fitted_rate_is_the_geometric_decay_per_step():
    """ln(median norm) against T - t: norms r^(T - t) give r back; a profile that grows gives a rate above 1."""
    T, r = 12, np.array([0.5, 0.9, 1.2])
    state = r[:, None, None] ** (T - np.arange(T + 1))[None, None, :] * np.ones((3, 5, 1))
    assert np.allclose(RR.fitted_rate({"state": state, "T": T}), r)


def test_clipping_and_adam_do_what_they_say():
    g = np.array([[3.0, 4.0], [0.3, 0.4], [30.0, 40.0]])
    assert np.allclose(RR.clip_norm(g.copy(), np.array([1.0, 1.0, np.inf])), [[0.6, 0.8], [0.3, 0.4], [30, 40]])
    flat = np.zeros((2, 3))
    opt = RR.Adam(flat, np.array([0.1, 0.01]))
    opt.step(flat, np.array([[2.0, -1e-3, 0.0], [5.0, 5.0, -5.0]]), np.array([1.0, 0.0]))
    assert np.allclose(flat, [[-0.1, 0.1, 0.0], [0.0, 0.0, 0.0]], atol=1e-6)  # step 1: lr sign(g); a stopped replica


def test_float32_and_float64_agree_to_float32_precision():
    net, forward, backward, x, y = small("lstm")
    g64 = backward(net, forward(net, x), y)["grads"]
    net32 = net.select(slice(None), np.float32)
    out32 = backward(net32, forward(net32, x), y)
    assert out32["dh"].dtype == np.float32
    assert np.allclose(out32["grads"], g64, rtol=1e-3, atol=1e-5)


def test_first_symbol_task_and_its_codes_are_what_they_say():
    x, y = task.first_symbol(np.random.default_rng(0), 50, 7, 4)
    assert x.shape == (50, 7, 5) and y.shape == (50,)
    assert np.all(x[:, 0, 4] == 1) and np.all(x[:, 1:, 4] == 0)  # the marker, on the first step only
    assert np.all(x[..., :4].sum(axis=-1) == 1) and np.array_equal(x[:, 0, :4].argmax(axis=-1), y)
    blank, _ = task.first_symbol(np.random.default_rng(0), 5, 7, 4, "blank")
    assert np.all(blank[:, 1:] == 0)
    with pytest.raises(ValueError, match="distractors must be"):
        task.first_symbol(np.random.default_rng(0), 5, 7, 4, "noise")
    assert task.codebook(2).tolist() == [[1, 0, 0, 1], [0, 1, 0, 1], [1, 0, 1, 1], [0, 1, 1, 1], [0, 0, 0, 1]]


def test_streams_are_spawned_children_and_fewer_seeds_are_a_prefix():
    """Seed s of root r is numeric.streams.replica(r, s): root 0's seed 1 is not root 1's seed 0; --seeds 2 runs the
    first two seeds of --seeds 3 exactly; each purpose and length has its own child."""
    draw = lambda *a: task.rng(*a).random(4)  # noqa: E731
    assert not np.allclose(draw(0, 1, "init"), draw(1, 0, "init"))
    assert not np.allclose(draw(0, 0, "data", 5), draw(0, 0, "data", 10))
    assert not np.allclose(draw(0, 0, "validation", 5), draw(0, 0, "test", 5))
    p = task.LENGTHS
    three, two = RR.initial("lstm-chrono", p, 7, 3), RR.initial("lstm-chrono", p, 7, 2)
    assert np.array_equal(three.flat[:2], two.flat)
    tanh, sigmoid = RR.initial("rnn-tanh", task.LONG, 0, 2), RR.initial("rnn-sigmoid", task.LONG, 0, 2)
    assert np.array_equal(tanh.flat, sigmoid.flat)  # the paired start: the same draws, another activation


TINY = task.LENGTHS.replace(name="tiny", seeds=2, lengths=(2, 3), models=("rnn-tanh-orthogonal", "lstm-chrono"),
                            lrs=(0.01, 0.03), clips=(1.0,), budgets=(2, 4), keep=0.5, validation=5, test=7,
                            batch=4, chunk=3, pairs=(("lstm-chrono", "rnn-tanh-orthogonal"),))


def test_work_counts_the_products_by_hand():
    """The tiny protocol by hand: RNN family, replicas (T=3: 2 seeds x 2 rates, T=2: the same), 4 updates of which
    2 with both rates and 2 with one (keep 1/2), then evaluation at each budget."""
    rows = {(r["what"], r["batch"], r["m"], r["k"], r["n"]): r["count"] for r in task.work(TINY) if r["m"] in (8, 4)}
    n, w, B = 8, 8 + 5 + 1, 4  # w = n + m + 1 with m = K + 1 = 5 inputs
    # forward [W|U|b][h; x; 1], rows n: steps t = 0, 1 run all 8 replicas (then 4), t = 2 runs the 4 of T = 3
    assert rows[("[W | U | b] [h; x; 1] per step", 8, n, w, B)] == 2 * 2  # 2 steps x 2 updates with both rates
    assert rows[("[W | U | b] [h; x; 1] per step", 4, n, w, B)] == 1 * 2 + 2 * 2  # t = 2 at 8 replicas; all at 4
    assert rows[("[W | U | b] [h; x; 1] per step", 2, n, w, B)] == 1 * 2  # t = 2 once halved
    assert rows[("W^T delta per step", 8, n, n, B)] == 1 * 2  # BPTT runs t = 2, 1 back: a_1 = 8, a_2 = 4
    assert rows[("delta [h; x; 1]^T per step", 8, n, B, w)] == 2 * 2
    lstm = {(r["what"], r["batch"]): r["count"] for r in task.work(TINY) if r["m"] == 4 * n and r["n"] == B}
    assert lstm[("[W | U | b] [h; x; 1] per step", 8)] == 2 * 2
    reads = {}
    for r in task.work(TINY):
        if r["what"] == "read-out":
            reads[r["n"]] = reads.get(r["n"], 0) + r["batch"] * r["count"]
    # per family: 8 replicas for 2 updates and 4 for 2 on batches of 4; at the budgets 8, then 4, on 5 and 7 sequences
    assert reads == {4: 2 * (8 * 2 + 4 * 2), 5: 2 * (8 + 4), 7: 2 * (8 + 4)}


def test_work_is_what_the_training_computes(monkeypatch):
    """Every np.matmul the training of TINY calls, recorded from its operands' shapes, is in ``work`` and nothing
    else is: the count is the code's, not a model of it."""
    real, seen = np.matmul, {}

    def counting(a, b, *args, **kwargs):
        a, b = np.asarray(a), np.asarray(b)
        batch = int(np.prod(np.broadcast_shapes(a.shape[:-2], b.shape[:-2])))
        key = (a.shape[-2], a.shape[-1], b.shape[-1], batch)
        seen[key] = seen.get(key, 0) + 1
        return real(a, b, *args, **kwargs)

    monkeypatch.setattr(np, "matmul", counting)
    for family in task.families(TINY):
        RR.train(TINY, family, 0)
    monkeypatch.setattr(np, "matmul", real)
    want = {}
    for r in task.work(TINY):
        key = (r["m"], r["k"], r["n"], r["batch"])
        want[key] = want.get(key, 0) + r["count"]
    assert seen == want


def test_training_is_deterministic_learns_a_short_length_and_counts_its_work():
    p = TINY.replace(lengths=(3,), budgets=(100, 200), test=64, validation=32, batch=16, lrs=(0.03,), chunk=50)
    a, b = RR.train(p, ("lstm", 8), 3), RR.train(p, ("lstm", 8), 3)
    assert np.array_equal(a["test"], b["test"]) and np.array_equal(a["nets"], b["nets"])
    assert np.median(a["test"][-1]) >= 0.9  # T = 3 is within reach of 200 updates


def test_halving_keeps_the_best_configurations_by_median_validation():
    val = np.array([[0.3, 0.9, 0.5, 0.9], [0.4, 0.8, 0.6, 0.8], [0.9, 0.1, 0.7, 0.8]])  # (seeds, configurations)
    assert RR.ranking(val, np.ones(4, bool)) == [1, 3, 2, 0]  # medians 0.8, 0.8, 0.6, 0.4; a tie in grid order
    assert RR.ranking(val, np.array([True, False, True, True])) == [3, 2, 0]
    assert task.alive_configs(task.LENGTHS) == [8, 2, 1]
    assert task.alive_configs(task.LENGTHS.replace(keep=0.5, lrs=(0.01, 0.02, 0.03))) == [6, 3, 2]  # ceil(1.5)


@pytest.mark.parametrize("bad,match", [({"activation": "relu"}, "activation must be one of"),
                                       ({"n_hidden": 0}, "n_hidden must be finite and > 0"),
                                       ({"n_in": 2.5}, "n_in must be an integer")])
def test_bad_arguments_are_refused(bad, match):
    kw = {"n_in": 3, "n_hidden": 4, "n_out": 2, "activation": "tanh"} | bad
    with pytest.raises((ValueError, TypeError), match=match):
        rnn_mod.init_rnn(kw["n_in"], kw["n_hidden"], kw["n_out"], [np.random.default_rng(0)],
                         activation=kw["activation"])


def test_bad_inputs_lengths_and_protocols_are_refused():
    net, forward, _, x, _ = small("rnn-tanh")
    with pytest.raises(ValueError, match="x must have shape"):
        forward(net, x[..., :2])
    with pytest.raises(ValueError, match="non-increasing"):
        forward(net, x, np.array([2, 6, 4]))
    with pytest.raises(ValueError, match="at least one numpy Generator"):
        lstm_mod.init_lstm(3, 4, 2, [])
    with pytest.raises(ValueError, match="unknown models"):
        task.LENGTHS.replace(models=("gru",))
    with pytest.raises(ValueError, match="budgets must be increasing"):
        task.LENGTHS.replace(budgets=(200, 100))
