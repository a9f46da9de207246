from __future__ import annotations

from typing import Iterable

from syncdoctor.reading.findings import Finding, Span
from syncdoctor.reading.words import suggest

from ..model import Rule, Ruleset
from .base import Check


def unresolved(ruleset: Ruleset, source: str, section: str) -> str:
    """Why (source, section) does not resolve in the sources registry, or ''."""
    src = ruleset.sources.get(source)
    if src is None:
        return f"source {source!r} is not in sources.yaml{suggest(source, ruleset.sources)}"
    if src.section(section) is None:
        ids = [s.id for s in src.sections]
        return f"source {source} has no section {section!r}{suggest(section, ids)}; its sections are: {', '.join(ids)}"
    return ""


class UnresolvedCitation(Check):
    id = "unresolved-citation"
    title = "A citation (or a symptom) names a source or section that is not in sources.yaml"

    def check(self, rule: Rule, ruleset: Ruleset) -> Iterable[Finding]:
        for c in rule.citations:
            problem = unresolved(ruleset, c.source, c.section)
            if problem:
                yield self.finding(c.span, problem)

    def finalize(self, ruleset: Ruleset) -> Iterable[Finding]:
        for sym in ruleset.symptoms.values():
            for source, section in sym.sections:
                problem = unresolved(ruleset, source, section)
                if problem:
                    yield self.finding(sym.span if sym.span.file else Span(""), f"symptom {sym.id}: {problem}")
