"""Plant named formula errors into a scratch copy of the project, one at a time, and check that the
default test command (``pytest``) rejects every one of them.

    python scripts/mutation_check.py               # all mutants, 2 at a time
    python scripts/mutation_check.py --list        # the mutants, one line each
    python scripts/mutation_check.py --only NAME[,NAME...] --jobs 1 [--update-map]

Each mutant is a realistic mistake (a dropped factor, a missing transpose, an index off by one, sigma
for sigma', a wrong constant or sign, a wrong protocol) given as an exact text replacement in one file;
a replacement whose text no longer occurs exactly once is reported as STALE (the list, scripts/mutants.toml,
must follow the code). The project is copied once per worker (without .git, .venv and results); each mutant is written
into the copy and ``python -m pytest -x -q -p no:cacheprovider`` runs there with CI=true (the
derandomised hypothesis profile) in steps until one fails: ``map``, the tests that killed the mutant
last time (scripts/mutation_killers.json; --update-map rewrites it from the run); ``related``, the test
files that name the mutated module; ``suite``, the whole default suite, the only step that can let a
mutant survive. Prints a table (mutant, step, killed by which test, seconds), the kill rate and the
kills per step; exits 1 unless every mutant is killed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IGNORE = shutil.ignore_patterns(".git", ".venv", "results", "__pycache__", ".pytest_cache", ".hypothesis",
                                "*.egg-info", "build")


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str
    old: str
    new: str


MUTANTS_FILE = ROOT / "scripts" / "mutants.toml"  # the list, as data: name, path, old, new per [[mutant]]
MUTANTS = [Mutant(**entry) for entry in tomllib.loads(MUTANTS_FILE.read_text(encoding="utf-8"))["mutant"]]

FAILED = re.compile(r"^(?:FAILED|ERROR) (\S+)", re.M)
KILLERS = Path(__file__).with_name("mutation_killers.json")  # mutant name -> test node ids that killed it last
NOT_RUN = (4, 5)  # pytest's exit codes for a node id that no longer exists / no test collected


def related_tests(root: Path, path: str) -> list[str]:
    """Returns the default test files that name the mutated module (its dotted name, or its stem as a word)."""
    pattern = re.compile(rf"(?:{re.escape(path[:-3].replace('/', '.'))}|\b{re.escape(Path(path).stem)}\b)")
    return [str(f.relative_to(root)) for f in sorted((root / "tests").glob("test_*.py"))
            if pattern.search(f.read_text(encoding="utf-8"))]


def run_steps(steps: list[tuple[str, list[str]]], scratch: Path, timeout: float) -> tuple[str, str, str]:
    """Returns (status, step, by): runs ``pytest -x`` in ``scratch`` on each step's node ids or files (none:
    the whole default suite) until one fails. A subset that fails kills (the tests are independent); one
    that passes or names no existing test (exit 4 or 5) passes the mutant on to the next step."""
    env = os.environ | {"CI": "true", "PYTHONPATH": str(scratch), "PYTHONDONTWRITEBYTECODE": "1"}
    start = time.perf_counter()
    for step, args in steps:
        try:
            proc = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *args],
                                  cwd=scratch, env=env, capture_output=True, text=True,
                                  timeout=max(1.0, timeout - (time.perf_counter() - start)))
        except subprocess.TimeoutExpired:
            return "killed", step, f"timeout after {timeout:.0f} s"
        if proc.returncode != 0 and (not args or proc.returncode not in NOT_RUN):
            out = proc.stdout + proc.stderr
            match = FAILED.search(out)
            return "killed", step, match.group(1) if match else (out.strip().splitlines() or ["?"])[-1][:70]
    return "SURVIVED", "suite", "-"


def run_mutant(mutant: Mutant, scratch: Path, timeout: float, killers: dict) -> dict:
    """Plants one mutant into ``scratch``, runs its steps (map, related, suite), restores the file."""
    target = scratch / mutant.path
    original = target.read_text(encoding="utf-8")
    if original.count(mutant.old) != 1:
        return {"mutant": mutant, "status": "STALE", "step": "-", "seconds": 0.0,
                "by": f"text found {original.count(mutant.old)} times"}
    target.write_text(original.replace(mutant.old, mutant.new), encoding="utf-8")
    start = time.perf_counter()
    steps = [("map", killers.get(mutant.name, [])), ("related", related_tests(scratch, mutant.path)), ("suite", [])]
    try:
        status, step, by = run_steps([s for s in steps if s[0] == "suite" or s[1]], scratch, timeout)
    finally:
        target.write_text(original, encoding="utf-8")
    return {"mutant": mutant, "status": status, "step": step, "by": by, "seconds": time.perf_counter() - start}


def updated_killers(killers: dict, results: list[dict]) -> dict[str, list[str]]:
    """Returns the kill map with the mutants just run set to the test that killed them (none on a timeout),
    the others kept, names of no mutant dropped."""
    fresh = dict(killers)
    for r in results:
        fresh.pop(r["mutant"].name, None)
        if r["status"] == "killed" and r["by"].startswith("tests/"):
            fresh[r["mutant"].name] = [r["by"]]
    return {m.name: fresh[m.name] for m in MUTANTS if m.name in fresh}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument("--only", help="comma-separated mutant names (or parts of names) to run")
    parser.add_argument("--jobs", type=int, default=2, help="mutants tested at once (default 2)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per mutant (default 900)")
    parser.add_argument("--update-map", action="store_true", help=f"rewrite {KILLERS.name} from this run")
    args = parser.parse_args(argv)
    mutants = MUTANTS
    if args.only:
        keys = [k.strip() for k in args.only.split(",") if k.strip()]
        mutants = [m for m in MUTANTS if any(k in m.name for k in keys)]
        if not mutants:
            parser.error(f"no mutant matches {args.only!r} (see --list)")
    if args.list:
        for m in mutants:
            print(f"{m.path:28s} {m.name}")
        return 0
    jobs = max(1, min(args.jobs, len(mutants)))
    killers = json.loads(KILLERS.read_text(encoding="utf-8")) if KILLERS.exists() else {}
    with tempfile.TemporaryDirectory(prefix="mutation-check-") as tmp:
        free = [shutil.copytree(ROOT, Path(tmp) / f"w{i}", ignore=IGNORE) for i in range(jobs)]
        print(f"{len(mutants)} mutants, {jobs} at a time, in copies of {ROOT}", flush=True)
        start = time.perf_counter()

        def task(m):
            scratch = free.pop()
            try:
                r = run_mutant(m, scratch, args.timeout, killers)
            finally:
                free.append(scratch)
            print(f"  {r['status']:8s} {r['step']:7s} {r['seconds']:6.1f}s  {m.name}", flush=True)
            return r

        with ThreadPoolExecutor(jobs) as pool:
            results = list(pool.map(task, mutants))
    width = max(len(m.name) for m in mutants)
    print(f"\n| {'mutant':{width}s} | file | status | step | killed by | seconds |")
    print(f"|{'-' * (width + 2)}|---|---|---|---|---:|")
    for r in results:
        m = r["mutant"]
        print(f"| {m.name:{width}s} | {m.path} | {r['status']} | {r['step']} | {r['by']} | {r['seconds']:.1f} |")
    killed = [r for r in results if r["status"] == "killed"]
    by_step = ", ".join(f"{s} {sum(r['step'] == s for r in killed)}" for s in ("map", "related", "suite"))
    print(f"\nkill rate: {len(killed)}/{len(results)} = {len(killed) / len(results):.0%}  (killed by {by_step}; "
          f"{time.perf_counter() - start:.0f} s wall, {jobs} at a time)")
    if args.update_map:
        KILLERS.write_text(json.dumps(updated_killers(killers, results), indent=1) + "\n", encoding="utf-8")
        print(f"rewrote {KILLERS.relative_to(ROOT)}")
    elif any(r["step"] != "map" for r in killed):
        print(f"some mutants escaped their kill map: --update-map rewrites {KILLERS.relative_to(ROOT)}")
    return 0 if len(killed) == len(results) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # --list into a pipe that closed early (head): nothing more to say
        sys.exit(0)
