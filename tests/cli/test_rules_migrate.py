"""Format 1 is refused with one clear finding, and `rules migrate` turns it into format 2
with the same logic (no version bump needed) and the same verdicts."""
from __future__ import annotations

import shutil


from syncdoctor.cli.main import app
from syncdoctor.engine.ruleset import load_ruleset
from tests.conftest import ROOT, runner



def test_format_1_is_refused_then_migrated(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(ROOT / "tests" / "fixtures" / "rules-v1", rules)
    r = runner.invoke(app, ["rules", "validate", str(rules)])
    assert r.exit_code == 1
    assert r.stdout.splitlines()[0].endswith("run `syncdoctor rules migrate DIR` on the rules folder "
                                             "(docs/authoring.md, \"From format 1\")")
    assert "format-1" in r.stdout.splitlines()[0] and "ruleset.yaml:1:1" in r.stdout
    r = runner.invoke(app, ["rules", "migrate", str(rules)])
    assert r.exit_code == 0 and "review:" in r.stdout
    ruleset, findings = load_ruleset(rules)
    assert ruleset is not None, [str(f) for f in findings]
    # the logic did not change: the lock's hashes still match, no version to bump
    assert not [f for f in findings if f.id in ("version-not-bumped", "lock-stale")]
    assert {c.source for r in ruleset.rules for c in r.citations} == {"kb-000384042"}
    assert "not-syncing" in ruleset.symptom_ids
    assert (rules / "conclude" / "user-inactive.yaml").read_text().splitlines()[1] == "format: 2"
    r = runner.invoke(app, ["rules", "test", str(rules)])
    assert "1 passed, 0 failed" in r.stdout
    r = runner.invoke(app, ["rules", "migrate", str(rules)])
    assert r.exit_code == 0 and "already format 2" in r.stdout
