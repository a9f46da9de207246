from __future__ import annotations

from typing import Iterable

from syncdoctor.reading.findings import Finding, Severity, Span
from syncdoctor.reading.loader import locate
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


class DuplicateCitation(Check):
    id = "duplicate-citation"
    title = "A rule lists one section of a source twice (a reader would see it twice)"
    severity = Severity.WARNING  # words, not logic: the rules still run (`rules check` fails on it)

    def check(self, rule: Rule, ruleset: Ruleset) -> Iterable[Finding]:
        raw = rule.raw.get("citations") if isinstance(rule.raw, dict) else None
        first: dict[tuple[str, str, str], int] = {}
        for i, c in enumerate(raw if isinstance(raw, list) else []):
            if not isinstance(c, dict):
                continue
            k = (str(c.get("source")), str(c.get("section")), str(c.get("basis")))
            if k not in first:
                first[k] = i
                continue
            span = locate(rule.raw, ["citations", i], rule.span)
            yield self.finding(span, f"rule {rule.id} cites {k[0]}#{k[1]} (basis {k[2]}) again, as citations[{first[k]}] "
                                     "does: write it once, with every sentence it relies on under `quotes:` "
                                     "(docs/authoring.md, \"Citations\")")
