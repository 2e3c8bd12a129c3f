"""``python -m proofs diagnose``: mean field for one network against its measurement, and the command around it.

Each test fails when the prediction or the measurement is planted wrong (scripts/mutants.toml: "diagnose: ..."):
a factor chi^l per layer in place of sqrt(chi^l), q* computed without sigma_b, the correlation map taken at c = 0.
"""

import json
import math
import shutil
import subprocess

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from numeric import streams
from numeric.activations import ACTIVATIONS
from numeric.data import load
from numeric.experiments import correlation as C
from numeric.experiments import diagnose as D
from numeric.experiments import diagnose_measure as M
from numeric.experiments import meanfield as mf
from numeric.networks.network import Network
from proofs.book import SCHOENHOLZ_TANH_EDGE_SIGMA_W2, SCHOENHOLZ_TANH_SIGMA_B2
from proofs.claims import propagation as PR
from proofs.diagnosis import diagnose
from proofs.run.diagnose import main, parse_sizes

DIGITS = load().training


@pytest.fixture(scope="module")
def chapter():
    """The chapter's network [784, 30 x 4, 10], network2's initialisation, 8 draws (the command's default)."""
    return diagnose()


def test_the_chapter_network_gets_the_meanfield_claims_numbers(chapter):
    """q* = sigma_w^2 E[sigma(sqrt(q*) z)^2] + sigma_b^2, chi_1 = sigma_w^2 E[sigma'(sqrt(q*) z)^2] and sqrt(chi_1)
    at sigma_w = sigma_b = 1 are meanfield-fixed-point's (mf.predict, mpmath) to 1e-9; the per-layer factors are
    sqrt(chi^l) of meanfield.depth_prediction from the digits' q^1, their product its 1/last_over_first; the edge
    at sigma_b = 1 is meanfield-chi1-curves' (mf.critical_sigma_w); xi_c = xi_grad are phase-chapter-network's."""
    m = chapter["meanfield"]
    p = mf.predict("sigmoid", 1, 1, dps=20)
    for key, claim in (("q_star", p["q_star"]), ("chi_1", p["chi_1"]), ("sqrt_chi_1", p["ratio"])):
        assert m[key] == pytest.approx(float(claim), rel=1e-9), key
    assert m["phase"] == "ordered" and m["bounded"] and m["c_star"] == 1
    ref = mf.depth_prediction("sigmoid", 1.0, 1.0, D.first_q(DIGITS.x[:200], 1.0, 1.0), 4)
    assert m["layers"]["q"] == pytest.approx(ref["q"], rel=1e-12)
    assert m["layers"]["factor"] == pytest.approx(np.sqrt(ref["chi"]).tolist(), rel=1e-12)
    assert m["first_over_last"] == pytest.approx(1 / ref["last_over_first"], rel=1e-12)
    assert m["edge"]["sigma_w_at_sigma_b"] == pytest.approx(mf.critical_sigma_w("sigmoid", 1, bracket=(4, 14)),
                                                            rel=1e-9)
    scales = C.depth_scales("sigmoid", 1, 1, dps=15)
    assert m["xi_c"] == pytest.approx(float(scales["xi_c"]), rel=1e-9)
    assert m["xi_grad"] == pytest.approx(float(scales["xi_grad"]), rel=1e-9)
    assert m["trainable_depth"] == pytest.approx(6 * float(scales["xi_c"]), rel=1e-9)


def test_the_chapter_network_measured_vanishes_at_mean_fields_rate(chapter):
    """8 draws, 200 digits: RMS ||delta^1|| / RMS ||delta^4|| within 25 % of prod sqrt(chi^l) (one draw's ratio
    spreads by about 15 %: the screen shows [0.0075, 0.010] around 0.0087), every draw below 1/50, and the verdict
    says so in the run's own numbers."""
    s, m = chapter["measured"], chapter["meanfield"]
    assert s["networks"] == 8 and s["examples"] == 200 and s["finite"]
    assert abs(math.log(s["first_over_last"]["centre"][0] / m["first_over_last"])) < math.log(1.25)
    assert max(s["first_over_last"]["max"]) < 1 / 50
    assert chapter["verdict"].startswith("gradients vanish by about 10^-2") and "ordered phase" in chapter["verdict"]
    assert "up to depth 1.9" in chapter["verdict"]


def test_the_tanh_edge_is_schoenholz_et_als():
    """tanh with sigma_b^2 = 0.05: chi_1 = 1 at sigma_w^2 = 1.7609... (Schoenholz et al. 2017: about 1.76), the
    value phase-depth-scales computes (correlation.critical_sigma_w2, mpmath) to 1e-9."""
    sb = math.sqrt(SCHOENHOLZ_TANH_SIGMA_B2)
    edge = D.edge_sigma_w("tanh", sb, 1.0) ** 2
    assert edge == pytest.approx(float(C.critical_sigma_w2("tanh", "0.05", dps=20)["sigma_w2"]), rel=1e-9)
    assert f"{edge:.3g}" == f"{SCHOENHOLZ_TANH_EDGE_SIGMA_W2:.3g}" and str(edge).startswith("1.7609")
    assert D.edge_sigma_b("tanh", math.sqrt(edge), 0.5) == pytest.approx(sb, rel=1e-7)
    assert D.phase(D.fixed_point("tanh", math.sqrt(edge), sb)["chi_1"]) == "edge"


@pytest.mark.parametrize("sigma_w2", PR.SIGNAL.backward_sigma_w2s)
def test_tanh_networks_get_the_phase_claims_predictions(sigma_w2):
    """[784, n x 20, 10] tanh at sigma_b^2 = 0.05: RMS ||delta^l|| / RMS ||delta^L|| = prod_{k>=l} sqrt(chi^k) is
    phase-backward-gradients' product (50 digits' q^1), and the mean correlation of 40 digit pairs is
    phase-forward-correlation's map, to 1e-12 (one code path); xi_c, xi_grad are phase-depth-scales' float route."""
    sw, sb = math.sqrt(sigma_w2), math.sqrt(PR.SIGNAL.sigma_b2)
    sigma_w, sigma_b = [sw] * (PR.SIGNAL.depth + 1), [sb] * (PR.SIGNAL.depth + 1)
    layers = D.layer_prediction("tanh", sigma_w, sigma_b, D.first_q(DIGITS.x[:PR.SIGNAL.examples], sw, sb))
    over_last = [np.prod(layers["factor"][l:]) for l in range(PR.SIGNAL.depth)]
    assert over_last == pytest.approx(PR.predicted_rms(sigma_w2, load())[0].tolist(), rel=1e-12)
    xa, xb = DIGITS.x[:2 * PR.SIGNAL.pairs:2], DIGITS.x[1:2 * PR.SIGNAL.pairs:2]
    assert D.correlation_prediction("tanh", sigma_w, sigma_b, xa, xb) == pytest.approx(
        PR.map_correlations(load(), sigma_w2).tolist(), rel=1e-12, abs=1e-12)
    curve = C.depth_scales_curve("tanh", [sigma_w2], PR.SIGNAL.sigma_b2)
    fp = D.fixed_point("tanh", sw, sb)
    assert (fp["xi_c"], fp["xi_grad"]) == pytest.approx((curve["xi_c"][0], curve["xi_grad"][0]), rel=1e-12)


EDGE_SIGMA_B = (0.0, math.sqrt(0.05), 0.5)


@settings(max_examples=6, deadline=None)
@given(activation=st.sampled_from(sorted(ACTIVATIONS)), depth=st.integers(3, 30), width=st.integers(100, 500),
       sigma_b=st.sampled_from(EDGE_SIGMA_B), log_factor=st.floats(math.log(0.8), math.log(1.25)))
@example(activation="tanh", depth=12, width=200, sigma_b=EDGE_SIGMA_B[1], log_factor=math.log(0.8))
@example(activation="relu", depth=12, width=200, sigma_b=EDGE_SIGMA_B[2], log_factor=math.log(1.25))
def test_measured_factor_per_layer_is_mean_fields(activation, depth, width, sigma_b, log_factor):
    """For random networks around each activation's edge of chaos (sigma_w = edge x 0.8..1.25), two draws measured
    on 200 digits:

    * the network's factor per layer, (RMS ||delta^1|| / RMS ||delta^H||)^(1/(H-1)), within 5 % of the predicted
      (prod_l sqrt(chi^l))^(1/(H-1)). Finite width: one layer of width n >= 100 scales an example's ||delta||^2 by
      chi^l times 1 + O(1/sqrt(n)) (<= 0.1 relative, <= 0.05 on the root), and the geometric mean over >= 2 layers and
      2 draws divides that by >= 2 (about 0.025, 2 sd inside 5 %); q^1 is taken from the 200 digits themselves, so
      the first layer carries no error of its own; measured over 15 random architectures the gap stayed below 1.5 %;
    * each layer's factor within 35 % (one layer of width 100 alone: the measured worst over 10 depth-30 networks was
      23 %, a sigmoid near a step);
    * the mean correlation of 40 digit pairs within 0.1 of the map, averaged over the layers (one pair's sample
      correlation over n units has sd about (1 - c^2)/sqrt(n) <= 0.1; measured <= 0.05 averaged).
    The pinned examples sit where chi and sqrt(chi) differ by 20-25 % per layer.
    """
    edge = D.edge_sigma_w(activation, sigma_b, 1.0)
    sw = edge * math.exp(log_factor)
    sizes = [784] + [width] * depth + [10]
    sigma_w, sigma_bs = [sw] * (depth + 1), [sigma_b] * (depth + 1)
    x, y = DIGITS.x[:200], DIGITS.y[:200]
    pred = D.layer_prediction(activation, sigma_w, sigma_bs, D.first_q(x, sw, sigma_b))
    got = M.measure_draws(sizes, activation, M.Init("normal", sw, sigma_b), 2, 0, x, y, 40)
    rms = got["rms"]
    measured = np.exp(np.mean(np.log(rms[:, 0] / rms[:, -1])) / (depth - 1))
    predicted = pred["first_over_last"] ** (1 / (depth - 1))
    assert abs(math.log(measured / predicted)) < math.log(1.05), (measured, predicted)
    per_layer = np.exp(np.mean(np.log(rms[:, :-1] / rms[:, 1:]), axis=0))
    assert np.all(np.abs(np.log(per_layer / np.array(pred["factor"]))) < math.log(1.35))
    c_map = D.correlation_prediction(activation, sigma_w, sigma_bs, x[0:80:2], x[1:80:2])
    assert np.mean(np.abs(got["c"].mean(axis=0) - c_map)) < 0.1


def _save_arrays(path, sigma_w, sigma_b, width, stream):
    """Writes W0, b0, ... of a [784, width x len - 1, 10] network whose layer l has sigma_w[l], sigma_b[l]."""
    rng = streams.generator(stream, "init")
    sizes = [784] + [width] * (len(sigma_w) - 1) + [10]
    arrays = {}
    for l, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        arrays[f"W{l}"] = rng.standard_normal((b, a)) * sigma_w[l] / math.sqrt(a)
        arrays[f"b{l}"] = rng.standard_normal(b) * sigma_b[l]
    np.savez(path, **arrays)
    return path


def test_a_saved_network_with_layer_varying_variances_is_predicted_layer_by_layer(tmp_path):
    """A tanh network whose layers have sigma_w from 0.7 to 2.2 (factors sqrt(chi^l) from 0.56 to 1.79): the file's
    measured sigma_w^l, sigma_b^l give a per-layer prediction within 15 % of the saved network's own measurement at
    every layer (width 400, one network: measured worst over 8 networks 5 %), which the uniform sqrt(chi_1) at the
    median misses by more than 40 %."""
    sigma_w, sigma_b = [1.0, 1.6, 0.7, 2.2, 1.2, 0.9, 1.5, 1.0], [0.3, 0.1, 0.5, 0.2, 0.4, 0.0, 0.3, 0.1]
    r = diagnose(network=_save_arrays(tmp_path / "net.npz", sigma_w, sigma_b, 400, 0), activation="tanh")
    assert r["network"]["format"] == "arrays" and r["measured"]["networks"] == 1
    assert r["network"]["sigma_w"] == pytest.approx(sigma_w, rel=0.03)
    assert not r["meanfield"]["uniform"]
    predicted = np.array(r["meanfield"]["layers"]["factor"])
    measured = np.array(r["measured"]["layers"]["factor"]["centre"])
    assert predicted.max() / predicted.min() > 3
    assert np.all(np.abs(np.log(measured / predicted)) < math.log(1.15)), (measured, predicted)
    assert np.abs(np.log(measured / r["meanfield"]["sqrt_chi_1"])).max() > math.log(1.4)


def test_a_network_saved_by_the_suite_is_read_with_its_cost(tmp_path):
    """Network.save's format: sizes, cost, w0, b0, ...; sigmoid read-out with its cost, measured as saved."""
    net = Network([784, 60, 60, 60, 10], cost="quadratic", rng=np.random.default_rng(streams.purpose(1, "init")))
    net.weights[1] *= 3.0  # a layer with its own variance: sigma_w^2 = 9
    net.save(tmp_path / "net.npz")
    r = diagnose(network=tmp_path / "net.npz")
    n = r["network"]
    assert (n["format"], n["output"], n["cost"]) == ("saved network", "sigmoid", "quadratic")
    assert n["sigma_w"][1] == pytest.approx(3.0, rel=0.05) and n["sigma_w"][2] == pytest.approx(1.0, rel=0.05)
    layers = D.layer_prediction("sigmoid", n["sigma_w"], n["sigma_b"], D.first_q(DIGITS.x[:200], n["sigma_w"][0],
                                                                                   n["sigma_b"][0]))
    assert r["meanfield"]["layers"]["factor"] == pytest.approx(layers["factor"], rel=1e-12)


def test_the_measurement_is_the_kernels_gradient_norms():
    """measure's per-example RMS of delta^l is Stack.gradient_norms' (the kernel's own), with residual blocks and
    batch normalisation too; the pairs' correlation is that of the pre-activations, computed apart."""
    init, sizes = M.Init("he"), [784, 50, 50, 50, 10]
    nets = [init.draw(sizes, streams.generator(s, "init")) for s in streams.replica_streams(0, 3)]
    x, y = DIGITS.x[:60], DIGITS.y[:60]
    for residual, batch_norm in ((False, False), (True, False), (False, True)):
        stack = M.stack_of(nets, "relu", residual=residual, batch_norm=batch_norm,
                           rng=streams.generator(streams.replica(0, 9), "init"))
        got = M.measure(stack, x, y, 20)
        assert np.allclose(got["rms"], stack.gradient_norms(x, y)[0], rtol=1e-6)
    plain = M.stack_of(nets, "relu")
    got = M.measure(plain, x, y, 20)
    z = plain.forward(x)[0][1]  # hidden layer 2's pre-activations
    za, zb = z[:, 0:40:2].astype(float), z[:, 1:40:2].astype(float)
    c = np.mean(np.sum(za * zb, 2) / np.linalg.norm(za, axis=2) / np.linalg.norm(zb, axis=2), axis=1)
    assert got["c"][:, 1] == pytest.approx(c, rel=1e-5)


def test_draws_come_from_the_seed_and_residual_networks_are_measured_only():
    a = diagnose(sizes=[784, 40, 40, 40, 10], activation="tanh", draws=2, seed=5)
    b = diagnose(sizes=[784, 40, 40, 40, 10], activation="tanh", draws=2, seed=5)
    c = diagnose(sizes=[784, 40, 40, 40, 10], activation="tanh", draws=2, seed=6)
    assert a["measured"]["per_network"] == b["measured"]["per_network"] != c["measured"]["per_network"]
    r = diagnose(sizes=[784, 40, 40, 40, 10], activation="relu", draws=2, residual=True)
    assert not r["meanfield"]["applies"] and "residual" in r["meanfield"]["why_not"]
    assert "mean field does not apply" in r["verdict"] and r["measured"]["finite"]


def test_the_screen_prints_the_runs_numbers(capsys):
    """The screen's q*, chi_1, edge and verdict are the record's; --json prints the record itself."""
    assert main(["--sizes", "784,30x4,10", "--draws", "2", "-q"]) == 0
    out = capsys.readouterr().out
    r = diagnose(draws=2)
    assert f"q* = {r['meanfield']['q_star']:.6g}" in out and f"chi_1 = {r['meanfield']['chi_1']:.6g}" in out
    assert f"verdict: {r['verdict']}" in out and "[784, 30 x 4, 10]" in out
    assert main(["--draws", "2", "--json", "-q"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["schema"] == "unstable-gradients/diagnose" and data["verdict"] == r["verdict"]
    assert data["meanfield"]["layers"]["factor"] == pytest.approx(r["meanfield"]["layers"]["factor"], rel=1e-15)


def test_out_writes_record_figure_and_fragment_and_keeps_the_users_files(tmp_path, capsys):
    out = tmp_path / "res"
    assert main(["--draws", "2", "-q", "--out", str(out)]) == 0
    record = json.loads((out / "diagnose.json").read_text())
    assert record["measured"]["networks"] == 2 and "numpy" in record["libraries"]
    assert (out / "figures" / "diagnose.pdf").read_bytes().startswith(b"%PDF")
    tex = (out / "latex" / "diagnose.tex").read_text()
    assert r"\ugincludefigure{3.3in}{\ugfigurepath diagnose.pdf}" in tex and "2 independent random draws" in tex
    assert f"{record['meanfield']['q_star']:.4g}" in tex and "python -m" not in tex.split("\n", 2)[2]
    assert main(["--draws", "2", "-q", "--out", str(out)]) == 0  # its own files: rewritten
    (out / "mine.json").write_text("{}")
    capsys.readouterr()
    assert main(["--draws", "2", "-q", "--out", str(out), "--name", "mine"]) == 2
    err = capsys.readouterr().err
    assert (out / "mine.json").read_text() == "{}" and len(err.strip().splitlines()) == 1 and "did not" in err


def _huge(path):
    with open(path, "wb") as fh:  # a sparse file: no disk used
        fh.truncate(2 * 10**9)


def _claims_huge(path):
    """An .npz of a few bytes whose W0 header claims 10^5 x 10^5 float64 (80 GB)."""
    import io
    import zipfile

    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**5, 10**5)})
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("W0.npy", header.getvalue())
        z.writestr("b0.npy", header.getvalue())


FILES = {"TEXT": lambda p: p.write_text("not a zip"),
         "MISSING": lambda p: np.savez(p, W0=np.ones((30, 784)), b0=np.ones(30), W1=np.ones((10, 30))),
         "HUGE": _huge, "CLAIMS": _claims_huge, "NOFILE": lambda p: None}


@pytest.mark.parametrize("args, says", [
    (["--activation", "swish"], "activation must be one of"),
    (["--sizes", "784,0,10"], "at least 1"),
    (["--sizes", "784,30x0,10"], "at least 1"),
    (["--sizes", "784,thirty,10"], "not a width"),
    (["--sizes", "100,30,10"], "784"),
    (["--init", "normal:1"], "normal:SIGMA_W,SIGMA_B"),
    (["--init", "glorot"], "init must be one of"),
    (["--draws", "0"], "draws"),
    (["--draws", "many"], "invalid int"),
    (["--network", "NOFILE"], "no such file"),
    (["--network", "TEXT"], "not a readable .npz"),
    (["--network", "MISSING"], "no bias vector b1"),
    (["--network", "HUGE"], "more than the"),
    (["--network", "CLAIMS"], "refused before reading"),
])
def test_bad_input_is_one_line_and_exit_2(args, says, tmp_path, capsys):
    """Each bad option or file: one line on standard error, naming the cause, and exit status 2."""
    args = list(args)
    if args[0] == "--network":
        path = tmp_path / f"{args[1].lower()}.npz"
        FILES[args[1]](path)
        args[1] = str(path)
    assert main(args + ["-q"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: ") and says in err, err


def test_sizes_are_parsed_with_repeats():
    assert parse_sizes("784,100x3,10") == [784, 100, 100, 100, 10]
    with pytest.raises(ValueError):
        parse_sizes("784,,10")


@pytest.mark.skipif(not shutil.which("pdflatex"), reason="pdflatex is not installed (Debian: texlive-latex-base)")
def test_the_fragments_compile_in_a_paper(tmp_path):
    """A paper that inputs macros.tex and two diagnoses (options; a saved network) compiles with no error and no
    overfull line (a file's path would not break)."""
    out = tmp_path / "res"
    assert main(["--draws", "2", "-q", "--out", str(out)]) == 0
    saved = _save_arrays(tmp_path / "a-saved-network-with-a-long-name.npz", [1.0, 2.0, 1.0], [0.5, 0.5, 0.5], 50, 2)
    assert main(["--network", str(saved), "-q", "--out", str(out), "--name", "saved"]) == 0
    (out / "latex" / "paper.tex").write_text(
        "\\documentclass[twocolumn]{article}\n\\usepackage[T1]{fontenc}\\usepackage{lmodern}"
        "\\usepackage{amsmath,amssymb,graphicx}\n\\input{macros}\n\\begin{document}\n\\input{diagnose}\n\\input{saved}\n"
        "\\end{document}\n")
    for _ in range(2):  # the second pass resolves the figures' references (citations need bibtex: not run)
        proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "paper.tex"],
                              cwd=out / "latex", capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stdout[-2000:]
    assert "Overfull" not in proc.stdout
    assert "Reference `ug:" not in proc.stdout and "Figure~??" not in proc.stdout
