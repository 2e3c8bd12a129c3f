"""The machine's state, printed beside every benchmark's numbers (a timing without it cannot be compared).

``state()`` returns lines: the CPU model and cores, Python and NumPy, the BLAS library NumPy loaded with its version,
kernel (the architecture it picked at run time) and threads (threadpoolctl, when installed: ``pip install
'.[test]'``), every ``OPENBLAS_*``, ``OMP_*``, ``MKL_*`` variable set, and the load average. Call it before and
after the measurements: a load average that rose means something else ran.
"""

from __future__ import annotations

import os
import platform

__all__ = ["state", "one_blas_thread", "cpu_model"]


def one_blas_thread() -> None:
    """Sets one BLAS thread for this process (call before NumPy loads), as the run's workers have it."""
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")


def cpu_model() -> str:
    """Returns the CPU's model name (from /proc/cpuinfo where there is one)."""
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _blas() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "BLAS: unknown (pip install threadpoolctl, in '.[test]', to print it)"
    import numpy  # noqa: F401 - loads the BLAS threadpoolctl reports

    info = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    if not info:
        return "BLAS: none loaded"
    return "; ".join(f"BLAS: {i.get('internal_api')} {i.get('version')}, kernel {i.get('architecture')}, "
                     f"{i.get('num_threads')} thread(s)" for i in info)


def state(when: str = "") -> list[str]:
    """Returns the machine's state as lines (``when``: "before", "after", printed with the load average)."""
    import numpy

    env = {k: v for k, v in sorted(os.environ.items()) if k.startswith(("OPENBLAS_", "OMP_", "MKL_"))}
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg()) if hasattr(os, "getloadavg") else "unknown"
    return [f"machine: {cpu_model()}, {os.cpu_count()} cores, {platform.system()} {platform.machine()}",
            f"Python {platform.python_version()}, NumPy {numpy.__version__}; {_blas()}",
            f"environment: {', '.join(f'{k}={v}' for k, v in env.items()) or 'no OPENBLAS_/OMP_/MKL_ variable set'}",
            f"load average{' ' + when if when else ''} (1, 5, 15 min): {load}"]
