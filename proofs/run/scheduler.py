"""Talking to a Dask scheduler with every wait bounded: connecting, and checking that it still answers.

``distributed.Client(address, timeout=...)`` does not bound the wait for a peer that accepts the
connection and never answers (measured: over 300 s), so each wait here runs in a helper thread that
is abandoned at the deadline, and the CLI reports ``SchedulerError`` in one line.
"""

from __future__ import annotations

import threading

__all__ = ["SchedulerError", "check_address", "connect", "ping"]


class SchedulerError(Exception):
    """The Dask scheduler cannot be reached, does not answer as one, or stopped answering."""


def connect(address: str, timeout: float):
    """Returns a ``distributed.Client`` connected to ``address`` within ``timeout`` seconds, else SchedulerError.

    The connection is made in a helper thread that is abandoned at the deadline: distributed's own
    timeout does not cover a peer that accepts the connection and never answers.
    """
    from distributed import Client

    check_address(address)
    made: list = []

    class _Client(Client):
        def start(self, **kwargs):
            made.append(self)  # kept, so that a failed client can be silenced below
            return super().start(**kwargs)

    box = _bounded(lambda: _Client(address, timeout=max(timeout, 1), set_as_default=False), timeout + 1,
                   "connect-scheduler")
    if "value" not in box:
        for client in made:  # nothing to close cleanly: its __del__ would wait, then print a traceback at exit
            client.status = "closed"
    if not box:
        raise SchedulerError(f"no answer within {timeout:g} s (it accepted the connection, or is still "
                             "unreachable); is it a Dask scheduler? (--scheduler-timeout sets the wait)")
    exc = box.get("error")
    if isinstance(exc, MemoryError):
        raise SchedulerError("it answered, but not as a Dask scheduler (its reply announced an absurd message size)")
    if isinstance(exc, (OSError, TimeoutError)):
        raise SchedulerError(f"cannot connect ({exc}); is the address right and the scheduler running? "
                             "(--scheduler-timeout sets the wait)")
    if exc is not None:
        raise SchedulerError(f"cannot use it as a Dask scheduler ({type(exc).__name__}: {exc})")
    return box["value"]


def check_address(address: str) -> None:
    """Raises SchedulerError unless ``address`` is a host and port such as tcp://10.0.0.5:8786."""
    from distributed.comm import get_address_host_port

    try:
        get_address_host_port(address)
    except (ValueError, TypeError) as exc:
        raise SchedulerError(f"not a scheduler address such as tcp://10.0.0.5:8786 ({exc})") from None


def _bounded(fn, timeout: float, name: str) -> dict:
    """Returns {"value": fn()} or {"error": exception}, or {} when fn has not returned within ``timeout`` s."""
    box: dict = {}

    def call():
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            box["error"] = exc

    t = threading.Thread(target=call, name=name, daemon=True)
    t.start()
    t.join(timeout)
    return box


def ping(client, timeout: float) -> None:
    """Raises SchedulerError unless the scheduler answers a request (its identity) within ``timeout`` s."""
    box = _bounded(lambda: client.sync(client.scheduler.identity), timeout, "ping-scheduler")
    if "value" not in box:
        why = f" ({box['error']})" if "error" in box else ""
        raise SchedulerError(f"stopped answering: no reply within {timeout:g} s{why} "
                             "(--scheduler-timeout sets the wait)")
