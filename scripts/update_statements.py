"""Copy every claim's ``sympy`` field of a results folder into tests/data/statements.json.

Run after `python -m proofs` (default settings):  python scripts/update_statements.py [results]
The default suite loads each of these texts back with proofs.statement.load_statement (exact round
trip) without running the claims; the slow full run checks the fields it produces itself.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "tests" / "data" / "statements.json"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    folder = Path(argv[0] if argv else ROOT / "results")
    claims = json.loads((folder / "results.json").read_text(encoding="utf-8"))["claims"]
    fields = {c["id"]: c["sympy"] for c in claims if c.get("sympy")}
    TARGET.write_text(json.dumps(fields, indent=1) + "\n", encoding="utf-8")
    print(f"{TARGET.relative_to(ROOT)}: {len(fields)} statements from {folder / 'results.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
