"""``python -m proofs`` and the ``unstable-gradients`` command: one BLAS thread, then ``proofs.run.cli``.

One BLAS thread per process, set here before NumPy loads (the CLI's modules import it): the claims then
compute the same floats in this process and in every worker (--jobs N; the pool's initialiser does the
same), so the output is identical whatever ran where; the process pool, not BLAS, uses the cores. A value
you set yourself is kept (results may then differ in the last digit between --jobs values).

SIGTERM stops the command as Ctrl-C does from its first line on: a signal while the claims' modules load (about
1.6 s) is one line and exit 128 + the signal, as later.
"""

import os
import sys


def main():
    """Runs the command line (``proofs.run.cli.run``) in a process with one BLAS thread."""
    from .run.process import forget_unhandled_interrupt, say, signal_name, stop_on_sigterm  # imports nothing heavy

    stop_on_sigterm()
    try:
        return _main(say, signal_name)
    finally:  # an interrupt caught and answered must exit with its status, not with CPython's SIGINT
        forget_unhandled_interrupt()


def _main(say, signal_name):
    try:
        from .run.workers import BLAS_VARIABLES  # imports no NumPy

        for name in BLAS_VARIABLES:
            os.environ.setdefault(name, "1")
        if sys.argv[1:2] == ["diagnose"]:  # python -m proofs diagnose ...: its own command (issue 34)
            from .run.diagnose import run as diagnose
        else:
            from .run.cli import run
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM while SymPy, NumPy and the claims load
        name, status = signal_name(exc)
        say(f"interrupted ({name}) while loading, before anything was written")
        sys.exit(status)
    if sys.argv[1:2] == ["diagnose"]:
        return diagnose(sys.argv[2:])
    run()


if __name__ == "__main__":
    main()
