"""Nothing the user has is lost, no input is trusted, every failure is one clear message: full disks
(ENOSPC injected), Ctrl-C on a running CLI, the user's files in --out, hostile and damaged data files,
hostile saved networks, and bad arguments."""

import errno
import os
import pickle
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from numeric.data import DataError, files, load_mnist, mnist_files
from numeric.networks.network import Network
from proofs.run.cli import main
from test_data import make_idx_folder, write_idx

ROOT = Path(__file__).resolve().parents[1]
FAST = "ratio-b1-b3,sigmoid-prime-max"


def files_digest(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def no_temp_files(folder: Path) -> bool:
    return not [p for p in folder.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".write-test-")]


def full_disk(monkeypatch, after: int = 0):
    """Makes every write after the first ``after`` fail with ENOSPC, as a full disk does."""
    real = os.fsync
    calls = {"n": 0}

    def fsync(fd):
        calls["n"] += 1
        if calls["n"] > after:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd)

    monkeypatch.setattr(files.os, "fsync", fsync)


# -- writes that cannot lose data ----------------------------------------------------------------
def test_saving_over_a_network_on_a_full_disk_keeps_the_old_one(tmp_path, monkeypatch):
    path = tmp_path / "net.npz"
    old = Network([4, 3, 2], rng=1)
    old.save(path)
    before = path.read_bytes()
    full_disk(monkeypatch)
    with pytest.raises(OSError, match="No space left"):
        Network([4, 3, 2], rng=2).save(path, overwrite=True)
    assert path.read_bytes() == before and no_temp_files(tmp_path)
    assert np.array_equal(Network.load(path).weights[0], old.weights[0])


def test_files_get_the_users_umask(tmp_path):
    old = os.umask(0o027)
    try:
        files.atomic_write(tmp_path / "a.txt", "x")
        Network([3, 2], rng=0).save(tmp_path / "n.npz")
    finally:
        os.umask(old)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o640
    assert (tmp_path / "n.npz").stat().st_mode & 0o777 == 0o640


def test_a_full_disk_mid_run_is_one_line_and_the_next_run_proceeds(tmp_path, monkeypatch, capsys):
    full_disk(monkeypatch, after=3)  # a few files land, then the disk is full
    assert main(["--out", str(tmp_path), "--only", FAST, "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "No space left on device" in err[0] and "Traceback" not in err[0]
    assert no_temp_files(tmp_path)
    manifest = __import__("json").loads((tmp_path / ".proofs-manifest.json").read_text())["files"]
    on_disk = {str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()}
    on_disk -= {".proofs-manifest.json", ".proofs-lock"}
    assert on_disk and all(files_digest(tmp_path / f) in manifest[f] for f in on_disk)  # each recognised as ours
    monkeypatch.undo()
    assert main(["--out", str(tmp_path), "--only", FAST, "-q"]) == 0  # no --force needed


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _as_from_a_terminal():
    """In the child: SIGINT and SIGTERM at their defaults, as a shell started from a terminal leaves them (pytest run
    in the background by a shell without job control inherits SIGINT ignored, and Python then keeps it ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@pytest.mark.parametrize("jobs,sig", [("1", signal.SIGINT), ("2", signal.SIGINT), ("2", signal.SIGTERM)])
def test_ctrl_c_and_sigterm_exit_with_one_line_and_no_temporary_files(tmp_path, jobs, sig):
    """SIGINT in the middle of the training loop (in this process, or with two workers running), as Ctrl-C sends
    it to the whole process group; SIGTERM to the parent alone, as `kill` or a batch system sends it: 128 + signal,
    one line, no temporary file, and no worker left behind."""
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "waiting_cli.py"), "--out", str(tmp_path), "--jobs",
                             jobs, "--only", "test-waiting"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=os.environ | {"PYTHONPATH": str(ROOT)}, start_new_session=True,
                            preexec_fn=_as_from_a_terminal)  # a claim whose parts wait in 10 ms steps: no timer, no CPU
    stream = proc.stderr if jobs == "1" else proc.stdout
    ready, _, _ = select.select([stream], [], [], 60)
    first = stream.readline() if ready else ""  # a part starting, or "1 claim on 2 processes"
    assert ("part wait_in_steps/" in first) if jobs == "1" else ("processes" in first), first
    workers, deadline = children(proc.pid), time.monotonic() + 30
    while len(workers) < int(jobs) - (jobs == "1") and time.monotonic() < deadline:  # the pool's workers, each waiting
        time.sleep(0.05)
        workers = children(proc.pid)
    assert len(workers) == int(jobs) - (jobs == "1") or not sys.platform.startswith("linux"), workers
    if sig == signal.SIGINT:
        os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C does: to the whole process group, workers included
    else:
        os.kill(proc.pid, signal.SIGTERM)  # to the parent only
    try:
        out, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:  # leave nothing behind for the next test (open pipes warn there)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    assert proc.returncode == 128 + sig, err
    assert f"interrupted ({signal.Signals(sig).name})" in err and "Traceback" not in err
    assert len([line for line in err.splitlines() if not line.startswith("        ...")]) == 1, err
    assert no_temp_files(tmp_path)
    deadline = time.monotonic() + 20
    while any(alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(w) for w in workers)


# -- preflight ---------------------------------------------------------------------------------
def test_users_figure_is_refused_before_any_claim_runs(tmp_path, capsys):
    mine = tmp_path / "figures" / "sigma-prime.png"
    mine.parent.mkdir()
    mine.write_bytes(b"my figure")
    start = time.perf_counter()
    assert main(["--out", str(tmp_path), "--only", "sigmoid-prime-max"]) == 2
    assert time.perf_counter() - start < 2
    err = capsys.readouterr()
    assert "figures/sigma-prime.png" in err.err and "proved" not in err.out
    assert mine.read_bytes() == b"my figure" and not (tmp_path / "results.json").exists()


def test_a_file_where_a_folder_must_be_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "latex").write_text("my notes")
    assert main(["--out", str(tmp_path), "--only", "ratio-b1-b3"]) == 2
    assert "latex" in capsys.readouterr().err and (tmp_path / "latex").read_text() == "my notes"


def test_home_and_crowded_folders_are_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert main(["--out", str(tmp_path), "--only", "ratio-b1-b3"]) == 2
    assert "home" in capsys.readouterr().err
    crowded = tmp_path / "crowded"
    crowded.mkdir()
    for i in range(60):
        (crowded / f"paper-{i}.txt").write_text("x")
    assert main(["--out", str(crowded), "--only", "ratio-b1-b3"]) == 2
    assert "did not write" in capsys.readouterr().err
    assert main(["--out", str(crowded), "--only", "ratio-b1-b3", "--force"]) == 0


# -- arguments ----------------------------------------------------------------------------------
@pytest.mark.parametrize("argv,match", [(["--seed", "-1"], "--seed"), (["--only", ""], "--only"),
                                        (["--seeds", "0"], "--seeds")])
def test_bad_arguments_are_usage_errors(argv, match, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--out", str(tmp_path), *argv])
    assert exc.value.code == 2 and match in capsys.readouterr().err


def test_empty_mnist_means_not_set(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("UNSTABLE_GRADIENTS_MNIST", "")
    assert main(["--out", str(tmp_path), "--only", "ratio-b1-b3", "--mnist", ""]) == 0
    import json

    assert json.loads((tmp_path / "results.json").read_text())["settings"]["data"] == "embedded"


def test_network_arguments_are_checked(digits):
    net = Network([784, 5, 10], rng=0)
    x, y = digits.training.x[:100], digits.training.y[:100]
    net.SGD(x, y, 1, 10**7, 0.1)  # one batch of all 100 rows, not a 58 GiB buffer
    with pytest.raises(ValueError, match="batch"):
        net.mean_gradient(x, y, batch=-5)
    with pytest.raises(ValueError, match="labels"):
        net.accuracy(x, y[:50])
    with pytest.raises(ValueError, match="lmbda"):
        net.total_cost(x, y, lmbda=-5)
    with pytest.raises(FloatingPointError, match="eta = 1e\\+300"):
        Network([784, 5, 10], rng=0).SGD(x, y, 2, 10, 1e300)


def test_theory_refuses_what_it_cannot_do():
    from theory import chain_network, gradient_direct

    start = time.perf_counter()
    with pytest.raises(ValueError, match="largest this function supports"):
        chain_network(10**100)
    with pytest.raises(ValueError, match="recursion"):
        gradient_direct(chain_network(50), 1)
    with pytest.raises(ValueError, match="recursion"):
        gradient_direct(chain_network(38), 1)  # a RecursionError in a fresh process before the guard moved to 30
    assert time.perf_counter() - start < 2


def test_a_deep_stack_turns_sympys_recursion_into_one_clear_error():
    """Allowed depth, but called from a stack already 850 frames deep: a ValueError naming the cause."""
    from theory import chain_network, gradient_direct

    def deep(n):
        return deep(n - 1) if n else gradient_direct(chain_network(30), 1, wrt="w")

    with pytest.raises(ValueError, match="nesting depth L - j \\+ 1 = 30 exceeds"):
        deep(850)


def test_numeric_refuses_non_finite_input():
    from numeric.experiments import width
    for bad in (float("inf"), float("nan")):
        with pytest.raises(ValueError, match="finite"):
            width.interval(bad, 0)
        with pytest.raises(ValueError, match="finite"):
            width.interval(5, bad)


# -- data files ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def random_mnist_sized(tmp_path_factory):
    """Uncompressed IDX files of MNIST's exact sizes holding random bytes (labels 0..9)."""
    folder = tmp_path_factory.mktemp("noise")
    rng = np.random.default_rng(0)
    for stem, n in (("train", 60000), ("t10k", 10000)):
        write_idx(folder / f"{stem}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)), 2051)
        write_idx(folder / f"{stem}-labels-idx1-ubyte", rng.integers(0, 10, n), 2049)
    return folder


def test_random_bytes_of_mnists_sizes_are_not_mnist(random_mnist_sized):
    with pytest.raises(DataError, match="label counts"):
        load_mnist(random_mnist_sized)


def test_genuine_looking_uncompressed_files_are_marked_not_digest_verified(random_mnist_sized, tmp_path, monkeypatch):
    monkeypatch.setattr(mnist_files, "check_like_mnist", lambda *a: None)  # pretend the statistics fit
    d = load_mnist(random_mnist_sized)
    assert d.verification.startswith("not digest-verified")


def npz(path, **arrays):
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize("y_train,match", [
    (np.zeros(60000, np.uint8), "label counts"),
    (np.full(60000, 3.7), "integer labels"),
    (np.array(["3"] * 60000), "integer labels"),
    (np.ones(60000, bool), "integer labels"),
])
def test_npz_with_wrong_labels_is_refused(tmp_path, y_train, match):
    counts = mnist_files.LABEL_COUNTS
    y_test = np.repeat(np.arange(10), counts["test"]).astype(np.uint8)
    path = npz(tmp_path / "mnist.npz", x_train=np.zeros((60000, 28, 28), np.uint8), y_train=y_train,
               x_test=np.zeros((10000, 28, 28), np.uint8), y_test=y_test)
    with pytest.raises(DataError, match=match):
        load_mnist(path)


def test_all_zero_images_with_mnists_labels_are_refused(tmp_path):
    counts = mnist_files.LABEL_COUNTS
    labels = {p: np.repeat(np.arange(10), counts[p]).astype(np.uint8) for p in ("train", "test")}
    path = npz(tmp_path / "mnist.npz", x_train=np.zeros((60000, 28, 28), np.uint8), y_train=labels["train"],
               x_test=np.zeros((10000, 28, 28), np.uint8), y_test=labels["test"])
    with pytest.raises(DataError, match="mean pixel"):
        load_mnist(path)


def test_directories_and_fifos_are_refused_without_hanging(tmp_path):
    folder = make_idx_folder(tmp_path / "idx", gz=False) and tmp_path / "idx"
    target = folder / "train-labels-idx1-ubyte"
    target.unlink()
    target.mkdir()
    with pytest.raises(DataError, match="not a regular file"):
        load_mnist(folder, check_digest=False)
    target.rmdir()
    os.mkfifo(target)
    with pytest.raises(DataError, match="not a regular file"):
        load_mnist(folder, check_digest=False)
    fifo = tmp_path / "mnist.pkl.gz"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match="not a regular file"):
        load_mnist(fifo)


def test_gzip_bomb_stops_at_the_limit(tmp_path):
    import gzip

    bomb = tmp_path / "bomb.gz"
    bomb.write_bytes(gzip.compress(b"\0" * 5_000_000))
    with pytest.raises(DataError, match="decompresses to more than"):
        mnist_files._read_bytes(bomb, limit=1_000_000)


def test_hostile_pickle_asking_for_a_huge_array_is_refused(tmp_path):
    class Huge:
        def __reduce__(self):
            return (np.ndarray, ((2**44,), np.float64))  # 128 TiB

    path = tmp_path / "mnist.pkl"
    path.write_bytes(pickle.dumps(((Huge(), Huge()),) * 3, protocol=2))
    with pytest.raises(DataError):
        load_mnist(path)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, 10**6), st.integers(0, 255), st.booleans())
def test_damaged_idx_files_give_data_errors_only(tmp_path_factory, position, value, truncate):
    """Any byte changed, or the file cut there, gives a clean load or a DataError, never another exception."""
    folder = tmp_path_factory.mktemp("idx")
    make_idx_folder(folder, gz=True)
    target = folder / "train-images-idx3-ubyte.gz"
    raw = bytearray(target.read_bytes())
    pos = position % len(raw)
    if truncate:
        raw = raw[:pos]
    else:
        raw[pos] = value
    target.write_bytes(bytes(raw))
    try:
        load_mnist(folder, check_digest=False)
    except DataError:
        pass


# -- hostile saved networks -----------------------------------------------------------------------
def test_a_small_file_claiming_huge_sizes_is_refused_before_allocating(tmp_path):
    path = tmp_path / "net.npz"
    np.savez(path, sizes=np.array([2000, 2000]), cost=np.array("cross-entropy"),
             w0=np.zeros((2, 2)), b0=np.zeros(2))
    start = time.perf_counter()
    with pytest.raises(ValueError, match=str(path).replace("\\", "\\\\") + ".*shape"):
        Network.load(path)
    assert time.perf_counter() - start < 1


@pytest.mark.parametrize("sizes,match", [(np.array([3.5, 2.0]), "integers"), (np.array([0, 2]), "1.."),
                                         (np.array([[3, 2]]), "integers")])
def test_bad_sizes_are_refused(tmp_path, sizes, match):
    path = tmp_path / "net.npz"
    np.savez(path, sizes=sizes, cost=np.array("cross-entropy"), w0=np.zeros((2, 3)), b0=np.zeros(2))
    with pytest.raises(ValueError, match=match):
        Network.load(path)


def test_complex_or_object_weights_are_refused(tmp_path):
    path = tmp_path / "net.npz"
    np.savez(path, sizes=np.array([3, 2]), cost=np.array("cross-entropy"), w0=np.zeros((2, 3), complex),
             b0=np.zeros(2))
    with pytest.raises(ValueError, match="float32 or float64"):
        Network.load(path)


def test_float32_networks_come_back_float32(tmp_path):
    net = Network([5, 4, 3], rng=0, dtype=np.float32)
    net.save(tmp_path / "n.npz")
    back = Network.load(tmp_path / "n.npz")
    assert back.dtype == np.float32 and all(w.dtype == np.float32 for w in back.weights)
    assert all(np.array_equal(a, b) for a, b in zip(net.weights, back.weights))


def test_a_folder_in_place_of_a_network_is_refused(tmp_path):
    (tmp_path / "n.npz").mkdir()
    with pytest.raises(ValueError, match="not a regular file"):
        Network.load(tmp_path / "n.npz")


def test_quick_with_seeds_runs_and_records_the_seeds_asked_for():
    """Case 18: `--quick --seeds 10` used 2 seeds while results.json recorded 10. One place resolves the count now
    (Protocol.seeds_for against the Run): --seeds wins, then --quick's reduced count, then the protocol's own."""
    from numeric.experiments import remedies
    from proofs.data import Run

    p = remedies.PROTOCOL
    assert p.seeds_for(Run(seeds=10, quick=True)) == 10
    assert p.seeds_for(Run(quick=True)) == p.quick_seeds == 2 and p.seeds_for(Run()) == p.seeds == 5
    assert p.replace(seeds=1).seeds_for(Run(quick=True)) == 1  # quick never asks for more than the protocol
    q = p.resolve(Run(seeds=10, quick=True))
    assert q.seeds == 10 and q.label.endswith("[QUICK: 10 seeds]") and q.name.endswith("+quick")


def test_a_ctrl_c_whose_exception_a_library_swallows_still_stops_the_run(tmp_path, monkeypatch, capsys):
    """Under load a SIGINT during the training could be lost (a KeyboardInterrupt raised where C code swallowed
    it: the run went on and exited 0, 2 of 12 times). The signal is now remembered and acted on between parts:
    planted here, a part whose interrupt is swallowed still stops the run with 130 and one line."""
    import proofs.run.executor as executor
    from proofs.run.cli import main

    real = executor.run_part

    def swallowing(part):
        try:
            os.kill(os.getpid(), signal.SIGINT)  # arrives during the part ...
            time.sleep(0.05)
        except KeyboardInterrupt:
            pass  # ... and its exception is lost, as inside a library
        return real(part)

    monkeypatch.setattr(executor, "run_part", swallowing)
    status = main(["--out", str(tmp_path / "out"), "--only", "phase-chapter-network", "--jobs", "1", "-q"])
    assert status == 130 and "interrupted (SIGINT)" in capsys.readouterr().err
