"""No process-wide state: importing the packages changes nothing, and a claim leaves the process as it found it.

A claim that sets ``mpmath.mp.dps``, seeds NumPy's global generator, changes a matplotlib setting or an
environment variable makes the output depend on what ran before it in the same process, and so on --jobs.
Two checks: a snapshot of that state around each claim, and the same claims run in both orders in one
process, their records (timings aside) compared.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import mpmath
import numpy as np
import pytest

from proofs.claim import Claim, Context, Evidence, Fact, run_claim
from proofs.data import Run
from proofs.run.registry import all_claims
from proofs.timing import without_timings

ROOT = Path(__file__).resolve().parents[1]
BLAS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
# cheap claims (under 2 s each) touching SymPy, mpmath (certified, quadrature), NumPy and matplotlib
CHEAP = ("sigmoid-derivative", "sigmoid-prime-max", "cross-entropy-output-layer", "exploding-construction",
         "eq124-reduces-to-eq122", "delta-norm-bound", "w-at-least-4", "eq123-width-maximum", "identity-neuron")


def _python(code: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in BLAS and k != "MPLBACKEND"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_importing_the_packages_sets_nothing():
    """No environment variable, no matplotlib backend, no pyplot, and `import proofs` loads neither SymPy nor NumPy."""
    out = _python(
        "import os, sys, json\n"
        "before = dict(os.environ)\n"
        "import proofs\n"
        "light = 'numpy' not in sys.modules and 'sympy' not in sys.modules\n"
        "import proofs.run.registry, proofs.run.cli, proofs.run.executor, proofs.export.writers\n"
        "import numeric.figures, theory\n"
        "import matplotlib\n"
        "fig = numeric.figures.sigma_prime_figure(0.0, 0.25)\n"
        "numeric.figures.to_bytes(fig, 'png')\n"
        "print(json.dumps({'env': dict(os.environ) == before, 'light': light,\n"
        "                  'pyplot': 'matplotlib.pyplot' in sys.modules,\n"
        "                  'backend': dict.__getitem__(matplotlib.rcParams, 'backend')\n"
        "                             is not matplotlib.rcsetup._auto_backend_sentinel}))\n")
    assert json.loads(out) == {"env": True, "light": True, "pyplot": False, "backend": False}


def test_the_cli_entry_sets_one_blas_thread_before_numpy_loads():
    """`python -m proofs` (proofs.__main__.main) sets the BLAS variables, and NumPy loads after it did."""
    out = _python(
        "import importlib.abc, json, os, sys\n"
        "seen = {}\n"
        "class Spy(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name == 'numpy' and 'numpy' not in seen:\n"
        "            seen['numpy'] = os.environ.get('OPENBLAS_NUM_THREADS')\n"
        "sys.meta_path.insert(0, Spy())\n"
        "import proofs.__main__ as entry\n"
        "imported = [k for k in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS') if k in os.environ]\n"
        "sys.argv = ['proofs', '--list']\n"
        "try:\n"
        "    entry.main()\n"
        "except SystemExit as e:\n"
        "    code = e.code\n"
        "print(json.dumps({'code': code, 'on_import': imported, 'numpy_saw': seen.get('numpy'),\n"
        "    'after': [os.environ.get(k) for k in ('OPENBLAS_NUM_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS')]}))\n")
    result = json.loads(out.strip().splitlines()[-1])
    assert result == {"code": 0, "on_import": [], "numpy_saw": "1", "after": ["1", "1", "1"]}


def _state() -> dict:
    """The process-wide state a claim could leak, as comparable data."""
    import matplotlib
    import sympy

    import numeric.figures as figures

    return {"mpmath precision": mpmath.mp.prec, "mpmath iv precision": mpmath.iv.prec,
            # the legacy global generator is read, never used: a claim that seeds or draws from it changes it
            "numpy global generator": hash(np.random.get_state()[1].tobytes()),  # noqa: NPY002
            "numpy errors": np.geterr(),
            "numpy print options": np.get_printoptions(),
            "matplotlib": {k: str(v) for k, v in matplotlib.rcParams.items()},
            "environment": dict(os.environ), "sympy evaluate": sympy.core.parameters.global_parameters.evaluate,
            "figure size": list(getattr(figures, "_size", []))}


def _records(claims, changes: dict) -> dict:
    """Runs ``claims`` in order in this process; returns {id: record without timings}, noting state changes."""
    out = {}
    for c in claims:
        before = _state()
        rec = without_timings(run_claim(c, Context(run=Run(dps=50, seed=0))))
        after = _state()
        changes[c.id] = sorted(set(changes.get(c.id, ())) | {k for k in before if before[k] != after[k]})
        out[c.id] = rec
    return out


def _run_both_orders(claims) -> tuple[dict, dict, dict]:
    changes: dict = {}
    precision = mpmath.mp.dps
    try:
        forward = _records(claims, changes)
        backward = _records(list(reversed(claims)), changes)
    finally:
        mpmath.mp.dps = precision
    return forward, backward, changes


def _by_id(ids) -> list[Claim]:
    claims = {c.id: c for c in all_claims()}
    return [claims[i] for i in ids]


def test_claims_leave_no_state_and_give_the_same_records_in_either_order():
    forward, backward, changes = _run_both_orders(_by_id(CHEAP))
    assert {i: c for i, c in changes.items() if c} == {}, "claims changed process-wide state"
    assert all(r["verdict"] != "failed" for r in forward.values())
    differ = [i for i in forward if forward[i] != backward[i]]
    assert not differ, f"records depend on the order the claims ran in: {differ}"


def test_the_known_leak_is_gone():
    """weights-below-one once set mpmath.mp.dps for the whole process; it now works inside workdps."""
    _, _, changes = _run_both_orders(_by_id(["weights-below-one", "w-at-least-4"]))
    assert not changes["weights-below-one"]


def _leaky(ctx) -> Evidence:
    mpmath.mp.dps = 20  # the planted flaw: precision set for the whole process
    return Evidence("verified", [Fact("a planted claim", True)])


def _ambient(ctx) -> Evidence:
    third = mpmath.nstr(mpmath.mpf(1) / 3, 40)  # at whatever precision the process has (a claim's mistake too)
    return Evidence("verified", [Fact("one third, at the ambient precision", True, value=third)])


def test_a_planted_precision_leak_is_caught_both_ways():
    """A claim setting mpmath.mp.dps = 20 is caught by the snapshot, and by the order comparison where a later
    claim reads the ambient precision (as meanfield-chi1-curves did, making --jobs 1 and 2 differ)."""
    leaky = Claim("planted-leak", "test", "sets mpmath.mp.dps", _leaky)
    ambient = Claim("planted-reader", "test", "reads the ambient precision", _ambient)
    forward, backward, changes = _run_both_orders([ambient, leaky, *_by_id(["w-at-least-4"])])
    assert changes["planted-leak"] == ["mpmath precision"]
    assert forward["planted-reader"] != backward["planted-reader"]
    assert forward["w-at-least-4"] == backward["w-at-least-4"]


def test_the_chain_atom_table_belongs_to_the_network():
    """No module-level cache grows with the chains built (the old _ATOMS did); a truncation shares its table."""
    import theory.chain as chain
    import theory.chain_implicit as implicit

    def containers():
        return {k: len(v) for m in (chain, implicit) for k, v in vars(m).items() if isinstance(v, (dict, list, set))}

    before = containers()
    net = chain.chain_network(20)
    family = implicit.gradient_factors_bidiagonal(net)
    assert all(implicit.same_product(v, chain.formula_factors(net, j, depth=m)) for (m, j), v in family.items())
    assert containers() == before
    assert implicit.truncated(net, 5).atoms is net.atoms and chain.chain_network(20).atoms is not net.atoms
    assert chain.chain_network(3) == chain.chain_network(3)  # the table is not part of a network's value


def test_the_figure_size_is_scoped_to_a_block():
    """numeric.figures.figure_size sets the size inside its block only (a context variable, no module state)."""
    from numeric.figures import figure_size, sigma_prime_figure

    width = lambda: sigma_prime_figure(6.0, 0.25).get_size_inches()[0]  # noqa: E731
    assert width() == pytest.approx(3.3)
    with figure_size("page"):
        assert width() == pytest.approx(6.9)
    assert width() == pytest.approx(3.3)
    with pytest.raises(ValueError, match="figure size"):
        with figure_size("poster"):
            pass
