"""Records the first thresholds of every criterion not yet in tests/data/criteria_first.json (never changes one there).

A criterion's first values are what it was written with before any run of record. tests/test_criteria_history.py
fails when a criterion's thresholds differ from its first values without a history entry (``Change``) whose
"became" states the current ones, and when a criterion is missing from the file: run this script once for a new
criterion, commit the file, and from then on change the criterion only with a history entry.

    python scripts/record_criteria.py          # adds what is missing, prints what it added
    python scripts/record_criteria.py --check  # exit 1 if something is missing (what the test does)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FILE = ROOT / "tests" / "data" / "criteria_first.json"
sys.path.insert(0, str(ROOT))


def protocols() -> dict:
    """Returns {protocol name: Protocol} for every module-level protocol of numeric.experiments."""
    import importlib
    import pkgutil

    import numeric.experiments as package
    from numeric.experiments.protocol import Protocol

    out = {}
    for info in pkgutil.iter_modules(package.__path__):
        source = Path(package.__path__[0]) / f"{info.name}.py"
        if source.is_file() and source.read_text(encoding="utf-8").startswith('"""Moved:'):
            continue  # a moved name's shim (CHANGELOG.md): it warns on import and defines nothing
        module = importlib.import_module(f"numeric.experiments.{info.name}")
        for value in vars(module).values():
            if isinstance(value, Protocol):
                out.setdefault(value.name, value)
    return dict(sorted(out.items()))


def current() -> dict:
    """Returns {protocol: {criterion: {threshold: value}}} as the code defines them now (lists for tuples)."""
    return {name: {c.name: {k: list(v) if isinstance(v, tuple) else v for k, v in c.thresholds}
                   for c in p.criteria} for name, p in protocols().items() if p.criteria}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report what is missing (exit 1 if anything is)")
    args = parser.parse_args(argv)
    first = json.loads(FILE.read_text()) if FILE.exists() else {}
    missing = [(p, c) for p, cs in current().items() for c in cs if c not in first.get(p, {})]
    if args.check or not missing:
        for p, c in missing:
            print(f"not recorded: {p} / {c}")
        return 1 if missing else 0
    now = current()
    for p, c in missing:
        first.setdefault(p, {})[c] = now[p][c]
        print(f"recorded: {p} / {c} = {now[p][c]}")
    FILE.write_text(json.dumps(first, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
