from __future__ import annotations

import re
from typing import Iterable

from syncdoctor.reading.findings import Finding, Span
from syncdoctor.reading.loader import locate
from syncdoctor.reading.words import suggest

from ..model import UI_ALIAS, Rule, Ruleset
from .base import Check

PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
NAME = re.compile(r"^([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)$")


def placeholders(text: str) -> list[str]:
    return PLACEHOLDER.findall(text)


def bound_aliases(rule: Rule) -> dict[str, str]:
    """Aliases bound (positively) in every branch of the rule: alias -> fact name."""
    common: dict[str, str] | None = None
    for branch in rule.branches():
        here = {p.alias: p.fact for p in branch if not p.negated}
        common = here if common is None else {a: f for a, f in common.items() if here.get(a) == f}
    return common or {}


def rule_texts(rule: Rule) -> list[tuple[str, Span]]:
    """Every text a rule writes (with where it is written): a conclusion's message, detail,
    remedies and warnings; a derivation's text values."""
    texts: list[tuple[str, Span]] = []
    if rule.conclude:
        def at(*path: object) -> Span:
            return locate(rule.raw, ["then", "conclude", *path], rule.conclude.span) if rule.raw else rule.conclude.span
        texts += [(rule.conclude.message, at("message")), (rule.conclude.detail, at("detail"))]
        texts += [(r, at("remedies", i)) for i, r in enumerate(rule.conclude.remedies)]
        texts += [(w, at("warnings", i)) for i, w in enumerate(rule.conclude.warnings)]
    if rule.derive:
        texts += [(v, rule.derive.span) for _, v in rule.derive.set if isinstance(v, str)]
    return texts


class TemplateNames(Check):
    id = "unknown-template-name"
    title = "Messages and derived values may only name facts the rule matched"

    def check(self, rule: Rule, ruleset: Ruleset) -> Iterable[Finding]:
        aliases = bound_aliases(rule)
        texts = rule_texts(rule)
        if rule.derive:
            texts += [("{" + f"{v[1]}.{v[2]}" + "}", rule.derive.span) for _, v in rule.derive.set if isinstance(v, tuple)]
        for text, span in texts:
            for name in placeholders(text):
                m = NAME.match(name.strip())
                if not m:
                    yield self.finding(span, f"{{{name}}} is not a fact name: write {{alias.field}}, like {{user.username}}")
                    continue
                alias, fld = m.groups()
                if alias == UI_ALIAS:
                    if rule.derive is not None:
                        yield self.finding(span, f"{{{name}}}: glossary terms are for messages, remedies and warnings, "
                                                 "not derived values", "unknown-term")
                    elif fld not in ruleset.glossary:
                        yield self.finding(span, f"{{{name}}}: no term {fld!r} in glossary.yaml{suggest(fld, ruleset.glossary)}",
                                           "unknown-term")
                    continue
                fact = aliases.get(alias)
                if fact is None:
                    yield self.finding(span, f"{{{name}}} names {alias!r}, which this rule does not match in every case"
                                             f"{suggest(alias, aliases)}")
                    continue
                fdef = ruleset.vocabulary.facts.get(fact)
                if fdef is not None and fld not in fdef.fields:
                    yield self.finding(span, f"{{{name}}}: fact {fact!r} has no field {fld!r}{suggest(fld, fdef.fields)}")
