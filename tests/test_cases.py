"""The authors' scenario cases run in pytest too, and the full JSON of each is snapshotted
(update with `pytest --snapshot-update` after a deliberate change, never by hand)."""
from __future__ import annotations

import json

import pytest

from syncdoctor.cli import scenarios
from syncdoctor.engine.ruleset import default_rules_dir
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def case_results(engine):
    files = scenarios.case_files(default_rules_dir(), engine.ruleset.case_paths)
    results, findings = scenarios.run_cases(engine, files)
    assert findings == []
    return {f"{r.file.rsplit('/', 1)[-1]}::{r.name}": r for r in results}


def test_at_least_forty_cases_and_full_coverage(engine, case_results):
    assert len(case_results) >= 40
    assert scenarios.coverage(engine, list(case_results.values())) == ([], [])
    codes = {v["code"] for r in case_results.values() for v in r.output["verdicts"]}
    assert codes == {r.conclude.code for r in engine.ruleset.rules if r.conclude}


def test_every_case_passes_and_matches_its_snapshot(case_results, snapshot):
    failed = {k: r.problems for k, r in case_results.items() if not r.passed}
    assert failed == {}
    outputs = {k: json.loads(json.dumps(r.output).replace(str(ROOT) + "/", "")) for k, r in sorted(case_results.items())}
    assert outputs == snapshot
