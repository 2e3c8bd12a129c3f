"""The remedies at all five depths (2, 4, 6, 8, 10): the protocol variant behind the default one (slow)."""

import pytest

from numeric.experiments import remedies as R
from proofs.claim import Evidence
from proofs.claims.remedies import remedies_facts
from proofs.data import Run
from proofs.remedies_parts import config_part as _config_part
from proofs.remedies_parts import sweep_part as _sweep_part


@pytest.mark.slow
def test_five_depths_protocol_is_sound():
    p = R.FIVE_DEPTHS
    run = Run(seed=0)  # the embedded digits, root seed 0
    cells = {k: _config_part(run, k, p) for k in p.remedies}
    sweep = {k: _sweep_part(run, k, p) for k in p.sweep_configs}
    facts = remedies_facts(cells, sweep, p)
    assert [f.what for f in facts if f.role == "check" and not f.holds] == []
    assert Evidence("verified", facts).verdict in ("verified", "not reproduced")
