"""syncdoctor.api: the documented example runs, results are what the CLI prints, errors are
exceptions naming what was wrong (never a print, never an exit)."""
from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from syncdoctor import api
from syncdoctor.cli.main import app
from syncdoctor.engine.status import FIRED, NOT_APPLICABLE, UNDETERMINED, T, Evaluator
from tests.conftest import EXAMPLE, FIXTURE_RULES, ROOT, runner

CASE_ORGS = sorted((FIXTURE_RULES / "cases" / "orgs").glob("*.yaml"))


def cli_json(*args: str) -> dict:
    r = runner.invoke(app, ["diagnose", *args, "--format", "json"])
    assert r.exit_code in (0, 1), r.stderr
    return json.loads(r.stdout)


@pytest.fixture(scope="module")
def org(generated_org) -> Path:
    return generated_org(23, 11)


def test_the_documented_example_runs_and_says_what_the_cli_says(monkeypatch, capsys):
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    monkeypatch.chdir(ROOT)  # the example names docs/examples/acme.yaml
    ns: dict = {}
    exec(compile(code, "docs/api.md", "exec"), ns)  # noqa: S102 - the documentation's own code
    assert ns["results"] == cli_json("--facts", "docs/examples/acme.yaml", "--user", "asmith@acme.example")["results"]
    everyone = cli_json("--facts", "docs/examples/acme.yaml", "--all", "--layout", "full")["results"]
    assert sum(ns["codes"].values()) == sum(len(r["verdicts"]) for r in everyone) > 0
    assert ns["fired"].status == FIRED and ns["proof"].matched
    assert ns["other"].status != FIRED and ns["other"].why_not()
    assert "asmith@acme.example" in ns["problem"]
    assert "MANAGED_NOT_ASSIGNED" in capsys.readouterr().out  # the example's prints


def test_an_unknown_user_is_not_found_naming_the_closest():
    snap = api.load_snapshot(EXAMPLE)
    with pytest.raises(api.NotFound, match=r"'crepp@acme\.example' is not in .*did you mean: crep@acme\.example"):
        api.diagnose(snap, "crepp@acme.example")


def test_an_ambiguous_user_names_every_candidate():
    snap = api.load_snapshot(EXAMPLE)
    data = copy.deepcopy(snap.data)
    users = data["salesforce"]["users"]
    users[0]["email"] = users[1]["email"] = "shared@acme.example"  # two users, one email
    shared = api.load_snapshot(data, name="shared-email")
    with pytest.raises(api.NotFound, match="ambiguous") as exc:
        api.diagnose(shared, "Shared@acme.example")
    assert users[0]["username"] in str(exc.value) and users[1]["username"] in str(exc.value)


def test_bad_input_and_unknown_choices_are_exceptions_not_exits(capsys):
    with pytest.raises(api.BadInput) as bad:
        api.load_snapshot({"snapshot_version": 1, "salesforce": "not a mapping"}, name="inline")
    assert bad.value.findings and "inline" in str(bad.value)
    with pytest.raises(api.UnknownChoice, match="did you mean 'not-syncing'"):
        api.diagnose(EXAMPLE, "asmith@acme.example", symptom="not-synching")
    with pytest.raises(api.UnknownChoice, match="MANAGED_NOT_ASSIGNED"):
        api.explain(EXAMPLE, "MANAGED_NOT_ASIGNED", "asmith@acme.example")
    with pytest.raises(api.NotFound, match="business unit 'Acme Mars'"):
        list(api.scan(EXAMPLE, business_unit="Acme Mars"))
    assert capsys.readouterr() == ("", "")
    assert issubclass(api.BadInput, api.SyncdoctorError) and issubclass(api.NotFound, LookupError)


@pytest.mark.parametrize("jobs", [None, 2])
def test_a_scan_yields_a_result_per_user_and_business_unit_as_the_cli(org, jobs):
    snap = api.load_snapshot(org)
    results = list(api.scan(snap, jobs=jobs))
    assert len(results) == len(snap.users) * len(snap.business_units) == 23 * len(snap.business_units) > 23
    assert results == cli_json("--facts", str(org), "--all", "--layout", "full")["results"]
    first_bu = snap.business_units[0]["name"]
    one_bu = list(api.scan(snap, business_unit=first_bu, jobs=jobs))
    assert [r["business_unit"]["name"] for r in one_bu] == [first_bu] * len(snap.users)


def test_a_scan_stopped_early_ends_its_workers(org):
    import multiprocessing
    stream = api.scan(org, jobs=2)
    assert next(stream)["user"]
    stream.close()
    assert not [p for p in multiprocessing.active_children() if p.is_alive()]


@pytest.mark.parametrize("org_file", CASE_ORGS, ids=lambda p: p.stem)
def test_one_user_and_the_whole_document_equal_the_cli_json(org_file):
    snap = api.load_snapshot(org_file)
    for user in snap.users[:4]:
        name = user.get("username") or user["id"]
        for symptom in (None, "cannot-delete"):
            args = ["--facts", str(org_file), "--user", name] + (["--symptom", symptom] if symptom else [])
            results = api.diagnose(snap, name, symptom=symptom)
            assert api.document(snap, results, symptom=symptom) == cli_json(*args)


@pytest.mark.parametrize("org_file", [*CASE_ORGS, EXAMPLE], ids=lambda p: p.stem)
def test_explain_rule_shows_why_a_rule_did_not_fire(org_file, engine):
    """The evaluator's public explain_rule: a conclusion that is not applicable has a false
    condition in every branch, an undetermined one an unknown (or false) condition in every
    branch: the closest binding cannot hold where no binding does. (A recursive derivation may
    show its own kind as unknown where the status, which knows the recursion, says false.)"""
    snap = api.load_snapshot(org_file)
    seen = set()
    for ui in range(len(snap.users)):
        d = engine.diagnose(snap.factset(ui, 0, None))
        ev = Evaluator(engine.compiled, list(d.facts.values()), d.factset.known_lists, d.factset.list_paths, d.factset.pool)
        ev.derived_missing = dict(d.derived_missing)
        for rule in engine.ruleset.active_rules:
            if rule.conclude is None:
                continue
            status = d.statuses[rule.id].status
            branches = ev.explain_rule(rule.id)
            assert [b.index for b in branches] == list(range(len(rule.branches())))
            if status == NOT_APPLICABLE:
                assert all(any(o.truth == "false" for o in b.outcomes) for b in branches), rule.id
            if status == UNDETERMINED:
                assert all(any(o.truth != T for o in b.outcomes) for b in branches), rule.id
                unknown = {p for b in branches for o in b.outcomes for p in o.missing}
                assert unknown, rule.id
            seen.add(status)
    assert NOT_APPLICABLE in seen


def test_every_diagnose_path_runs_the_one_pipeline(monkeypatch, tmp_path):
    """One user, a whole org streamed, a whole org with an audit record, --ask: each runs
    syncdoctor.api.pipeline.batches (workers for a scan, this process otherwise)."""
    from syncdoctor.api import pipeline
    calls: list[int | None] = []
    real = pipeline.batches

    def watched(*args, **kwargs):
        calls.append(kwargs.get("jobs"))
        return real(*args, **kwargs)
    monkeypatch.setattr(pipeline, "batches", watched)
    base = ["diagnose", "--facts", str(EXAMPLE)]
    for extra in (["--user", "asmith@acme.example"], ["--all"], ["--all", "--audit", str(tmp_path / "a.json")],
                  ["--all", "--ask"]):
        r = runner.invoke(app, base + extra, input="")
        assert r.exit_code in (0, 1), r.stderr
    assert calls[:3] == [None, 1, 1] and calls[3:] and set(calls[3:]) == {None}


def test_expand_reads_the_scan_the_cli_writes_back_to_each_results_proof(org):
    from syncdoctor.engine.layout import proof_of
    shared = cli_json("--facts", str(org), "--all")
    assert shared["layout"] == "shared/1"
    assert api.expand(shared)["results"] == [proof_of(r) for r in api.scan(api.load_snapshot(org))]
    del shared["shared"]["facts"][next(iter(shared["shared"]["facts"]))]
    with pytest.raises(api.LayoutError, match=r"results\[\d+\]: fact '[0-9a-f]{16}' is not in the document"):
        api.expand(shared)


@pytest.mark.parametrize("call", [
    lambda s: api.load_snapshot([1]),
    lambda s: api.load_snapshot(None),
    lambda s: api.diagnose(s, 5),
    lambda s: api.diagnose(s, "asmith@acme.example", business_unit=5),
    lambda s: api.diagnose(s, "asmith@acme.example", business_unit=""),
    lambda s: list(api.scan(s, jobs=0)),
    lambda s: list(api.scan(s, jobs=-1)),
    lambda s: list(api.scan(s, jobs=True)),
    lambda s: api.document(s, [], symptom="nope"),
])
def test_a_wrong_argument_is_a_syncdoctor_error_that_says_what_is_expected(call):
    snap = api.load_snapshot("docs/examples/acme.yaml")
    with pytest.raises(api.SyncdoctorError) as caught:
        call(snap)
    assert isinstance(caught.value, (api.BadArgument, api.UnknownChoice))


def test_a_diagnosis_too_large_for_the_engine_is_bad_input_in_every_call(monkeypatch):
    import syncdoctor.engine.session as session
    monkeypatch.setattr(session, "SESSION_FACT_LIMIT", 3)  # as an org whose groups reach 110,000 facts
    snap = api.load_snapshot("docs/examples/acme.yaml")
    for call in (lambda: api.diagnose(snap, "jdoe@acme.example"), lambda: list(api.scan(snap)),
                 lambda: list(api.scan(snap, jobs=2)),
                 lambda: api.explain(snap, "MANAGED_NOT_ASSIGNED", "jdoe@acme.example")):
        with pytest.raises(api.BadInput, match="too-large"):
            call()


def test_edited_rules_are_read_again_not_served_from_a_stale_copy(tmp_path):
    import shutil
    from tests.conftest import ROOT
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "tests" / "fixtures" / "rules", rules)
    before = api.document("docs/examples/acme.yaml", [], rules=rules)["ruleset"]["sha256"]
    target = next(p for p in rules.rglob("*.yaml") if "message:" in p.read_text() and "MANAGED_NOT_ASSIGNED" in p.read_text())
    target.write_text(target.read_text().replace("message: ", "message: EDITED ", 1))
    after = api.diagnose("docs/examples/acme.yaml", "asmith@acme.example", rules=rules)
    codes = [v["message"] for r in after for v in r["verdicts"] if v["code"] == "MANAGED_NOT_ASSIGNED"]
    assert codes and all(m.startswith("EDITED") for m in codes)
    assert api.document("docs/examples/acme.yaml", after, rules=rules)["ruleset"]["sha256"] != before
