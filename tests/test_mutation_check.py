"""scripts/mutation_check.py's kill map and steps, checked cheaply (the mutation check itself is run by hand)."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def mc():
    spec = importlib.util.spec_from_file_location("mutation_check", ROOT / "scripts" / "mutation_check.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["mutation_check"] = module  # dataclasses look the module up while the class is built
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules["mutation_check"]
    return module


def test_the_kill_map_names_existing_mutants_and_test_files(mc):
    killers = json.loads(mc.KILLERS.read_text(encoding="utf-8"))
    names = [m.name for m in mc.MUTANTS]
    assert len(set(names)) == len(names), "two mutants share a name"
    assert set(killers) <= set(names), sorted(set(killers) - set(names))
    for name, nodes in killers.items():
        assert nodes and all(isinstance(n, str) for n in nodes), name
        for node in nodes:
            assert (ROOT / node.split("::")[0]).is_file(), (name, node)


def test_every_mutant_in_the_list_is_a_replacement_in_an_existing_file(mc):
    """scripts/mutants.toml: four fields an entry (Mutant(**entry) refuses others), a file of the project, a change."""
    for m in mc.MUTANTS:
        assert (ROOT / m.path).is_file() and m.old and m.old != m.new, m.name


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A scratch project of two tests: one that fails (the "mutant" is caught) and one that passes."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # a bare pytest starts in 0.5 s, not 1.5 s
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text("def test_passes():\n    pass\n\n\n"
                                                  "def test_fails():\n    assert 1 == 2\n", encoding="utf-8")
    return tmp_path


def test_a_step_that_names_no_existing_test_or_passes_falls_through(mc, project):
    gone, ok, bad = "tests/test_a.py::test_gone", "tests/test_a.py::test_passes", "tests/test_a.py::test_fails"
    assert mc.run_steps([("map", [bad]), ("suite", [])], project, 60) == ("killed", "map", bad)
    # exit 4 (no such node), then 0 (a related test that passes): only the whole suite's failure kills
    assert mc.run_steps([("map", [gone]), ("related", [ok]), ("suite", [])], project, 60) == ("killed", "suite", bad)
    (project / "tests" / "test_a.py").write_text("def test_passes():\n    pass\n", encoding="utf-8")
    assert mc.run_steps([("suite", [])], project, 60) == ("SURVIVED", "suite", "-")


def test_the_map_is_rewritten_from_the_run_and_keeps_the_mutants_not_run(mc):
    a, b, c = mc.MUTANTS[:3]
    old = {a.name: ["tests/x.py::old"], b.name: ["tests/y.py::kept"], "a mutant since removed": ["tests/z.py::t"]}
    results = [{"mutant": a, "status": "killed", "by": "tests/x.py::new"},
               {"mutant": c, "status": "killed", "by": "timeout after 900 s"}]
    assert mc.updated_killers(old, results) == {a.name: ["tests/x.py::new"], b.name: ["tests/y.py::kept"]}
