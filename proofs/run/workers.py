"""The process pool's workers: one BLAS thread each, Ctrl-C left to the parent, no worker outliving it, and a
board saying what each is running, so that the death of one (SIGKILL from the out-of-memory killer, say) is one
line naming its claim (``WorkerDied``)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

__all__ = ["BLAS_VARIABLES", "one_blas_thread", "worker_start", "Board", "tracked", "WorkerDied", "worker_died"]

BLAS_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
_LABEL = 160  # bytes of a task's label on the board
_BOARD: tuple | None = None  # in a worker: (the board, its row)


class WorkerDied(Exception):
    """A worker process of the pool died while running a task (the pool is then unusable)."""


class Board:
    """One row per worker in shared memory: its pid and the label of the task it runs (empty between tasks)."""

    def __init__(self, context, workers: int):
        import ctypes

        self.pids = context.RawArray(ctypes.c_long, workers)
        self.labels = context.RawArray(ctypes.c_char, workers * _LABEL)
        self.lock = context.Lock()

    def take_row(self) -> int:
        """Returns the row this worker writes (the first free one)."""
        with self.lock:
            row = next(i for i, pid in enumerate(self.pids) if pid == 0)
            self.pids[row] = os.getpid()
            return row

    def write(self, row: int, label: str) -> None:
        raw = label.encode("utf-8", "replace")[:_LABEL]
        self.labels[row * _LABEL:(row + 1) * _LABEL] = raw.ljust(_LABEL, b"\0")

    def running(self, pid: int) -> str:
        """Returns the label of the task the worker ``pid`` was running ("" if none)."""
        for row, p in enumerate(self.pids):
            if p == pid:
                return bytes(self.labels[row * _LABEL:(row + 1) * _LABEL]).rstrip(b"\0").decode("utf-8", "replace")
        return ""


def tracked(label: str, fn, *args):
    """Returns ``fn(*args)``, run in a worker with ``label`` on its row of the board meanwhile."""
    if _BOARD is not None:
        _BOARD[0].write(_BOARD[1], label)
    try:
        return fn(*args)
    finally:
        if _BOARD is not None:
            _BOARD[0].write(_BOARD[1], "")


def worker_died(processes: dict, board: Board | None) -> WorkerDied:
    """Returns the error naming the worker that died (from ``processes``, {pid: Process}), how, and the claim it
    ran. The pool stops the others with SIGTERM once one has died, so a death by another signal names the worker
    that died first."""
    deadline = time.monotonic() + 5  # the pool may see the death before the dead process is reaped: wait for it,
    # and past the others' SIGTERM (the pool's own), which a loaded machine may reap first
    while (time.monotonic() < deadline and any(p.exitcode is None for p in processes.values())
           and not any(p.exitcode not in (None, -signal.SIGTERM) for p in processes.values())):
        for p in processes.values():
            p.join(0.05)
    dead = {pid: p.exitcode for pid, p in processes.items() if p.exitcode is not None}
    first = {pid: code for pid, code in dead.items() if code != -signal.SIGTERM} or dead
    if not first:
        return WorkerDied("a worker process died (the process pool broke); the other workers were stopped")
    parts = []
    for pid, code in sorted(first.items()):
        how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exited with status {code}"
        if code == -signal.SIGKILL:
            how += " (as the out-of-memory killer does)"
        label = board.running(pid) if board is not None else ""
        parts.append(f"worker process {pid} died, {how}, while running {label or 'no task'}")
    return WorkerDied("; ".join(parts) + "; the other workers were stopped")


def stopped(pids) -> list[int]:
    """Returns the ``pids`` that are stopped (SIGSTOP, SIGTSTP, a debugger: state T or t in /proc; [] where there is
    no /proc)."""
    out = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state in ("T", "t"):
            out.append(int(pid))
    return out


def worker_stopped(pids: list, seconds: float, board: Board | None) -> WorkerDied:
    """Returns the error naming the workers that have been stopped for ``seconds``, and what they were running."""
    said = [f"worker process {pid} has been stopped (SIGSTOP, Ctrl-Z or a debugger) for {seconds:.0f} s while "
            f"running {(board.running(pid) if board is not None else '') or 'no task'}" for pid in pids]
    return WorkerDied("; ".join(said) + "; the other workers were stopped (send it SIGCONT next time, or raise "
                      "--scheduler-timeout)")


def one_blas_thread() -> None:
    """Sets one BLAS thread for this process and the processes it starts (read when NumPy loads)."""
    for name in BLAS_VARIABLES:
        os.environ[name] = "1"


def worker_start(parent: int, board: Board | None = None) -> None:
    """A pool worker: one BLAS thread; Ctrl-C is the parent's to handle (it stops the workers); SIGTERM
    ends it; it dies with its parent (``parent``, a pid), even when the parent is killed with SIGKILL; and it
    takes a row of ``board`` for the tasks it runs (``tracked``)."""
    global _BOARD

    one_blas_thread()
    if board is not None:
        _BOARD = (board, board.take_row())
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the CLI's handler, inherited through fork
    _die_with_parent(parent)


def _die_with_parent(parent: int) -> None:
    """Linux: the kernel sends SIGKILL when the parent dies (prctl PR_SET_PDEATHSIG); elsewhere a daemon
    thread checks once a second whether the parent is still there. Either way no worker outlives the run."""
    import sys
    import threading

    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(1, signal.SIGKILL, 0, 0, 0) == 0:  # PR_SET_PDEATHSIG = 1
                if os.getppid() != parent:  # the parent died before the call: nobody will signal
                    os._exit(1)
                return
        except (OSError, AttributeError):
            pass

    def watch():
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()
