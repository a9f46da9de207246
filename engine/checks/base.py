from __future__ import annotations

from typing import Iterable

from syncdoctor.reading.findings import Finding, Severity, Span

from ..model import Rule, Ruleset


class Check:
    id: str = ""
    title: str = ""
    severity: Severity = Severity.ERROR

    def check(self, rule: Rule, ruleset: Ruleset) -> Iterable[Finding]:
        return ()

    def finalize(self, ruleset: Ruleset) -> Iterable[Finding]:
        return ()

    def finding(self, span: Span, message: str, finding_id: str | None = None) -> Finding:
        return Finding(span, finding_id or self.id, message, self.severity)
