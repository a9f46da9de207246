"""`syncdoctor rules diff`: rule changes, version bumps, and verdict changes across the cases."""
from __future__ import annotations

import json
import re


from syncdoctor.cli.main import app
from syncdoctor.engine.ruleset import default_rules_dir
from tests.conftest import runner



def edit(rules, name: str, old: str, new: str) -> None:
    path = rules / "conclude" / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def bump(rules, name: str) -> int:
    """Raise a rule's version by one, whatever it is now; returns the new version."""
    path = rules / "conclude" / name
    old = int(re.search(r"^version: (\d+)$", path.read_text(), re.M).group(1))
    edit(rules, name, f"\nversion: {old}\n", f"\nversion: {old + 1}\n")
    return old + 1


def test_diff_reports_changes_bumps_and_verdicts(rules_copy, snapshot):
    edit(rules_copy, "managed-not-assigned.yaml", "one_of: [none, in-recycle-bin, not-syncing]", "one_of: [none, not-syncing]")
    bumped = bump(rules_copy, "user-inactive.yaml")
    (rules_copy / "conclude" / "sync-cannot-be-disabled.yaml").unlink()
    r = runner.invoke(app, ["rules", "diff", str(default_rules_dir()), str(rules_copy), "--format", "json"])
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    changed = {c["rule"]: c for c in doc["rules"]["changed"]}
    assert changed["managed-not-assigned"]["logic_changed"] and not changed["managed-not-assigned"]["version_bumped"]
    assert changed["user-inactive"]["version_bumped"] and not changed["user-inactive"]["logic_changed"]
    assert changed["user-inactive"]["new_version"] == bumped
    assert [x["rule"] for x in doc["rules"]["removed"]] == ["sync-cannot-be-disabled"]
    lost = {(v["case"], c) for v in doc["verdict_changes"] for c in v["no_longer_concluded"]}
    assert ("in no group at all", "MANAGED_NOT_ASSIGNED") in lost
    assert any(c == "SYNC_CANNOT_BE_DISABLED" for _, c in lost)
    assert doc == snapshot
    text = runner.invoke(app, ["rules", "diff", str(default_rules_dir()), str(rules_copy)]).stdout
    assert "VERSION NOT BUMPED" in text and "- sync-cannot-be-disabled" in text and "-MANAGED_NOT_ASSIGNED" in text
    # The other way round, the removed rule is an added one; --exit-code says something differs.
    r = runner.invoke(app, ["rules", "diff", str(rules_copy), str(default_rules_dir()), "--exit-code"])
    assert r.exit_code == 1 and "+ sync-cannot-be-disabled" in r.stdout


def test_diff_of_identical_rules_and_bad_input(rules_copy):
    r = runner.invoke(app, ["rules", "diff", str(default_rules_dir()), str(rules_copy), "--exit-code"])
    assert r.exit_code == 0 and "no rule changed" in r.stdout and "no verdict changes" in r.stdout
    (rules_copy / "conclude" / "user-inactive.yaml").write_text("id: [\n")
    r = runner.invoke(app, ["rules", "diff", str(default_rules_dir()), str(rules_copy)])
    assert r.exit_code == 2 and "user-inactive.yaml:" in r.stderr
