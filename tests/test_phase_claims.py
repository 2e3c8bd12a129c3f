"""The phase claims' machinery: the stacked trainer, the measurements, and each criterion failing on a planted
error (chi_c without sigma_w^2, a wrong map, a network that learned nothing)."""

import numpy as np
import pytest

from numeric.data import load
from numeric.experiments import correlation as C
from numeric.experiments import phase as PH
from numeric.experiments import propagation as P
from numeric.networks import phase_stack as stacked
from proofs.claims import propagation as PR
from proofs.claims import trainability as TR
from proofs.data import Run


def _cost(st, x, labels):
    logits = st.forward(x)[1]
    logits = logits - logits.max(axis=2, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(axis=2, keepdims=True))
    return -logp[:, np.arange(len(x)), labels].mean(axis=1)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_stacked_sgd_step_is_minus_eta_times_the_gradient(monkeypatch, activation):
    """One full-batch step moves every weight by -eta dC/dw (five-point differences of the mean cross-entropy)."""
    monkeypatch.setattr(stacked, "DTYPE", np.float64)
    rng = np.random.default_rng(3)
    x, labels = rng.random((6, 5)), rng.integers(0, 3, 6)
    st = stacked.Stack(3, 4, [0.8, 1.9], [5], sigma_b=0.3, activation=activation, n_in=5, n_out=3)
    before = [w.copy() for w in st.weights] + [b.copy() for b in st.biases]
    eta = 0.01
    st.sgd(x, labels, 1, 6, eta)
    after = st.weights + st.biases
    ref = stacked.Stack(3, 4, [0.8, 1.9], [5], sigma_b=0.3, activation=activation, n_in=5, n_out=3)
    params = ref.weights + ref.biases
    for k, (p, b, a) in enumerate(zip(params, before, after)):
        for idx in [(0,) + tuple(0 for _ in p.shape[1:]), (1,) + tuple(s - 1 for s in p.shape[1:])]:
            h, old, vals = 1e-4, p[idx], []
            for step in (-2, -1, 1, 2):
                p[idx] = old + step * h
                vals.append(_cost(ref, x, labels)[idx[0]])
            p[idx] = old
            grad = (vals[0] - 8 * vals[1] + 8 * vals[2] - vals[3]) / (12 * h)
            assert abs((b[idx] - a[idx]) / eta - grad) < 1e-7 * max(1, abs(grad)), (k, idx)


def test_stacked_replicas_are_independent_and_divergence_is_counted():
    d = load().training
    both = stacked.Stack(2, 8, [1.0, 2.0], [0, 1], sigma_b=0.2)
    one = stacked.Stack(2, 8, [1.0], [0, 1], sigma_b=0.2)
    assert [r for r in both.replicas] == [(1.0, 0), (2.0, 0), (1.0, 1), (2.0, 1)]
    assert np.array_equal(both.weights[1][0], one.weights[1][0])
    assert np.array_equal(both.weights[1][2], one.weights[1][1])
    both.weights[1][1, 0, 0] = np.nan  # replica (2.0, seed 0) has diverged
    solo = stacked.Stack(2, 8, [1.0], [1], sigma_b=0.2)  # seed 1 alone: its own draws and mini-batches
    for st in (both, one, solo):
        st.sgd(d.x[:200], d.y[:200], 5, 20, 0.1)
    assert both.diverged.tolist() == [False, True, False, False]
    assert np.allclose(both.weights[1][0], one.weights[1][0], rtol=1e-4, atol=1e-6)  # as if alone (float32 rounding)
    for a, b in zip(both.weights + both.biases, solo.weights + solo.biases):
        assert np.allclose(a[2], b[0], rtol=1e-4, atol=1e-6)  # replica (1.0, seed 1) as if its seed were alone
    acc = both.accuracy(d.x[:200], d.y[:200])
    assert acc[1] == 0.1 and np.isfinite(acc).all()
    assert np.array_equal(both.accuracy(d.x[:200], d.y[:200], chunk=7), acc)  # chunks change nothing
    with pytest.raises(ValueError, match="activation"):
        stacked.Stack(2, 8, [1.0], [0], sigma_b=0.2, activation="swish")


def test_backward_deltas_are_the_bias_gradients():
    """P.backward's per-example delta^l = dC_x/db^l (finite differences on one example)."""
    rng = np.random.default_rng(1)
    net = P.draws(4, 3, 6, n_in=5, n_out=3)
    x, y = rng.random((1, 5)), np.array([2])
    sw, sb = 1.7, 0.4
    rms = P.backward(net, x, y, sw, sb)

    def cost(bump_layer, j, h):
        ws, bs = [w.copy() for w in net[0]], [b.copy() for b in net[1]]
        bs[bump_layer][j] += h / sb  # P scales biases by sigma_b
        a = x
        for w, b in zip(ws[:-1], bs[:-1]):
            a = np.tanh(a @ (w * sw / np.sqrt(w.shape[1])).T + b * sb)
        z = a @ (ws[-1] * sw / np.sqrt(ws[-1].shape[1])).T + bs[-1] * sb
        return float(np.log(np.exp(z - z.max()).sum()) + z.max() - z[0, 2])

    for l in range(3):
        g = [(cost(l, j, 1e-6) - cost(l, j, -1e-6)) / 2e-6 for j in range(6)]
        assert abs(np.linalg.norm(g) - rms[l]) < 1e-6


def _scales(s2s):
    c = C.depth_scales_curve("tanh", s2s, PR.SIGNAL.sigma_b2)
    return {s2: {"c_star": float(c["c_star"][i]), "xi_c": float(c["xi_c"][i])} for i, s2 in enumerate(s2s)}


def test_forward_criterion_holds_on_measurements_and_fails_on_a_wrong_map():
    s2s = PR.SIGNAL.forward_sigma_w2s
    measured = {n: {s2: np.mean([PR.measure_forward(Run(), n, k)[s2] for k in (0, 1)], axis=0)
                    for s2 in s2s} for n in (100, 1000)}
    predicted = {s2: PR.map_correlations(Run().data(), s2) for s2 in s2s}
    assert all(f.holds for f in PR.forward_facts(measured, predicted, _scales(s2s)))
    # the wrong bivariate correlation (1 - c for sqrt(1 - c^2)) in the map: refused
    right = C._pair
    C._pair = lambda f, qa, qb, c: right(f, qa, qb, np.sign(c) * np.abs(c) ** 0.5)
    try:
        wrong = {s2: PR.map_correlations(Run().data(), s2) for s2 in s2s}
    finally:
        C._pair = right
    assert not all(f.holds for f in PR.forward_facts(measured, wrong, _scales(s2s)))


def test_backward_criterion_fails_with_chi_without_sigma_w2():
    s2s = PR.SIGNAL.backward_sigma_w2s
    runs = {n: [PR.measure_backward(Run(), n, k) for k in (0, 1)] for n in (100, 1000)}
    measured = {n: {s2: np.exp(np.mean([np.log(r[s2] / r[s2][-1]) for r in rs], axis=0)) for s2 in s2s}
                for n, rs in runs.items()}
    pred = {s2: PR.predicted_rms(s2, Run().data()) for s2 in s2s}
    product, asym = {k: v[0] for k, v in pred.items()}, {k: v[1] for k, v in pred.items()}
    assert all(f.holds for f in PR.backward_facts(measured, product, asym))
    L = PR.SIGNAL.depth
    wrong = {s2: product[s2] / np.sqrt(s2) ** (L - np.arange(1, L + 1)) for s2 in s2s}  # sqrt(chi / sigma_w^2)
    assert not PR.backward_facts(measured, wrong, asym)[0].holds


def test_chapter_network_is_named_in_its_phase_and_a_wrong_chi_fails():
    runs = [TR.measure_chapter(Run(), k, PH.CHAPTER_NETWORK) for k in (0, 1)]
    chi_1 = float(C.depth_scales("sigmoid", 1, 1, dps=15)["chi_1"])
    assert all(f.holds for f in TR.chapter_facts(runs, chi_1)), [f.as_dict() for f in TR.chapter_facts(runs, chi_1)]
    # chi_1 with sigma for sigma' (E[sigma^2] ~ 0.41): the predicted rate 0.64 per layer is refused
    assert not all(f.holds for f in TR.chapter_facts(runs, 0.41))


def test_phase_criterion_holds_and_fails_on_a_wrong_xi_and_on_a_network_that_learned_nothing():
    p = PH.PHASE.replace(name="test", sigma_w2s=(1.0, 1.76, 4.0), depths=(10, 40), seeds=1, min_cells=1)
    d = load().training
    groups = {(depth, 0): PH.train_group(p, depth, 0, d.x, d.y) for depth in p.depths}
    grid = PH.cells(p, groups)
    curve = C.depth_scales_curve("tanh", p.sigma_w2s, p.sigma_b2)
    assert PH.criterion(p, grid["median"], curve["xi_c"])["holds"], grid["median"]
    wrong = -1 / np.log(curve["chi_c"] / np.asarray(p.sigma_w2s))  # chi_c without sigma_w^2
    assert not PH.criterion(p, grid["median"], wrong)["holds"]
    assert not PH.criterion(p, np.full_like(grid["median"], 0.1), curve["xi_c"])["holds"]  # learned nothing
    assert not PH.criterion(p, np.ones_like(grid["median"]), curve["xi_c"])["holds"]  # everything trains
    assert grid["diverged"].sum() == 0 and grid["accuracy"].shape == (2, 3, 1)
