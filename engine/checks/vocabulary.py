from __future__ import annotations

import math
import re
from typing import Any, Iterable

from syncdoctor.reading.findings import Finding
from syncdoctor.reading.words import suggest

from ..model import CASE_FOLDING, JOINS, ORDERING, UI_ALIAS, AnyOf, Condition, FieldDef, Pattern, Rule, Ruleset
from .base import Check

_PY_TYPES = {"string": (str,), "id": (str,), "enum": (str,), "boolean": (bool,), "integer": (int,)}
TEXT_TYPES = ("string", "id", "enum")
SALESFORCE_ID = re.compile(r"^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$")
FIELD_REF = re.compile(r"^([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)$")
JOIN_FOR = {"equals": "same_as", "one_of": "same_as", "not_equals": "differs_from"}


def flat_conditions(conds: Iterable[Any]) -> Iterable[Condition]:
    for c in conds:
        if isinstance(c, AnyOf):
            yield from flat_conditions(c.conditions)
        else:
            yield c


class ConditionVocabulary(Check):
    id = "unknown-field"
    title = "Conditions must name facts and fields of the vocabulary, with values of the right type"

    def check(self, rule: Rule, ruleset: Ruleset) -> Iterable[Finding]:
        facts = ruleset.vocabulary.facts
        for branch in rule.branches():
            bound: dict[str, Pattern] = {}
            if not any(not p.negated for p in branch):
                yield self.finding(rule.when.span, "a rule needs at least one fact that must exist (a `fact:` that is not under `not:`)",
                                   "only-negative")
            for p in branch:
                fdef = facts.get(p.fact)
                if fdef is None:
                    yield self.finding(p.span, f"unknown fact {p.fact!r}{suggest(p.fact, facts)}; facts are declared in the vocabulary",
                                       "unknown-fact")
                    continue
                for c in flat_conditions(p.conditions):
                    yield from self._condition(c, p, fdef.fields, bound, ruleset)
                for group in (c for c in p.conditions if isinstance(c, AnyOf)):
                    for c in flat_conditions(group.conditions):
                        if c.op == "differs_from":
                            # durable-rules cannot evaluate an inequality join inside $or (engine error 311)
                            yield self.finding(c.span, "`differs_from` cannot stand inside `any_of`: write the alternatives "
                                                       "as `any:` of whole fact patterns, each with its own `differs_from`",
                                               "join-in-any-of")
                if p.alias == UI_ALIAS:
                    yield self.finding(p.span, f"`as: {UI_ALIAS}` is reserved for glossary terms ({{ui.term}}): choose another name",
                                       "reserved-alias")
                if not p.negated:
                    if fdef.cardinality == "one" and any(q.fact == p.fact for q in bound.values()):
                        yield self.finding(p.span, f"there is only one {p.fact!r} fact, and a rule matches each fact once: "
                                                   "put these conditions under the first `fact: " + p.fact + "`", "single-fact-twice")
                    if p.alias in bound:
                        yield self.finding(p.span, f"two facts in this rule are called {p.alias!r}: give one of them a different `as:` name",
                                           "duplicate-alias")
                    bound[p.alias] = p

    def _condition(self, c: Condition, p: Pattern, fields: dict[str, FieldDef], bound: dict[str, Pattern],
                   ruleset: Ruleset) -> Iterable[Finding]:
        fd = fields.get(c.field)
        if fd is None:
            yield self.finding(c.span, f"fact {p.fact!r} has no field {c.field!r}{suggest(c.field, fields)}")
            return
        if p.negated and not fd.always_known and c.op not in ("is_unknown", "is_known"):
            yield self.finding(c.span, f"under `not:` a condition may only use fields that are always known; {p.fact}.{c.field} can be unknown",
                               "negation-on-unknown")
        if c.ignore_case and (c.op not in CASE_FOLDING or fd.type not in TEXT_TYPES):
            yield self.finding(c.span, f"`ignore_case` compares text: it goes with {', '.join(CASE_FOLDING)} on a text field, "
                                       f"not with {c.op} on {p.fact}.{c.field} ({fd.type})", "ignore-case-misused")
        if c.op in JOINS:
            alias, other = c.value
            target = bound.get(alias)
            if target is None:
                yield self.finding(c.span, f"{c.op} names {alias!r}, which is not a fact matched earlier in this rule"
                                           f"{suggest(alias, bound)}", "unknown-alias")
                return
            ofd = ruleset.vocabulary.facts[target.fact].fields.get(other) if target.fact in ruleset.vocabulary.facts else None
            if ofd is None:
                yield self.finding(c.span, f"fact {target.fact!r} (as {alias!r}) has no field {other!r}"
                                           f"{suggest(other, ruleset.vocabulary.facts.get(target.fact).fields if target.fact in ruleset.vocabulary.facts else [])}")
            elif ofd.type != fd.type and {ofd.type, fd.type} - {"string", "id", "enum"}:
                yield self.finding(c.span, f"{p.fact}.{c.field} ({fd.type}) cannot be compared with {alias}.{other} ({ofd.type})", "type-mismatch")
            return
        if c.op in ("is_unknown", "is_known"):
            if fd.always_known:
                yield self.finding(c.span, f"{p.fact}.{c.field} is always known, so `{c.op}` is pointless", "pointless-test")
            return
        values = c.value if c.op == "one_of" else (c.value,)
        if c.op in ORDERING and fd.type != "integer":
            yield self.finding(c.span, f"{c.op} compares numbers, but {p.fact}.{c.field} is {fd.type}", "type-mismatch")
            return
        for v in values:
            yield from self._constant(c, fd, p, v, bound, ruleset)

    def _constant(self, c: Condition, fd: FieldDef, p: Pattern, v: Any, bound: dict[str, Pattern],
                  ruleset: Ruleset) -> Iterable[Finding]:
        if isinstance(v, float) and (not math.isfinite(v) or "e" in repr(v) or not v.is_integer()):
            yield self.finding(c.span, f"{v!r}: use a whole number here (the engine's parser rejects this number form)", "number-format")
            return
        wanted = _PY_TYPES[fd.type]
        if c.op in ORDERING:
            return
        ok = isinstance(v, wanted) and not (fd.type == "integer" and isinstance(v, bool))
        ref = FIELD_REF.match(v) if isinstance(v, str) else None
        if ref and (ref.group(1) in bound or ref.group(1) in ruleset.vocabulary.facts):
            # `{field: x, equals: user.id}` compares with the text "user.id", never with the user's id.
            join = JOIN_FOR.get(c.op, "same_as")
            yield self.finding(c.span, f"{c.op} compares {p.fact}.{c.field} with the text {v!r}, not with that field: "
                                       f"did you mean `{join}: {v}`?", "literal-looks-like-field")
        elif not ok:
            hint = ""
            if fd.type in TEXT_TYPES and isinstance(v, (bool, int, float)):
                hint = (": quote it to compare with text (unquoted, YAML may read words like Off, On, yes, no "
                        "as true/false and 010 as a number)")
            yield self.finding(c.span, f"{p.fact}.{c.field} is {fd.type}, but the condition compares it with {v!r}{hint}",
                               "type-mismatch")
        elif fd.type == "id" and not SALESFORCE_ID.match(v):
            yield self.finding(c.span, f"{p.fact}.{c.field} is a Salesforce id (15 or 18 letters and digits), "
                                       f"and {v!r} is not one", "type-mismatch")
        elif fd.type == "enum" and v not in fd.values:
            yield self.finding(c.span, f"{v!r} is not a value {p.fact}.{c.field} can take{suggest(v, fd.values)}; "
                                       f"it is one of: {', '.join(fd.values)}", "unknown-value")
