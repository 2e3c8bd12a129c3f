"""Typed parts: a part two claims ask for (the same key) is computed once per run, for any --jobs, its seconds counted
once; a part that raises fails its claim with the error named, never recomputed; --jobs 1 takes the same path."""

import pytest

import proofs.run.registry
from proofs.claim import Claim, Context, Evidence, Fact, Part
from proofs.run.executor import Executor
from proofs.run.plan import Plan
from proofs.timing import without_timings

SETTINGS = {"dps": 50, "seed": 0, "mnist": None, "seeds": None, "quick": False}


def count_call(path: str, x: int) -> int:
    """The shared piece of work: notes each call in a file (the workers are other processes)."""
    with open(path, "a") as f:
        f.write("call\n")
    return x * x


def fail_call(path: str, x: int) -> int:
    count_call(path, x)
    raise ValueError(f"planted failure at {x}")


def _claims(path, fn=count_call):
    def parts(ctx):
        return [Part(("square", 7), fn, (path, 7))]

    def parts_b(ctx):
        return [Part(("square", 7), fn, (path, 7)), Part(("square", 3), count_call, (path, 3))]

    def check(ctx, both=False):
        got = [ctx.compute(part) for part in (parts_b if both else parts)(ctx)]
        return Evidence("verified", [Fact("the part's value arrived", got[0] == 49, "exact")])

    return [Claim("share-a", "test", "first asker", check, group="test", parts=parts),
            Claim("share-b", "test", "second asker", lambda ctx: check(ctx, True), group="test", parts=parts_b)]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_shared_part_runs_once_and_its_seconds_count_once(tmp_path, monkeypatch, jobs):
    calls = tmp_path / "calls"
    calls.write_text("")
    claims = _claims(str(calls))
    monkeypatch.setattr(proofs.run.registry, "all_claims", lambda: claims)  # forked workers inherit it
    with Executor(jobs) as ex:
        recs = {r["id"]: r for r in ex.run(claims, SETTINGS, lambda *a: None)}
    assert calls.read_text().count("call") == 2  # keys ("square", 7) and ("square", 3), each once
    assert all(r["verdict"] == "verified" for r in recs.values())
    (own,) = recs["share-a"]["parts"]
    borrowed, mine = recs["share-b"]["parts"]
    assert "computed_by" not in own and own["key"] == "square/7"
    assert borrowed == {"key": "square/7", "seconds": 0.0, "cpu_seconds": 0.0, "computed_by": "share-a"}
    assert "computed_by" not in mine and mine["key"] == "square/3"


def test_the_records_do_not_depend_on_jobs(tmp_path, monkeypatch):
    out = {}
    for jobs in (1, 2):
        claims = _claims(str(tmp_path / f"calls{jobs}"))
        monkeypatch.setattr(proofs.run.registry, "all_claims", lambda claims=claims: claims)
        with Executor(jobs) as ex:
            out[jobs] = [without_timings(r) for r in ex.run(claims, SETTINGS, lambda *a: None)]
    assert out[1] == out[2]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_part_that_raises_fails_every_claim_that_asks_for_it_with_its_error_and_is_not_recomputed(
        tmp_path, monkeypatch, jobs):
    calls = tmp_path / "calls"
    calls.write_text("")
    claims = _claims(str(calls), fail_call)
    monkeypatch.setattr(proofs.run.registry, "all_claims", lambda: claims)
    with Executor(jobs) as ex:
        recs = {r["id"]: r for r in ex.run(claims, SETTINGS, lambda *a: None)}
    assert calls.read_text().count("call") == 2  # the failing part ran once, the other part once
    for r in recs.values():
        assert r["verdict"] == "failed"
        assert "part square/7 failed: ValueError: planted failure at 7" in r["error"]


def test_compute_takes_a_part_only():
    with pytest.raises(TypeError, match="takes a Part"):
        Context().compute(("square", 7))
    part = Part(("square", 7), pow, (7, 2))
    assert Context().compute(part) == 49 and part == Part(("square", 7), abs, ())  # equal keys: the same work


def test_the_plan_names_one_owner_per_key():
    class Ctx:
        pass

    claims = _claims("/dev/null")
    plan = Plan(claims, Ctx())
    assert plan.owner == {("square", 7): "share-a", ("square", 3): "share-b"}
    assert plan.users[("square", 7)] == ["share-a", "share-b"] and plan.shared() == {("square", 7)}
    assert [p.key for p in plan.tasks("share-b")] == [("square", 3)]
    assert plan.borrowed("share-b", [("square", 7), ("square", 3)]) == {("square", 7): "share-a"}


def test_the_plan_refuses_one_key_for_two_pieces_of_work():
    """Two claims naming different work (another function or other arguments) by one key would silently share the
    first one's value; the plan refuses the run instead."""
    class Ctx:
        pass

    claims = _claims("/dev/null")
    other = Claim("share-c", "test", "same key, other arguments", claims[0].check, group="test",
                  parts=lambda ctx: [Part(("square", 7), count_call, ("/dev/null", 8))])
    with pytest.raises(ValueError, match="different work by one part key"):
        Plan(claims + [other], Ctx())


def test_the_matrix_claims_differentiate_each_reference_network_once():
    """bp1-bp4-matrix-form and eq124-matrix-delta compare their routes with the same implicit and direct deltas:
    one part per shape, computed by the first claim and handed to the second."""
    from proofs.claims import matrix
    from proofs.context import Context

    bp, eq124 = (c for c in matrix.CLAIMS if c.id in ("bp1-bp4-matrix-form", "eq124-matrix-delta"))
    plan = Plan([bp, eq124], Context())
    keys = [p.key for p in matrix.reference_parts(Context())]
    assert len(keys) == len(matrix.SHAPES) and set(keys) <= plan.shared()
    assert all(plan.owner[k] == bp.id for k in keys) and not plan.tasks(eq124.id)
