"""One Run, one door to the data, one root for every draw (issue 30): the digits are read once per process
however many claims need them; every claim whose numbers are random changes with --seed, and the same seed gives
the same records byte for byte (timings aside)."""

import json

from proofs.data import LOADS, load_data
from proofs.run.cli import main
from proofs.timing import without_timings

RANDOM = "speed-of-learning-at-init,phase-chapter-network,weights-below-one,delta-norm-bound,recurrent-norm-bound"


def records(folder) -> dict:
    data = json.loads((folder / "results.json").read_text())
    return {c["id"]: json.dumps(without_timings(c), sort_keys=True) for c in data["claims"]}


def test_every_random_claim_moves_with_the_seed_and_repeats_with_it(tmp_path):
    """Also: the digits are read once per process, however many claims and parts need them."""
    runs = {}
    for name, seed in (("a", 0), ("b", 1), ("again", 0)):
        load_data.cache_clear()
        LOADS["count"] = 0
        assert main(["--out", str(tmp_path / name), "--only", RANDOM, "--seed", str(seed), "--jobs", "1", "-q",
                     "--no-cache", "--quick"]) == 0  # --quick: fewer seeds, the same streams
        assert LOADS["count"] == 1  # five claims, several parts: one read
        runs[name] = records(tmp_path / name)
    assert runs["a"] == runs["again"]  # the same seed: the same records
    same = [c for c in runs["a"] if runs["a"][c] == runs["b"][c]]
    assert not same, f"claims whose records ignore --seed: {same}"
