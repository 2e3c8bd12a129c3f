"""The chapter's experiments: the replica trainer is network2's SGD, the protocols are the book's, and
each experiment claim fails on a wrong protocol, a wrong norm or a network that learned nothing."""

import numpy as np
import pytest

from numeric import protocols as P
from numeric.data import load_embedded
from numeric.experiments import norm_of, speed_at_init
from numeric.network import Network
from numeric.replicas import Replicas
from proofs.claim import Context
from proofs.claims_experiments import (
    check_accuracy_by_depth,
    check_speed_at_init,
    check_speed_during_training,
    check_weights_below_one,
)

DEEP = (784, 30, 30, 30, 30, 10)


@pytest.fixture(scope="module")
def ctx():
    return Context(dps=30, seed=0)


@pytest.fixture(scope="module")
def training(digits):
    return digits.training


def test_replica_sgd_is_network2_sgd_for_every_replica(training):
    """Replica k trained by Replicas.sgd equals Network(sizes, rng=s_k).SGD(..., rng=s_k + 1), lmbda per replica."""
    x, y = training.x[:230], training.y[:230]
    reps = Replicas([784, 20, 15, 10], [3, 4, 3], init="default")
    reps.sgd(x, y, 2, 10, 0.5, [5.0, 0.4, 0.0])
    for k, lmbda in enumerate([5.0, 0.4, 0.0]):
        net = Network([784, 20, 15, 10], rng=reps.seeds[k])
        net.SGD(x, y, 2, 10, 0.5, lmbda, rng=reps.seeds[k] + 1)
        got = reps.network(k)
        for a, b in zip(net.weights + net.biases, got.weights + got.biases):
            np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-14)


def test_full_batch_records_the_gradient_its_step_uses(training):
    """full_batch_descent: the recorded dC/db is Network.mean_gradient before the step, and the step is
    network2's update with one mini-batch of all n (w -> (1 - eta lmbda/n) w - eta grad_w)."""
    x, y = training.x[:150], training.y[:150]
    reps = Replicas([784, 12, 11, 10], [7, 8])
    grads = reps.full_batch_descent(x, y, 3, 0.3, 5.0)
    net = Network([784, 12, 11, 10], rng=8)
    for epoch in range(3):
        nabla_b, _ = net.mean_gradient(x, y)
        for l in range(3):
            np.testing.assert_allclose(grads[l][epoch, 1], nabla_b[l], rtol=1e-10, atol=1e-15)
        net.SGD(x, y, 1, len(x), 0.3, 5.0, rng=epoch)
    for a, b in zip(net.weights, reps.network(1).weights):
        np.testing.assert_allclose(b, a, rtol=1e-10, atol=1e-14)


def test_norms_are_euclidean_and_l1():
    g = np.array([[3.0, -4.0], [0.0, 0.0]])
    assert norm_of(g, "euclidean").tolist() == [5.0, 0.0]
    assert norm_of(g, "l1").tolist() == [7.0, 0.0]
    with pytest.raises(ValueError, match="norm"):
        norm_of(g, "max")


def test_book_protocols_are_the_chapters():
    """shared/BOOK.md: 1,000 images, 500 full-batch steps, eta 0.1, lmbda 5.0; accuracy 30 epochs of mini-batch 10."""
    t = P.SPEED_DURING_TRAINING
    assert (t.images, t.epochs, t.mini_batch_size, t.eta, t.lmbda, t.norm) == (1000, 500, None, 0.1, 5.0, "euclidean")
    assert t.seeds >= 5 and P.SPEED_AT_INIT.seeds >= 20 and P.SPEED_AT_INIT.images == 1000
    a = P.ACCURACY
    assert (a.images, a.epochs, a.mini_batch_size, a.eta, a.seeds) == (None, 30, 10, 0.1, 3)
    assert a.effective_lmbda(50_000) == 5.0 and a.effective_lmbda(4000) == pytest.approx(0.4)
    assert P.ACCURACY_LITERAL.effective_lmbda(4000) == 5.0
    assert P.SPEED_DURING_TRAINING_MINIBATCH.mini_batch_size == 10
    assert "NOT the book's" in P.SPEED_DURING_TRAINING_MINIBATCH.label


def test_protocol_refuses_nonsense():
    with pytest.raises(ValueError, match="norm"):
        P.SPEED_AT_INIT.replace(norm="max")
    with pytest.raises(ValueError, match="seeds"):
        P.SPEED_AT_INIT.replace(seeds=0)
    with pytest.raises(ValueError, match="mini_batch_size"):
        P.ACCURACY.replace(mini_batch_size=0)


def test_speed_at_init_per_seed_is_the_networks_own_gradient(training):
    p = P.SPEED_AT_INIT.replace(seeds=2, networks=((784, 30, 30, 10),), images=100)
    run = speed_at_init(p, training, 5)[(784, 30, 30, 10)]
    net = Network([784, 30, 30, 10], rng=6)
    expected = net.bias_gradient_norms(training.x[:100], training.y[:100])[:-1]
    np.testing.assert_allclose(run["euclidean"][1], expected, rtol=1e-10)


def test_speed_at_init_passes_by_the_book_and_fails_with_the_1_norm_or_large_weights(ctx):
    assert check_speed_at_init(ctx).verdict == "verified"
    assert check_speed_at_init(ctx, P.SPEED_AT_INIT.replace(norm="l1")).verdict == "failed"
    assert check_speed_at_init(ctx, P.SPEED_AT_INIT.replace(init="large")).verdict == "failed"


def test_training_claim_passes_full_batch_and_fails_with_minibatches_of_10(ctx):
    """The book's protocol (full batch) puts last/first near 100; mini-batches of 10 put it near 10^6: the claim
    fails."""
    book = P.SPEED_DURING_TRAINING.replace(seeds=1, networks=(DEEP,))
    ev = check_speed_during_training(ctx, book)
    assert ev.verdict == "verified", [f.what for f in ev.facts if not f.holds]
    ratio = ev.numbers["networks"][str(list(DEEP))]["last_over_first_final_median"]
    assert 50 <= ratio <= 250
    wrong = P.SPEED_DURING_TRAINING_MINIBATCH.replace(seeds=1, networks=(DEEP,))
    ev = check_speed_during_training(ctx, wrong)
    assert ev.verdict == "failed"
    assert ev.numbers["networks"][str(list(DEEP))]["last_over_first_final_median"] > 1e4


def test_accuracy_claim_fails_when_the_deep_network_stays_at_chance(ctx):
    """lmbda 5.0 on 4,000 images leaves [784, 30, 30, 30, 30, 10] at 10%: a claim resting on it fails."""
    nets = ((784, 30, 10), DEEP)
    literal = P.ACCURACY_LITERAL.replace(seeds=1, networks=nets)
    ev = check_accuracy_by_depth(ctx, [literal])
    assert ev.verdict == "failed"
    assert 4 in ev.numbers["summary"][literal.name]["at_chance"]


def test_accuracy_claim_fails_on_an_untrained_network(ctx):
    untrained = P.ACCURACY.replace(seeds=1, networks=((784, 30, 10), (784, 30, 30, 10)), epochs=1, eta=1e-9)
    assert check_accuracy_by_depth(ctx, [untrained]).verdict == "failed"


def test_accuracy_per_update_protocol_learns_at_every_depth(ctx):
    per_update = P.ACCURACY.replace(seeds=1, networks=((784, 30, 10), DEEP))
    ev = check_accuracy_by_depth(ctx, [per_update])
    assert ev.verdict == "verified", [f.what for f in ev.facts if not f.holds]


def test_weights_below_one(ctx):
    ev = check_weights_below_one(ctx)
    assert ev.verdict == "verified"
    assert abs(ev.numbers["measured"]["large"]["weights_below_1"] - 0.6827) < 0.01


def test_experiments_are_deterministic_for_a_seed(training):
    """Two runs from one seed give identical numbers (no hidden global state)."""
    from numeric.experiments import accuracy_by_depth, speed_during_training

    p = P.SPEED_DURING_TRAINING.replace(seeds=2, epochs=20, networks=((784, 30, 30, 10),))
    a, b = (speed_during_training(p, training, 3)[(784, 30, 30, 10)] for _ in range(2))
    assert np.array_equal(a, b)
    q = P.ACCURACY.replace(seeds=1, epochs=1, networks=((784, 30, 10),), images=500)
    val = load_embedded().validation
    a, b = (accuracy_by_depth([q], training, val, 3)[q.name][(784, 30, 10)] for _ in range(2))
    assert np.array_equal(a, b)
