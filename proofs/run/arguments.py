"""The command line's checks: every bad argument or environment variable is a usage error (exit 2, one
line naming the flag or variable and what was expected), found before anything is created."""

from __future__ import annotations

import importlib.util
import os
import shutil

__all__ = ["MNIST_ENV", "JOBS_ENV", "check_numbers", "check_run"]

MNIST_ENV = "UNSTABLE_GRADIENTS_MNIST"
JOBS_ENV = "UNSTABLE_GRADIENTS_JOBS"


def check_numbers(args, parser) -> None:
    """The numeric flags every use needs in range (--list included)."""
    if not 15 <= args.dps <= 10000:
        parser.error(f"--dps must be between 15 and 10000 decimal digits, got {args.dps}")
    if args.seed < 0:
        parser.error(f"--seed must be a non-negative integer, got {args.seed}")
    if args.seeds is not None and not 1 <= args.seeds <= 1000:
        parser.error(f"--seeds must be between 1 and 1000, got {args.seeds}")


def check_run(args, parser) -> None:
    """The rest, for a run: --jobs (or its variable), --quick with --seeds, --scheduler and its timeout, --pgf,
    and paths that cannot be recorded as text. Sets ``args.jobs`` and ``args.mnist`` (empty means not set)."""
    args.jobs = _jobs(args, parser)
    if args.quick and args.seeds is not None:
        parser.error(f"--quick sets the training experiments' seeds (2 and 1); give --quick or --seeds {args.seeds}, "
                     "not both")
    if not 0 < args.scheduler_timeout <= 86400:
        parser.error(f"--scheduler-timeout must be between 0 and 86400 seconds, got {args.scheduler_timeout:g}")
    if args.pgf and not shutil.which("pdflatex"):
        parser.error("--pgf needs pdflatex to measure the figures' text (Debian: texlive-latex-base); "
                     "PDF and PNG need nothing")
    if args.scheduler and importlib.util.find_spec("distributed") is None:
        parser.error("--scheduler needs Dask's distributed, which is not installed here: "
                     "pip install 'unstable-gradients[distributed]'")
    if args.scheduler:
        from .scheduler import SchedulerError, check_address

        try:
            check_address(args.scheduler)
        except SchedulerError as exc:
            parser.error(f"--scheduler {args.scheduler}: {exc}")
    args.mnist = args.mnist or None
    _check_paths(args, parser)


def _jobs(args, parser) -> int:
    """Returns --jobs, else $UNSTABLE_GRADIENTS_JOBS, else the number of cores; a bad value is a usage error
    naming its source."""
    source, value = "--jobs", args.jobs
    if value is None and os.environ.get(JOBS_ENV, "").strip():
        source, value = f"${JOBS_ENV}", os.environ[JOBS_ENV].strip()
        try:
            value = int(value)
        except ValueError:
            parser.error(f"{source} must be an integer between 1 and 256, got {value!r}")
    if value is None:
        value = os.cpu_count() or 1
    if not 1 <= value <= 256:
        parser.error(f"{source} must be between 1 and 256, got {value}")
    return value


def _check_paths(args, parser) -> None:
    """Usage errors for paths that cannot be recorded as text, before anything is created."""
    for flag, value in (("--out", args.out), ("--mnist", args.mnist)):
        try:
            (value or "").encode("utf-8")
        except UnicodeEncodeError:
            shown = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            parser.error(f"{flag} {shown}: the path holds bytes that are not UTF-8, and results.json and the LaTeX "
                         "record it as text; rename it or reach it through a link with a UTF-8 name")
