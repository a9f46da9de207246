"""A quote is verbatim: it occurs in a passage sources.yaml ships for the section it cites."""
from __future__ import annotations

from typing import Iterable

from syncdoctor.reading.findings import Finding
from ..model import Rule, Ruleset
from .base import Check


def words(text: str) -> str:
    """The text with every run of whitespace (line breaks, no-break spaces) as one space."""
    return " ".join(text.split())


def holds(passages: tuple[str, ...] | list[str], quote: str) -> bool:
    """Whether the quote occurs, character for character (whitespace aside), in one of the passages."""
    q = words(quote)
    return bool(q) and any(q in words(p) for p in passages)


def ships_passages(ruleset: Ruleset) -> bool:
    """Whether the sources registry ships passages at all (then every quote is checked against them)."""
    return any(sec.passages for src in ruleset.sources.values() for sec in src.sections)


def quoted_in(ruleset: Ruleset, quote: str) -> list[str]:
    """Every `source#section` whose passages hold the quote."""
    return [f"{src.id}#{sec.id}" for src in ruleset.sources.values() for sec in src.sections
            if holds(sec.passages, quote)]


class QuoteNotVerbatim(Check):
    id = "quote-not-verbatim"
    title = "A quote does not occur in the passages sources.yaml ships for the section it cites"

    def check(self, rule: Rule, ruleset: Ruleset) -> Iterable[Finding]:
        if not ships_passages(ruleset):
            return  # a registry written before passages existed (format 2 without them): see docs/authoring.md
        for c in rule.citations:
            src = ruleset.sources.get(c.source)
            sec = src.section(c.section) if src else None
            if not c.quote or sec is None:  # an unresolved citation is unresolved-citation's finding
                continue
            if holds(sec.passages, c.quote):
                continue
            elsewhere = quoted_in(ruleset, c.quote)
            if elsewhere:
                hint = f"it is in {', '.join(elsewhere)}: cite that section"
            elif not sec.passages:
                hint = (f"{c.source}#{c.section} ships no passage: nothing verbatim supports it there, so drop "
                        "the quote and say in `note` what the claim rests on")
            else:
                hint = ("copy it character for character from a passage of that section (curly and straight "
                        "apostrophes differ), or drop the quote and say in `note` what the claim rests on")
            yield self.finding(c.span, f"the quote {c.quote[:80]!r} is not in the passages of {c.source}#{c.section}; {hint}")
