"""The recurrent group's measured claims: their criteria hold on a short run and each fails on its planted error (a
gradient criterion judged on one seed, a network that learned nothing, W left out of BPTT, the forget gate ignored,
a wrong gamma, an RNN that learns every length); divergence is counted and scored at chance; the criteria carry
their history; the group is listed and exported. Slow: the long protocols, and the verdicts at root seeds 0-3."""

import copy
import json

import numpy as np
import pytest

import numeric.experiments.recurrent_runs as RR
import numeric.networks.lstm as lstm_mod
import numeric.networks.rnn as rnn_mod
from numeric.experiments import recurrent_task as task
from proofs.claim import Context
from proofs.claims import recurrent_runs as CRR
from proofs.data import Run
from proofs.run.cli import main
from proofs.run.registry import select

SMALL = task.LENGTHS.replace(name="small", seeds=2, lengths=(5, 20), budgets=(30, 60), validation=32, test=64,
                             lrs=(0.01, 0.03), chunk=30)
GRAD = task.GRADIENTS.replace(name="small-gradients", seeds=64, examples=24, lengths=SMALL.lengths)


@pytest.fixture(scope="module")
def runs():
    return {f: RR.train(SMALL, f, 0) for f in task.families(SMALL)}


@pytest.fixture(scope="module")
def profiles(runs):
    init = {m: CRR.initial_part(Run(), GRAD, m) for m in GRAD.models}
    return init, CRR.trained_profiles(runs, SMALL, GRAD, 0)


def failing(facts):
    return [f.what for f in facts if not f.holds]


def test_sign_test_counts_by_hand():
    """P(X >= k) <= 0.05 for X ~ Binomial(N, 1/2): 5 of 5 (1/32), 15 of 20, 22 of 32, 40 of 64; with 4 seeds or
    fewer no count suffices (4 of 4 has probability 1/16)."""
    assert [task.sign_test_count(n, 0.05) for n in (1, 4, 5, 20, 32, 64)] == [2, 5, 5, 15, 22, 40]


def test_gradient_criteria_hold_on_a_short_run(profiles):
    facts = CRR.gradient_facts(*profiles, GRAD)
    assert not failing(facts), failing(facts)
    kinds = [f.role for f in facts]
    assert kinds.count("reproduction") == len(GRAD.pairs) + 1  # the pairs and the sigmoid: the claim's statement
    assert any("Pascanu" in f.what and f.role == "check" for f in facts)  # the bound: a check of the code


def test_a_gradient_criterion_judged_on_one_seed_fails(profiles):
    """One seed (or a handful) cannot pass the sign test: the planted 'judged on one seed' fails every pair."""
    init, trained = profiles
    one = {m: r | {"D": r["D"][:1]} for m, r in init.items()}
    assert len(failing(CRR.gradient_facts(one, trained, GRAD))) == len(GRAD.pairs) + 1
    few = {m: r | {"D": r["D"][:4]} for m, r in init.items()}
    assert len(failing(CRR.gradient_facts(few, trained, GRAD))) == len(GRAD.pairs) + 1  # 4 of 4 is not enough


def test_w_left_out_of_bptt_fails_the_bridge(runs, profiles, monkeypatch):
    monkeypatch.setattr(rnn_mod, "step_back", lambda dz, WT, out=None: np.copyto(out, dz) if out is not None else dz)
    bad = failing(CRR.gradient_facts(profiles[0], CRR.trained_profiles(runs, SMALL, GRAD, 0), GRAD))
    assert sorted(bad) == [f"{m}, trained: backpropagation through time equals theory's lambdified product (prod "
                           "Sigma' W)^T dC/dh_T" for m in ("rnn-tanh-orthogonal", "rnn-tanh-orthogonal-matched")]


def test_the_forget_gate_ignored_fails_the_bridge(runs, profiles, monkeypatch):
    monkeypatch.setattr(lstm_mod, "cell_back", lambda dc, f, out=None: np.copyto(out, dc))
    bad = failing(CRR.gradient_facts(profiles[0], CRR.trained_profiles(runs, SMALL, GRAD, 0), GRAD))
    assert bad == ["lstm-chrono, trained: backpropagation through time equals theory's paths f_t and o tanh'(c)"]


def test_a_wrong_gamma_fails_the_bound(monkeypatch):
    monkeypatch.setitem(RR.GAMMA, "tanh", 0.25)  # tanh's sup |phi'| taken as the sigmoid's
    init = {m: CRR.initial_part(Run(), GRAD, m) for m in ("rnn-tanh", "rnn-sigmoid", "rnn-tanh-orthogonal")}
    bad = failing(CRR.gradient_facts(init, {}, GRAD.replace(pairs=(("rnn-tanh", "rnn-sigmoid"),))))
    assert "rnn-tanh, initialisation: every per-step factor" in " ".join(bad)
    assert not any("rnn-sigmoid, initialisation: every" in w for w in bad)


def test_length_criteria_hold_on_a_short_run_and_report_every_budget(runs):
    table = CRR.cells(runs, SMALL)
    facts = CRR.length_facts(table, SMALL)
    checks = [f for f in facts if f.role == "check"]
    assert len(checks) == len(SMALL.models) and all(f.holds for f in checks)  # T = 5 within 60 updates
    assert all(len(table[m]) == len(SMALL.budgets) for m in SMALL.models)


def _cell(T, accs, p=task.LENGTHS):
    return {"T": T, "test": accs, "median": float(np.median(accs)), "learned": bool(np.median(accs) >= p.learned)}


def _table(rnn, lstm):
    p = task.LENGTHS
    row = {m: [[_cell(T, acc) for T, acc in zip(sorted(p.lengths), accs)] for _ in p.budgets]
           for m, accs in (("rnn-tanh-orthogonal", rnn), ("rnn-tanh-orthogonal-matched", rnn), ("lstm-chrono", lstm))}
    return row


def test_length_criteria_fail_on_their_planted_errors():
    p, one, chance = task.LENGTHS, [1.0, 1.0, 1.0], [0.25, 0.27, 0.24]
    good = _table([one, one, chance, chance], [one, one, one, one])
    assert not failing(CRR.length_facts(good, p))
    nothing = _table([one, one, chance, chance], [chance] * 4)  # an LSTM that learned nothing
    assert any("lstm-chrono learns the shortest length" in w for w in failing(CRR.length_facts(nothing, p)))
    every = _table([one] * 4, [one] * 4)  # RNNs that learn every length: no vanishing to speak of
    assert len(failing(CRR.length_facts(every, p))) == len(p.pairs)
    same = _table([one, one, chance, chance], [one, one, chance, chance])  # an LSTM no better than the RNNs
    assert len(failing(CRR.length_facts(same, p))) == len(p.pairs)
    gap = _table([one, chance, chance, chance], [one, chance, one, one])  # a gap below T* is not 'learned'
    assert CRR.longest(gap["lstm-chrono"][-1]) == 5 and failing(CRR.length_facts(gap, p))


def test_the_rule_reads_the_median_over_seeds_at_the_chosen_configuration():
    """cell(): the configuration with the best median validation accuracy, its seeds' test accuracies, learned when
    their median (not their mean) reaches the bar; a configuration no longer running (NaN) is never chosen."""
    p = SMALL.replace(lengths=(5,), models=("lstm-chrono",), pairs=(), seeds=3, lrs=(0.01, 0.03), clips=(1.0,))
    fam = {"replicas": [(5, "lstm-chrono", s, c) for s in range(3) for c in range(2)],
           "validation": np.array([[0.9, np.nan, 0.9, np.nan, 0.2, np.nan]]),
           "test": np.array([[1.0, np.nan, 1.0, np.nan, 0.25, np.nan]]), "diverged": np.zeros((1, 6), bool)}
    c = CRR.cell(fam, p, "lstm-chrono", 5, 0)
    assert (c["lr"], c["test"], c["learned"]) == (0.01, [1.0, 1.0, 0.25], True)  # mean 0.75, median 1.0


def test_a_network_that_learned_nothing_fails_the_training_check():
    p = SMALL.replace(lrs=(0.0,), clips=(None,), budgets=(10, 20))  # rate 0: the weights never move
    runs = {f: RR.train(p, f, 0) for f in task.families(p)}
    bad = failing(CRR.length_facts(CRR.cells(runs, p), p))
    assert sum("learns the shortest length" in w for w in bad) == len(p.models), bad


def test_divergence_is_counted_and_scored_at_chance(monkeypatch):
    real = RR.KERNELS["rnn"]

    def diverging(net, cache, y, **kw):
        out = real[1](net, cache, y, **kw)
        out["cost"] = out["cost"].copy()
        out["cost"][0] = np.nan  # replica 0 blows up
        return out

    monkeypatch.setitem(RR.KERNELS, "rnn", (real[0], diverging))
    p = SMALL.replace(budgets=(10, 20), keep=1.0)  # no halving: the diverged replica stays in the records
    fam = RR.train(p, ("rnn", 8), 0)
    assert fam["diverged"][:, 0].all() and fam["diverged"].sum() == len(p.budgets)
    assert np.all(fam["test"][:, 0] == 1 / p.symbols) and np.all(fam["validation"][:, 0] == 1 / p.symbols)


def test_every_changed_criterion_carries_its_history():
    """The criteria that differ from what the code had before say what they were, what the run showed, what they
    became and why; results.json and the captions print it."""
    for p in (task.LENGTHS, task.GRADIENTS):
        changed = {c.name: c for c in p.criteria if c.history}
        assert set(changed) >= ({"learned", "trains", "longer"} if p is task.LENGTHS else {"above", "sigmoid", "bound"})
        for c in changed.values():
            assert all(h.was and h.showed and h.became and h.why for h in c.history)
        record = CRR.protocol_record(p, 0)
        assert all(r["history"] for r in record["criteria"] if r["name"] in changed)


def test_the_protocol_records_fit_the_schema():
    """results.json's record of each recurrent protocol validates as one of this suite's protocols."""
    from importlib.resources import files

    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(files("proofs.export").joinpath("results.schema.json").read_text())
    one = {"$defs": schema["$defs"], "$ref": "#/$defs/protocol"}
    for p in CRR.PROTOCOLS.values():
        record = json.loads(json.dumps(CRR.protocol_record(p, 3)))
        jsonschema.validate(record, one)
        assert record["seeds_used"] == [3] and "SeedSequence(3).spawn" in record["streams"]


def test_group_is_listed_exported_and_loads_back(tmp_path, capsys):
    from proofs.claim import load_statement

    assert [c.id for c in select("recurrent")] == ["recurrent-chain-jacobian", "recurrent-matrix-jacobian",
                                                   "recurrent-norm-bound", "lstm-cell-path",
                                                   "recurrent-gradient-through-time", "recurrent-longest-length"]
    assert main(["--list"]) == 0
    assert "recurrent" in capsys.readouterr().out
    assert main(["--only", "recurrent-chain-jacobian,lstm-cell-path", "--out", str(tmp_path), "-q", "--jobs", "1"]) == 0
    records = {c["id"]: c for c in json.loads((tmp_path / "results.json").read_text())["claims"]}
    assert records["recurrent-chain-jacobian"]["verdict"] == "proved" == records["lstm-cell-path"]["verdict"]
    load_statement(records["recurrent-chain-jacobian"]["sympy"])


def _verdicts(seed: int) -> dict:
    ctx = Context(run=Run(seed=seed))
    out = {}
    for claim in CRR.CLAIMS:
        ev = claim.check(ctx)
        out[claim.id] = (ev.verdict, failing(ev.facts), ev.fragile)
    return out


@pytest.mark.slow
def test_the_verdicts_hold_at_root_seeds_0_to_3():
    """Issue 31: the default protocols at --seed 0..3: the same verdict at every root seed (verified), no fact
    failing, none fragile."""
    seen = {s: _verdicts(s) for s in range(4)}
    for claim in (c.id for c in CRR.CLAIMS):
        assert {seen[s][claim][0] for s in seen} == {"verified"}, {s: seen[s][claim] for s in seen}


@pytest.mark.slow
def test_the_long_protocols_hold():
    """The labelled long variants (T up to 80, 4,000 updates, 5 seeds; 128 seeds at initialisation): the same
    criteria hold (docs/recurrent.md records their numbers)."""
    runs = {f: RR.train(task.LONG, f, 0) for f in task.families(task.LONG)}
    table = CRR.cells(runs, task.LONG)
    assert not failing(CRR.length_facts(table, task.LONG))
    g = task.LONG_GRADIENTS
    init = {m: CRR.initial_part(Run(), g, m) for m in g.models}
    assert not failing(CRR.gradient_facts(init, CRR.trained_profiles(runs, task.LONG, g, 0), g))


def test_deep_copy_of_a_record_is_plain_data(runs):
    """A family's run is plain data (arrays, tuples): a part a worker returns, copied and compared by value."""
    clone = copy.deepcopy(runs[("rnn", 8)])
    assert np.array_equal(clone["nets"], runs[("rnn", 8)]["nets"]) and clone["replicas"] == runs[("rnn", 8)]["replicas"]
