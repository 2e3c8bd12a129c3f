"""Writes every generated block of README.md and docs/*.md from the recorded runs; ``--check`` says which are stale.

Nothing in README.md or docs/ is a number typed by hand (tests/test_docs.py fails on one): each number sits in a block

    <!-- generated:NAME -->
    ...
    <!-- /generated:NAME -->

that this script renders from one of the records kept in docs/data/:

* run.json: a default ``python -m proofs`` run (its verdicts, headlines, book-vs-run rows, fragile facts, revised
  criteria), taken by ``--from-results FOLDER``;
* seeds.json: the experimental claims' verdicts at root seeds 0-3 (``python scripts/seed_verdicts.py``);
* suite.json: ``python benchmarks/suite.py --repeat 3 --pytest --json docs/data/suite.json`` (the run's and the test
  command's wall and CPU seconds, medians of 3, and the machine's state);
* limit.json: ``python benchmarks/limit.py --json docs/data/limit.json`` (each part against its arithmetic limit);
* diagnose.json: the screens of the ``python -m proofs diagnose`` examples (``--diagnose`` runs them);

or from the code itself (the command's --help; a protocol's criteria and their history).

    python scripts/update_docs.py --from-results results   # record a run, then rewrite every block
    python scripts/update_docs.py                          # rewrite every block from docs/data/
    python scripts/update_docs.py --check                  # exit 1, naming each stale block (a default test)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "docs" / "data"
sys.path.insert(0, str(ROOT))

BLOCK = re.compile(r"<!-- generated:(?P<name>[^>]+?) -->\n(?P<body>.*?)<!-- /generated:(?P=name) -->", re.S)
ORDER = ("proved", "certified", "verified", "fragile", "not reproduced", "failed")
EXPERIMENTAL = ("verified", "fragile", "not reproduced", "failed")


def snapshot(folder: Path) -> dict:
    """Returns what the docs quote of a run's results.json (its settings and, per claim, the verdict and words)."""
    from proofs.export.histories import names

    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    claims = [{"id": c["id"], "title": c["title"], "source": c["source"], "group": c["group"],
               "verdict": c["verdict"], "headline": c.get("headline"), "fragile": c.get("fragile", []),
               "revised": names(c), "measured_words": (c.get("numbers") or {}).get("measured_words"),
               "book_vs_run": (c.get("numbers") or {}).get("book_vs_run", [])} for c in results["claims"]]
    protocols = {}  # what each protocol was in the run: a run of record made before a protocol changed is stale
    for c in results["claims"]:
        p = (c.get("numbers") or {}).get("protocol")
        if isinstance(p, dict) and "name" in p:
            protocols[p["name"]] = protocol_record(p)
    return {"version": results["version"], "settings": results["settings"], "protocols": protocols,
            "claims": claims}


def protocol_record(p: dict) -> dict:
    """The parts of a protocol record (``Protocol.as_dict``) that decide a run's numbers: seeds and thresholds."""
    return json.loads(json.dumps({"seeds": p["seeds"], "quick_seeds": p["quick_seeds"],
                                  "thresholds": {c["name"]: c["thresholds"] for c in p["criteria"]}}))


def load(name: str):
    path = DATA / name
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


# -- the blocks -------------------------------------------------------------------------------------------------
def verdicts(run: dict) -> str:
    counts = Counter(c["verdict"] for c in run["claims"])
    s = run["settings"]
    said = ", ".join(f"{counts[v]} {v}" for v in ORDER if counts[v])
    lines = [f"The run of record (version {run['version']}, seed {s['seed']}, mpmath at {s['dps']} decimal digits, "
             f"data: {s['data']}): {len(run['claims'])} claims, {said}."]
    for v in ("not reproduced", "fragile", "failed"):
        for c in (c for c in run["claims"] if c["verdict"] == v):
            why = c["measured_words"] or c["headline"] or c["title"]
            lines.append(f"- **{v}**: `{c['id']}` ({c['source']}): {why}")
    return "\n".join(lines) + "\n"


def _cell(s) -> str:
    from proofs.export.markdown import md
    from proofs.latex_text import readable

    return md(readable(str(s)))


def compact_table(run: dict) -> str:
    """One row per claim that states a number of the book's: its first book-vs-run row."""
    lines = ["| claim | the book | this run | verdict |", "|---|---|---|---|"]
    for c in run["claims"]:
        if c["book_vs_run"]:
            row = c["book_vs_run"][0]
            lines.append(f"| `{c['id']}` | {_cell(row['book'])} | {_cell(row['run'])} | {c['verdict']} |")
    return "\n".join(lines) + "\n"


def full_table(run: dict) -> str:
    from proofs.export.markdown import book_vs_run

    records = [{"id": c["id"], "verdict": c["verdict"], "numbers": {"book_vs_run": c["book_vs_run"]}}
               for c in run["claims"]]
    return book_vs_run(records) + "\n"


def findings(run: dict) -> str:
    out = []
    for group in dict.fromkeys(c["group"] for c in run["claims"]):
        out += [f"### {group}", ""]
        for c in (c for c in run["claims"] if c["group"] == group):
            out.append(f"- `{c['id']}` ({c['source']}), **{c['verdict']}**: {c['title']}")
            if c["headline"]:
                out.append(f"  - measured: {c['headline']}")
            out += [f"  - fragile: {f}" for f in c["fragile"]]
            if c["revised"]:
                out.append(f"  - criteria revised after earlier runs: {', '.join(c['revised'])} (REPORT.md tells "
                           "each change)")
        out.append("")
    return "\n".join(out)


def seed_table(seeds: dict | None) -> str:
    if not seeds:
        return "_No record yet: run `python scripts/seed_verdicts.py`._\n"
    roots = seeds["seeds"]
    lines = ["| claim | " + " | ".join(f"seed {s}" for s in roots) + " | holds at every seed |",
             "|---|" + "---|" * (len(roots) + 1)]
    for cid, v in seeds["verdicts"].items():
        same = "yes" if len(set(v)) == 1 else "**no: a draw**"
        lines.append(f"| `{cid}` | " + " | ".join(v) + f" | {same} |")
    return "\n".join(lines) + "\n"


def timing(suite: dict | None) -> str:
    if not suite:
        return "_No record yet: run `python benchmarks/suite.py --repeat 3 --pytest --json docs/data/suite.json`._\n"
    r, t = suite["run"], suite.get("pytest")
    machine = next((x for x in suite["state_before"] if x.startswith("machine:")), "").removeprefix("machine: ")
    load = [x for x in suite["state_before"] + suite["state_after"] if x.startswith("load average")]
    text = (f"`{suite['command']}` took {r['wall']:.0f} s wall and {r['cpu']:.0f} s of CPU (every process), medians "
            f"of {suite['repeat']} cold runs on {machine}")
    if t:
        text += (f"; the test command `{t['command']}` {t['wall']:.0f} s wall and {t['cpu']:.0f} s of CPU "
                 f"({re.sub(r' in [0-9.]+s.*', '', t['summary'])})")  # the count; the times are the medians
    return text + ". " + "; ".join(load) + ".\n"


def limit_table(limit: dict | None) -> str:
    if not limit:
        return "_No record yet: run `python benchmarks/limit.py --json docs/data/limit.json`._\n"
    lines = ["| part | GFLOP | GFLOP/s at its shapes | limit (s CPU) | measured (s CPU) | ratio |",
             "|---|---:|---:|---:|---:|---:|"]
    for row in limit["rows"]:
        m = row["measured"]
        lines.append(f"| {row['part']} | {row['gflop']:,.3g} | {row['rate']:.1f} | {row['limit']:.3g} | "
                     + (f"{m:.1f} | {m / row['limit']:.2f} |" if m is not None else " | |"))
    w = limit.get("whole")
    if w:
        lines.append(f"| rest (SymPy, mpmath, figures, LaTeX, start-up) | | | | {w['rest']:.1f} | |")
        lines.append(f"| **whole run** (`--jobs {limit['jobs']}`) | | | {w['limit']:.1f} with the rest | "
                     f"{w['measured']:.1f} | {w['measured'] / w['limit']:.2f} |")
    return "\n".join(lines + ["", *(f"- {x}" for x in limit["state_before"] + limit["state_after"][-1:])]) + "\n"


def options() -> str:
    from proofs.run.cli import build_parser

    os.environ["COLUMNS"] = "100"
    return "```\n" + build_parser().format_help() + "```\n"


def protocol(name: str) -> str:
    """A protocol of numeric.experiments by name: its description, and each criterion with its history."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from record_criteria import protocols

    p = protocols()[name]
    out = [f"**{p.name}** ({p.label}; {p.seeds} seeds, {p.quick_seeds} with `--quick`). Measured: {p.quantity}", ""]
    for c in p.criteria:
        out.append(f"- `{c.name}` ({c.role}): {c.describe()}")
        for ch in c.history:
            out += [f"  - was: {ch.was}", f"    - the run showed: {ch.showed}", f"    - became: {ch.became}",
                    f"    - why: {ch.why}"]
    return "\n".join(out) + "\n"


def one_claim(run: dict | None, cid: str) -> str:
    c = next((c for c in (run or {}).get("claims", []) if c["id"] == cid), None)
    if c is None:
        return f"_No record of `{cid}` yet: run `python scripts/update_docs.py --from-results results`._\n"
    out = [f"**{c['verdict']}** (the run of record): {c['headline'] or c['title']}"]
    out += [f"- fragile: {f}" for f in c["fragile"]]
    return "\n".join(out) + "\n"


def one_claim_at_seeds(seeds: dict | None, cid: str) -> str:
    if not seeds or cid not in seeds["verdicts"]:
        return "_No record yet: run `python scripts/seed_verdicts.py`._\n"
    lines = ["| root seed | verdict | measured |", "|---|---|---|"]
    lines += [f"| {s} | {v} | {h or ''} |" for s, v, h in zip(seeds["seeds"], seeds["verdicts"][cid],
                                                               seeds["headlines"][cid])]
    return "\n".join(lines) + "\n"


def limit_row(limit: dict | None, part: str) -> str:
    row = next((r for r in (limit or {}).get("rows", []) if r["part"].startswith(part)), None)
    if row is None:
        return "_No record yet: run `python benchmarks/limit.py --json docs/data/limit.json`._\n"
    m = row["measured"]
    return (f"{row['gflop']:,.0f} GFLOP; at this machine's GEMM rate for those shapes the limit is "
            f"{row['limit']:.1f} s of CPU; measured {m:.1f} s, {m / row['limit']:.1f} times the limit "
            "(`benchmarks/limit.py`).\n")


def diagnosis(args: str) -> str:
    got = (load("diagnose.json") or {}).get(args)
    if got is None:
        return "_No record yet: run `python scripts/update_docs.py --diagnose`._\n"
    return "```\n" + got + "```\n"


def run_diagnoses() -> None:
    """Runs every ``python -m proofs diagnose ARGS`` the pages show in a generated block; keeps the screens."""
    import shlex
    import subprocess

    found = {m["name"].split(":", 1)[1] for page in pages() for m in BLOCK.finditer(page.read_text(encoding="utf-8"))
             if m["name"].startswith("diagnose:")}
    record = {}
    for args in sorted(found):
        proc = subprocess.run([sys.executable, "-m", "proofs", "diagnose", *shlex.split(args), "-q"], cwd=ROOT,
                              capture_output=True, text=True, env=os.environ | {"COLUMNS": "120"})
        if proc.returncode:
            raise SystemExit(f"diagnose {args}: exit {proc.returncode}: {proc.stderr.strip()}")
        record[args] = proc.stdout
    DATA.mkdir(parents=True, exist_ok=True)
    (DATA / "diagnose.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def render(name: str) -> str:
    run = load("run.json")
    kind, _, arg = name.partition(":")
    if kind == "protocol":
        return protocol(arg)
    if kind == "claim":
        return one_claim(run, arg)
    if kind == "seeds" and arg:
        return one_claim_at_seeds(load("seeds.json"), arg)
    if kind == "limit" and arg:
        return limit_row(load("limit.json"), arg)
    if kind == "diagnose":
        return diagnosis(arg)
    if name == "options":
        return options()
    if name == "timing":
        return timing(load("suite.json"))
    if name == "limit":
        return limit_table(load("limit.json"))
    if name == "seeds":
        return seed_table(load("seeds.json"))
    if run is None:
        return "_No record yet: run `python scripts/update_docs.py --from-results results`._\n"
    return {"verdicts": verdicts, "compact-table": compact_table, "book-vs-run": full_table,
            "findings": findings}[name](run)


def pages() -> list[Path]:
    return [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from-results", metavar="FOLDER", help="record this run's results first (docs/data/run.json)")
    ap.add_argument("--check", action="store_true", help="write nothing; exit 1 naming each stale block")
    ap.add_argument("--diagnose", action="store_true", help="run the diagnoses the pages show first "
                    "(docs/data/diagnose.json)")
    args = ap.parse_args(argv)
    if args.diagnose:
        run_diagnoses()
    if args.from_results:
        folder = Path(args.from_results)
        if not (folder / "results.json").is_file():
            ap.error(f"--from-results {folder}: no results.json there")
        DATA.mkdir(parents=True, exist_ok=True)
        (DATA / "run.json").write_text(json.dumps(snapshot(folder), indent=1) + "\n", encoding="utf-8")
    stale = []
    for page in pages():
        text = page.read_text(encoding="utf-8")
        new = BLOCK.sub(lambda m: f"<!-- generated:{m['name']} -->\n{render(m['name'])}<!-- /generated:{m['name']} -->",
                        text)
        if new != text:
            pairs = zip(BLOCK.finditer(text), BLOCK.finditer(new))
            stale += [f"{page.relative_to(ROOT)}: {m['name']}" for m, n in pairs if m.group(0) != n.group(0)]
            if not args.check:
                page.write_text(new, encoding="utf-8")
    for s in stale:
        print(("stale: " if args.check else "rewrote: ") + s)
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
