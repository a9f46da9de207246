from __future__ import annotations

from typing import Iterable

import shlex

from syncdoctor.reading.findings import Finding, Severity, Span
from syncdoctor.reading.located import locate

from ..model import Rule, Ruleset
from .base import Check

# The one rule for versions, quoted word for word by docs/authoring.md (a test checks it).
BUMP_RULE = ("Bump a rule's `version` when anything it says changes: what it matches or produces (anything under "
             "`when`, the fact and values under `then.derive`, the `code` or `kind` under `then.conclude`) and "
             "its words (title, description, message, detail, remedies, warnings, citations) alike. "
             "When any rule changes, is added or removed, also bump the ruleset's `version` in ruleset.yaml "
             "and say why in CHANGELOG.md.")


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
        if entry["sha256"] == rule.logic_hash and entry.get("content_sha256", rule.content_hash) != rule.content_hash \
                and entry["version"] == rule.version:
            # a warning: it fails `rules check` and `rules lock`, and lets the words be tried meanwhile
            yield Finding(locate(rule.raw, ["version"], rule.span), self.id,
                          f"the words of rule {rule.id} changed since it was locked at version {rule.version}: "
                          f"bump `version` to {rule.version + 1}, then run {lock_command(ruleset.root)}. {BUMP_RULE}",
                          Severity.WARNING)
            return
        if entry["sha256"] == rule.logic_hash:
            if entry["version"] != rule.version:
                yield Finding(rule.span, "lock-stale",
                              f"rule {rule.id} is version {rule.version} but the lock records {entry['version']}: "
                              f"run {lock_command(ruleset.root)}", Severity.WARNING)
            return
        if entry["version"] == rule.version:
            yield self.finding(locate(rule.raw, ["version"], rule.span), f"what rule {rule.id} matches or produces changed since it was locked at version "
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


def changed_rules(ruleset: Ruleset) -> list[str]:
    """Ids of the rules added, removed or changed (logic or words) since the lock was written."""
    ids = {r.id for r in ruleset.rules}
    out = [rule_id for rule_id in ruleset.lock if rule_id not in ids]
    for r in ruleset.rules:
        entry = ruleset.lock.get(r.id)
        if entry is None or entry["sha256"] != r.logic_hash or entry.get("content_sha256", r.content_hash) != r.content_hash:
            out.append(r.id)
    return sorted(out)


def _release(version: str) -> tuple[int, ...] | None:
    parts = str(version).split(".")
    return tuple(int(p) for p in parts) if all(p.isdigit() for p in parts) else None


class RulesetVersionNotBumped(Check):
    """The ruleset's version identifies its rules (audit records, replay): any rule changed since
    the lock recorded a ruleset version, and that version still stands, is an error."""
    id = "ruleset-version-not-bumped"
    title = "A rule changed but the ruleset's version did not"
    severity = Severity.WARNING  # fails `rules check` and `rules lock`; an unlocked folder still runs

    def finalize(self, ruleset: Ruleset) -> Iterable[Finding]:
        locked = ruleset.lock_version
        if locked is None or not ruleset.lock:  # a lock written before it recorded the ruleset's version
            return
        span: Span = ruleset.version_span
        changed = changed_rules(ruleset)
        now, then = _release(ruleset.version), _release(locked)
        if changed and str(ruleset.version) == str(locked):
            named = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
            yield self.finding(span, f"rules changed since the lock recorded ruleset version {locked} ({named}), but "
                                     f"ruleset.yaml still says {ruleset.version}: bump its `version`, add an entry to "
                                     f"CHANGELOG.md, then run {lock_command(ruleset.root)}. {BUMP_RULE}")
        elif now is not None and then is not None and now < then:
            yield self.finding(span, f"the ruleset went back from version {locked} to {ruleset.version}")
        elif str(ruleset.version) != str(locked):
            yield Finding(span, "lock-stale", f"the ruleset is version {ruleset.version} but the lock records {locked}: "
                                              f"run {lock_command(ruleset.root)}", Severity.WARNING)


LOCK_HEADER = ("# yaml-language-server: $schema=../engine/schema/lock.schema.json\n"
               "# Written by `syncdoctor rules lock`: the ruleset's version; each rule's version, the hash of its\n"
               "# logic (sha256) and of everything it says (content_sha256).\n")


def lock_refusals(ruleset: Ruleset) -> list[Finding]:
    """Why `rules lock` must not record this ruleset: a rule changed without its version, or
    rules changed without the ruleset's version (recording it would bless the change)."""
    rule_check, ruleset_check = VersionNotBumped(), RulesetVersionNotBumped()
    found = [f for r in ruleset.rules for f in rule_check.check(r, ruleset)] + list(ruleset_check.finalize(ruleset))
    return [f for f in found if f.id in (VersionNotBumped.id, RulesetVersionNotBumped.id)]


def lock_document(ruleset: Ruleset) -> dict:
    """What `rules lock` records."""
    return {"ruleset_version": str(ruleset.version),
            "rules": {r.id: {"version": r.version, "sha256": r.logic_hash, "content_sha256": r.content_hash}
                      for r in sorted(ruleset.rules, key=lambda r: r.id)}}
