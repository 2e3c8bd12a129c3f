"""Shared test settings: hypothesis profiles, mpmath precision reset, and trained checkpoints.

Hypothesis profiles (``HYPOTHESIS_PROFILE=name`` picks one; otherwise ``ci`` when CI is set, else
``default``):
* ``ci``: derandomised (the same examples every run), no deadline, 40 examples a test;
* ``default``: random examples, no deadline, 40 a test;
* ``dev``: 400 examples a test, for a long search before a release.
"""

import hashlib
import os
from pathlib import Path

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # as python -m proofs does,
    os.environ.setdefault(_name, "1")  # before NumPy loads: in-process runs compute what workers compute

import mpmath
import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", parent=settings.get_profile("default"), derandomize=True, print_blob=True)
settings.register_profile("dev", parent=settings.get_profile("default"), max_examples=400)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "default"))

ROOT = Path(__file__).resolve().parents[1]

# Networks trained on the embedded digits, made once per test session (cached on disk, keyed by the
# code that trains them) and always handed out as Network.load read them back.
CHECKPOINTS = {
    "784-30-10": ((784, 30, 10), "cross-entropy", "default"),
    "784-30-30-10": ((784, 30, 30, 10), "cross-entropy", "default"),
    "784-30-30-30-10": ((784, 30, 30, 30, 10), "cross-entropy", "default"),
    "784-30-30-30-30-10": ((784, 30, 30, 30, 30, 10), "cross-entropy", "default"),
    "784-30-30-10-quadratic": ((784, 30, 30, 10), "quadratic", "default"),
    "784-30-30-10-large": ((784, 30, 30, 10), "cross-entropy", "large"),
}
TRAINING = {"images": 4000, "epochs": 5, "mini_batch_size": 10, "eta": 0.5, "lmbda": 0.5, "seed": 0}
MADE_BY = ["numeric/networks/network.py", "numeric/networks/stacked.py", "numeric/networks/stacked_sgd.py",
           "numeric/functions.py", "numeric/validate.py", "numeric/data/persist.py", "numeric/data/__init__.py",
           "numeric/data/mnist5k.npz", "tests/conftest.py"]


def _code_key() -> str:
    h = hashlib.sha256()
    for rel in MADE_BY:
        h.update(rel.encode() + b"\0" + (ROOT / rel).read_bytes())
    return h.hexdigest()[:16]


@pytest.fixture(autouse=True)
def _one_process_unless_asked(monkeypatch):
    """CLI runs in tests use this process (--jobs 1) unless a test passes --jobs itself, and keep nothing in the
    user's cache folder (a test of the cache gives its own --cache-dir)."""
    monkeypatch.setenv("UNSTABLE_GRADIENTS_JOBS", "1")
    monkeypatch.setenv("UNSTABLE_GRADIENTS_CACHE", "off")


@pytest.fixture(autouse=True)
def _signal_handlers_are_left_as_found():
    """A test that leaves SIGINT or SIGTERM handled otherwise fails here, not in whichever test runs next in
    the same worker (a Ctrl-C test once failed, 1 run in 3, because SIGINT had been left ignored)."""
    import signal

    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield
    after = {s: signal.getsignal(s) for s in before}
    for s, handler in before.items():
        signal.signal(s, handler)
    assert after == before, f"the test left the signal handlers changed: {before} -> {after}"


@pytest.fixture(autouse=True)
def _restore_mpmath_precision():
    dps = mpmath.mp.dps
    yield
    mpmath.mp.dps = dps


@pytest.fixture(scope="session")
def digits():
    from numeric.data import load_embedded

    return load_embedded()


@pytest.fixture(scope="session")
def checkpoints(request, tmp_path_factory, digits) -> dict:
    """Returns {name: Network} trained a few epochs on the embedded digits (see CHECKPOINTS, TRAINING)."""
    from numeric.networks.network import Network

    cache = getattr(request.config, "cache", None)
    folder = Path(cache.mkdir("checkpoints")) if cache is not None else tmp_path_factory.mktemp("checkpoints")
    key = _code_key()
    train = digits.training.head(TRAINING["images"])
    out = {}
    for i, (name, (sizes, cost, init)) in enumerate(CHECKPOINTS.items()):
        path = folder / f"{name}-{key}.npz"
        if not path.exists():
            net = Network(sizes, cost=cost, init=init, rng=TRAINING["seed"] + i)
            net.SGD(train.x, train.y, TRAINING["epochs"], TRAINING["mini_batch_size"], TRAINING["eta"],
                    TRAINING["lmbda"], rng=np.random.default_rng(TRAINING["seed"] + 100 + i))
            tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")  # pytest -n: workers may train the same one
            net.save(tmp, overwrite=True)
            os.replace(tmp, path)
        out[name] = Network.load(path)
    return out


HEAVY_LAST = ("test_cli.py", "test_experiments.py")  # whole-claim runs: fast formula tests fail first


def pytest_collection_modifyitems(config, items):
    """Runs the formula tests before the heavy claim-level ones (the order is otherwise pytest's)."""
    items.sort(key=lambda item: item.path.name in HEAVY_LAST)
