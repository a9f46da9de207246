from __future__ import annotations

from typing import Iterable

from ..findings import Finding
from ..model import Ruleset
from .base import Check


class DuplicateRuleId(Check):
    id = "duplicate-rule-id"
    title = "Two rule files share one id"

    def finalize(self, ruleset: Ruleset) -> Iterable[Finding]:
        first: dict[str, str] = {}
        for rule in ruleset.rules:
            if rule.id in first:
                yield self.finding(rule.span, f"rule id {rule.id!r} is already used by {first[rule.id]}")
            else:
                first[rule.id] = str(rule.span)


class DuplicateCode(Check):
    id = "duplicate-code"
    title = "Two rules conclude the same code"

    def finalize(self, ruleset: Ruleset) -> Iterable[Finding]:
        first: dict[str, str] = {}
        for rule in ruleset.rules:
            if rule.conclude is None or rule.status == "deprecated":
                continue
            code = rule.conclude.code
            if code in first:
                yield self.finding(rule.conclude.span,
                                   f"conclusion code {code} is already concluded by rule {first[code]}; "
                                   "one code comes from one rule (use `any:` inside that rule for alternatives)")
            else:
                first[code] = rule.id
