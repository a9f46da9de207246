"""A screen name in a text is the glossary's: an enum value written into a message, detail,
remedy, warning or derived text (`{assignment.group}`) shows as the vocabulary's `shown_as`
glossary term when the value names a screen or setting the glossary names (`marketing` is the
"Marketing Users group"), never as the raw value ("the marketing users group")."""
from __future__ import annotations

import re
from typing import Iterable

from syncdoctor.reading.findings import Finding, Severity

from ..model import UI_ALIAS, Rule, Ruleset
from .base import Check
from .templates import NAME, bound_aliases, placeholders, rule_texts


def screen_terms(ruleset: Ruleset, value: str) -> list[str]:
    """The glossary terms whose text names `value` (its words, case ignored)."""
    words = re.escape(value.replace("_", " ").replace("-", " "))
    return [name for name, term in ruleset.glossary.items() if re.search(rf"\b{words}\b", term.text, re.IGNORECASE)]


class EnumInText(Check):
    id = "enum-in-text"
    title = "An enum value that names a screen is written as the glossary's screen name"
    severity = Severity.WARNING  # words, not logic: the rules still run (`rules check` fails on it)

    def check(self, rule: Rule, ruleset: Ruleset) -> Iterable[Finding]:
        aliases = bound_aliases(rule)
        for text, span in rule_texts(rule):
            for name in placeholders(text):
                m = NAME.match(name.strip())
                if not m or m.group(1) == UI_ALIAS or m.group(1) not in aliases:
                    continue  # unknown-template-name's finding
                kind, fld = aliases[m.group(1)], m.group(2)
                fdef = ruleset.vocabulary.facts.get(kind)
                f = fdef.fields.get(fld) if fdef else None
                if f is None or f.type != "enum":
                    continue
                shown = dict(f.shown_as)
                for value in f.values:
                    terms = [] if value in shown else screen_terms(ruleset, value)
                    if terms:
                        yield self.finding(span, f"{{{name}}} would write {kind}.{fld}'s value {value!r} where the glossary "
                                                 f"names the screen ({', '.join('ui.' + t for t in terms)}): give the field "
                                                 f"`shown_as: {{{value}: {terms[0]}}}` in vocabulary.yaml")
                for value, term in f.shown_as:
                    if term not in ruleset.glossary:
                        yield Finding(span, "unknown-term", f"{kind}.{fld}: `shown_as` names {term!r}, which is not a term "
                                                            "of glossary.yaml", Severity.ERROR)


class EnumWithoutTerm(Check):
    """Every value of every enum field can reach an output: a proof shows what a condition wants
    and what a fact holds, `explain` and `--why-not` what they found. Each value needs the
    glossary's words (`shown_as`), or a report would show `role_and_subordinates`. The symptom
    field is the exception: its values are the words the engineer typed (`--symptom`). A
    vocabulary that gives no value a term (a knowledge older than 3.2.0) is not judged."""
    id = "enum-without-term"
    title = "Every enum value has its glossary term"
    severity = Severity.WARNING  # words, not logic: an older ruleset still runs (`rules check` fails on it)

    def finalize(self, ruleset: Ruleset) -> Iterable[Finding]:
        fields = [f for fd in ruleset.vocabulary.facts.values() for f in fd.fields.values()]
        if not any(f.shown_as for f in fields):
            return  # a knowledge from before values had screen names (3.2.0): the frozen test fixtures
        for kind, fd in ruleset.vocabulary.facts.items():
            for name, f in fd.fields.items():
                if f.type != "enum" or f.from_symptoms:
                    continue
                shown = dict(f.shown_as)
                missing = [v for v in f.values if v not in shown]
                if missing:
                    example = ", ".join(f"{v}: <term>" for v in missing[:2])
                    yield self.finding(f.span or fd.span,
                                       f"{kind}.{name}: {', '.join(repr(v) for v in missing)} would reach reports as "
                                       f"{'it is' if len(missing) == 1 else 'they are'} (proofs, explain): add a term to "
                                       f"glossary.yaml for each and `shown_as: {{{example}}}` to the field")
