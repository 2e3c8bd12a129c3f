"""Typed parts: a part's key is derived from its function, arguments and the run (never written by hand); a part two
claims ask for (the same key) is computed once per run, for any --jobs, its seconds counted once; a part that raises
fails its claim with the error named, never recomputed; --jobs 1 takes the same path."""

import json

import pytest

import proofs.run.registry
from proofs.claim import Claim, Context, Evidence, Fact, Part
from proofs.data import Run
from proofs.run.executor import Executor
from proofs.run.plan import Plan
from proofs.timing import without_timings

SETTINGS = Run()


def count_call(run, path: str, x: int) -> int:
    """The shared piece of work: notes each call in a file (the workers are other processes)."""
    with open(path, "a") as f:
        f.write("call\n")
    return x * x


def fail_call(run, path: str, x: int) -> int:
    count_call(run, path, x)
    raise ValueError(f"planted failure at {x}")


def _claims(path, fn=count_call):
    def parts(ctx):
        return [Part.of(ctx.run, fn, path, 7)]

    def parts_b(ctx):
        return [Part.of(ctx.run, fn, path, 7), Part.of(ctx.run, count_call, path, 3)]

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
    assert calls.read_text().count("call") == 2  # the two distinct parts (7 and 3), each once
    assert all(r["verdict"] == "verified" for r in recs.values())
    (own,) = recs["share-a"]["parts"]
    borrowed, mine = recs["share-b"]["parts"]
    assert "computed_by" not in own and own["key"] == f"count_call/{calls}/7"
    assert borrowed == {"key": f"count_call/{calls}/7", "seconds": 0.0, "cpu_seconds": 0.0, "computed_by": "share-a"}
    assert "computed_by" not in mine and mine["key"] == f"count_call/{calls}/3"


def test_the_records_do_not_depend_on_jobs(tmp_path, monkeypatch):
    out = {}
    for jobs in (1, 2):
        calls = str(tmp_path / f"calls{jobs}")
        claims = _claims(calls)
        monkeypatch.setattr(proofs.run.registry, "all_claims", lambda claims=claims: claims)
        with Executor(jobs) as ex:  # the records name the file each run wrote; apart from it they are the same
            out[jobs] = [json.loads(json.dumps(without_timings(r)).replace(calls, "CALLS"))
                         for r in ex.run(claims, SETTINGS, lambda *a: None)]
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
        assert f"part fail_call/{calls}/7 failed: ValueError: planted failure at 7" in r["error"]


def power(run, x: int, k: int) -> int:
    return x**k


def test_compute_takes_a_part_only_and_its_key_is_derived():
    """A part's key is its function, its arguments and the run's own key: other arguments, another function or
    another run (seed, data) give another key, so two different pieces of work never share one."""
    with pytest.raises(TypeError, match="takes a Part"):
        Context().compute(("square", 7))
    part = Part.of(Run(), power, 7, 2)
    assert Context().compute(part) == 49 and Context().part(power, 7, 2) == 49
    assert part.key == (f"{__name__}.power", (7, 2), Run().key()) and part == Part.of(Run(), power, 7, 2)
    assert part != Part.of(Run(), power, 7, 3) and part != Part.of(Run(), count_call, 7, 2)
    assert part != Part.of(Run(seed=1), power, 7, 2) and part != Part.of(Run(data_digest="other"), power, 7, 2)
    assert Run(figure_size="page", pgf=True).key() == Run().key()  # how figures are drawn changes no number


def test_the_plan_names_one_owner_per_key():
    claims = _claims("/dev/null")
    plan = Plan(claims, Context())
    seven, three = (Part.of(Run(), count_call, "/dev/null", x).key for x in (7, 3))
    assert plan.owner == {seven: "share-a", three: "share-b"}
    assert plan.users[seven] == ["share-a", "share-b"] and plan.shared() == {seven}
    assert [p.key for p in plan.tasks("share-b")] == [three]
    assert plan.borrowed("share-b", [seven, three]) == {seven: "share-a"}


def test_the_plan_refuses_one_key_for_two_pieces_of_work():
    """Should two claims ever name different work (another function or other arguments) by one key, the first one's
    value would be shared silently; the plan refuses the run instead (a key written by hand could do it)."""
    claims = _claims("/dev/null")
    seven = Part.of(Run(), count_call, "/dev/null", 7).key
    other = Claim("share-c", "test", "same key, other arguments", claims[0].check, group="test",
                  parts=lambda ctx: [Part(seven, count_call, ("/dev/null", 8), Run())])
    with pytest.raises(ValueError, match="different work by one part key"):
        Plan(claims + [other], Context())


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
