"""How the command's process starts and ends: signals from its first moment, standard streams that may be closed,
full or gone, and one line for each way it can stop.

* ``Stopped`` is what SIGTERM raises (as Ctrl-C raises KeyboardInterrupt), from the first line of ``python -m
  proofs`` on (``stop_on_sigterm``), so a signal while SymPy and NumPy load is one line and 128 + the signal too;
  ``at_the_end`` makes a signal after the run's status is known exit at once with one line (no traceback from the
  interpreter's clean-up).
* ``guard_streams`` puts /dev/null on a closed descriptor 0, 1 or 2 (so that no file the run opens takes its number,
  and no library writes into it), says whether standard output was closed, and wraps standard output so that a
  write that fails (``>/dev/full``) raises ``StreamError`` naming it, distinct from an OSError of the output folder;
  a failed write to standard error is dropped (there is nowhere to say anything).
* ``say`` writes one line to standard error where it can; ``command`` runs the CLI's ``main`` between all these.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

__all__ = ["Stopped", "StreamError", "stop_on_sigterm", "hold_interrupts", "check_interrupted", "guard_streams", "say",
           "signal_name", "at_the_end", "release_stdout", "command", "OneLineParser", "forget_unhandled_interrupt"]


class Stopped(KeyboardInterrupt):
    """SIGTERM (or SIGINT) arrived: the run stops as on Ctrl-C, and exits 128 + the signal's number."""

    def __init__(self, signum: int = signal.SIGINT):
        super().__init__(signum)
        self.signum = signum


class StreamError(Exception):
    """Writing to standard output failed (a full device, an I/O error): not the output folder's failure."""

    def __init__(self, name: str, exc: OSError):
        super().__init__(f"cannot write to standard output ({exc.strerror or exc}); the run stopped")
        self.name, self.errno = name, exc.errno


def signal_name(exc: BaseException) -> tuple[str, int]:
    """Returns (the signal's name, the exit status 128 + its number) for a KeyboardInterrupt or ``Stopped``."""
    signum = exc.signum if isinstance(exc, Stopped) else signal.SIGINT
    return signal.Signals(signum).name, 128 + signum


def forget_unhandled_interrupt() -> None:
    """Clears CPython's record of a KeyboardInterrupt that left code run by ``exec`` of a string.

    CPython (3.8-3.12) notes such an interrupt in a process-wide flag that nothing clears until the next ``exec`` of a
    string, and at exit a flagged process kills itself with SIGINT instead of returning its status. A Ctrl-C that lands
    inside ``dataclasses``' or mpmath's generated code while the modules load (about 1 in 30 at 0.13-0.15 s) was caught,
    said in one line, and still exited -2 instead of 130. Executing an empty string resets the flag; an interrupt that
    really goes unhandled sets it again on its way out."""
    exec("None")  # noqa: S102 -- a constant string: running it resets the flag


_PENDING: list[int] = []  # the signals received during the run (a signal raised in code that swallowed it is kept)


def _raise_stopped(signum, frame):
    _PENDING.append(signum)
    raise Stopped(signum)


def hold_interrupts() -> object:
    """From now on SIGINT, as SIGTERM, is also remembered: an exception a library swallows (a KeyboardInterrupt
    raised inside NumPy's C code, say) is raised again at the next ``check_interrupted``. Returns the previous
    SIGINT handler. A new run starts with none remembered."""
    _PENDING.clear()
    return signal.signal(signal.SIGINT, _raise_stopped)


def check_interrupted() -> None:
    """Raises ``Stopped`` if a signal arrived and its exception was lost on the way (called between parts)."""
    if _PENDING:
        raise Stopped(_PENDING[0])


def stop_on_sigterm() -> None:
    """SIGTERM raises ``Stopped`` from now on (in the main thread; elsewhere signals stay the caller's)."""
    try:
        signal.signal(signal.SIGTERM, _raise_stopped)
    except ValueError:
        pass


def _exit_now(signum, frame):
    try:
        os.write(2, f"interrupted ({signal.Signals(signum).name}) as the command ended\n".encode())
    except OSError:
        pass
    os._exit(128 + signum)


def at_the_end() -> None:
    """From now on SIGINT and SIGTERM end the process at once, with one line and 128 + the signal."""
    try:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, _exit_now)
    except ValueError:
        pass


class _Guarded:
    """A text stream whose failed writes raise StreamError (standard output) or are dropped (standard error)."""

    def __init__(self, stream, name: str, fatal: bool):
        self._stream, self._name, self._fatal = stream, name, fatal

    def _call(self, method, *args):
        try:
            return getattr(self._stream, method)(*args)
        except BrokenPipeError:
            raise  # a reader that stopped reading: the CLI's own case
        except OSError as exc:
            if self._fatal:
                raise StreamError(self._name, exc) from None
            return None

    def write(self, text):
        return self._call("write", text)

    def flush(self):
        return self._call("flush")

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _reopen_closed() -> set[int]:
    """Opens /dev/null on each of descriptors 0, 1, 2 that is closed; returns those it opened."""
    closed = set()
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            closed.add(fd)
    for fd in sorted(closed):
        null = os.open(os.devnull, os.O_RDWR)
        if null != fd:
            os.dup2(null, fd)
            os.close(null)
    return closed


def guard_streams() -> bool:
    """Makes the standard streams safe to use (see the module); returns True when standard output was closed."""
    closed = _reopen_closed()
    for fd, name in ((1, "stdout"), (2, "stderr")):
        stream = getattr(sys, name)
        if stream is None or fd in closed:
            stream = open(fd, "w", encoding="utf-8", errors="backslashreplace", closefd=False)
        setattr(sys, name, _Guarded(stream, name, fatal=fd == 1))
    return 1 in closed


def release_stdout(failed: bool) -> None:
    """Unwraps the standard streams before the interpreter flushes them at exit; after a failed write to standard
    output, its unwritten text goes to /dev/null (else the interpreter reports it, with a traceback, at exit)."""
    if failed:
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 1)
            os.close(null)
        except OSError:
            pass
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if isinstance(stream, _Guarded):
            setattr(sys, name, stream._stream)


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line and exit 2 (argparse prints its whole usage first)."""

    def error(self, message):
        say(f"error: {message} (see {self.prog} --help)")
        self.exit(2)


MAX_LINE = 2000  # characters of one line the command writes (a hostile file's text is quoted in it, never more)


def say(line: str) -> None:
    """Writes one line to standard error, if it can be written: line breaks inside become spaces, and a line longer
    than MAX_LINE is cut (a message quoting a hostile header once ran to 9,100 characters)."""
    line = " ".join(str(line).splitlines())
    if len(line) > MAX_LINE:
        line = line[:MAX_LINE - 40] + f"... ({len(line):,} characters, cut)"
    try:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except (OSError, StreamError, AttributeError, ValueError):
        pass


def command(main) -> int:
    """Returns the exit status of ``main()`` (the CLI's), run with guarded streams: standard output closed (``>&-``)
    refuses a run before anything is made (exit 2; a listing exits 0), a pipe closed by its reader ends quietly, a
    failed write to standard output (``>/dev/full``) is named as such (exit 2), and a signal outside main's own
    handling (while the arguments are read, as main returns) is one line and 128 + the signal."""
    listing = any(a in ("--list", "--version", "-h", "--help") for a in sys.argv[1:])
    failed = False
    try:
        if guard_streams() and not listing:
            say("error: standard output is closed (>&-); the run reports its progress and summary there: "
                "redirect it to a file or to /dev/null")
            return 2
        status = main()
        sys.stdout.flush()
        return status
    except BrokenPipeError:  # output piped into `head`, which has what it wanted: stop quietly
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.close(null)
        if not listing:
            say("error: standard output was closed (a pipe into head?) before the run finished")
        return 0 if listing else 2
    except StreamError as exc:  # >/dev/full: said as what it is, not as the output folder's disk
        failed = True
        say(f"error: {exc}")
        return 2
    except KeyboardInterrupt as exc:  # Ctrl-C or SIGTERM while the arguments are read, or as main returns
        name, status = signal_name(exc)
        say(f"interrupted ({name})")
        return status
    finally:
        at_the_end()
        release_stdout(failed)
