"""What the default run costs, claim by claim and part by part: wall and CPU seconds, medians of N runs.

    python benchmarks/suite.py [--repeat 3] [--jobs 2] [--quick] [--only IDS] [--top 25] [--pytest]

Runs `python -m proofs` (default settings, --jobs 2) ``--repeat`` times as fresh processes, as a user runs
it, and reads each run's results.json, which records every claim's own wall and CPU seconds and every part's
(the pieces a claim hands to the executor: a network of a sweep, say; proofs/timing.py). Prints, as medians
over the runs:

* the claims sorted by CPU seconds (their own plus their parts'), each with its share of the run's CPU;
* the parts sorted by CPU seconds, with their share;
* the totals: the run's wall and CPU seconds measured from outside (every process of the run, through
  getrusage of the children), the sum the records account for, and the rest (start-up, imports, the
  digits, the parent's scheduling and writing the results folder).

CPU seconds are the measure that survives a loaded machine; wall seconds depend on what else runs.
``--pytest`` also times the README's test command (``pytest -n 2``, read from the README) ``--repeat`` times and
prints the medians (wall and CPU seconds of every process) and the 25 slowest tests.
`python benchmarks/jobs.py` compares --jobs 1 with --jobs 2 and a Dask LocalCluster.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from proofs.timing import total_seconds  # noqa: E402 - the repository's, not an installed copy

sys.path.insert(0, str(ROOT / "benchmarks"))
from machine import state  # noqa: E402


def children_cpu() -> float:
    """Returns the CPU seconds (user + system) of every child process waited for so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd: list[str], **kw) -> tuple[subprocess.CompletedProcess, float, float]:
    """Returns (the finished process, wall seconds, CPU seconds of it and its children)."""
    cpu, start = children_cpu(), time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                          env=os.environ | {"PYTHONPATH": str(ROOT)}, **kw)
    return proc, time.perf_counter() - start, children_cpu() - cpu


def one_run(extra: list[str], keep: str | None = None) -> dict:
    """Returns one run's costs: {"wall", "cpu", "claims": {id: (wall, cpu)}, "parts": {(id, key): (wall, cpu)}};
    ``keep``: the results folder to write (kept, a new one), else a temporary one."""
    with tempfile.TemporaryDirectory() as tmp:
        out = keep or tmp
        proc, wall, cpu = timed([sys.executable, "-m", "proofs", "--out", out, "-q", "--no-cache", *extra])
        if proc.returncode not in (0, 1):  # 1: a claim failed; its cost is still worth seeing
            raise SystemExit(f"python -m proofs {' '.join(extra)} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
        records = json.loads((Path(out) / "results.json").read_text())["claims"]
    claims = {r["id"]: total_seconds(r) for r in records}
    parts = {}
    for r in records:
        for p in r.get("parts", []):  # two keys with one label (objects without a name) stay two rows
            name, k = (r["id"], p["key"]), 1
            while name in parts:
                name, k = (r["id"], f"{p['key']} #{k + 1}"), k + 1
            parts[name] = (p["seconds"], p["cpu_seconds"])
    own = {r["id"]: (r["seconds"], r["cpu_seconds"]) for r in records}
    return {"wall": wall, "cpu": cpu, "claims": claims, "parts": parts, "own": own,
            "failed": [r["id"] for r in records if r["verdict"] == "failed"]}


def medians(runs: list[dict], field: str) -> dict:
    """Returns {name: (median wall, median CPU)} over the runs' ``field`` ("claims", "parts", "own")."""
    names = runs[0][field]
    return {n: tuple(statistics.median(r[field][n][i] for r in runs if n in r[field]) for i in (0, 1))
            for n in names}


def table(rows: dict, cpu_total: float, wall_total: float, label: str, top: int | None) -> list[str]:
    """Returns a Markdown table of ``rows`` {name: (wall, cpu)}, sorted by CPU seconds, with shares."""
    out = [f"| {label} | CPU (s) | CPU share | wall (s) | wall share |", "|---|---:|---:|---:|---:|"]
    ranked = sorted(rows.items(), key=lambda kv: (-kv[1][1], str(kv[0])))
    for name, (wall, cpu) in ranked[:top]:
        shown = name if isinstance(name, str) else f"{name[0]}: {name[1]}"
        out.append(f"| {shown} | {cpu:.2f} | {100 * cpu / cpu_total:.1f} % | {wall:.2f} | "
                   f"{100 * wall / wall_total:.1f} % |")
    if top is not None and len(ranked) > top:
        rest = ranked[top:]
        out.append(f"| ({len(rest)} more) | {sum(v[1] for _, v in rest):.2f} | | {sum(v[0] for _, v in rest):.2f} | |")
    return out


def readme_test_command() -> list[str]:
    """Returns the README's test command (its second command, after ``pip install '.[test]' &&``) as arguments."""
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("pip install '.[test]'") and "&&" in line:
            return line.split("&&", 1)[1].split()
    raise SystemExit("README.md has no line `pip install '.[test]' && pytest ...` (its second command)")


def pytest_costs(repeat: int, record: dict | None = None) -> list[str]:
    """Returns lines on the README's test command: medians of ``repeat`` runs (wall and CPU seconds, every
    process), each run's figures, and the 25 slowest tests of the last run; ``record`` receives the numbers."""
    cmd = readme_test_command()
    if cmd[0] != "pytest":
        raise SystemExit(f"the README's test command does not start with pytest: {' '.join(cmd)}")
    runs = []
    for k in range(repeat):
        proc, wall, cpu = timed([sys.executable, "-m", *cmd, "-q", "--durations=25", "-p", "no:cacheprovider"])
        runs.append((wall, cpu, (proc.stdout.splitlines() or [""])[-1].strip("= ")))
        print(f"pytest run {k + 1}/{repeat}: {wall:.1f} s wall, {cpu:.1f} s CPU; {runs[-1][2]}", file=sys.stderr,
              flush=True)
    lines = proc.stdout.splitlines()
    start = next((i for i, s in enumerate(lines) if "slowest" in s), len(lines))
    body = [s for s in lines[start:] if s.strip() and not s.startswith("=")][:26]
    each = "; ".join(f"{w:.1f} s wall, {c:.1f} s CPU" for w, c, _ in runs)
    if record is not None:
        record.update(command=" ".join(cmd), wall=statistics.median(r[0] for r in runs),
                      cpu=statistics.median(r[1] for r in runs), each=[r[:2] for r in runs], summary=runs[-1][2])
    return [f"`{' '.join(cmd)}` (the README's test command): medians of {repeat}: "
            f"{statistics.median(r[0] for r in runs):.1f} s wall, {statistics.median(r[1] for r in runs):.1f} s CPU "
            f"(each: {each}); {runs[-1][2]}", "", *body]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog="Run it on a quiet machine for numbers of record; the CPU seconds "
                                            "are the ones to compare across machines and loads.")
    parser.add_argument("--repeat", type=int, default=3, help="runs of python -m proofs (default 3); medians")
    parser.add_argument("--jobs", type=int, default=2, help="--jobs of each run (default 2)")
    parser.add_argument("--quick", action="store_true", help="time `python -m proofs --quick` instead")
    parser.add_argument("--only", help="time only these claims or groups (python -m proofs --only)")
    parser.add_argument("--top", type=int, default=None, help="rows of each table (default: every claim and part)")
    parser.add_argument("--keep", metavar="DIR", help="keep the last run's results folder in DIR (a new folder)")
    parser.add_argument("--smoke", action="store_true", help="the smallest setting (one claim, once; a test)")
    parser.add_argument("--pytest", action="store_true",
                        help="also time the README's test command, --repeat times (medians)")
    parser.add_argument("--json", metavar="PATH", help="also write the medians and the machine's state here (a new "
                        "file; scripts/update_docs.py reads docs/data/suite.json)")
    args = parser.parse_args(argv)
    if args.json and Path(args.json).exists():
        parser.error(f"--json {args.json}: it exists; name a new file (nothing is overwritten)")
    if args.smoke:
        args.repeat, args.only, args.pytest = 1, "sigmoid-derivative", False
    before = state("before")
    print("\n".join(before), file=sys.stderr)
    if args.repeat < 1 or args.jobs < 1:
        parser.error("--repeat and --jobs must be at least 1")
    if args.keep and Path(args.keep).exists():
        parser.error(f"--keep {args.keep}: it exists; name a new folder (nothing is overwritten)")
    extra = ["--jobs", str(args.jobs), *(["--quick"] if args.quick else [])]
    extra += ["--only", args.only] if args.only else []
    runs = []
    for k in range(args.repeat):
        runs.append(one_run(extra, args.keep if k == args.repeat - 1 else None))
        failed = f"; FAILED: {', '.join(runs[-1]['failed'])}" if runs[-1]["failed"] else ""
        print(f"run {k + 1}/{args.repeat}: {runs[-1]['wall']:.1f} s wall, {runs[-1]['cpu']:.1f} s CPU{failed}",
              file=sys.stderr, flush=True)
    wall = statistics.median(r["wall"] for r in runs)
    cpu = statistics.median(r["cpu"] for r in runs)
    claims, parts, own = medians(runs, "claims"), medians(runs, "parts"), medians(runs, "own")
    work_wall = statistics.median(sum(v[0] for v in r["claims"].values()) for r in runs)
    accounted = statistics.median(sum(v[1] for v in r["claims"].values()) for r in runs)  # per run, then medians
    rest = statistics.median(r["cpu"] - sum(v[1] for v in r["claims"].values()) for r in runs)
    print(f"`python -m proofs {' '.join(extra)}`: medians of {args.repeat} runs on {os.cpu_count()} cores "
          f"({platform.processor() or platform.machine()}, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f} at the end)\n")
    print(f"- the run: {wall:.1f} s wall, {cpu:.1f} s CPU (every process, measured from outside)")
    print(f"- the claims and their parts account for {accounted:.1f} s CPU ({100 * accounted / cpu:.0f} %) and "
          f"{work_wall:.1f} s of work wall (summed over the processes); the rest, {rest:.1f} s CPU, is "
          "start-up, imports, the digits, scheduling and writing the results\n")
    print("Claims (each with its parts; shares of the run's CPU and of the summed work wall):\n")
    print("\n".join(table(claims, cpu, work_wall, "claim", args.top)))
    if parts:
        part_cpu = sum(v[1] for v in parts.values())
        own_cpu = sum(v[1] for v in own.values())
        print(f"\nParts ({len(parts)}, {part_cpu:.1f} s CPU; the claims' own work beside them: {own_cpu:.1f} s):\n")
        print("\n".join(table(parts, cpu, work_wall, "claim: part", args.top)))
    tests = {}
    if args.pytest:
        print("\n" + "\n".join(pytest_costs(args.repeat, tests)))
    after = state("after")
    print("\n" + "\n".join(after))
    if args.json:
        Path(args.json).write_text(json.dumps({
            "command": f"python -m proofs {' '.join(extra)}", "repeat": args.repeat, "cores": os.cpu_count(),
            "run": {"wall": wall, "cpu": cpu, "each": [[r["wall"], r["cpu"]] for r in runs]},
            "pytest": tests or None, "state_before": before, "state_after": after}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
