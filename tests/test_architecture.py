"""The house's shape, kept by tests: imports point one way with no circle; modules stay small.

* Imports, read with ``ast`` (module level and inside functions; ``if TYPE_CHECKING:`` blocks aside):
  no cycle between the modules of theory/, numeric/, proofs/, and no upward import (theory imports neither
  numeric nor proofs nor NumPy/Matplotlib; numeric imports neither proofs nor theory nor SymPy).
* Production modules of at most 250 lines: today's longer ones are listed by name, so a new one fails, and a
  listed one that has come down to 250 fails until it leaves the list.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("theory", "numeric", "proofs")
FORBIDDEN = {  # package -> top-level names its modules must not import
    "theory": {"numeric", "proofs", "numpy", "matplotlib", "scipy"},
    "numeric": {"proofs", "theory", "sympy"},
}
# Import edges that close a known cycle, each with the reason it is tolerated for now. The test
# ``test_the_known_cycles_still_exist`` fails once an edge is gone, so the list only shrinks.
KNOWN_CYCLE_EDGES: dict = {}
MAX_LINES = 400  # issue 30: a module is one concept; 250 lines unless the concept needs more, never over 400
LONG_MODULES: set = set()  # modules allowed over MAX_LINES: none


def modules(root: Path = ROOT, packages=PACKAGES) -> dict[str, Path]:
    """Returns {dotted module name: file} for every module of ``packages`` under ``root``."""
    out = {}
    for pkg in packages:
        for f in sorted((root / pkg).rglob("*.py")):
            parts = f.relative_to(root).with_suffix("").parts
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = f
    return out


def _type_checking_only(tree: ast.AST) -> set[int]:
    """Returns the ids of import nodes inside ``if TYPE_CHECKING:`` blocks (never run)."""
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(n) for b in node.body for n in ast.walk(b)}
    return skip


def imports(name: str, path: Path) -> list[tuple[str, int]]:
    """Returns [(imported module, line)] of every import statement in the module, at any depth.

    ``from X import y`` imports X.y when that is a module, else X; relative imports are resolved.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    skip, out = _type_checking_only(tree), []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([node.module] if node.module else []))
            out += [(f"{base}.{a.name}", node.lineno) for a in node.names]
            out.append((base, node.lineno))
    return out


def graph(mods: dict[str, Path]) -> tuple[dict[str, set[str]], dict[str, set[tuple[str, int]]]]:
    """Returns (edges between the modules, {module: {(external top-level name, line)}})."""
    edges, external = {m: set() for m in mods}, {m: set() for m in mods}
    for m, path in mods.items():
        found = imports(m, path)
        names = {target for target, _ in found}
        for target, line in found:
            if target in mods:
                # ``from X import y`` lists both X.y and X: X.y is the edge when it is a module
                if not any(other.startswith(target + ".") and other in mods for other in names) or target == m:
                    edges[m].add(target)
            elif target.split(".")[0] not in {p.split(".")[0] for p in mods}:
                external[m].add((target.split(".")[0], line))
            else:  # a name inside a project module (``from .claim import Claim`` listed as proofs.claim.Claim)
                continue
        edges[m].discard(m)
    return edges, external


def cycles(edges: dict[str, set[str]], ignore=()) -> list[list[str]]:
    """Returns the strongly connected components of more than one module (Tarjan), each sorted."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if (v, w) in ignore:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def upward(edges: dict[str, set[str]], external: dict[str, set[tuple[str, int]]]) -> list[str]:
    """Returns "module -> target" for every import that points the wrong way (see FORBIDDEN)."""
    bad = []
    for m in sorted(edges):
        banned = FORBIDDEN.get(m.split(".")[0], set())
        bad += [f"{m} -> {t}" for t in sorted(edges[m]) if t.split(".")[0] in banned]
        bad += [f"{m} -> {t} (line {line})" for t, line in sorted(external[m]) if t in banned]
    return bad


def test_no_import_cycle():
    """No module reaches itself through imports (the known edges of KNOWN_CYCLE_EDGES aside)."""
    edges, _ = graph(modules())
    found = cycles(edges, ignore=set(KNOWN_CYCLE_EDGES))
    assert not found, f"import cycles (each a set of modules that import each other): {found}"


def test_the_known_cycles_still_exist():
    """Each tolerated edge still closes a cycle; when a fix lands this fails: delete the edge from the list."""
    edges, _ = graph(modules())
    found = cycles(edges)
    for (a, b), why in KNOWN_CYCLE_EDGES.items():
        assert b in edges[a] and any(a in c and b in c for c in found), \
            f"{a} -> {b} no longer closes a cycle: remove it from KNOWN_CYCLE_EDGES ({why})"


def test_no_import_cycle_at_all():
    """The full rule, no edge excused."""
    edges, _ = graph(modules())
    assert not cycles(edges)


def test_no_upward_import():
    """theory is SymPy only; numeric is NumPy and mpmath only; only proofs imports both."""
    edges, external = graph(modules())
    assert not upward(edges, external)


# Inside proofs, four layers (docs/ARCHITECTURE.md): the run (proofs.run, and __main__) may import everything;
# the export (proofs.export) the core and itself; a claims module (proofs.claims) the core only, never another
# claims module; the core (proofs' top-level modules) only the core.
LAYER_IMPORTS = {"run": {"run", "export", "claims", "core"}, "export": {"export", "core"}, "claims": {"core"},
                 "core": {"core"}}
KNOWN_LAYER_IMPORTS: dict = {}


def layer(module: str) -> str | None:
    """Returns a proofs module's layer ("run", "export", "claims", "core"), None outside proofs."""
    parts = module.split(".")
    if parts[0] != "proofs":
        return None
    if module == "proofs.__main__":
        return "run"
    return parts[1] if len(parts) > 1 and parts[1] in ("run", "export", "claims") else "core"


def layering_violations(edges: dict[str, set[str]]) -> set[tuple[str, str]]:
    """Returns the (module, target) edges inside proofs that point to a layer above, or between two claims modules."""
    out = set()
    for m, targets in edges.items():
        for t in targets:
            lm, lt = layer(m), layer(t)
            if lm and lt and (lt not in LAYER_IMPORTS[lm] or (lm == lt == "claims" and m != t)):
                out.add((m, t))
    return out


def test_the_layers_of_proofs_point_down():
    edges, _ = graph(modules())
    found = layering_violations(edges)
    assert not found - set(KNOWN_LAYER_IMPORTS), "an import points up a layer, or one claims module imports another"
    assert not set(KNOWN_LAYER_IMPORTS) - found, "fixed: remove from KNOWN_LAYER_IMPORTS"


# numeric's sub-packages, in the same way: data (the digits' files) and the networks over the core (activations,
# functions, validate, errors, streams, stats); the experiments over the networks; the figures over the experiments.
NUMERIC_IMPORTS = {"core": {"core"}, "data": {"data", "core"}, "networks": {"networks", "data", "core"},
                   "experiments": {"experiments", "networks", "data", "core"},
                   "figures": {"figures", "experiments", "core"}}


def numeric_layer(module: str) -> str | None:
    """Returns a numeric module's layer, None outside numeric."""
    parts = module.split(".")
    if parts[0] != "numeric":
        return None
    return parts[1] if len(parts) > 1 and parts[1] in NUMERIC_IMPORTS else "core"


def numeric_violations(edges: dict[str, set[str]]) -> set[tuple[str, str]]:
    """Returns the (module, target) edges of numeric that point up a layer."""
    return {(m, t) for m, ts in edges.items() for t in ts
            if numeric_layer(m) and numeric_layer(t) and numeric_layer(t) not in NUMERIC_IMPORTS[numeric_layer(m)]}


SHIMS = {"numeric.network", "numeric.experiments.experiments", "numeric.experiments.protocols",
         "numeric.experiments.remedies_run"}  # moved names kept one version (CHANGELOG.md), each warns


def test_the_shims_of_moved_names_warn_and_say_when_they_go():
    import importlib
    import warnings

    for name in SHIMS:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sys.modules.pop(name, None)
            module = importlib.import_module(name)
        assert module.__doc__.startswith("Moved:") and "goes in 0.5.0" in module.__doc__, name
        assert any(issubclass(w.category, DeprecationWarning) and "moved to" in str(w.message) for w in caught), name
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert all(f"`{name}`" in changelog for name in SHIMS)


def test_the_layers_of_numeric_point_down():
    edges, _ = graph(modules())
    edges = {m: ts for m, ts in edges.items() if m not in SHIMS}
    assert not numeric_violations(edges), f"an import points up a layer of numeric: {numeric_violations(edges)}"
    planted = {"numeric.networks.kernel": {"numeric.experiments.remedies", "numeric.functions"},
               "numeric.streams": {"numeric.data"}, "numeric.figures": {"numeric.experiments.meanfield"}}
    assert numeric_violations(planted) == {("numeric.networks.kernel", "numeric.experiments.remedies"),
                                           ("numeric.streams", "numeric.data")}


def test_the_checks_catch_a_planted_cycle_and_upward_imports(tmp_path):
    """A package tree with a function-level cycle and two upward imports is reported (the checks can fail)."""
    files = {
        "theory/__init__.py": "",
        "theory/a.py": "import sympy\n\ndef f():\n    import numpy\n",
        "numeric/__init__.py": "",
        "numeric/x.py": "from .y import Y\n",
        "numeric/y.py": "def g():\n    from numeric import x\n    from theory.a import f\n",
        "proofs/__init__.py": "from .model import C\n",
        "proofs/model.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import runner\n",
        "proofs/runner.py": "from .model import C\nimport numeric.x, theory.a\n",
        "proofs/run/__init__.py": "",
        "proofs/run/registry.py": "",
        "proofs/export/__init__.py": "from ..run import registry\n",
        "proofs/claims/__init__.py": "",
        "proofs/claims/b.py": "def f():\n    from ..run.registry import REGISTRY\n    from . import c\n",
        "proofs/claims/c.py": "from ..runner import x\n",
    }
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    edges, external = graph(modules(tmp_path))
    assert cycles(edges) == [["numeric.x", "numeric.y"]]  # proofs.model -> runner is TYPE_CHECKING only
    assert upward(edges, external) == ["numeric.y -> theory.a", "theory.a -> numpy (line 4)"]
    assert layering_violations(edges) == {("proofs.claims.b", "proofs.run.registry"),
                                          ("proofs.claims.b", "proofs.claims.c"),
                                          ("proofs.export", "proofs.run.registry")}


def test_modules_stay_within_the_house_limit():
    """No production module over 400 lines except listed ones; a listed one that shrank leaves the list."""
    lengths = {str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines())
               for p in modules().values()}
    new = {f: n for f, n in lengths.items() if n > MAX_LINES and f not in LONG_MODULES}
    assert not new, f"modules over {MAX_LINES} lines (split them, one idea each): {new}"
    shrunk = sorted(f for f in LONG_MODULES if lengths.get(f, 0) <= MAX_LINES)
    assert not shrunk, f"now within {MAX_LINES} lines (or gone): remove from LONG_MODULES: {shrunk}"


# The book's distinctive reported numbers: typed in proofs/book.py only (one place per fact, issue 19 item 7).
BOOK_FILE = "proofs/book.py"
BOOK_PASTED: dict = {}  # files that still type them, with the line that should import proofs.book instead


def _book_literals() -> tuple[set[float], set[str]]:
    from proofs import book

    floats = {v for norms in book.NORMS_AT_INIT.values() for v in norms} | set(book.ACCURACY.values())
    floats |= {book.P_ABS_W_BELOW_ONE, book.SCHOENHOLZ_TANH_EDGE_SIGMA_W2}
    texts = {f"{book.P_ABS_W_BELOW_ONE:.1%}", *(f"{v:.2%}" for v in book.ACCURACY.values())}
    return floats, texts


def pasted_book_numbers(root: Path = ROOT) -> dict[str, list[str]]:
    """Returns {file: [literal, ...]} for the book's numbers typed in proofs/ outside proofs/book.py."""
    floats, texts = _book_literals()
    out = {}
    for path in modules(root, ("proofs",)).values():
        rel = str(path.relative_to(root))
        if rel == BOOK_FILE:
            continue
        constants = [n.value for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                     if isinstance(n, ast.Constant)]
        found = [repr(v) for v in constants if (type(v) is float and v in floats)
                 or (isinstance(v, str) and any(t in v for t in texts))]
        if found:
            out[rel] = found
    return out


def test_the_books_numbers_are_typed_in_one_place():
    found = pasted_book_numbers()
    new = {f: v for f, v in found.items() if f not in BOOK_PASTED}
    assert not new, f"the book's numbers typed outside {BOOK_FILE} (import them from proofs.book): {new}"
    fixed = sorted(set(BOOK_PASTED) - set(found))
    assert not fixed, f"no longer typed there: remove from BOOK_PASTED: {fixed}"


def test_the_book_check_catches_a_pasted_number(tmp_path):
    (tmp_path / "proofs").mkdir()
    (tmp_path / "proofs" / "claims_x.py").write_text('ROWS = [{"book": "96.48%"}]\nNORM = 0.283\nOTHER = 0.5\n')
    found = pasted_book_numbers(tmp_path)
    assert {f: sorted(v) for f, v in found.items()} == {"proofs/claims_x.py": ["'96.48%'", "0.283"]}


# Random streams come from SeedSequence(seed).spawn (numeric.streams), never from seed arithmetic: an expression
# adding to a name that says "seed" (seed + k, ctx.seed + 1, range(seed, seed + n)) makes replica k of one run
# replica k - 1 of the next run's.
def seed_arithmetic(root: Path = ROOT) -> dict[str, list[int]]:
    """Returns {file: [line, ...]} where a seed is added to or subtracted from, in theory/, numeric/ and proofs/."""
    def seedy(node) -> bool:
        name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
        return name.lower().endswith("seed")  # a seed, not a number of seeds

    out = {}
    for path in modules(root).values():
        lines = sorted({n.lineno for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                        if isinstance(n, ast.BinOp) and isinstance(n.op, (ast.Add, ast.Sub))
                        and (seedy(n.left) or seedy(n.right))})
        if lines:
            out[str(path.relative_to(root))] = lines
    return out


def test_no_seed_arithmetic():
    found = seed_arithmetic()
    assert not found, f"seed arithmetic (use numeric.streams.replica / replica_streams): {found}"


def test_the_seed_check_catches_seed_arithmetic(tmp_path):
    (tmp_path / "numeric").mkdir()
    source = "def f(ctx, k):\n    a = k + 1\n    return range(ctx.seed, ctx.seed + k)\n"
    (tmp_path / "numeric" / "x.py").write_text(source)
    assert seed_arithmetic(tmp_path) == {"numeric/x.py": [3]}


def constant_seeds(root: Path = ROOT) -> dict:
    """Returns {file: [line]} of the packages' calls that seed a generator with a constant: default_rng(0),
    SeedSequence(7), RandomState(...), np.random.seed(...) (numeric/validate.py's make_rng keeps seed 0 as a
    library user's default when no generator is given; every claim passes its stream)."""
    out = {}
    for path in modules(root).values():
        if path.relative_to(root).as_posix() == "numeric/validate.py":
            continue
        lines = []
        for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(n, ast.Call):
                continue
            name = n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "")
            constant = n.args and isinstance(n.args[0], ast.Constant) and isinstance(n.args[0].value, int)
            global_seed = name == "seed" and ast.unparse(n.func).endswith("random.seed")
            if (name in ("default_rng", "SeedSequence") and constant) or name == "RandomState" or global_seed:
                lines.append(n.lineno)
        if lines:
            out[str(path.relative_to(root))] = lines
    return out


def test_no_constant_seed_in_the_packages():
    found = constant_seeds()
    assert not found, f"a generator seeded with a constant (use numeric.streams from the run's seed): {found}"


def literal_seed_counts(root: Path = ROOT) -> dict:
    """Returns {file: [line]} where proofs/ writes a number of seeds as a literal (seeds=5, quick_seeds=2): a
    protocol's seeds live in its definition (numeric/experiments), once."""
    out = {}
    for path in modules(root).values():
        rel = path.relative_to(root).as_posix()
        if not rel.startswith("proofs/"):
            continue
        lines = [n.value.lineno for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
                 if isinstance(n, ast.keyword) and n.arg in ("seeds", "quick_seeds")
                 and isinstance(n.value, ast.Constant) and isinstance(n.value.value, int)]
        if lines:
            out[rel] = lines
    return out


def test_no_literal_seed_count_outside_the_protocols():
    found = literal_seed_counts()
    assert not found, f"a number of seeds written outside its protocol: {found}"


def test_the_seed_checks_catch_a_constant_seed_and_a_literal_count(tmp_path):
    (tmp_path / "numeric").mkdir()
    (tmp_path / "proofs").mkdir()
    (tmp_path / "numeric" / "x.py").write_text("import numpy as np\nr = np.random.default_rng(0)\n"
                                               "s = np.random.SeedSequence(seed)\nnp.random.seed(3)\n")
    (tmp_path / "proofs" / "c.py").write_text("p = P.replace(seeds=5)\nq = P.replace(seeds=run.seeds)\n")
    assert constant_seeds(tmp_path) == {"numeric/x.py": [2, 4]}
    assert literal_seed_counts(tmp_path) == {"proofs/c.py": [1]}
