"""The experimental claims' verdicts at root seeds 0-3 (issue 31: a verdict that flips with --seed is a draw).

Runs ``python -m proofs --seed S --only <the claims>`` for each root seed (fresh processes, no cache) and records
each claim's verdict per seed in docs/data/seeds.json, which scripts/update_docs.py turns into the findings' table.
The claims are those whose verdict rests on random draws: every claim that is not proved or certified.
tests/test_seed_robust.py (slow) runs the same and fails on a claim whose verdict differs between seeds.

    python scripts/seed_verdicts.py [--seeds 0 1 2 3] [--jobs 2] [--out docs/data/seeds.json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXACT = ("proved", "certified")


def _run(seed: int, only: list[str] | None, jobs: int) -> dict:
    """Returns {claim id: record} of ``python -m proofs --seed seed`` (fresh, no cache; ``only`` the claims)."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "proofs", "--seed", str(seed), "--out", tmp, "--jobs", str(jobs), "--no-cache",
               "-q"] + (["--only", ",".join(only)] if only else [])
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"seed {seed}: python -m proofs exited {proc.returncode}:\n{proc.stderr[-2000:]}")
        return {r["id"]: r for r in json.loads((Path(tmp) / "results.json").read_text())["claims"]}


def verdicts_at(seeds, claims: list[str] | None = None, jobs: int = 2, progress=print) -> dict:
    """Returns {"seeds", "verdicts": {claim: [verdict per seed]}, "headlines": {claim: [headline per seed]}}.

    ``claims`` None: the first seed runs every claim, and the claims whose verdict rests on measurements (any not
    proved or certified) are kept and run at the other seeds."""
    out = {"seeds": list(seeds), "verdicts": {}, "headlines": {}}
    for seed in seeds:
        records = _run(seed, claims, jobs)
        if claims is None:
            claims = [c for c, r in records.items() if r["verdict"] not in EXACT]
        for c in claims:
            out["verdicts"].setdefault(c, []).append(records[c]["verdict"])
            out["headlines"].setdefault(c, []).append(records[c].get("headline"))
        progress(f"seed {seed}: " + ", ".join(f"{c} {records[c]['verdict']}" for c in claims))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default=str(ROOT / "docs" / "data" / "seeds.json"))
    args = ap.parse_args(argv)
    record = verdicts_at(args.seeds, jobs=args.jobs)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    flips = [c for c, v in record["verdicts"].items() if len(set(v)) > 1]
    print(f"{args.out}: {len(record['verdicts'])} claims at seeds {args.seeds}; "
          + (f"verdicts that flip: {', '.join(flips)}" if flips else "no verdict flips"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
