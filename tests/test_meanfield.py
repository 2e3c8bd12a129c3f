"""Mean-field theory (numeric.experiments.meanfield, theory.meanfield) and its comparison with the network."""

import mpmath
import numpy as np
import pytest
import sympy as sp

from numeric.experiments import chapter
from numeric.experiments import meanfield as mf
from numeric.networks.network import Network
from numeric.streams import purpose, replica_streams
from proofs.claim import Context
from proofs.claims.meanfield_width import agreement, check_prediction, meanfield_parts, measure_width
from proofs.data import Run
from theory.meanfield import relu_facts, sigma_w, sigmoid_chi_bound


def test_network2_initialisation_gives_the_issues_numbers():
    """q* = 1.30213..., chi_1 = 0.041959..., sqrt(chi_1) = 0.20484... (sigma_w = sigma_b = 1, sigmoid)."""
    p = mf.predict("sigmoid", 1, 1, dps=25)
    assert mpmath.nstr(p["q_star"], 10).startswith("1.30213")
    assert mpmath.nstr(p["chi_1"], 10).startswith("0.041959")
    assert mpmath.nstr(p["ratio"], 10).startswith("0.20484")
    # an independent route: float64 trapezoid sums and a separate fixed-point loop
    q, chi = mf.chi_1_curve("sigmoid", [1.0])
    assert abs(q[0] / float(p["q_star"]) - 1) < 1e-12 and abs(chi[0] / float(p["chi_1"]) - 1) < 1e-12


def test_fixed_point_is_a_fixed_point_and_the_expectation_is_gaussian():
    with mpmath.workdps(40):
        q = mf.q_fixed_point("tanh", 1.5, 0.5, dps=30)
        assert abs(mf.q_map("tanh", q, 1.5, 0.5) - q) < mpmath.mpf(10) ** -25
        assert abs(mf.gaussian_expectation(lambda x: x * x, 3) - 3) < mpmath.mpf(10) ** -30  # E[(sqrt(3) z)^2] = 3
        assert abs(mf.gaussian_expectation(lambda x: 1, 2) - 1) < mpmath.mpf(10) ** -30


def test_relu_is_exact_and_has_no_fixed_point_past_the_edge():
    facts = relu_facts()
    assert facts["second_moment"] == sp.Symbol("q", positive=True) / 2 and facts["slope_moment"] == sp.Rational(1, 2)
    assert facts["chi_1"] == sigma_w**2 / 2 and facts["critical_sigma_w"] == [sp.sqrt(2)]
    p = mf.predict("relu", 1, 1, dps=20)
    assert abs(p["q_star"] - 2) < 1e-15 and abs(p["chi_1"] - mpmath.mpf(1) / 2) < 1e-15
    assert abs(mf.critical_sigma_w("relu", 1, bracket=(1, 2)) - 2**0.5) < 1e-10
    with pytest.raises(ValueError, match="no finite fixed point|did not settle"):
        mf.q_fixed_point("relu", 1.5, 1)  # sigma_w^2 > 2: the variance grows without bound


def test_sigmoid_needs_sigma_w_of_at_least_4():
    assert sigmoid_chi_bound()["chi_at_least_1_needs"] == sp.Interval(4, sp.oo)
    crit = mf.critical_sigma_w("sigmoid", 1, bracket=(4, 14))
    assert crit > 4 and abs(float(mf.chi_1("sigmoid", mf.q_fixed_point("sigmoid", crit, 1), crit)) - 1) < 1e-9
    # the bound itself, numerically, across sigma_w
    sws = np.linspace(0.5, 14, 30)
    assert np.all(mf.chi_1_curve("sigmoid", sws)[1] <= sws**2 / 16)
    with pytest.raises(ValueError, match="same sign"):
        mf.critical_sigma_w("sigmoid", 1, bracket=(1, 3))


def test_bad_activation_and_variance_are_refused():
    with pytest.raises(ValueError, match="activation must be one of"):
        mf.predict("softsign")
    with pytest.raises(ValueError, match="variance q must be >= 0"):
        mf.gaussian_expectation(lambda x: x, -1)


def test_per_example_rms_norm_is_what_it_says():
    rng = np.random.default_rng(3)
    net = Network([6, 5, 5, 3], rng=1)
    x, y = rng.random((7, 6)), rng.integers(0, 3, 7)
    deltas = net.backprop(x, y).deltas
    want = [np.sqrt(np.mean([np.linalg.norm(d[i]) ** 2 for i in range(7)])) for d in deltas]
    assert np.allclose(mf.per_example_rms_norms(net, x, y), want, rtol=1e-13)


def test_measured_ratios_agree_with_the_prediction_and_a_wrong_prediction_fails():
    predicted = float(mf.predict("sigmoid", dps=20)["ratio"])
    measured = {n: measure_width(Run(), n, 3, images=300)["factor"] for n in (30, 300)}
    assert all(f.holds for f in agreement(predicted, measured)), [f.as_dict() for f in agreement(predicted, measured)]
    # chi_1 with sigma in place of sigma' (a plausible slip) predicts sqrt(E[sigma^2]) ~ 0.55: refused
    wrong = float(mpmath.sqrt(mf.gaussian_expectation(lambda x: (1 / (1 + mpmath.exp(-x))) ** 2, 1.302134)))
    assert not all(f.holds for f in agreement(wrong, measured))
    # so is a prediction 20% off
    assert not all(f.holds for f in agreement(1.2 * predicted, measured))


def test_measure_width_is_the_networks_own_per_example_norm():
    """Replica k of a width is Network(..., rng=the "init" child of SeedSequence(seed).spawn(S)[k]); its factor is
    (R^2 / R^4)^(1/2) of the per-example RMS norms, its book factor the same of the averaged gradient's norms."""
    from numeric.data import load_embedded

    got = measure_width(Run(seed=4), 20, 3, images=50, lo=1, hi=3)
    net = Network([784, 20, 20, 20, 20, 10], rng=purpose(replica_streams(4, 3)[2], "init"))
    d = load_embedded().training.head(50)
    r = mf.per_example_rms_norms(net, d.x, d.y)
    b = net.bias_gradient_norms(d.x, d.y)
    assert got["factor"].shape == (2,)
    assert got["factor"][1] == pytest.approx(np.sqrt(r[1] / r[3]), rel=1e-12)
    assert got["book_factor"][1] == pytest.approx(np.sqrt(b[1] / b[3]), rel=1e-12)
    assert np.allclose(got["pairs"][1], r[:3] / r[1:4], rtol=1e-12)


def test_alternatives_are_the_slips_they_name():
    """Each alternative differs from sqrt(chi_1) = 0.20484 by the slip its name says, and by at least 3%."""
    alt = {k: float(v) for k, v in mf.alternatives("sigmoid", 1, 1, dps=15).items()}
    truth = float(mf.predict("sigmoid", 1, 1, dps=15)["ratio"])
    assert alt["chi_1"] == pytest.approx(truth**2, rel=1e-12)
    assert alt["E[phi'(sqrt(q*) z)]"] < truth  # Jensen: E[X] <= sqrt(E[X^2])
    assert alt["q* = 1"] == pytest.approx(float(mpmath.sqrt(mf.chi_1("sigmoid", 1, 1))), rel=1e-12)
    assert alt["sigma_b = 0"] == pytest.approx(float(mf.predict("sigmoid", 1, 0, dps=15)["ratio"]), rel=1e-12)
    assert min(abs(a / truth - 1) for a in alt.values()) > 0.03


@pytest.fixture(scope="module")
def measured_ctx():
    """The default mean-field protocol measured once (12 seeds at widths 30-1000); claims then reuse it."""
    ctx = Context(run=Run(dps=30, seed=0))
    for part in meanfield_parts(ctx):
        ctx.precomputed[part.key] = part.run()[0]
    return ctx


def test_meanfield_claim_tells_sqrt_chi1_from_each_alternative(measured_ctx):
    """At width 1000 the median's 95% interval is narrower than the distance to each alternative and lies on
    sqrt(chi_1)'s side of it: the claim holds with sqrt(chi_1) and fails with each alternative planted in its place."""
    ev = check_prediction(measured_ctx)
    assert ev.verdict == "verified", [f.what for f in ev.facts if not f.holds]
    assert ev.numbers["protocol"]["seeds"] == chapter.MEANFIELD.seeds >= 12
    lo, hi = ev.numbers["widths"]["1000"]["median_interval"]
    for name in ev.numbers["alternatives"]:
        assert hi - lo < abs(ev.numbers["alternatives"][name] - ev.numbers["predicted"])
    for planted in ev.numbers["alternatives"]:
        bad = check_prediction(measured_ctx, planted=planted)
        assert bad.verdict == "failed", planted
        assert not all(f.holds for f in bad.facts if "closer" in f.what), planted


def test_beyond_the_chapter_records_fit_the_schema(tmp_path):
    """The suite's own protocols (mean field, remedies) are recorded, named and captioned, as the schema asks."""
    import json

    jsonschema = pytest.importorskip("jsonschema")
    from proofs.run.cli import main
    from test_cli import _schema

    assert main(["--only", "meanfield-fixed-point,meanfield-ratio-vs-width,remedies-theory", "--out", str(tmp_path),
                 "-q", "--quick", "--jobs", "1"]) == 0
    data = json.loads((tmp_path / "results.json").read_text())
    jsonschema.validate(data, _schema())
    ratio = next(c for c in data["claims"] if c["id"] == "meanfield-ratio-vs-width")
    assert ratio["numbers"]["protocol"]["caption"].startswith("this suite's")
