"""What a diagnosis is: its firings (the trace), the facts they used and derived, every rule's
status, and the result document made of them (verdicts, undetermined, trace, facts); and how a
derivation's values and a template's text are computed from the facts a firing matched."""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from typing import Any

from .compile import CompiledRuleset
from .facts import Fact, FactSet
from .model import KIND_ORDER, Condition, Rule, Ruleset
from .status import UNDETERMINED, RuleStatus

_FID = re.compile(r"([a-z]+)(\d+)$")
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)\}")
# A derived text (a path through nested groups or up the role hierarchy) embeds the text of the
# fact it came from: unbounded, a chain of n levels would hold n²/2 characters. Beyond this
# length the middle is elided, so memory stays linear in the depth of the hierarchy.
DERIVED_TEXT_LIMIT = 600
_ELLIPSIS = " … "


@dataclass
class Firing:
    id: str
    rule: str
    rule_version: int
    branch: int
    matched: dict[str, str]  # alias -> fact id
    produced: str | None = None  # derived fact id, or None for a conclusion
    new: bool = True  # False when the derived fact already existed (another path)
    code: str | None = None
    parents: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "rule": self.rule, "rule_version": self.rule_version,
                               "branch": self.branch, "matched": dict(sorted(self.matched.items())),
                               "parents": self.parents}
        if self.code:
            out["concluded"] = self.code
        else:
            out["derived"] = self.produced
            out["new"] = self.new
        return out


def derived_values(ruleset: Ruleset, rule: Rule, binding: dict[str, Fact]) -> tuple[dict[str, Any], tuple]:
    """The values a derivation rule sets for one match, and the key that deduplicates them."""
    assert rule.derive is not None
    values: dict[str, Any] = {}
    for name, spec in rule.derive.set:
        if isinstance(spec, tuple):
            src = binding[spec[1]].values
            if spec[2] in src:
                values[name] = src[spec[2]]
        elif isinstance(spec, str):
            values[name] = bounded(render(spec, binding, ruleset.value_words))
        else:
            values[name] = spec
    fdef = ruleset.vocabulary.facts[rule.derive.fact]
    return values, (rule.derive.fact,) + tuple(values.get(k) for k in fdef.key)


def bounded(text: str, limit: int = DERIVED_TEXT_LIMIT) -> str:
    """``text``, or its beginning and end around " … " when longer than ``limit``; whitespace at
    either cut is dropped, so the ellipsis always stands between single spaces."""
    if len(text) <= limit:
        return text
    half = (limit - len(_ELLIPSIS)) // 2
    return text[:half].rstrip() + _ELLIPSIS + text[-half:].lstrip()


def render(template: str, binding: dict[str, Fact], shown: dict[tuple[str, str], dict[str, str]] | None = None) -> str:
    """A template with its {alias.field} names filled from the matched facts. `shown`
    (Ruleset.value_words): an enum value whose vocabulary field names a glossary term is written
    as the glossary's screen name (`marketing` -> "Marketing Users group"), in every text a rule
    writes (derived facts' texts, messages, details, remedies, warnings)."""
    pieces = _pieces(template)
    if len(pieces) == 1:
        return template
    out = [pieces[0]]
    for i in range(1, len(pieces), 3):
        alias, name = pieces[i], pieces[i + 1]
        fact = binding.get(alias)
        if fact is None or name not in fact.values:
            out.append("(unknown)")
        else:
            value = fact.values[name]
            if isinstance(value, bool):
                out.append(str(value).lower())
            else:
                words = shown.get((fact.kind, name)) if shown else None
                out.append(words.get(value, str(value)) if words and isinstance(value, str) else str(value))
        out.append(pieces[i + 2])
    return "".join(out)


@functools.lru_cache(maxsize=4096)  # the rules' templates: a few hundred
def _pieces(template: str) -> tuple[str, ...]:
    """The template split once: text, alias, field, text, alias, field, ..., text."""
    return tuple(PLACEHOLDER.split(template))


@dataclass
class Diagnosis:
    factset: FactSet
    firings: list[Firing]
    facts: dict[str, Fact]
    statuses: dict[str, RuleStatus]
    compiled: CompiledRuleset
    derived_missing: dict[str, frozenset[str] | None]  # derived kind -> None when complete

    def verdicts(self) -> list[dict[str, Any]]:
        rs = self.compiled.ruleset
        by_rule: dict[str, list[Firing]] = {}
        for f in self.firings:
            if f.code:
                by_rule.setdefault(f.rule, []).append(f)
        out = []
        for rule_id, firings in by_rule.items():
            rule = rs.rule(rule_id)
            assert rule is not None and rule.conclude is not None
            first = {a: self.facts[fid] for a, fid in firings[0].matched.items()}
            details: list[str] = []
            if rule.conclude.detail:
                for f in firings:
                    text = render(rs.expand(rule.conclude.detail), {a: self.facts[fid] for a, fid in f.matched.items()},
                                  rs.value_words)
                    if text not in details:
                        details.append(text)
            verdict = {
                "code": rule.conclude.code,
                "kind": rule.conclude.kind,
                "rule": rule.id,
                "rule_version": rule.version,
                "rule_status": rule.status,
                # the template's line breaks folded, never an org name's: every text of a verdict
                # carries a name as the org wrote it, and each output format escapes it one way
                "message": render(" ".join(rs.expand(rule.conclude.message).split()), first, rs.value_words),
                "details": details,
                "remedies": [render(rs.expand(r), first, rs.value_words) for r in rule.conclude.remedies],
                "warnings": [render(rs.expand(w), first, rs.value_words) for w in rule.conclude.warnings],
                "citations": rs.cited(rule),
                "evidence": [f.id for f in firings],
                "absent": _absent(rule, firings),
            }
            if rule.conclude.code in rs.user_wide:
                verdict["scope"] = "user"  # read nothing of the business unit: the same in every one
            if rule.conclude.remedy_changes:
                verdict["remedy_changes"] = [dict(remedy=n, **fill_change(json.loads(text), first))
                                             for n, text in rule.conclude.remedy_changes]
            out.append(verdict)
        out.sort(key=lambda v: (KIND_ORDER.index(v["kind"]), v["code"]))
        return out

    def undetermined(self) -> list[dict[str, Any]]:
        rs = self.compiled.ruleset
        out = []
        for rule in rs.active_rules:
            st = self.statuses[rule.id]
            if st.status == UNDETERMINED and rule.conclude is not None:
                out.append({"rule": rule.id, "code": rule.conclude.code, "kind": rule.conclude.kind,
                            "missing": list(st.missing)})
        out.sort(key=lambda v: (KIND_ORDER.index(v["kind"]), v["code"]))
        return out

    def used_fact_ids(self) -> list[str]:
        used: set[str] = set()  # a set: with 50,000 firings a list's `in` was minutes
        for f in self.firings:
            used.update(f.matched.values())
            if f.produced:
                used.add(f.produced)
        return sorted(used, key=fid_order)

    def to_json(self) -> dict[str, Any]:
        return {
            "user": self.factset.user_ref,
            "business_unit": self.factset.business_unit_ref,
            "verdicts": self.verdicts(),
            "undetermined": self.undetermined(),
            "rule_status": {rid: st.status for rid, st in sorted(self.statuses.items())},
            "trace": [f.to_json() for f in self.firings],
            "facts": [self.facts[fid].to_json() for fid in self.used_fact_ids()],
        }


@functools.lru_cache(maxsize=1 << 14)  # the same ids (r1, d3, f2, o17) recur in every diagnosis
def fid_order(fid: str) -> tuple:
    m = _FID.match(fid)
    return (m.group(1), int(m.group(2))) if m else (fid, 0)


def _absent(rule: Rule, firings: list[Firing]) -> list[dict[str, Any]]:
    """The negated conditions ("there is no …") that held for the verdict, in the rule's terms:
    the fact and its conditions (`field`, the test, the value; a join names `alias.field`).
    Each held over lists known complete (unknown is never false): the reports say which."""
    out: list[dict[str, Any]] = []
    branches = rule.branches()
    for f in firings:
        for p in branches[f.branch]:
            if not p.negated:
                continue
            where = [{"field": c.field, "test": c.op,
                      "value": ".".join(c.value) if c.op in ("same_as", "differs_from") else c.value}
                     for c in p.conditions if isinstance(c, Condition)]
            entry = {"fact": p.fact, "where": where}
            if entry not in out:
                out.append(entry)
    return out


def fill_change(change: Any, binding: dict[str, Fact]) -> dict[str, Any]:
    """A rule's remedy change (docs/authoring.md) with its {alias.field} names filled from a
    verdict's facts: {"change": filled}, or {"unfilled": [names]} when one is unknown here."""
    unknown: list[str] = []

    def fill(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: fill(x) for k, x in v.items()}
        if isinstance(v, list):
            return [fill(x) for x in v]
        if isinstance(v, str):
            for m in PLACEHOLDER.finditer(v):
                fact = binding.get(m.group(1))
                if fact is None or m.group(2) not in fact.values:
                    unknown.append(f"{m.group(1)}.{m.group(2)}")
            return render(v, binding)
        return v
    filled = fill(change)
    return {"unfilled": sorted(set(unknown))} if unknown else {"change": filled}
