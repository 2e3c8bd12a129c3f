"""Running claims as tasks: in-process, on a pool of processes, or on a Dask cluster.

A task is a claim's part (``proofs.context.Part``, run by ``run_part``) or a claim id and the run's ``Run``
(plain data, picklable); ``run_task`` builds the claim's context *where it runs*, with its parts' values and a
figure collector instead of the output folder, and returns the result record and the figures as bytes. Every
mode takes the same path: each distinct part once (``proofs.run.plan``), then each claim on its parts' values. The
CLI writes every file itself, in registry order, so the output is the same whatever ran where and in what order
(only the timings differ).

* ``jobs == 1``: in this process, one claim after another, each after its parts;
* ``jobs > 1``: a ``ProcessPoolExecutor`` of ``jobs`` workers (forked on Linux, spawned elsewhere), each
  with one BLAS thread (set before NumPy loads), longest claims and parts submitted first;
* ``scheduler`` (an address such as ``tcp://10.0.0.5:8786``): the same tasks through
  ``distributed.Client(...).get_executor()``; workers need this package installed and load the
  embedded digits themselves (``--mnist`` files must be readable at the same path on the workers).
"""

from __future__ import annotations

import os
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, wait
from concurrent.futures.process import BrokenProcessPool

from ..context import FailedPart
from ..data import load_data  # re-exported for callers of proofs.run.executor.load_data; the claims import proofs.data
from ..timing import part_label
from .cache import Cache
from .plan import Plan
from .process import check_interrupted
from .scheduler import SchedulerError, check_workers, connect
from .workers import BLAS_VARIABLES, Board, one_blas_thread, stopped, tracked, worker_died, worker_start, worker_stopped

__all__ = ["run_task", "run_part", "context", "load_data", "Executor", "SchedulerError", "BLAS_VARIABLES",
           "figure_formats"]



class _Collector:
    """Stands in for the output folder inside a task: renders figures to PDF and PNG bytes."""

    def __init__(self, formats=("pdf", "png")):
        self.files: dict[str, bytes] = {}
        self.formats = tuple(formats)

    def save_figure(self, fig, stem: str) -> str:
        from numeric.figures import to_bytes

        for ext in self.formats:
            self.files[f"figures/{stem}.{ext}"] = to_bytes(fig, ext)
        return stem


def context(run, **extra):
    """Returns the claims' Context for the ``run`` (``proofs.data.Run``)."""
    from ..claim import Context

    return Context(run=run, **extra)

def run_task(claim_id: str, run, precomputed: dict | None = None, progress=None,
             part_times: dict | None = None, computed_by: dict | None = None) -> tuple[dict, dict]:
    """Returns (record, {relative path: bytes}) for one claim of the ``run``.

    ``precomputed`` holds the results of the claim's parts, by key, and ``part_times`` their (wall, CPU)
    seconds where they ran; ``computed_by`` names, by key, the claim that computed a part this one received
    (``proofs.run.plan``). Runs anywhere: a worker process, a Dask worker, or this process.
    """
    from ..claim import run_claim
    from .registry import all_claims

    claim = next(c for c in all_claims() if c.id == claim_id)
    from numeric.figures import figure_size

    figures = _Collector(figure_formats(run))
    ctx = context(run, save_figure=figures.save_figure, progress=progress,
                  precomputed={} if precomputed is None else precomputed, part_times=part_times or {},
                  computed_by=computed_by or {})
    with figure_size(run.figure_size):
        return run_claim(claim, ctx), figures.files


def figure_formats(run) -> tuple:
    """The formats every figure is written in: PDF and PNG, and PGF when asked for."""
    return ("pdf", "png", "pgf") if run.pgf else ("pdf", "png")


def claim_key(claim_id: str, run) -> tuple:
    """Returns what a claim's record and files depend on, besides the source: its id, the run's key and how its
    figures are drawn (``proofs.run.cache``)."""
    return (claim_id, run.key(), run.figure_size, bool(run.pgf))


def run_part(part) -> tuple:
    """Returns (value, wall seconds, CPU seconds) of one independent piece of a claim (a network of a sweep, say,
    a ``proofs.context.Part``), timed where it runs; the value is a ``FailedPart`` naming the error if it raised."""
    try:
        return part.run()
    except (KeyboardInterrupt, MemoryError, OSError):
        raise
    except Exception as e:  # noqa: BLE001 - the claim that asks for it fails with this error named
        return FailedPart(f"{type(e).__name__}: {e}"), 0.0, 0.0


class Executor:
    """Runs claims with ``jobs`` processes (1: in-process) or on a Dask ``scheduler``; a context manager."""

    def __init__(self, jobs: int = 1, scheduler: str | None = None, timeout: float = 30.0):
        self.jobs, self.scheduler, self.timeout = max(1, int(jobs)), scheduler, timeout
        self._pool = self._client = self._board = None
        self._workers, self._names = {}, {}  # the pool's processes by pid; Dask task keys -> what they run

    def __enter__(self):
        if self.scheduler:
            try:
                import distributed  # noqa: F401
            except ImportError:
                raise SchedulerError("needs Dask's distributed: pip install 'unstable-gradients[distributed]'") from None
            self._client = connect(self.scheduler, self.timeout)
            self._pool = self._client.get_executor()
        elif self.jobs > 1:
            import multiprocessing
            import signal
            from concurrent.futures import ProcessPoolExecutor

            saved = {k: os.environ.get(k) for k in BLAS_VARIABLES}
            one_blas_thread()  # spawned workers read these when they import NumPy
            # fork where there is one (Linux): the workers inherit the loaded modules and digits instead of
            # importing SymPy, NumPy and Matplotlib again (about 3 s each); safe here, as no BLAS thread pool
            # exists (one thread per process). Elsewhere spawn.
            method = "fork" if "fork" in multiprocessing.get_all_start_methods() and os.name == "posix" else "spawn"
            # While the workers start, a Ctrl-C is held, not lost: it is kept and raised once they run (then
            # stopped). Spawned workers start with it ignored (inherited through exec), so a Ctrl-C while they
            # import prints nothing there; forked ones ignore it from their first line (``worker_start``).
            held = []
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN if method == "spawn" else
                                     lambda signum, frame: held.append(signum))
            try:
                mp_context = multiprocessing.get_context(method)
                self._board = Board(mp_context, self.jobs)  # what each worker runs, read if one dies
                self._pool = ProcessPoolExecutor(self.jobs, mp_context=mp_context, initializer=worker_start,
                                                 initargs=(os.getpid(), self._board))
                for _ in self._pool.map(time.sleep, [0.05] * self.jobs):  # one busy task each: all workers start now
                    pass
                self._workers = dict(self._pool._processes)
            finally:
                signal.signal(signal.SIGINT, previous)
                for k, v in saved.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v
            if held:  # Ctrl-C while the workers started: stop them, then stop as Ctrl-C does
                self.__exit__(KeyboardInterrupt, KeyboardInterrupt(), None)
                raise KeyboardInterrupt
        return self

    def __exit__(self, *exc):
        if self._pool is not None:
            if exc[0] is not None and hasattr(self._pool, "_processes"):  # Ctrl-C, a full disk: stop the workers now
                procs = list((self._pool._processes or {}).values())
                for proc in procs:
                    proc.terminate()
                deadline = time.monotonic() + 2
                for proc in procs:  # a stopped worker keeps SIGTERM pending for ever: SIGKILL ends it
                    proc.join(max(0.0, deadline - time.monotonic()))
                    if proc.exitcode is None:
                        proc.kill()
            if self._client is None:
                self._pool.shutdown(wait=exc[0] is None, cancel_futures=True)
            else:
                self._pool.shutdown(wait=exc[0] is None)  # distributed's executor has no cancel_futures
        if self._client is not None:
            self._client.close(timeout=self.timeout)

    def run(self, claims, run, on_done, progress=None, cache=None) -> list[dict]:
        """Runs every claim; calls ``on_done(record, files, finished, total, cached)`` as each completes.

        ``cache`` (``proofs.run.cache.Cache``): a claim found there is not run (its record and files are the ones
        kept), a part found there is not computed; what runs is kept for the next run. Returns the records in the
        order of ``claims`` (registry order), whatever order they ran in.
        """
        cache = cache or Cache(None)
        records, todo = {}, []
        for c in claims:
            hit, entry = cache.get("claim", claim_key(c.id, run))
            if hit:
                records[c.id] = entry["record"]
                on_done(entry["record"], entry["files"], len(records), len(claims), True)
            else:
                todo.append(c)

        def done(rec, files, *_):
            if rec["verdict"] != "failed":  # a failure is never kept: the next run tries again
                cache.put("claim", claim_key(rec["id"], run), {"record": rec, "files": files})
            records[rec["id"]] = rec
            on_done(rec, files, len(records), len(claims), False)

        plan = Plan(todo, context(run))
        known = {}  # parts a previous run computed: (value, wall, CPU seconds where they ran)
        for c in todo:
            for part in plan.tasks(c.id):
                hit, value = cache.get("part", part.key)
                if hit:
                    known[part.key] = tuple(value)
        if self._pool is None:
            self._in_process(todo, run, plan, done, progress, known, cache)
        else:
            self._pooled(todo, run, plan, done, known, cache)
        return [records[c.id] for c in claims]

    def _pooled(self, claims, run, plan, on_done, known: dict, cache) -> None:
        """Submits every part not ``known`` and every claim without parts, longest first, then collects."""
        jobs = [(c.cost / max(1, len(plan.parts[c.id])), c.id, p) for c in claims for p in plan.tasks(c.id)
                if p.key not in known]
        jobs += [(c.cost, c.id, None) for c in claims if not plan.parts[c.id]]
        jobs.sort(key=lambda j: -j[0])  # longest first: the workers end together
        futures = {}
        for _, cid, part in jobs:
            f = (self._submit(f"claim {cid} (part {part_label(part.key)})", run_part, part) if part
                 else self._submit(f"claim {cid}", run_task, cid, run))
            futures[f] = (cid, part.key if part else None)
        try:
            self._collect(claims, run, plan, futures, on_done, known, cache)
        except BrokenProcessPool:  # a worker died (SIGKILL from the out-of-memory killer, say): one line naming it
            raise worker_died(self._workers, self._board) from None

    def _submit(self, label: str, fn, *args):
        """Submits ``fn(*args)``, labelled: on the pool's board, or as the Dask task's key (``label`` then names
        the task a frozen worker holds)."""
        if self._client is not None:
            key = f"{label} {uuid.uuid4().hex[:8]}"
            self._names[key] = label
            return self._pool.submit(fn, *args, key=key)
        return self._pool.submit(tracked, label, fn, *args)

    def _collect(self, claims, run, plan, futures, on_done, known: dict, cache) -> None:
        """Waits for the submitted tasks, submits each claim once its parts arrived (the known ones at once)."""
        values, times = {c.id: {} for c in claims}, {c.id: {} for c in claims}
        arrived = {c.id: 0 for c in claims}
        pending = set(futures)

        def deliver(key, value, wall, cpu):  # a part: each claim that asked for it is one part nearer to running
            for user in plan.users[key]:
                values[user][key], times[user][key] = value, (wall, cpu)
                arrived[user] += 1
                if arrived[user] == len(plan.parts[user]):
                    g = self._submit(f"claim {user}", run_task, user, run, values[user], None, times[user],
                                     plan.borrowed(user, values[user]))
                    futures[g] = (user, None)
                    pending.add(g)

        for key, (value, wall, cpu) in known.items():
            deliver(key, value, wall, cpu)
        beats = check_workers(self._client, self.timeout, None, self._names) if self._client else None
        since = {}  # a local worker found stopped (kill -STOP): since when
        while pending:
            done, pending = wait(pending, timeout=self.timeout if self._client else 1.0, return_when=FIRST_COMPLETED)
            check_interrupted()
            if not done and self._client:  # nothing finished for a while on the cluster: do its workers answer?
                beats = check_workers(self._client, self.timeout, beats, self._names)
            elif not done:  # a stopped worker never finishes: waited on for --scheduler-timeout, then one line
                now, halted = time.monotonic(), stopped(self._workers)
                since = {pid: since.get(pid, now) for pid in halted}
                late = [pid for pid, t in since.items() if now - t >= self.timeout]
                if late:
                    raise worker_stopped(late, self.timeout, self._board)
            for f in done:
                cid, key = futures.pop(f)
                if key is not None:
                    value, wall, cpu = f.result()  # a part that raised arrives as a FailedPart: its claims fail
                    if not isinstance(value, FailedPart):
                        cache.put("part", key, (value, wall, cpu))
                    deliver(key, value, wall, cpu)
                    continue
                on_done(*f.result())

    @staticmethod
    def _in_process(claims, run, plan, on_done, progress, known: dict, cache) -> None:
        """``--jobs 1``: the same path in this process: each claim's parts (those it owns, as tasks, unless
        ``known``), then the claim on their values; a part two claims ask for is kept for the second."""
        kept, shared = {}, plan.shared()
        for c in claims:
            values, times = {k: kept[k] for k in (p.key for p in plan.parts[c.id]) if k in kept}, {}
            borrowed = plan.borrowed(c.id, values)
            for part in plan.tasks(c.id):
                if part.key in known:
                    values[part.key], *seconds = known[part.key]
                else:
                    if progress is not None:
                        progress(f"{c.id}: part {part_label(part.key)} ...")
                    values[part.key], *seconds = run_part(part)
                    check_interrupted()  # a Ctrl-C whose exception a library swallowed stops here
                    if not isinstance(values[part.key], FailedPart):
                        cache.put("part", part.key, (values[part.key], *seconds))
                    if progress is not None:
                        progress(f"{c.id}: part {part_label(part.key)} done in {seconds[0]:.1f} s")
                times[part.key] = tuple(seconds)
            rec, files = run_task(c.id, run, values, progress, times, borrowed)
            check_interrupted()
            kept.update({k: values[k] for k in shared & values.keys()})  # for the next claim that asks
            on_done(rec, files)

