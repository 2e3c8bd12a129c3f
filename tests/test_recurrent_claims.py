"""The recurrent group's measured claims: their criteria hold on a short run and fail on planted errors (a
missing W in the backward product, a forget gate ignored, a network that learned nothing, an RNN that learns
every length); divergence is counted and scored at chance; the group is listed and exported."""

import copy
import json

import numpy as np
import pytest

import numeric.experiments.recurrent_task as task
import numeric.networks.lstm as lstm_mod
import numeric.networks.rnn as rnn_mod
from numeric.experiments import recurrent_runs as RR
from proofs.claims import recurrent_runs as CRR
from proofs.data import Run
from proofs.run.cli import main
from proofs.run.registry import select

SHORT = task.PROTOCOL.replace(seeds=2, steps=300, validation=128, test=128, gradient_examples=64)


@pytest.fixture(scope="module")
def gradients():
    return {m: CRR.gradient_part(Run(), m, SHORT) for m in SHORT.models}


def test_gradient_criteria_hold_on_a_short_run(gradients):
    facts = CRR.gradient_facts(gradients)
    assert all(f.holds for f in facts), [f.as_dict() for f in facts if not f.holds]
    assert len(facts) == 2 * 2 * 2 + 2 + 4 + 3


def test_gradient_criteria_fail_when_w_is_missing_from_the_backward_product(gradients, monkeypatch):
    run = task.train("rnn-tanh", SHORT.gradient_length, SHORT.replace(steps=50), 0)
    monkeypatch.setattr(rnn_mod, "step_back", lambda dz, W: dz)
    bad = copy.deepcopy(gradients)
    bad["rnn-tanh"]["bridge"] = CRR.bridge_error("rnn-tanh", RR.chosen_networks(run), SHORT.gradient_length, SHORT)
    failed = [f.what for f in CRR.gradient_facts(bad) if not f.holds]
    assert any("rnn-tanh, trained: backpropagation through time" in w for w in failed)


def test_gradient_criteria_fail_when_the_forget_gate_is_ignored(gradients, monkeypatch):
    net = RR.initial_networks("lstm", SHORT, 0)
    monkeypatch.setattr(lstm_mod, "cell_back", lambda dc, f: dc)
    bad = copy.deepcopy(gradients)
    bad["lstm"]["bridge"] = CRR.bridge_error("lstm", net, SHORT.gradient_length, SHORT)
    prof = RR.gradient_profile("lstm", net, SHORT.gradient_length, SHORT, 0)  # the carousel without its gate
    assert np.all(RR.fitted_rate(prof) >= 0.99)
    failed = [f.what for f in CRR.gradient_facts(bad) if not f.holds]
    assert failed == ["lstm, trained: backpropagation through time equals theory's the two paths f_t and o tanh'(c)"]


def test_gradient_criteria_fail_with_a_wrong_gamma(gradients):
    bad = copy.deepcopy(gradients)
    bad["rnn-tanh"]["init"]["gamma"] = 0.25  # tanh's gamma taken as the sigmoid's
    assert not all(f.holds for f in CRR.gradient_facts(bad))


def _run(T, accs):
    return {
        "T": T,
        "learned": bool(np.median(accs) >= task.PROTOCOL.learned),
        "test": accs,
        "median": float(np.median(accs)),
    }


def test_length_criteria_and_their_failures():
    good = {
        "rnn-tanh": [_run(5, [1, 1, 1]), _run(10, [1, 0.3, 0.25])],
        "rnn-sigmoid": [_run(5, [0.3, 0.25, 0.5])],
        "lstm": [_run(T, [1, 1, 0.95]) for T in (5, 10, 20, 50)],
    }
    assert all(f.holds for f in CRR.length_facts(good, (5, 10, 20, 50)))
    nothing = good | {"lstm": [_run(T, [0.25, 0.27, 0.24]) for T in (5, 10, 20, 50)]}  # learned nothing
    assert not all(f.holds for f in CRR.length_facts(nothing, (5, 10, 20, 50)))
    rnn_all = good | {"rnn-tanh": [_run(T, [1, 1, 1]) for T in (5, 10, 20, 50)]}  # no vanishing at all
    assert not all(f.holds for f in CRR.length_facts(rnn_all, (5, 10, 20, 50)))
    sigmoid_longer = good | {"rnn-sigmoid": [_run(5, [1, 1, 1]), _run(10, [1, 1, 1]), _run(20, [0.3] * 3)]}
    assert not all(f.holds for f in CRR.length_facts(sigmoid_longer, (5, 10, 20, 50)))
    assert RR.longest([_run(5, [0.2] * 3), _run(10, [1] * 3)]) == 0  # a gap ends the run of lengths learned


def test_divergence_is_counted_and_scored_at_chance(monkeypatch):
    real = task.make

    def diverging(model, protocol, rngs):
        net, forward, backward = real(model, protocol, rngs)

        def broken(net, cache, y):
            out = backward(net, cache, y)
            out["cost"] = out["cost"].copy()
            out["cost"][0] = np.nan  # replica 0 (seed 0, the first rate) blows up
            return out

        return net, forward, broken

    monkeypatch.setattr(task, "make", diverging)
    p = SHORT.replace(steps=60, check_every=30)
    run = task.train("rnn-tanh", 5, p, 0)
    assert run["diverged"][0, 0] and run["diverged"].sum() == 1
    assert run["test"][0, 0] == 1 / p.symbols and run["validation"][0, 0] == 1 / p.symbols
    s = RR.summary(run, p)
    assert s["diverged_any_rate"] == 1


def test_group_is_listed_exported_and_loads_back(tmp_path, capsys):
    from proofs.claim import load_statement

    assert [c.id for c in select("recurrent")] == [
        "recurrent-chain-jacobian",
        "recurrent-matrix-jacobian",
        "recurrent-norm-bound",
        "lstm-cell-path",
        "recurrent-gradient-through-time",
        "recurrent-longest-length",
    ]
    assert main(["--list"]) == 0
    assert "recurrent" in capsys.readouterr().out
    assert main(["--only", "recurrent-chain-jacobian,lstm-cell-path", "--out", str(tmp_path), "-q", "--jobs", "1"]) == 0
    records = {c["id"]: c for c in json.loads((tmp_path / "results.json").read_text())["claims"]}
    assert records["recurrent-chain-jacobian"]["verdict"] == "proved" == records["lstm-cell-path"]["verdict"]
    assert r"\prod_{t=k + 1}^{T} w \sigma'" in records["recurrent-chain-jacobian"]["latex"]
    load_statement(records["recurrent-chain-jacobian"]["sympy"])
    assert (tmp_path / "latex" / "recurrent-chain-jacobian-derivation.tex").exists()
    assert "recurrent-chain-jacobian" in (tmp_path / "REPORT.md").read_text()


def test_learned_is_the_median_over_seeds_with_diverged_seeds_at_chance():
    run = {"test_chosen": np.array([1.0, 1.0, 0.25, 0.25, 1.0])}  # two seeds at chance (diverged or not learning)
    assert RR.learned(run)  # the median is 1.0; a mean (0.70) would say no
    assert not RR.learned({"test_chosen": np.array([1.0, 1.0, 0.25, 0.25, 0.25])})


@pytest.mark.slow
def test_long_protocol_lstm_learns_t_100_and_the_rnns_stop_short():
    """The labelled variant 'first-symbol-long' (T up to 100, 1,000 updates): the same criteria."""
    sweeps = {m: CRR.sweep_part(Run(), m, task.LONG) for m in task.LONG.models}
    facts = CRR.length_facts(sweeps, task.LONG.lengths)
    assert all(f.holds for f in facts), [f.as_dict() for f in facts]
    grads = {m: CRR.gradient_part(Run(), m, task.LONG) for m in task.LONG.models}
    assert all(f.holds for f in CRR.gradient_facts(grads)), [
        f.as_dict() for f in CRR.gradient_facts(grads) if not f.holds
    ]


def test_each_gradient_criterion_fails_on_its_own_planted_error(gradients):
    def failing(bad):
        return [f.what for f in CRR.gradient_facts(bad) if not f.holds]

    big = copy.deepcopy(gradients)
    big["rnn-sigmoid"]["init"]["W_norm"] = big["rnn-sigmoid"]["init"]["W_norm"] * 10  # ||W|| >= 4: no guarantee
    assert any("Pascanu" in w for w in failing(big))
    growing = copy.deepcopy(gradients)
    growing["rnn-tanh"]["init"]["rate"] = growing["rnn-tanh"]["init"]["rate"] * 0 + 1.05
    assert any("rnn-tanh at initialisation" in w for w in failing(growing))
    like_rnn = copy.deepcopy(gradients)
    like_rnn["lstm"]["trained"]["state"] = like_rnn["rnn-tanh"]["trained"]["state"]  # an LSTM whose error vanishes
    assert any("lstm, trained: D" in w for w in failing(like_rnn))
    # an LSTM whose forget gate sits at sigma(1) = 0.73 (a constant forget bias of 1, not chrono): the rate drops
    p = SHORT.replace(chrono=False, forget_bias=1.0)
    net = RR.initial_networks("lstm", p, 0)
    prof = RR.gradient_profile("lstm", net, p.gradient_length, p, 0)
    shut = copy.deepcopy(gradients)
    shut["lstm"]["init"]["rate"] = RR.fitted_rate(prof)
    assert any("lstm, init: fitted rate" in w for w in failing(shut))


def test_the_recurrent_protocol_record_fits_the_schema():
    """results.json's record of the recurrent protocol validates as one of this suite's protocols (CI's full run
    once failed on it: its seeds were strings)."""
    import json
    from importlib.resources import files

    jsonschema = pytest.importorskip("jsonschema")
    from proofs.claims.recurrent_runs import PROTOCOLS, protocol_record

    schema = json.loads(files("proofs.export").joinpath("results.schema.json").read_text())
    one = {"$defs": schema["$defs"], "$ref": "#/$defs/protocol"}
    for p in PROTOCOLS.values():
        record = json.loads(json.dumps(protocol_record(p, 3)))
        jsonschema.validate(record, one)
        assert record["seeds_used"] == [3] and "SeedSequence(3).spawn" in record["streams"]
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(record | {"seeds_used": ["3"]}, one)
