"""Talking to a Dask scheduler with every wait bounded: connecting, and checking that it, and the workers running
the run's tasks, still answer.

``distributed.Client(address, timeout=...)`` does not bound the wait for a peer that accepts the
connection and never answers (measured: over 300 s), so each wait here runs in a helper thread that
is abandoned at the deadline, and the CLI reports ``SchedulerError`` in one line.

A scheduler answers for a worker that stopped (``kill -STOP``, a frozen machine, a cut cable) until its
time-to-live ends (minutes), and the run's tasks wait on it meanwhile. ``check_workers`` therefore reads
each worker's last heartbeat from the scheduler whenever nothing finished for a while: a worker holding
tasks of this run whose heartbeat has not moved since the previous look is reported, with the claim it
was running.
"""

from __future__ import annotations

import threading

__all__ = ["SchedulerError", "check_address", "connect", "ping", "check_workers"]


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
        _, port = get_address_host_port(address)
    except (ValueError, TypeError) as exc:
        raise SchedulerError(f"not a scheduler address such as tcp://10.0.0.5:8786 ({exc})") from None
    if not (isinstance(port, int) and 0 < port <= 65535):
        raise SchedulerError(f"port {port} is not a TCP port (1..65535); an address is such as tcp://10.0.0.5:8786")


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


def ping(client, timeout: float, request: str = "identity") -> dict:
    """Returns the scheduler's answer to ``request`` (its identity, with its workers'), asked with ``timeout`` s to
    answer; SchedulerError if it does not."""
    box = _bounded(lambda: client.sync(getattr(client.scheduler, request)), timeout, "ping-scheduler")
    if "value" not in box:
        why = f" ({box['error']})" if "error" in box else ""
        raise SchedulerError(f"stopped answering: no reply within {timeout:g} s{why} "
                             "(--scheduler-timeout sets the wait)")
    return box["value"]


def check_workers(client, timeout: float, before: dict | None, names: dict) -> dict:
    """Returns {worker: its last heartbeat}, read from the scheduler; raises SchedulerError when the scheduler has
    no worker, or a worker running tasks of this run (``names``: {task key: what it runs}) sent no heartbeat since
    ``before`` (the previous call's answer, at least ``timeout`` s ago; None: the first look, which raises nothing
    for a cluster still starting)."""
    workers = ping(client, timeout).get("workers", {})
    if not workers and before is not None:
        raise SchedulerError(f"has no workers: nothing ran for {timeout:g} s and the run's tasks would wait for one "
                             "forever (start workers, or check that they can reach it)")
    beats = {address: info.get("last_seen") for address, info in workers.items()}
    for address, keys in ping(client, timeout, "processing").items():
        ours = [names[k] for k in keys if k in names]
        if ours and before and address in before and beats.get(address) == before[address]:
            raise SchedulerError(f"its worker {address} stopped answering (no heartbeat for over {timeout:g} s: "
                                 f"stopped, frozen or cut off) while running {ours[0]}; --scheduler-timeout sets "
                                 "the wait")
    return beats
