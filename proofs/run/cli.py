"""The command line: ``python -m proofs``.

Runs the claims (all, or those named by ``--only``), prints one line per claim as it
finishes (verdict, seconds, id), writes the results folder, and exits 1 when any claim
failed, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path

from .. import __version__
from ..data import Run
from ..export.histories import names as revised_names
from ..export.manifest import MANIFEST, OutputError
from ..export.outdir import OutputDir
from ..export.writers import planned_paths, results_json, write_results
from ..timing import eta_text, total_seconds
from .arguments import JOBS_ENV, MNIST_ENV, check_numbers, check_run
from .cache import Cache, default_folder
from .executor import Executor, figure_formats
from .process import OneLineParser, Stopped, command, hold_interrupts
from .registry import all_claims, select
from .scheduler import SchedulerError
from .workers import WorkerDied

DESCRIPTION = """\
Regenerate and re-check every claim of Nielsen's "Why are deep neural networks hard to train?"
(Neural Networks and Deep Learning, ch. 5): exact SymPy derivations, mpmath/interval
certificates, checks against a NumPy network on real MNIST digits, and figures.

Writes to --out (default results/): latex/ (main.tex, one \\input-able fragment per claim labelled
ug:<claim-id>, derivations, tables, figures, macros.tex, references.bib), results.json (with its
schema), REPORT.md, BOOK_VS_RUN.md and figures/ (PDF + PNG). Every path and folder is checked before any
claim runs; a file in --out that this command did not write, or wrote and you changed since, is never
overwritten (with --force it is kept beside as NAME.bak) and never deleted. One run at a time per --out.
Exit status: 0 when no claim failed (a statement this data does not reproduce is reported as "not
reproduced", a result, not a failure); 1 when any failed; 2 on a usage,
data or output-folder error (one line naming the cause); 130 on Ctrl-C (SIGINT), 143 on SIGTERM.

Your own network: `python -m proofs diagnose --help` (mean field's prediction for its gradients, measured on random
draws, one screen; docs/diagnose.md).
"""


def build_parser() -> argparse.ArgumentParser:
    prog = "unstable-gradients" if Path(sys.argv[0]).name == "unstable-gradients" else "python -m proofs"
    p = OneLineParser(prog=prog, description=DESCRIPTION,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=f"unstable-gradients {__version__}")
    p.add_argument("--out", default="results", metavar="DIR", help="output folder (default: %(default)s)")
    p.add_argument("--only", metavar="ID[,ID...]", help="run only these claims (ids or group names; see --list)")
    p.add_argument("--list", action="store_true", help="list the claims (id, source, title) and exit")
    p.add_argument("--json", action="store_true",
                   help="print results.json to standard output (progress lines go to standard error)")
    p.add_argument("--dps", type=int, default=50, metavar="N",
                   help="decimal digits for mpmath work (default %(default)s; 15..10000)")
    p.add_argument("--seed", type=int, default=0, metavar="N",
                   help="the root of every random stream (default 0): each experiment spawns one child per replica "
                        "and purpose from numpy.random.SeedSequence(N)")
    p.add_argument("--seeds", type=int, metavar="K",
                   help="seeds (replicas) per experiment (default: each protocol's own, recorded in results.json); "
                        "the at-initialisation claim needs enough for its seed range to bracket the book's values")
    p.add_argument("--quick", action="store_true",
                   help="fewer seeds in the experiments (each protocol's quick_seeds, recorded in results.json), for a "
                        "fast look; marked QUICK in the output, never a verdict of record")
    p.add_argument("--mnist", metavar="PATH", default=os.environ.get(MNIST_ENV),
                   help=f"full MNIST (IDX folder, mnist.pkl.gz or .npz) instead of the embedded 5,000 digits; "
                        f"also read from ${MNIST_ENV}")
    p.add_argument("--jobs", type=int, metavar="N",
                   help="processes running claims and their parts at once (default: the number of cores, or "
                        f"${JOBS_ENV}); 1 runs everything in this process. Output is identical for any N")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the claims on a Dask cluster (e.g. tcp://10.0.0.5:8786); needs "
                        "pip install 'unstable-gradients[distributed]' here and on the workers")
    p.add_argument("--scheduler-timeout", type=float, default=30.0, metavar="SECONDS",
                   help="give up on a scheduler that does not answer (connecting, or any request) within this "
                        "many seconds, or on a local worker stopped (kill -STOP) that long (default %(default)g)")
    p.add_argument("--figure-size", choices=("column", "page"), default="column",
                   help="figure width for a two-column paper: one column, 3.3 in (default), or the page, 6.9 in")
    p.add_argument("--pgf", action="store_true",
                   help="also write each figure as PGF (figures/<name>.pgf, for \\input in LaTeX with the document's "
                        "fonts); needs pdflatex")
    p.add_argument("--cache-dir", metavar="DIR",
                   help="where computed claims and parts are kept for the next run (default: $UNSTABLE_GRADIENTS_CACHE "
                        "or ~/.cache/unstable-gradients); an entry is reused only for the same source, libraries, "
                        "data, seed and settings, so the output is the same as a fresh run's")
    p.add_argument("--no-cache", action="store_true",
                   help="compute everything afresh and keep nothing (also $UNSTABLE_GRADIENTS_CACHE=off)")
    p.add_argument("--force", action="store_true",
                   help="replace files in --out that this command did not write or that you changed, keeping each "
                        "as NAME.bak beside it; also allows a crowded folder")
    p.add_argument("-q", "--quiet", action="store_true", help="print only failures and the summary")
    return p


def _stop(signum, frame):
    from .process import _PENDING

    _PENDING.append(signum)
    raise Stopped(signum)


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    check_numbers(args, parser)
    if args.list:
        claims = all_claims()
        wid, wgr = max(len(c.id) for c in claims), max(len(c.group) for c in claims)
        wsrc = max(len(c.source) for c in claims)
        for c in claims:
            print(f"{c.id:{wid}s}  {c.group:{wgr}s}  {c.source:{wsrc}s}  {c.title}")
        return 0
    check_run(args, parser)  # every usage error, before anything is created
    try:
        claims = select(args.only)
    except ValueError as exc:
        parser.error(str(exc))
    try:
        previous = signal.signal(signal.SIGTERM, _stop)  # SIGTERM stops the run as Ctrl-C does
        previous_int = hold_interrupts()  # and neither is lost if a library swallows its exception
    except ValueError:  # main() called from another thread: signals stay the caller's
        previous = previous_int = None
    out, done = None, []
    try:
        out = OutputDir(args.out, force=args.force, notify=lambda text: print(f"note: {text}", file=sys.stderr))
        out.preflight(planned_paths(claims, figure_formats(args)))  # every path, before any claim runs
        return _run(args, claims, out, done)
    except OutputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SchedulerError as exc:
        print(f"error: --scheduler {args.scheduler}: {exc}", file=sys.stderr)
        return 2
    except WorkerDied as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        raise  # run() ends quietly: standard output was closed by its reader
    except KeyboardInterrupt as exc:
        signum = exc.signum if isinstance(exc, Stopped) else signal.SIGINT
        where = (f"; {out.root} keeps only complete files (listed in {MANIFEST}), no temporary files"
                 if out is not None else "")
        print(f"interrupted ({signal.Signals(signum).name}) after {len(done)} of {len(claims)} claims{where}",
              file=sys.stderr)
        return 128 + signum
    except OSError as exc:
        what = f"writing to {out.root} failed" if isinstance(exc, _WriteFailed) else "a system call failed"
        where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
        kept = (f"; files written before it are complete and listed in {MANIFEST}, no temporary files were left"
                if out is not None else "")
        print(f"error: {what}: {exc.strerror or exc}{where}{kept}", file=sys.stderr)
        return 2
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
            signal.signal(signal.SIGINT, previous_int)
        if out is not None:
            out.close()


class _WriteFailed(OSError):
    """An OSError while writing into --out (a full disk, a folder made read-only during the run)."""


def _write(write, *args) -> None:
    try:
        write(*args)
    except OSError as exc:  # named as a write error (other OSErrors are not: a scheduler, a data file)
        failed = exc if isinstance(exc, _WriteFailed) else _WriteFailed(exc.errno, exc.strerror or str(exc), exc.filename)
        raise failed from None


def _run(args, claims, out, records: list) -> int:
    """Runs the claims (on the executor), writes each claim's figures as it finishes, then the results."""
    log = sys.stderr if args.json else sys.stdout
    tty = log.isatty()

    def progress(text: str) -> None:
        if not args.quiet:
            print(f"        ... {text}", file=sys.stderr, flush=True)

    if args.quick:
        print("QUICK run: fewer seeds in the training experiments; not the book's protocol for a verdict of record",
              file=log)
    from numeric.data import DataError

    try:  # the run's one value: made once here, handed to every claim and part
        run = Run.make(seed=args.seed, seeds=args.seeds, quick=args.quick, mnist=args.mnist, dps=args.dps,
                       figure_size=args.figure_size, pgf=args.pgf)
    except DataError as exc:
        print(f"error: --mnist: {exc}", file=sys.stderr)
        return 2
    data = run.data()
    if args.mnist:
        print(f"data: {data.source} ({data.verification})", file=log)
        if data.verification.startswith("not digest-verified"):
            print(f"warning: {args.mnist}: {data.verification}", file=sys.stderr)
    where = f"Dask scheduler {args.scheduler}" if args.scheduler else (
        f"{args.jobs} processes" if args.jobs > 1 else "this process")
    if not args.quiet:
        print(f"{len(claims)} claim{'' if len(claims) == 1 else 's'} on {where}", file=log, flush=True)
    total_cost, t0, done_cost = sum(c.cost for c in claims), time.perf_counter(), {"cost": 0.0}
    costs = {c.id: c.cost for c in claims}
    index = {c.id: i for i, c in enumerate(claims, 1)}

    def on_done(rec, files, finished, total, cached=False):
        _write(out.write_many, dict(sorted(files.items())))
        records.append(rec)
        done_cost["cost"] += costs[rec["id"]]
        if not args.quiet or rec["verdict"] == "failed":
            took = "  cached " if cached else f"{total_seconds(rec)[0]:7.2f}s"
            print(f"[{index[rec['id']]:2d}/{total}] {rec['verdict']:9s} {took}  {rec['id']}  {rec['source']}",
                  file=log, flush=True)
            if rec.get("headline"):
                print(f"        {rec['headline']}", file=log)
            for what in rec.get("fragile", []):
                print(f"        FRAGILE (holds by less than the seed spread): {what}", file=log)
            if revised_names(rec):
                print(f"        criteria revised after earlier runs: {', '.join(revised_names(rec))} (what each was, "
                      "what a run showed and why: REPORT.md)", file=log)
            if rec.get("error"):
                print("    " + rec["error"].strip().splitlines()[0], file=log)
            if tty and finished < total:
                print(f"        ({finished}/{total} done, "
                      f"{eta_text(total_cost - done_cost['cost'], done_cost['cost'], t0)})", file=log, flush=True)

    cache = Cache(None if args.no_cache else (Path(args.cache_dir) if args.cache_dir else default_folder()))
    with Executor(args.jobs, args.scheduler, timeout=args.scheduler_timeout) as ex:
        ordered = ex.run(claims, run, on_done, progress=progress, cache=cache)
    records[:] = ordered
    settings = {"dps": args.dps, "seed": args.seed, "data": args.mnist or "embedded", "only": args.only or "all",
                "seeds": args.seeds or "protocol", "quick": args.quick, "figure_size": args.figure_size,
                "pgf": args.pgf}
    if args.mnist:
        settings["data_verification"] = data.verification
    _write(write_results, out, records, settings)
    failed = [r["id"] for r in records if r["verdict"] == "failed"]
    counts = results_json(records, settings)["summary"]
    print(f"{len(records)} claim{'' if len(records) == 1 else 's'} in {time.perf_counter() - t0:.1f}s: "
          + ", ".join(f"{n} {v}" for v, n in sorted(counts.items()))
          + f"; results in {out.root}/", file=log)
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=log)
    if fragile := [r["id"] for r in records if r["verdict"] == "fragile"]:
        print(f"FRAGILE (a margin thinner than the seed spread; held in this run, not a finding of record): "
              f"{', '.join(fragile)}", file=log)
    if unreproduced := [r["id"] for r in records if r["verdict"] == "not reproduced"]:
        print(f"NOT REPRODUCED on this data (the run is sound; see their facts): {', '.join(unreproduced)}", file=log)
    if args.json:
        sys.stdout.write(json.dumps(results_json(records, settings), indent=2) + "\n")
    return 1 if failed else 0


def run() -> None:
    """The console script ``unstable-gradients`` and ``python -m proofs``: exits with main's status, each way the
    process can end (a closed or full standard output, a signal outside main) one line (``proofs.run.process``)."""
    sys.exit(command(main))
