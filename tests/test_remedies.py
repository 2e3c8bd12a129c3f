"""The remedies experiment: its criteria fail on wrong inputs, the predictions, and a failing part."""

import json

import numpy as np
import pytest

from numeric import remedies as R
from numeric.data import load
from numeric.meanfield import depth_prediction
from proofs.claims_remedies import remedies_facts, saturation_facts


def fake_cells(**override):
    """Cells shaped like run_remedy's, with values like the measured ones; ``override`` replaces a remedy's."""
    cells = {}
    for r in R.REMEDIES:
        cells[r.key] = {h: {"init": [1.5, 1.6], "trained": [1.0, 1.0], "accuracy": [0.85, 0.86], "diverged": 0}
                        for h in R.DEPTHS}
    for k in ("network2", "clipping", "momentum", "l2", "l1", "sigmoid-xavier"):
        for h in R.DEPTHS:
            cells[k][h] = {"init": [5.0 ** (h - 1)] * 2, "trained": [9.0] * 2, "accuracy": [0.1, 0.1], "diverged": 0}
    for k in ("relu-he", "leaky-relu-he"):
        for i, h in enumerate(R.DEPTHS):
            cells[k][h]["init"] = [1.2 + 0.5 * i] * 2
    cells.update(override)
    return cells


def fake_predictions(cells, scale=1.0):
    out = {}
    for r in R.REMEDIES:
        for h in R.DEPTHS:
            if not r.plain:
                out[(r.key, h)] = None
            elif r.key in ("relu-he", "leaky-relu-he"):
                out[(r.key, h)] = 1.0 * scale
            else:
                out[(r.key, h)] = float(np.median(cells[r.key][h]["init"])) * scale
    return out


def test_criteria_hold_on_data_like_the_run_and_fail_on_wrong_data():
    cells = fake_cells()
    assert all(f.holds for f in remedies_facts(cells, fake_predictions(cells)))
    # a mean-field prediction 5 times off is refused
    assert not all(f.holds for f in remedies_facts(cells, fake_predictions(cells, scale=5.0)))
    # the chapter's network learning at depth 10 (no vanishing problem) is refused
    learned = fake_cells()
    learned["network2"][10] = dict(learned["network2"][10], accuracy=[0.9, 0.9])
    assert not all(f.holds for f in remedies_facts(learned, fake_predictions(learned)))
    # an edge-of-chaos initialisation whose ratio explodes is refused
    bad = fake_cells()
    bad["tanh-xavier"][6] = dict(bad["tanh-xavier"][6], init=[100.0, 120.0])
    assert not all(f.holds for f in remedies_facts(bad, fake_predictions(fake_cells())))
    # nothing reaching 70% at depth 10 (a network that learned nothing) is refused
    dull = fake_cells()
    for k in dull:
        dull[k][10] = dict(dull[k][10], accuracy=[0.1, 0.1])
    assert not all(f.holds for f in remedies_facts(dull, fake_predictions(dull)))


def test_saturation_criteria():
    flat = np.full((11, 4), 0.5)
    sig = flat.copy()
    sig[:, 3] = np.linspace(0.5, 0.25, 11)
    tanh = np.linspace(0.1, 0.8, 11)[:, None] * np.ones(4)
    assert all(f.holds for f in saturation_facts(sig, tanh))
    assert not all(f.holds for f in saturation_facts(flat, tanh))  # nothing saturates: refused
    assert not all(f.holds for f in saturation_facts(sig, flat))


def test_prediction_is_mean_field_at_finite_depth():
    base = next(r for r in R.REMEDIES if r.key == "network2")
    want = depth_prediction("sigmoid", 1.0, 1.0, 88.0 / 784 + 1, 4)["last_over_first"]
    assert R.prediction(base, 4, 88.0) == pytest.approx(want, rel=1e-12)
    he = next(r for r in R.REMEDIES if r.key == "relu-he")
    assert R.prediction(he, 10, 88.0) == pytest.approx(1.0, abs=0.02)  # chi_1 = sigma_w^2 / 2 = 1 at every layer
    assert R.prediction(next(r for r in R.REMEDIES if r.key == "batch-norm"), 4, 88.0) is None
    # the sigmoid vanishes faster with depth: about 1/sqrt(chi_1) ~ 4.9 per layer
    assert R.prediction(base, 10, 88.0) / R.prediction(base, 8, 88.0) == pytest.approx(1 / 0.2048**2, rel=0.15)


def test_run_remedy_records_every_seed_and_divergence():
    d = load(None)
    out = R.run_remedy(next(r for r in R.REMEDIES if r.key == "tanh-xavier"), d.training, d.validation, 0, 2,
                       depths=(2,), epochs=1, images=200)
    cell = out[2]
    assert len(cell["init"]) == len(cell["trained"]) == len(cell["accuracy"]) == 2 and cell["diverged"] == 0
    assert all(0 <= a <= 1 for a in cell["accuracy"])


def test_a_failing_part_fails_its_claim_not_the_run(tmp_path, monkeypatch):
    import proofs.claims_remedies as CR
    from proofs.cli import main

    def broken(*args, **kwargs):
        raise RuntimeError("planted failure in a part")

    monkeypatch.setattr(CR, "_remedy_part", broken)
    monkeypatch.setattr(R, "run_remedy", broken)
    assert main(["--only", "remedies", "--out", str(tmp_path), "-q", "--jobs", "2", "--quick"]) == 1
    rec = next(c for c in json.loads((tmp_path / "results.json").read_text())["claims"] if c["id"] == "remedies")
    assert rec["verdict"] == "failed" and "planted failure" in rec["error"]


def test_glorot_and_he_conditions():
    import sympy as sp

    from theory.initialisation import glorot, he, n_in, n_out

    g = glorot()
    assert g["compromise"] == 2 / (n_in + n_out) and sp.simplify(g["harmonic"] - g["compromise"]) == 0
    assert sp.simplify(g["product"].subs(n_out, n_in)) == 1  # equal widths: both conditions hold
    assert sp.simplify(g["product"].subs({n_in: 784, n_out: 30})) < 1
    assert he()["v"] == [2 / n_in]


def test_regimes_and_their_check_against_measurements():
    from proofs.claims_remedies import regime_fact

    got = {r.key: (R.regime(r, 10, 88.0) or {}).get("regime") for r in R.REMEDIES}
    assert got["network2"] == "vanishing" and got["relu-he"] == "stable" and got["elu-he"] == "exploding"
    assert got["batch-norm"] is None and got["residual"] is None
    regimes = {r.key: R.regime(r, 10, 88.0) for r in R.REMEDIES}
    cells = fake_cells()
    cells["elu-he"][10] = dict(cells["elu-he"][10], init=[0.4, 0.5])  # exploding: last/first < 1
    for k in ("relu-he", "leaky-relu-he", "tanh-xavier", "tanh-orthogonal"):
        cells[k][10] = dict(cells[k][10], init=[2.0, 2.0])
    cells["large-init"][10] = dict(cells["large-init"][10], init=[200.0, 200.0])
    assert regime_fact(cells, regimes).holds
    cells["elu-he"][10] = dict(cells["elu-he"][10], init=[50.0, 60.0])  # measured vanishing where theory explodes
    assert not regime_fact(cells, regimes).holds
