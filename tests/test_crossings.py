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


# (caller, callee) -> the most calls allowed; a pair not listed may not cross at all. The data's
# way crosses each boundary once per direction: one call takes the request down (cli→api
# `diagnose`, api/run.py), and one stream of results comes back, resumed once per batch (a
# worker's chunk of users). Below the CLI, per result: api→facts its facts (one call, which hands
# engine/ the diagnosis's input in one call: FactSet.of), api→engine its document (one call: the
# diagnosis, its JSON, in the shared layout its compact form). reading/ holds leaf functions
# (plain words, `visible`, the loaders) called per value: counted, and budgeted as measured.
BUDGETS = {
    # 79 calls (57 before this round, 109 before issue 25's last part): cli→api once; api→engine
    # per result its document (+ the ruleset's hash); api→facts per result its facts (+ the
    # snapshot, the selection in one call, the business units' names for the proofs); facts→engine a pool per
    # business unit (FactPool.lazy) and per result its facts (FactSet.of); engine→facts the lazy
    # pool reading the columns it joins on and building the facts it uses; cli→reading `visible`
    # per value the report shows (the one visible, reading/words.py: no copy in cli/ any more)
    "one user": (("--user", "asmith@acme.example"), {
        ("api", "engine"): 3, ("api", "facts"): 5, ("api", "reading"): 14, ("cli", "api"): 1, ("cli", "reading"): 41,
        ("engine", "facts"): 5, ("facts", "engine"): 5, ("facts", "reading"): 5}),
    # this process's side of a scan (the workers diagnose and render): cli→api the call, one
    # resumption per batch (one chunk here) and the last; api→cli once, the progress bar told the
    # number of users (cli/report.py); cli→reading `visible` in the header and the summary
    "a scan in 2 worker processes (this process's side)": (("--all", "--jobs", "2"), {
        ("api", "cli"): 1, ("api", "engine"): 1, ("api", "facts"): 3, ("api", "reading"): 2, ("cli", "api"): 3,
        ("cli", "reading"): 20, ("facts", "engine"): 1, ("facts", "reading"): 5}),
    # as the scan above, without proofs in words (JSON keeps ids); the shared layout's rules table
    # and compactor built in api/ (api→engine 3), none of it in cli/ any more
    "a JSON scan in 2 worker processes (this process's side)": (("--all", "--jobs", "2", "--format", "json"), {
        ("api", "cli"): 1, ("api", "engine"): 3, ("api", "facts"): 2, ("api", "reading"): 2, ("cli", "api"): 3,
        ("facts", "engine"): 1, ("facts", "reading"): 5}),
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
# worker runs (the class engine over the rows of api/stream.py), without rendering. 25 calls for
# the example's 8 results (58 before this round): per result api→facts once (its facts),
# facts→engine once (FactSet.of) and api→engine once (its document); once per scan the selection.
SCAN_LOOP = {("api", "engine"): 8, ("api", "facts"): 9, ("facts", "engine"): 8}


def test_the_scan_loop_of_a_worker_stays_within_its_budget():
    import syncdoctor.api as api
    snap = api.load_snapshot(EXAMPLE)
    list(api.scan(snap, rules=FIXTURE_RULES))  # warm
    measured = crossings(lambda: list(api.scan(snap, rules=FIXTURE_RULES)))
    print("scan loop", sum(measured.values()), dict(sorted(measured.items())))
    BUDGETS["the scan loop"] = ((), SCAN_LOOP)
    _check("the scan loop", measured)


# A worker's task as it runs it (api/workers.py `work`: the chunk diagnosed on the class engine,
# each result rendered in the output's format), in process, for the example's 8 results. Per
# result: api→facts, facts→engine, api→engine once each, api→cli once (the format's rendering);
# the words of the proofs (api→reading `plain`) and the escapes of the formats (cli→reading
# `visible`) per value shown; JSON renders ids, not words.
RENDER = {
    "text": {("api", "cli"): 8, ("api", "engine"): 8, ("api", "facts"): 8, ("api", "reading"): 72, ("cli", "reading"): 148,
             ("facts", "engine"): 8},
    "markdown": {("api", "cli"): 8, ("api", "engine"): 8, ("api", "facts"): 8, ("api", "reading"): 72,
                 ("cli", "reading"): 198, ("facts", "engine"): 8},
    "html": {("api", "cli"): 8, ("api", "engine"): 8, ("api", "facts"): 8, ("api", "reading"): 72, ("cli", "reading"): 250,
             ("facts", "engine"): 8},
    "json": {("api", "cli"): 8, ("api", "engine"): 8, ("api", "facts"): 8, ("facts", "engine"): 8},
}


@pytest.mark.parametrize("fmt", list(RENDER))
def test_the_render_path_of_a_worker_stays_within_its_budget(fmt):
    from syncdoctor.api import pipeline, workers
    from syncdoctor.api.stream import Compactor, Render
    from syncdoctor.cli import formats
    from syncdoctor.engine.classes import ClassEngine
    know = pipeline.knowledge(FIXTURE_RULES)
    snap = pipeline.Source.file(EXAMPLE).build()
    sel = pipeline.select(snap, None, True, None)
    if fmt == "json":  # a scan's JSON: the shared layout
        stream = formats.stream("json", layout="shared")
        render = Render(stream.result_shared, None, Compactor(pipeline.header(know.ruleset, snap, None)["snapshot"]))
    else:
        stream = formats.stream(fmt, **({"show_summary": True, "quiet": True, "color": False} if fmt == "text" else {}))
        render = Render(stream.result, pipeline.words_for(know, snap))
    job, engine, task = workers.Job(know.ruleset, snap, sel, None, render), ClassEngine(know.ruleset), (0, len(sel.users))
    workers.work(job, engine, task)  # warm
    measured = crossings(lambda: workers.work(job, engine, task))
    print("render", fmt, sum(measured.values()), dict(sorted(measured.items())))
    BUDGETS[f"a worker's {fmt}"] = ((), RENDER[fmt])
    _check(f"a worker's {fmt}", measured)


# explain: one call down (api/explained.py), finished values back; the CLI lays them out (43
# calls in all: below the CLI as for one user, with the rule's proof in words).


def test_explain_hands_its_request_down_in_one_call():
    argv = ["explain", "MANAGED_NOT_ASSIGNED", "--facts", str(EXAMPLE), "--rules", str(FIXTURE_RULES), "--user",
            "asmith@acme.example"]

    def run() -> None:
        r = runner.invoke(app, argv)
        assert r.exit_code == 0, r.output
    run()
    measured = crossings(run)
    print("explain", sum(measured.values()), dict(sorted(measured.items())))
    assert measured[("cli", "api")] == 1, dict(measured)
    assert not {pair for pair in measured if pair[0] == "cli" and pair[1] not in ("api", "reading")}, dict(measured)
    assert not measured[("api", "cli")]


# replay and rules test: one call down each (api/replay.py `replay`: the record read, its snapshot
# and the rules loaded, its pairs diagnosed again through `pipeline.diagnosed`, compared;
# api/cases.py `run_folder`: every case diagnosed through the same `diagnosed`, its remedies
# verified, the coverage), a plain dataclass back whose fields the CLI reads without a call, and
# cli→reading `visible` per line printed. Before, the CLI did that work itself: replay crossed
# cli→api 10 times for one user (28 for a scan's record: per result its diagnosis), cli→engine and
# cli→facts too; rules test crossed cli→api 141 times and cli→engine 79 (per case).
COMMANDS = {
    # 26 calls (34 before): below the CLI as for one user's diagnosis, + the record read (api→reading)
    "replay, a one-user record": {
        ("api", "engine"): 5, ("api", "facts"): 4, ("api", "reading"): 3, ("cli", "api"): 1, ("cli", "reading"): 2,
        ("engine", "facts"): 5, ("facts", "engine"): 5, ("facts", "reading"): 1},
    # 61 calls (87 before): per result api→engine twice (its diagnosis, its JSON: Diagnosis.to_json),
    # api→facts and facts→engine its facts
    "replay, a scan's record": {
        ("api", "engine"): 17, ("api", "facts"): 10, ("api", "reading"): 3, ("cli", "api"): 1, ("cli", "reading"): 2,
        ("engine", "facts"): 16, ("facts", "engine"): 11, ("facts", "reading"): 1},
    # 1393 calls (1534 before), most of them engine→reading: the rules folder loaded and checked
    # (each run of `rules test` reads it anew); per case api→engine, api→facts, api→reading
    "rules test": {
        ("api", "engine"): 125, ("api", "facts"): 98, ("api", "reading"): 100, ("cli", "api"): 1, ("cli", "reading"): 2,
        ("engine", "facts"): 59, ("engine", "reading"): 932, ("facts", "engine"): 62, ("facts", "reading"): 14},
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_replay_and_rules_test_hand_their_request_down_in_one_call(name, tmp_path):
    if name.startswith("replay"):
        record = tmp_path / "record.json"
        who = ["--user", "asmith@acme.example"] if "one-user" in name else ["--all"]
        made = runner.invoke(app, ["diagnose", "--facts", str(EXAMPLE), "--rules", str(FIXTURE_RULES), *who,
                                   "--audit", str(record)])
        assert made.exit_code in (0, 1), made.output
        argv = ["replay", str(record), "--rules", str(FIXTURE_RULES)]
    else:
        argv = ["rules", "test", str(FIXTURE_RULES)]

    def run() -> None:
        r = runner.invoke(app, argv)
        assert r.exit_code == 0, r.output
    run()  # warm
    measured = crossings(run)
    print(name, sum(measured.values()), dict(sorted(measured.items())))
    BUDGETS[name] = ((), COMMANDS[name])
    _check(name, measured)
    assert not {pair for pair in measured if pair[0] == "cli" and pair[1] not in ("api", "reading")}, dict(measured)
    assert not measured[("api", "cli")]


def test_the_trace_sees_crossings_and_the_budget_bites():
    measured = crossings(_diagnose("--user", "asmith@acme.example"))
    assert measured[("cli", "api")] > 0 and measured[("api", "engine")] > 0
    with pytest.raises(AssertionError, match="cli→api"):
        _check("one user", measured + Pairs({("cli", "api"): 10_000}))


# The class, over generated orgs and every format: the CLI's side does not grow with the org. One
# user: one call into api/ (api/run.py `diagnose`) whatever the business units, and none back; a
# scan: that call, one resumption per batch of rows (a worker's chunk: one here) and the last, and
# one call back (the progress bar told the number of users); never a call from cli/ into engine/ or
# facts/ (reading/'s `visible`, the one escape of terminal controls, is the CLI's to call).
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(users=st.integers(2, 9), seed=st.integers(0, 3), fmt=st.sampled_from(["text", "json", "markdown", "html"]))
def test_the_clis_calls_into_the_pipeline_do_not_grow_with_the_org(generated_org, users, seed, fmt):
    org = generated_org(users, seed)
    data = json.loads(org.read_text(encoding="utf-8"))
    first = data["salesforce"]["users"][0]["id"]
    for args, down, up in ((("--user", first), 1, 0), (("--all", "--jobs", "2"), 3, 1)):
        def run(args=args) -> None:
            r = runner.invoke(app, ["diagnose", "--facts", str(org), "--rules", str(FIXTURE_RULES), "--format", fmt, *args])
            assert r.exit_code in (0, 1), r.output
        measured = crossings(run)
        assert measured[("cli", "api")] <= down and measured[("api", "cli")] <= up, (args, fmt, dict(measured))
        below = {pair: n for pair, n in measured.items() if pair[0] == "cli" and pair[1] not in ("api", "reading")}
        assert not below, below
