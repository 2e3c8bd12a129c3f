"""The main job end to end (slow): every claim proved, certified or verified."""

import json

import pytest

from proofs.cli import main


@pytest.mark.slow
def test_every_claim_passes_in_a_full_run(tmp_path):
    assert main(["--out", str(tmp_path), "-q"]) == 0
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["claims"] and all(c["verdict"] in ("proved", "certified", "verified") for c in data["claims"])
