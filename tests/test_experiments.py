"""The chapter's experiments: the replica trainer is network2's SGD with independent streams, the protocols
are the book's and carry their criteria, and each experiment claim fails on a wrong protocol, a wrong norm or
a network that learned nothing; criteria with two sides fail on either side, and thin margins are flagged."""

import sys

import numpy as np
import pytest

from numeric.data import load_embedded
from numeric.experiments import chapter
from numeric.experiments.chapter import norm_of, speed_at_init
from numeric.networks.network import Network
from numeric.networks.replicas import Replicas
from numeric.streams import purpose, replica_streams
from proofs.claim import Context
from proofs.claims.accuracy import depth_facts
from proofs.claims.experiments import check_speed_at_init, check_weights_below_one
from proofs.claims.training import _about_100, _first_slowest, check_speed_during_training
from proofs.data import Run

DEEP = (784, 30, 30, 30, 30, 10)


@pytest.fixture(scope="module")
def ctx():
    return Context(run=Run(dps=30, seed=0))


@pytest.fixture(scope="module")
def training(digits):
    return digits.training


def test_replica_sgd_is_network2_sgd_for_every_replica(training):
    """Replica k trained by Replicas.sgd equals Network(sizes, rng=its "init" child).SGD(..., rng=its "shuffle"
    child), lmbda per replica; a stream given twice gives the same replica twice."""
    x, y = training.x[:230], training.y[:230]
    streams = replica_streams(3, 2)
    streams = [streams[0], streams[1], streams[0]]
    reps = Replicas([784, 20, 15, 10], streams, init="default")
    reps.sgd(x, y, 2, 10, 0.5, [5.0, 0.4, 0.0])
    for k, lmbda in enumerate([5.0, 0.4, 0.0]):
        net = Network([784, 20, 15, 10], rng=purpose(streams[k], "init"))
        net.SGD(x, y, 2, 10, 0.5, lmbda, rng=purpose(streams[k], "shuffle"))
        got = reps.network(k)
        for a, b in zip(net.weights + net.biases, got.weights + got.biases):
            np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-14)


def test_replica_streams_are_spawned_never_shared():
    """SeedSequence(s).spawn(S), one child per replica and per purpose: no replica's shuffling is another's
    initial draws (the old default_rng(s + 1) trap), and the same seed gives the same streams."""
    streams = replica_streams(0, 4)
    draws = {(k, name): np.random.default_rng(purpose(s, name)).random(4).tolist()
             for k, s in enumerate(streams) for name in ("init", "shuffle", "data")}
    assert len({tuple(v) for v in draws.values()}) == len(draws)
    assert [s.spawn_key for s in streams] == [(0,), (1,), (2,), (3,)]
    assert purpose(streams[1], "shuffle").spawn_key == (1, 1) == purpose(streams[1], "shuffle").spawn_key
    assert draws[0, "init"] == np.random.default_rng(purpose(replica_streams(0, 4)[0], "init")).random(4).tolist()
    assert replica_streams(7, chapter.ACCURACY.seeds)[2].entropy == 7
    with pytest.raises(ValueError, match="purpose"):
        purpose(streams[0], "dropout")
    with pytest.raises(TypeError, match="SeedSequence"):
        Replicas([4, 3, 2], [1.5])


def test_full_batch_records_the_gradient_its_step_uses(training):
    """full_batch_descent: the recorded dC/db is Network.mean_gradient before the step, and the step is
    network2's update with one mini-batch of all n (w -> (1 - eta lmbda/n) w - eta grad_w)."""
    x, y = training.x[:150], training.y[:150]
    streams = replica_streams(7, 2)
    reps = Replicas([784, 12, 11, 10], streams)
    grads = reps.full_batch_descent(x, y, 3, 0.3, 5.0)
    net = Network([784, 12, 11, 10], rng=purpose(streams[1], "init"))
    for epoch in range(3):
        nabla_b, _ = net.mean_gradient(x, y)
        for l in range(3):
            np.testing.assert_allclose(grads[l][epoch, 1], nabla_b[l], rtol=1e-10, atol=1e-15)
        net.SGD(x, y, 1, len(x), 0.3, 5.0, rng=epoch)
    for a, b in zip(net.weights, reps.network(1).weights):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-14)


def test_median_interval_and_sign_flip_test_are_exact():
    """The median's order-statistic interval: with 10 values (X_(2), X_(9)), coverage 1 - 2 (1 + 10)/2^10; with 12,
    (X_(3), X_(10)), 1 - 2 (1 + 12 + 66)/2^12; with 5, no interval reaches 95% ([min, max], 1 - 2/32). The sign-flip
    p-value counts the sign patterns whose mean reaches the observed one."""
    from numeric.stats import median_interval, percentile, sign_flip_p, spread_toward

    ci = median_interval(np.arange(10.0))
    assert (ci["lo"], ci["hi"], ci["k"]) == (1.0, 8.0, 2) and ci["coverage"] == pytest.approx(1 - 22 / 1024)
    ci = median_interval(np.arange(12.0)[::-1])
    assert (ci["lo"], ci["hi"]) == (2.0, 9.0) and ci["coverage"] == pytest.approx(1 - 2 * 79 / 4096)
    ci = median_interval([3.0, 1.0, 2.0, 5.0, 4.0])
    assert (ci["lo"], ci["hi"], ci["median"]) == (1.0, 5.0, 3.0) and ci["coverage"] == pytest.approx(1 - 2 / 32)
    assert spread_toward(np.arange(10.0), -1.0) == pytest.approx(4.5 - 1.0)
    assert spread_toward(np.arange(10.0), 20.0) == pytest.approx(8.0 - 4.5)
    assert sign_flip_p([0.1, 0.2, 0.3, 0.4, 0.5]) == 1 / 32
    assert sign_flip_p([-0.1, -0.2, -0.3, -0.4, -0.5]) == 1.0
    assert sign_flip_p([-0.05, 0.12, -0.05, 0.12, 0.07]) == pytest.approx(5 / 32)  # 5 of 32 patterns reach 0.21
    assert percentile(3.0, [1.0, 2.0, 3.0, 4.0]) == 62.5 and percentile(0.0, [1.0]) == 0.0
    with pytest.raises(ValueError, match="at least one"):
        median_interval([])


def test_norms_are_euclidean_and_l1():
    g = np.array([[3.0, -4.0], [0.0, 0.0]])
    assert norm_of(g, "euclidean").tolist() == [5.0, 0.0]
    assert norm_of(g, "l1").tolist() == [7.0, 0.0]
    with pytest.raises(ValueError, match="norm"):
        norm_of(g, "max")


def test_book_protocols_are_the_chapters():
    """shared/BOOK.md: 1,000 images, 500 full-batch steps, eta 0.1, lmbda 5.0; accuracy 30 epochs of mini-batch 10."""
    t = chapter.SPEED_DURING_TRAINING
    assert (t.images, t.epochs, t.mini_batch_size, t.eta, t.lmbda, t.norm) == (1000, 500, None, 0.1, 5.0, "euclidean")
    assert t.seeds >= 10 and chapter.SPEED_AT_INIT.seeds >= 20 and chapter.SPEED_AT_INIT.images == 1000
    a = chapter.ACCURACY
    assert (a.images, a.epochs, a.mini_batch_size, a.eta) == (None, 30, 10, 0.1) and a.seeds >= 5
    assert chapter.effective_lmbda(a, 50_000) == 5.0 and chapter.effective_lmbda(a, 4000) == pytest.approx(0.4)
    assert chapter.effective_lmbda(chapter.ACCURACY_LITERAL, 4000) == 5.0
    assert chapter.SPEED_DURING_TRAINING_MINIBATCH.mini_batch_size == 10
    assert "NOT the book's" in chapter.SPEED_DURING_TRAINING_MINIBATCH.label
    # the matched-update variant makes the book's 30 x 50,000 / 10 = 150,000 updates on whatever n there is
    m = chapter.ACCURACY_MATCHED_UPDATES
    assert chapter.BOOK_UPDATES == 150_000 and chapter.epochs_on(m, 4000) == 375 and chapter.epochs_on(m, 50_000) == 30
    assert chapter.effective_lmbda(m, 4000) == pytest.approx(0.4)
    # the book's own spread, a threshold of the accuracy criterion, is the range of its four values
    from proofs.experiment_records import BOOK_ACCURACY

    spread = max(BOOK_ACCURACY.values()) - min(BOOK_ACCURACY.values())
    assert a.criterion("drop-not-significant")["book_spread"] == pytest.approx(spread)


@pytest.mark.parametrize("protocol", [chapter.SPEED_AT_INIT, chapter.SPEED_DURING_TRAINING, chapter.ACCURACY,
                                      chapter.ACCURACY_LITERAL,
                                      chapter.ACCURACY_MATCHED_UPDATES, chapter.WEIGHTS_BELOW_ONE, chapter.MEANFIELD])
def test_every_protocol_names_its_quantity_and_criteria(protocol):
    """The quantity measured and each criterion with its thresholds are data, printed in the caption and recorded."""
    assert protocol.quantity and protocol.criteria
    caption, record = chapter.describe(protocol, 4000), chapter.record(protocol, 0, 4000)
    assert protocol.quantity in caption and protocol.describe() == chapter.describe(protocol)
    for c in protocol.criteria:
        assert c.describe() in caption and c.role in ("check", "reproduction")
        entry = {"name": c.name, "role": c.role, "text": c.describe(), "thresholds": dict(c.thresholds),
                 "history": [h.as_dict() for h in c.history]}
        assert entry in record["criteria"]
    assert record["streams"].startswith("numpy.random.SeedSequence(0).spawn(")


def test_protocol_refuses_nonsense():
    with pytest.raises(ValueError, match="norm"):
        chapter.SPEED_AT_INIT.replace(norm="max")
    with pytest.raises(ValueError, match="seeds"):
        chapter.SPEED_AT_INIT.replace(seeds=0)
    with pytest.raises(ValueError, match="mini_batch_size"):
        chapter.ACCURACY.replace(mini_batch_size=0)
    with pytest.raises(KeyError, match="no criterion"):
        chapter.ACCURACY.criterion("ratio")
    with pytest.raises(KeyError, match="no threshold"):
        chapter.ACCURACY.criterion("learned")["max_gain"]
    with pytest.raises(ValueError, match="role"):
        chapter.Criterion("x", "text", "opinion")
    with pytest.raises(KeyError):
        chapter.Criterion("x", "at least {low:g}")  # a field of the text that is not a threshold


def test_speed_at_init_per_seed_is_the_networks_own_gradient(training):
    p = chapter.SPEED_AT_INIT.replace(seeds=2, networks=((784, 30, 30, 10),), images=100)
    run = speed_at_init(p, training, 5)[(784, 30, 30, 10)]
    net = Network([784, 30, 30, 10], rng=purpose(replica_streams(5, 2)[1], "init"))
    expected = net.bias_gradient_norms(training.x[:100], training.y[:100])[:-1]
    np.testing.assert_allclose(run["euclidean"][1], expected, rtol=1e-10)


def test_speed_at_init_passes_by_the_book_and_fails_with_the_1_norm_or_large_weights(ctx):
    assert check_speed_at_init(ctx).verdict == "verified"
    assert check_speed_at_init(ctx, chapter.SPEED_AT_INIT.replace(norm="l1")).verdict == "failed"
    assert check_speed_at_init(ctx, chapter.SPEED_AT_INIT.replace(init="large")).verdict == "failed"


def test_training_claim_passes_full_batch_and_fails_with_minibatches_of_10(ctx):
    """The book's protocol (full batch, 500 epochs, three seeds' median; the default run's ten are in the slow
    tests) keeps last/first within 50-250 at every epoch (one seed alone dips to 34: the claim is about the median,
    and its thin margin makes the verdict fragile); mini-batches of 10 put it past 10^3 within 20 epochs (10^6 by
    the end): the book's "about 100" is not reproduced."""
    book = chapter.SPEED_DURING_TRAINING.replace(seeds=3, networks=((784, 30, 30, 10), DEEP))
    ev = check_speed_during_training(ctx, book)
    assert ev.verdict in ("verified", "fragile") and all(f.holds for f in ev.facts), [
        f.what for f in ev.facts if not f.holds]
    # the 4-hidden-layer networks are still at chance after 500 full-batch steps: said, not hidden
    assert "AT CHANCE" in ev.numbers["book_vs_run"][-1]["caveat"]
    ratio = ev.numbers["networks"][str(list(DEEP))]["last_over_first_median_by_epoch"]
    assert 50 <= min(ratio) and max(ratio) <= 250
    wrong = chapter.SPEED_DURING_TRAINING_MINIBATCH.replace(seeds=1, networks=(DEEP,), epochs=20)
    ev = check_speed_during_training(ctx, wrong)
    assert ev.verdict not in ("verified", "fragile")  # (its 'learns' check, on the deep network alone, fails too)
    assert ev.numbers["networks"][str(list(DEEP))]["last_over_first_final_median"] > 1e3
    assert not all(f.holds for f in ev.facts if "about 100 times" in f.what)


def test_first_layer_slowest_is_checked_at_every_epoch_with_its_margin():
    """A median ratio of 1.01 at one epoch of 500 (the old 2-hidden-layer run) holds but is flagged fragile;
    below 1 at a single epoch it fails; a wide margin is neither."""
    p = chapter.SPEED_DURING_TRAINING
    rng = np.random.default_rng(0)
    ratios = 2.0 + 0.1 * rng.standard_normal((500, 10))
    assert _first_slowest(p, "net", ratios).holds and not _first_slowest(p, "net", ratios).fragile
    thin = ratios.copy()
    thin[132] = 1.01 + 0.1 * np.linspace(-1, 1, 10)  # median 1.01
    fact = _first_slowest(p, "net", thin)
    assert fact.holds and fact.fragile and fact.value["epoch"] == 132 and fact.role == "reproduction"
    thin[132] -= 0.05
    assert not _first_slowest(p, "net", thin).holds


def test_about_100_fails_on_either_side_at_any_epoch():
    p = chapter.SPEED_DURING_TRAINING
    ratios = np.full((500, 10), 110.0) + np.arange(10)
    assert all(f.holds for f in _about_100(p, ratios))
    low, high = ratios.copy(), ratios.copy()
    low[70] = 30.0
    high[3] = 400.0
    assert [f.holds for f in _about_100(p, low)] == [False, True]
    assert [f.holds for f in _about_100(p, high)] == [True, False]


def _finals(*medians, noise=0.004, seeds=5):
    """Per-seed accuracies with these medians, each depth's seeds spread over +-noise in a different order."""
    rng = np.random.default_rng(1)
    return {h + 1: m + noise * rng.permutation(np.linspace(-1, 1, seeds)) for h, m in enumerate(medians)}


def test_accuracy_criteria_fail_in_both_directions():
    """The book's shape passes; deeper helping by 5 points fails "does not help"; the deepest 7 points down in
    every seed fails "does not hurt" (significant, beyond the book's 0.42 points); a drop hidden in noise does not."""
    p = chapter.ACCURACY
    by_name = lambda facts: {f.what.split(":")[0][:40]: f for f in facts}  # noqa: E731
    book, _ = depth_facts(p, _finals(0.9648, 0.9690, 0.9657, 0.9653, noise=0.001), 4000)
    assert all(f.holds for f in book), [f.what for f in book if not f.holds]
    helps, _ = depth_facts(p, _finals(0.90, 0.95, 0.95, 0.96), 4000)
    assert [f.holds for f in helps] == [True, False, True]
    hurts, drop = depth_facts(p, _finals(0.92, 0.92, 0.91, 0.85), 4000)
    assert [f.holds for f in hurts] == [True, True, False] and drop["significant"] and drop["p_value"] == 1 / 32
    assert [f.role for f in hurts] == ["check", "reproduction", "reproduction"]
    noisy = _finals(0.92, 0.92, 0.91, 0.85, noise=0.0)
    noisy[4] = np.array([0.97, 0.80, 0.97, 0.80, 0.85])  # median 7 points down, but two seeds up: p = 5/32
    facts, drop = depth_facts(p, noisy, 4000)
    assert facts[2].holds and not drop["significant"] and drop["p_value"] == pytest.approx(5 / 32)
    assert drop["drop"] == pytest.approx(0.07) and len(by_name(facts)) == 3


def test_weights_below_one(ctx):
    ev = check_weights_below_one(ctx)
    assert ev.verdict == "verified"
    assert abs(ev.numbers["measured"]["large"]["weights_below_1"] - 0.6827) < 0.01


def test_experiments_are_deterministic_for_a_seed(training):
    """Two runs from one seed give identical numbers (no hidden global state)."""
    from numeric.experiments.chapter import accuracy_by_depth, training_run

    p = chapter.SPEED_DURING_TRAINING.replace(seeds=2, epochs=20, networks=((784, 30, 30, 10),))
    a, b = (training_run(p, training, 3)[(784, 30, 30, 10)]["norms"] for _ in range(2))
    assert np.array_equal(a, b)
    q = chapter.ACCURACY.replace(seeds=1, epochs=1, networks=((784, 30, 10),), images=500)
    val = load_embedded().validation
    a, b = (accuracy_by_depth([q], training, val, 3)[q.name][(784, 30, 10)] for _ in range(2))
    assert np.array_equal(a, b)


@pytest.mark.slow
def test_matched_updates_protocol_runs_the_books_150000_updates(monkeypatch):
    """The labelled variant behind scripts/accuracy_matched_updates.py: 375 epochs on the 4,000 digits, every check
    holds (each depth learned) and the drop with depth is measured and tested (the README quotes the outcome)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "scripts" / "accuracy_matched_updates.py"
    spec = importlib.util.spec_from_file_location("matched", path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "matched", module)  # the pool's workers find its functions by module name
    spec.loader.exec_module(module)
    p, ev = module.run(seed=0, jobs=2)
    assert chapter.epochs_on(p, 4000) == 375 and ev.numbers["protocols"][0]["settings"]["matched_updates"] == 150_000
    assert ev.verdict in ("verified", "not reproduced"), [f.what for f in ev.facts if not f.holds]
    assert all(f.holds for f in ev.facts if f.role == "check")
    assert "drop" in ev.numbers["summary"][p.name]


def test_replica_k_is_the_same_stream_for_any_number_of_replicas():
    """numeric.streams.replica(s, k) is SeedSequence(s).spawn(K)[k] for every K > k, and child(stream, n) is the
    stream's n-th spawned child: --seeds 2 runs the first two replicas of --seeds 5."""
    from numeric.streams import child, replica

    for count in (3, 5):
        assert replica(4, 2).generate_state(4).tolist() == replica_streams(4, count)[2].generate_state(4).tolist()
    assert replica(4, 2).generate_state(2).tolist() != replica(5, 1).generate_state(2).tolist()
    kid = child(replica(4, 2), 7)
    assert kid.spawn_key == (2, 7)
    assert kid.generate_state(2).tolist() == replica(4, 2).spawn(8)[7].generate_state(2).tolist()
    with pytest.raises(ValueError, match="replica index"):
        replica(4, -1)


def test_training_claim_fails_on_a_protocol_that_learns_nothing(ctx):
    """The speeds' 'gradient descent took effect' check passes on a network at chance; the 'learns' check (the
    shallowest network's training accuracy) does not: eta 0.1 for 20 epochs leaves it at chance, and the claim
    fails."""
    short = chapter.SPEED_DURING_TRAINING.replace(seeds=2, epochs=20, networks=((784, 30, 30, 10),))
    ev = check_speed_during_training(ctx, short)
    learns = next(f for f in ev.facts if "learns under this protocol" in f.what)
    assert not learns.holds and ev.verdict == "failed"
