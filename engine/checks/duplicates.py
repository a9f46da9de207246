from __future__ import annotations

from typing import Iterable

from syncdoctor.reading.findings import Finding

from ..model import Rule, Ruleset
from .base import Check


def _newcomer_first(rules: list[Rule], ruleset: Ruleset) -> list[Rule]:
    """The rules sharing one id or code, the one the lock records (the established one) first,
    so the finding lands on the file that is new, not on the old, correct one."""
    def locked(r: Rule) -> bool:
        entry = ruleset.lock.get(r.id)
        return entry is not None and entry.get("sha256") == r.logic_hash
    return sorted(rules, key=lambda r: (not locked(r), r.file))


class DuplicateRuleId(Check):
    id = "duplicate-rule-id"
    title = "Two rule files share one id"

    def finalize(self, ruleset: Ruleset) -> Iterable[Finding]:
        groups: dict[str, list[Rule]] = {}
        for rule in ruleset.rules:
            groups.setdefault(rule.id, []).append(rule)
        for rules in groups.values():
            first, *others = _newcomer_first(rules, ruleset)
            for rule in others:
                yield self.finding(rule.span, f"rule id {rule.id!r} is already used by {first.span}: give this rule its own id")


class DuplicateCode(Check):
    id = "duplicate-code"
    title = "Two rules conclude the same code"

    def finalize(self, ruleset: Ruleset) -> Iterable[Finding]:
        groups: dict[str, list[Rule]] = {}
        for rule in ruleset.rules:
            if rule.conclude is not None and rule.status != "deprecated":
                groups.setdefault(rule.conclude.code, []).append(rule)
        for code, rules in groups.items():
            first, *others = _newcomer_first(rules, ruleset)
            for rule in others:
                assert rule.conclude is not None
                yield self.finding(rule.conclude.span,
                                   f"conclusion code {code} is already concluded by rule {first.id} ({first.file}); "
                                   "one code comes from one rule (use `any:` inside that rule for alternatives)")
