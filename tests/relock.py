"""What an author does after editing a rules folder, for tests that edit a copy of one: bump the
version of every rule that changed since the lock (and the ruleset's, when any did), then
`syncdoctor rules lock`. `rules lock` refuses a change nobody bumped (docs/authoring.md,
"Versions"); a test that edits rules says so by calling `bumped_and_locked`, never by a lock
that would bless the edit."""
from __future__ import annotations

import re
from pathlib import Path

from syncdoctor.engine.checks.lock import changed_rules
from syncdoctor.engine.ruleset import load_ruleset
from tests.conftest import cli

_VERSION = re.compile(r"^version: (\S+)$", re.M)


def _bump_line(path: Path, bump) -> None:
    text = path.read_text()
    path.write_text(_VERSION.sub(lambda m: f"version: {bump(m.group(1))}", text, count=1))


def _next_release(version: str) -> str:
    major, minor, patch = (version.split(".") + ["0", "0"])[:3]
    return f"{major}.{minor}.{int(patch) + 1}"


def bumped_and_locked(rules: Path) -> Path:
    """Bump what changed (each changed rule still at its locked version, then the ruleset's
    version, unless already bumped), then lock; assert the lock accepted it. A folder that does
    not load (the edit under test is a broken file) is left as it is, for the test to read."""
    ruleset, _ = load_ruleset(rules, run_checks=False)
    if ruleset is None:
        return rules
    changed = changed_rules(ruleset)
    for rule in ruleset.rules:
        entry = ruleset.lock.get(rule.id)
        if rule.id in changed and entry is not None and entry["version"] == rule.version:
            _bump_line(Path(rule.file), lambda v: int(v) + 1)
    if changed and ruleset.lock_version is not None and str(ruleset.version) == ruleset.lock_version:
        _bump_line(rules / "ruleset.yaml", _next_release)
    r = cli("rules", "lock", rules)
    assert r.exit_code == 0, r.stdout + r.stderr
    return rules
