"""The process pool's workers: one BLAS thread each, Ctrl-C left to the parent, and no worker outliving it."""

from __future__ import annotations

import os
import time

__all__ = ["BLAS_VARIABLES", "one_blas_thread", "worker_start"]

BLAS_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def one_blas_thread() -> None:
    """Sets one BLAS thread for this process and the processes it starts (read when NumPy loads)."""
    for name in BLAS_VARIABLES:
        os.environ[name] = "1"


def worker_start(parent: int) -> None:
    """A pool worker: one BLAS thread; Ctrl-C is the parent's to handle (it stops the workers); SIGTERM
    ends it; and it dies with its parent (``parent``, a pid), even when the parent is killed with SIGKILL."""
    import signal

    one_blas_thread()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the CLI's handler, inherited through fork
    _die_with_parent(parent)


def _die_with_parent(parent: int) -> None:
    """Linux: the kernel sends SIGKILL when the parent dies (prctl PR_SET_PDEATHSIG); elsewhere a daemon
    thread checks once a second whether the parent is still there. Either way no worker outlives the run."""
    import signal
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
