"""Every benchmark runs at its smallest setting (--smoke) and prints the machine's state beside its numbers; the
arithmetic counter (numeric.experiments.work) agrees with a count by hand."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from numeric.experiments import chapter, remedies, width_sweep, work

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted(p.name for p in (ROOT / "benchmarks").glob("*.py") if p.name != "machine.py")


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_benchmark_runs_at_its_smallest_setting_and_prints_the_machine(script, tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), "--smoke"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT),
                               "UNSTABLE_GRADIENTS_CACHE": "off"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = proc.stdout + proc.stderr
    assert "load average before" in text and "load average after" in text and "BLAS" in text


def test_the_counter_is_a_count_by_hand():
    """[784, 30, 10], m = 10, 3 stacked networks, twice: forward 10x784x30 and 10x30x10; backward the two weight
    gradients and dC/da of the second layer only (nothing uses the first layer's input gradient)."""
    got = work.dense([784, 30, 10], 10, 3, "float32", 2)
    hand = 2 * 3 * 2 * (10 * 784 * 30 + 10 * 30 * 10  # forward
                        + 784 * 10 * 30 + 30 * 10 * 10  # weight gradients
                        + 10 * 10 * 30)  # dC/da^1 from delta^2
    assert work.flops(got) == hand
    assert work.flops(work.dense([784, 30, 10], 10, 3, "float32", 2, backward=False)) == 2 * 3 * 2 * (
        10 * 784 * 30 + 10 * 30 * 10)
    merged = work.merge(got + got)
    assert work.flops(merged) == 2 * hand and len(merged) == len(got)


def test_a_protocol_s_count_follows_its_settings():
    """The chapter's full batch: epochs x (forward + backward) on all images, then one accuracy pass; a tiny
    remedies protocol: steps x replicas, the three evaluation passes, the two ratio measurements, the sweep."""
    p = chapter.SPEED_DURING_TRAINING.replace(networks=((784, 30, 10),), epochs=3, seeds=2, images=100)
    per = work.flops(work.dense([784, 30, 10], 100, 2, "float64", 1))
    fwd = work.flops(work.dense([784, 30, 10], 100, 2, "float64", 1, backward=False))
    assert work.flops(chapter.work([p], 4000)) == 3 * per + fwd
    r = remedies.PROTOCOL.replace(remedies=("network2",), depths=(1,), etas=(0.1, 1.0), seeds=2, epochs=1,
                                  train_images=20, validation_images=30, test_images=40, norm_images=50,
                                  sweep_configs=("relu-he",), sweep_widths=(7,), sweep_images=60, sweep_depth=1,
                                  sweep_seeds=(5,), init_seeds=10, pair_min_width=5)
    sizes = [784, 30, 10]
    errors = {"backward": True, "weight_gradient": False}  # the measurements: the biases' gradients only
    hand = (work.flops(work.dense(sizes, 10, 4, "float32", 2))  # 20 digits in mini-batches of 10, 4 replicas
            + work.flops(work.dense(sizes, 90, 4, "float32", 1, backward=False))  # validation + test + cost
            + work.flops(work.dense(sizes, 50, 4, "float32", 1, **errors))  # ratios at init: 10 x 2/5 draws
            + work.flops(work.dense(sizes, 50, 2, "float32", 1, **errors))  # after training: the seeds
            + work.flops(work.dense([784, 7, 10], 60, 2, "float32", 1, **errors))  # the width sweep: 5 x 2/5
            + 2 * 60 * 7 * 60 * 2 * 1)  # the pairs' Gram matrix of its one hidden layer, 2 draws
    assert work.flops(remedies.work(r) + width_sweep.work(r)) == hand


def test_the_limit_counts_every_part_of_the_default_run():
    """Every part benchmarks/limit.py lists counts its products from the protocol the default run uses (a renamed
    protocol or a missing work() fails here, not at the benchmark)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import limit

    for name, _claims, products in limit.parts():
        got = products()
        assert got and work.flops(got) > 0, name
