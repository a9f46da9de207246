from __future__ import annotations

from typing import Iterable

from syncdoctor.reading.findings import Finding, Severity

from ..model import Rule, Ruleset
from .base import Check
import shlex

# The one rule for versions, quoted word for word by docs/authoring.md (a test checks it).
BUMP_RULE = ("Bump `version` when what the rule matches or produces changes: anything under `when`, "
             "the fact and values under `then.derive`, or the `code` or `kind` under `then.conclude`. "
             "Wording (title, description, message, detail, remedies, warnings, citations) needs no bump.")


def lock_command(root: str) -> str:
    """The regenerator with the rules folder named: run from another folder, a bare `rules lock`
    would lock the installed rules instead."""
    return f"`syncdoctor rules lock {shlex.quote(str(root))}`"


class VersionNotBumped(Check):
    id = "version-not-bumped"
    title = "A rule's logic changed but its version did not"

    def check(self, rule: Rule, ruleset: Ruleset) -> Iterable[Finding]:
        if not ruleset.lock:
            return
        entry = ruleset.lock.get(rule.id)
        if entry is None:
            yield Finding(rule.span, "lock-stale", f"rule {rule.id} is not in the lock file: run {lock_command(ruleset.root)}",
                          Severity.WARNING)
            return
        if entry["sha256"] == rule.logic_hash:
            if entry["version"] != rule.version:
                yield Finding(rule.span, "lock-stale",
                              f"rule {rule.id} is version {rule.version} but the lock records {entry['version']}: "
                              f"run {lock_command(ruleset.root)}", Severity.WARNING)
            return
        if entry["version"] == rule.version:
            yield self.finding(rule.span, f"what rule {rule.id} matches or produces changed since it was locked at version "
                                          f"{rule.version}: bump `version` to {rule.version + 1}, then run {lock_command(ruleset.root)}. {BUMP_RULE}")
        elif rule.version < entry["version"]:
            yield self.finding(rule.span, f"rule {rule.id} went back from version {entry['version']} to {rule.version}")
        else:
            yield Finding(rule.span, "lock-stale", f"rule {rule.id} changed and was bumped to version {rule.version}: "
                                                    f"run {lock_command(ruleset.root)} to record it", Severity.WARNING)

    def finalize(self, ruleset: Ruleset) -> Iterable[Finding]:
        ids = {r.id for r in ruleset.rules}
        for rule_id, entry in sorted(ruleset.lock.items()):
            if rule_id not in ids:
                yield Finding(entry["span"], "lock-orphan", f"the lock lists rule {rule_id}, which no longer exists: "
                                                            f"run {lock_command(ruleset.root)}", Severity.WARNING)
