"""Every failure of the machinery is one line (issue 32, defects 4, 5, 9, 10, and the confusing ones): a worker that
dies, a Dask worker that stops answering, a closed or full standard output, a signal while the modules load or at
any moment, a port that is not one. Each: the documented exit status, one line, no traceback, no lock left."""

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from proofs.export.manifest import LOCK
from proofs.run.cli import main

ROOT = Path(__file__).resolve().parents[1]
ENV = os.environ | {"PYTHONPATH": str(ROOT), "UNSTABLE_GRADIENTS_CACHE": "off"}  # at import: before the autouse fixture
Q = "--only sigmoid-derivative --jobs 1"
LONG = ["--only", "eq123-width-maximum", "--dps", "5000", "--jobs", "1"]  # about 2 s of claims after 1.5 s of imports


def _as_from_a_terminal():
    """SIGINT and SIGTERM at their defaults, as a shell started from a terminal leaves them."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)


def lines(err: str) -> list[str]:
    """The lines of standard error that are not progress ("        ... part ...")."""
    return [line for line in err.splitlines() if not line.startswith("        ...")]


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def shell(command: str, tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", f"'{sys.executable}' -m proofs {command}"], cwd=tmp_path, env=ENV,
                          capture_output=True, text=True, timeout=120)


# -- 4. a worker that dies ---------------------------------------------------------------------------------------------
def _two_waiting_workers(tmp_path, *extra, **popen):
    """Starts the test-only waiting claim on two workers; returns (the run, its two workers' pids) once both wait in
    a part (they wait a minute: no load makes the half second too short)."""
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "waiting_cli.py"), "--out", str(tmp_path / "out"),
                             "--only", "test-waiting", "--jobs", "2", *extra], cwd=ROOT, env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True, **popen)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        assert ready and "claim on 2 processes" in proc.stdout.readline()
        workers, deadline = [], time.monotonic() + 30
        while len(workers) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
            workers = [int(c) for c in Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()]
        assert len(workers) == 2, workers
    except BaseException:  # leave nothing running for the next test
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    time.sleep(0.5)
    return proc, workers


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_worker_killed_mid_run_is_one_line_naming_its_claim(tmp_path):
    """SIGKILL to one of two workers, as the out-of-memory killer sends it: was a 25-line BrokenProcessPool traceback
    and exit 1."""
    proc, workers = _two_waiting_workers(tmp_path)
    try:
        os.kill(workers[0], signal.SIGKILL)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert proc.returncode == 2, err
    assert len(lines(err)) == 1 and "Traceback" not in err, err
    assert f"worker process {workers[0]} died, killed by SIGKILL" in err and "while running claim " in err, err
    assert "the other workers were stopped" in err
    deadline = time.monotonic() + 20
    while alive(workers[1]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(workers[1]) and not (tmp_path / "out" / LOCK).exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("then", ["wait", "SIGINT"])
def test_a_stopped_local_worker_is_one_line_within_the_timeout_and_ctrl_c_still_ends_the_run(tmp_path, then):
    """kill -STOP on a pool worker: the run waited for ever (716 s, an attacker's second pass), and Ctrl-C then
    printed its line but never exited (SIGTERM stays pending on a stopped process)."""
    proc, workers = _two_waiting_workers(tmp_path, "--scheduler-timeout", "1", preexec_fn=_as_from_a_terminal)
    try:
        os.kill(workers[0], signal.SIGSTOP)
        start = time.monotonic()
        if then == "SIGINT":
            time.sleep(0.5)
            proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    said = [line for line in err.splitlines() if not line.startswith("        ...")]
    assert len(said) == 1 and "Traceback" not in err, err
    if then == "wait":
        assert proc.returncode == 2 and time.monotonic() - start < 20, err
        assert f"worker process {workers[0]} has been stopped" in err and "while running claim test-waiting" in err
    else:
        assert proc.returncode == 130 and time.monotonic() - start < 10, err
    deadline = time.monotonic() + 10
    while any(alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(w) for w in workers) and not (tmp_path / "out" / LOCK).exists()


# -- 5. a Dask worker that stops answering -----------------------------------------------------------------------------
@pytest.mark.slow
def test_a_frozen_dask_worker_is_one_line_within_the_timeout(tmp_path, capsys):
    """kill -STOP on the only worker: the scheduler still answered its ping, and the run waited (75 s and more)."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            pid = next(iter(client.run(os.getpid).values()))
        os.kill(pid, signal.SIGSTOP)
        try:
            start = time.monotonic()
            assert main(["--out", str(tmp_path), "--only", "chain", "-q", "--scheduler", cluster.scheduler_address,
                         "--scheduler-timeout", "3"]) == 2
            assert time.monotonic() - start < 30
        finally:
            os.kill(pid, signal.SIGCONT)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "stopped answering (no heartbeat for over 3 s" in err[0], err
    assert "while running claim " in err[0]


def test_a_port_that_is_not_one_is_a_usage_error(tmp_path, capsys):
    pytest.importorskip("distributed")
    start = time.monotonic()
    with pytest.raises(SystemExit) as exc:
        main(["--out", str(tmp_path / "out"), "--only", "sigmoid-derivative", "--scheduler", "tcp://127.0.0.1:99999"])
    assert exc.value.code == 2 and time.monotonic() - start < 2
    assert "port 99999 is not a TCP port (1..65535)" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# -- 9. standard output closed, or full ------------------------------------------------------------------------------
def test_a_closed_standard_output_is_one_line_and_nothing_made(tmp_path):
    proc = shell(f"{Q} --out out >&-", tmp_path)
    assert proc.returncode == 2 and len(lines(proc.stderr)) == 1, proc.stderr
    assert "standard output is closed" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()
    assert shell("--list >&-", tmp_path).returncode == 0  # nothing to list into, as a pipe closed early


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_standard_output_is_named_as_such(tmp_path):
    proc = shell(f"{Q} --out out >/dev/full", tmp_path)
    assert proc.returncode == 2 and len(lines(proc.stderr)) == 1, proc.stderr
    assert "cannot write to standard output (No space left on device)" in proc.stderr
    assert "writing to" not in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "out" / LOCK).exists()


# -- 10. a signal while the modules load, and at any moment ----------------------------------------------------------
def test_an_interrupt_caught_inside_generated_code_still_exits_with_its_status(tmp_path):
    """CI saw exit -2 (killed by SIGINT) after the one line: the Ctrl-C had landed inside ``dataclasses``' generated
    code (an ``exec`` of a string), which leaves CPython's flag to kill itself at exit set, though the interrupt was
    caught and answered. Planted here for certain: the command's own exit must still be 130."""
    (tmp_path / "planted.py").write_text(
        "import sys\nimport proofs.__main__ as entry\nimport proofs.run.cli as cli\n"
        "def run():\n    try:\n        exec('raise KeyboardInterrupt')\n    except KeyboardInterrupt:\n"
        "        sys.exit(130)\ncli.run = run\nsys.argv = ['proofs']\nentry.main()\n")
    proc = subprocess.run([sys.executable, "-m", "planted"], cwd=tmp_path, env=ENV, capture_output=True, text=True,
                          preexec_fn=_as_from_a_terminal, timeout=60)
    assert proc.returncode == 130, proc.stderr


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("delay", [0.15, 1.2, 2.2])  # loading SymPy; loading the claims; running
def test_a_signal_at_any_moment_is_one_line_and_its_exit_status(tmp_path, sig, delay):
    """The first ~1.6 s load SymPy, NumPy and the claims: Ctrl-C there printed a 12-44-line KeyboardInterrupt
    traceback, and SIGTERM exited 143 with no line."""
    proc = subprocess.Popen([sys.executable, "-m", "proofs", "--out", str(tmp_path / "out"), *LONG], cwd=ROOT, env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=_as_from_a_terminal)
    time.sleep(delay)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + sig, err
    assert len(lines(err)) == 1 and f"interrupted ({signal.Signals(sig).name})" in err and "Traceback" not in err, err
    assert not (tmp_path / "out" / LOCK).exists() and not list(tmp_path.rglob("*.tmp"))
