"""One bad fixture per semantic check: the finding's id and file:line:col are asserted."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from syncdoctor.engine.ruleset import load_ruleset


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"fixture text not found in {path.name}: {old!r}"
    path.write_text(text.replace(old, new, 1))


def _findings(rules: Path):
    _, findings = load_ruleset(rules)
    return findings


def _one(findings, finding_id):
    hits = [f for f in findings if f.id == finding_id]
    assert hits, f"no {finding_id} in {[str(f) for f in findings]}"
    return hits[0]


def test_fixture_rules_are_clean():
    ruleset, findings = load_ruleset()
    assert ruleset is not None
    assert findings == []


CASES = [
    # (file, old, new, finding id, line, col)
    ("conclude/user-inactive.yaml", "      - {field: is_active, equals: false}", "      - {field: is_activ, equals: false}", "unknown-field", 16, 9),
    ("conclude/user-inactive.yaml", "  - fact: user\n", "  - fact: usr\n", "unknown-fact", 14, 5),
    ("conclude/user-inactive.yaml", "section: resolution-a", "section: resolution-z", "unresolved-citation", 29, 5),
    ("conclude/user-inactive.yaml", "source: kb-000384042", "source: kb-000999999", "unresolved-citation", 29, 5),
    # the file the lock does not know is the one reported
    ("conclude/managed-not-assigned.yaml", "code: MANAGED_NOT_ASSIGNED", "code: USER_INACTIVE", "duplicate-code", 0, 0),
    ("conclude/managed-not-assigned.yaml", "id: managed-not-assigned", "id: user-inactive", "duplicate-rule-id", 0, 0),
    ("conclude/user-inactive.yaml", "{user.username} is inactive", "{user.usrname} is inactive", "unknown-template-name", 21, 5),
    ("conclude/user-inactive.yaml", "{field: symptom, one_of: [none, in-recycle-bin, not-syncing]}",
     "{field: symptom, one_of: [none, in-recycle-bin, not-synching]}", "unknown-value", 13, 9),
    ("conclude/user-inactive.yaml", "{field: is_active, equals: false}", "{field: is_active, equals: \"no\"}", "type-mismatch", 16, 9),
    ("conclude/user-inactive.yaml", "{field: is_active, equals: false}", "{field: is_active, equals: false, at_least: 1}", "schema", 16, 9),
    ("conclude/user-inactive.yaml", "{field: is_active, equals: false}", "{field: is_active, same_as: nobody.x}", "unknown-alias", 16, 9),
    ("conclude/legacy-profile-not-synced.yaml", "        - {field: profile, same_as: user.profile}", "        - {field: role, equals: Sales}\n        - {field: profile, same_as: user.profile}", "", 0, 0),
    ("derive/group-reach-nested.yaml", "group_id: {from: member.group_id}", "group_id: \"{member.group_name}\"", "derivation-cycle", 17, 3),
    ("derive/assigned-user.yaml", "      type: user\n", "", "derive-incomplete", 14, 3),
]


@pytest.mark.parametrize("file,old,new,finding_id,line,col", CASES)
def test_each_check_reports_its_location(rules_copy, file, old, new, finding_id, line, col):
    _edit(rules_copy / file, old, new)
    findings = _findings(rules_copy)
    if not finding_id:  # a harmless edit that changes logic: the lock notices
        f = _one(findings, "version-not-bumped")
        assert f.span.file.endswith(file)
        from syncdoctor.engine.checks.lock import BUMP_RULE
        assert BUMP_RULE in f.message  # the tool states the rule the guide quotes
        return
    f = _one(findings, finding_id)
    if finding_id.startswith("duplicate-"):
        # reported on the edited file (the lock does not know it), never on the old, correct one
        assert f.span.file.endswith(file) and not any(x.id == finding_id and "user-inactive" in x.span.file for x in findings)
        return
    assert f.span.file.endswith(file)
    assert (f.span.line, f.span.col) == (line, col), str(f)


def test_suggestion_for_a_misspelt_field(rules_copy):
    _edit(rules_copy / "conclude/user-inactive.yaml", "{field: is_active, equals: false}", "{field: is_activ, equals: false}")
    f = _one(_findings(rules_copy), "unknown-field")
    assert "did you mean 'is_active'" in f.message


def test_negation_cycle(rules_copy):
    # assigned-user now derives `assigned` only when there is no `assigned`: no consistent answer.
    _edit(rules_copy / "derive/assigned-user.yaml", "  - fact: user\n", "  - fact: user\n  - not:\n      fact: assigned\n")
    f = _one(_findings(rules_copy), "derivation-cycle")
    assert f.span.file.endswith("assigned-user.yaml")


def test_derived_fact_nobody_derives(rules_copy):
    (rules_copy / "derive/user-role-internal.yaml").unlink()
    findings = _findings(rules_copy)
    f = _one(findings, "underived-fact")
    assert re.search(r"group-reach-role-internal-subordinates|assigned-role-internal", f.span.file)


def test_derived_fact_nobody_uses(rules_copy):
    for name in ("assigned-role-internal-subordinates.yaml",):
        (rules_copy / "derive" / name).unlink()
    (rules_copy / "derive/group-reach-role-internal-subordinates.yaml").unlink()
    f = _one(_findings(rules_copy), "unused-derived-fact")
    assert f.span.file.endswith("vocabulary.yaml")


def test_missing_directory():
    _, findings = load_ruleset("/nonexistent/rules")
    assert findings[0].id == "no-such-directory"


def test_lock_findings_only_for_otherwise_valid_files(rules_copy):
    """A logic typo is reported as what it is, not as `version-not-bumped` first; a file that no
    longer loads does not also make the lock look stale."""
    _edit(rules_copy / "conclude/user-inactive.yaml", "{field: is_active, equals: false}", "{field: is_activ, equals: false}")
    findings = _findings(rules_copy)
    assert findings[0].id == "unknown-field"
    assert not [f for f in findings if f.id in ("version-not-bumped", "lock-stale", "lock-orphan")]
    _edit(rules_copy / "conclude/user-inactive.yaml", "kind: cause", "kind: cuase")
    findings = _findings(rules_copy)
    assert [f.id for f in findings] == ["schema"], [str(f) for f in findings]
