"""How often a run's calls cross from one package to another (cli, api, engine, facts,
reading), counted by a runtime trace (sys.setprofile: every call whose caller and callee are
functions of two different packages, generators' resumptions included). Each budget is what the
run measured when it was set (docs/architecture.md, "Crossings"): a change that makes data go
back and forth more often fails here and says between which packages."""
from __future__ import annotations

import collections
import json
import sys
from typing import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncdoctor.cli.main import app
from tests.conftest import EXAMPLE, FIXTURE_RULES, runner

PACKAGES = {"cli", "api", "engine", "facts", "reading"}
Pairs = collections.Counter


def _package(frame) -> str | None:
    parts = frame.f_globals.get("__name__", "").split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "syncdoctor" and parts[1] in PACKAGES else None


def crossings(run: Callable[[], object]) -> Pairs:
    """(caller's package, callee's package) -> calls, while `run` runs in this thread."""
    counts: Pairs = collections.Counter()

    def profile(frame, event, arg):
        if event == "call" and frame.f_back is not None:
            callee, caller = _package(frame), _package(frame.f_back)
            if callee and caller and callee != caller:
                counts[(caller, callee)] += 1
    sys.setprofile(profile)
    try:
        run()
    finally:
        sys.setprofile(None)
    return counts


def _diagnose(*args: str) -> Callable[[], object]:
    argv = ["diagnose", "--facts", str(EXAMPLE), "--rules", str(FIXTURE_RULES), *args]

    def run() -> object:
        r = runner.invoke(app, argv)
        assert r.exit_code in (0, 1), r.output
        return r
    return run


# (caller, callee) -> the most calls allowed; a pair not listed may not cross at all.
BUDGETS = {
    # 57 calls (109 before issue 25's last part): cli→api twice, api/run.py's `start` and
    # `results`; the formats render finished values (api/shown.py: the proofs in words), so the
    # CLI calls nothing of engine/, reading/ or facts/; api→engine per result the diagnosis and its
    # document (+ the ruleset's hash), api→facts per result its facts (+ the snapshot, the
    # selection); api→reading the plain words of the proofs' values and the summary's counts;
    # facts↔engine the lazy fact pool (engine/facts.py, the performance engineer's)
    "one user": (("--user", "asmith@acme.example"), {
        ("api", "engine"): 5, ("api", "facts"): 6, ("api", "reading"): 14, ("cli", "api"): 2,
        ("engine", "facts"): 5, ("facts", "engine"): 20, ("facts", "reading"): 5}),
    # 26 calls in this process (47 before), the workers diagnose and render: cli→api is `start`,
    # `results`, and one resumption of the rows per streamed result (8, + the last); the summary
    # and the questions are counted in api/ (api/run.py `Results`)
    "a scan in 2 worker processes (this process's side)": (("--all", "--jobs", "2"), {
        ("api", "engine"): 1, ("api", "facts"): 4, ("api", "reading"): 2, ("cli", "api"): 11,
        ("facts", "engine"): 3, ("facts", "reading"): 5}),
    # 27 calls: as the scan above, without proofs in words (JSON keeps ids), and cli→engine twice:
    # the JSON stream's shared layout still builds engine/layout.py's compactor and rules table
    # itself (and compacts each result in the worker), not yet behind api/
    "a JSON scan in 2 worker processes (this process's side)": (("--all", "--jobs", "2", "--format", "json"), {
        ("api", "engine"): 1, ("api", "facts"): 3, ("api", "reading"): 2, ("cli", "api"): 11, ("cli", "engine"): 2,
        ("facts", "engine"): 3, ("facts", "reading"): 5}),
}


def _check(name: str, measured: Pairs) -> None:
    budget = BUDGETS[name][1]
    over = {pair: n for pair, n in measured.items() if n > budget.get(pair, 0)}
    assert not over, (f"{name}: more crossings than the budget, (caller, callee): measured/budget "
                      + ", ".join(f"{a}→{b}: {n}/{budget.get((a, b), 0)}" for (a, b), n in sorted(over.items())))


@pytest.mark.parametrize("name", list(BUDGETS))
def test_crossings_stay_within_their_budget(name):
    run = _diagnose(*BUDGETS[name][0])
    run()  # warm: the rules loaded, the engine built (a second run in one process, as the API's callers see it)
    measured = crossings(run)
    print(name, sum(measured.values()), dict(sorted(measured.items())))
    _check(name, measured)


# The workers' side of a scan, measured in process: api.scan() without jobs runs the loop each
# worker runs (the class engine over the rows of api/stream.py), without rendering. 58 calls
# for the example's 8 results: per result, api→engine twice (diagnose, the result document) and
# api→facts once (its facts), facts→engine 4 (the fact types built); once per scan the rest.
SCAN_LOOP = {("api", "engine"): 16, ("api", "facts"): 10, ("facts", "engine"): 32}


def test_the_scan_loop_of_a_worker_stays_within_its_budget():
    import syncdoctor.api as api
    snap = api.load_snapshot(EXAMPLE)
    list(api.scan(snap, rules=FIXTURE_RULES))  # warm
    measured = crossings(lambda: list(api.scan(snap, rules=FIXTURE_RULES)))
    print("scan loop", sum(measured.values()), dict(sorted(measured.items())))
    BUDGETS["the scan loop"] = ((), SCAN_LOOP)
    _check("the scan loop", measured)


def test_the_trace_sees_crossings_and_the_budget_bites():
    measured = crossings(_diagnose("--user", "asmith@acme.example"))
    assert measured[("cli", "api")] > 0 and measured[("api", "engine")] > 0
    with pytest.raises(AssertionError, match="cli→api"):
        _check("one user", measured + Pairs({("cli", "api"): 10_000}))


# The class, over generated orgs and every format: the CLI's side does not grow with the org. One
# user: two calls into api/ (api/run.py `start` and `results`) whatever the business units; a
# scan: those two, the rows' iterator, and one resumption per result; never a call from cli/ into
# engine/, facts/ or reading/ but JSON's shared layout (its compactor and rules table, above).
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(users=st.integers(2, 9), seed=st.integers(0, 3), fmt=st.sampled_from(["text", "json", "markdown", "html"]))
def test_the_clis_calls_into_the_pipeline_do_not_grow_with_the_org(generated_org, users, seed, fmt):
    org = generated_org(users, seed)
    data = json.loads(org.read_text(encoding="utf-8"))
    results = len(data["salesforce"]["users"]) * len(data["business_units"])
    first = data["salesforce"]["users"][0]["id"]
    for args, most in ((("--user", first), 2), (("--all", "--jobs", "2"), 3 + results)):
        def run(args=args) -> None:
            r = runner.invoke(app, ["diagnose", "--facts", str(org), "--rules", str(FIXTURE_RULES), "--format", fmt, *args])
            assert r.exit_code in (0, 1), r.output
        measured = crossings(run)
        assert measured[("cli", "api")] <= most, (args, fmt, dict(measured))
        below = {pair: n for pair, n in measured.items() if pair[0] == "cli" and pair[1] != "api"}
        assert not below or (fmt == "json" and set(below) == {("cli", "engine")} and below[("cli", "engine")] <= 2), below
