"""Accuracy against depth with the book's number of SGD updates: does the drop with depth close?

    python scripts/accuracy_matched_updates.py [--seed 0] [--seeds 5] [--jobs 2] [--json out.json]

The default run (``accuracy-vs-depth``) trains 30 epochs on the embedded 4,000 digits: 12,000 updates of
mini-batch 10 against the book's 30 x 50,000 / 10 = 150,000. This runs the labelled protocol
``numeric.experiments.protocols.ACCURACY_MATCHED_UPDATES`` (150,000 updates: 375 epochs on 4,000 images; lmbda per
update as the book's) through the same claim and criteria, one process per network with ``--jobs``, and
prints the verdict, each criterion and the medians; ``--json`` writes the claim's numbers. It takes minutes
(about 40 times the default accuracy claim's work), hence a script and a slow test, not the default run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # one BLAS thread per process,
    os.environ.setdefault(_name, "1")  # set before NumPy loads (this is a command, like the CLI)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from numeric.experiments import chapter  # noqa: E402
from proofs.claim import Context, Part, jsonable  # noqa: E402
from proofs.claims.accuracy import _accuracy_part, check_accuracy_by_depth  # noqa: E402
from proofs.data import Run  # noqa: E402


def run(seed: int = 0, seeds: int | None = None, jobs: int = 1, mnist=None):
    """Returns the Evidence of accuracy-vs-depth under the matched-update protocol."""
    p = chapter.ACCURACY_MATCHED_UPDATES if seeds is None else chapter.ACCURACY_MATCHED_UPDATES.replace(seeds=seeds)
    ctx = Context(run=Run.make(seed=seed, mnist=mnist))
    parts = [Part.of(ctx.run, _accuracy_part, (p.replace(networks=(sizes,)),)) for sizes in p.networks]
    if jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(jobs) as pool:
            done = list(pool.map(_run_part, parts))
    else:
        done = [_run_part(part) for part in parts]
    for part, result in zip(parts, done):
        ctx.precomputed[part.key] = result
    return p, check_accuracy_by_depth(ctx, [p])


def _run_part(part):
    return part.run()[0]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--seeds", type=int, default=None, help="replicas (default: the protocol's)")
    ap.add_argument("--jobs", type=int, default=1, help="processes, one network each")
    ap.add_argument("--mnist", default=None, help="full MNIST, as python -m proofs --mnist")
    ap.add_argument("--json", type=Path, default=None, help="write the claim's numbers and facts here")
    args = ap.parse_args(argv)
    start = time.perf_counter()
    p, ev = run(args.seed, args.seeds, args.jobs, args.mnist)
    n = len(Run(mnist=args.mnist).data().training)
    print(chapter.describe(p, n))
    summary = ev.numbers["summary"][p.name]
    for h, v in summary["final"].items():
        print(f"  {h} hidden: median {summary['median_final'][h]:.2%} [{min(v):.2%}, {max(v):.2%}]")
    for f in ev.facts:
        flag = "holds" if f.holds else "DOES NOT HOLD"
        print(f"  [{f.role}] {flag}{' (FRAGILE)' if f.fragile else ''}: {f.what}")
    print(f"verdict: {ev.verdict}  ({time.perf_counter() - start:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps(jsonable({"protocol": chapter.record(p, args.seed, n), "verdict": ev.verdict,
                                                  "facts": [f.as_dict() for f in ev.facts],
                                                  "numbers": ev.numbers}), indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
