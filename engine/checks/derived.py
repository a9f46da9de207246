from __future__ import annotations

from typing import Iterable

from syncdoctor.reading.findings import Finding, Severity
from syncdoctor.reading.words import suggest

from ..graph import NegationCycle, is_recursive, producers, strata
from ..model import Rule, Ruleset
from .base import Check


class DerivedFactUsage(Check):
    id = "underived-fact"
    title = "Every derived fact is derived by some rule and used by some rule"

    def check(self, rule: Rule, ruleset: Ruleset) -> Iterable[Finding]:
        if rule.derive is None:
            return
        facts = ruleset.vocabulary.facts
        fdef = facts.get(rule.derive.fact)
        if fdef is None:
            yield self.finding(rule.derive.span, f"unknown fact {rule.derive.fact!r}{suggest(rule.derive.fact, facts)}",
                               "unknown-fact")
            return
        if fdef.origin != "derived":
            yield self.finding(rule.derive.span, f"{rule.derive.fact!r} is an input fact (it comes from the snapshot); "
                                                 "rules may only derive facts declared with `origin: derived`", "derive-input-fact")
            return
        given = {k for k, _ in rule.derive.set}
        for k in sorted(given - set(fdef.fields)):
            yield self.finding(rule.derive.span, f"fact {fdef.name!r} has no field {k!r}{suggest(k, fdef.fields)}", "unknown-field")
        for k in sorted(set(fdef.fields) - given):
            yield self.finding(rule.derive.span, f"the derived fact {fdef.name!r} needs a value for {k!r}", "derive-incomplete")

    def finalize(self, ruleset: Ruleset) -> Iterable[Finding]:
        prods = producers(ruleset)
        used: set[str] = set()
        for r in ruleset.active_rules:
            for branch in r.branches():
                for p in branch:
                    used.add(p.fact)
                    fdef = ruleset.vocabulary.facts.get(p.fact)
                    if fdef is not None and fdef.origin == "derived" and p.fact not in prods:
                        yield self.finding(p.span, f"no rule derives {p.fact!r}, so this condition can never hold")
        for name, fdef in ruleset.vocabulary.facts.items():
            if fdef.origin == "derived" and name in prods and name not in used:
                yield Finding(fdef.span, "unused-derived-fact", f"derived fact {name!r} is derived but no rule uses it",
                              Severity.WARNING)


class DerivationCycle(Check):
    id = "derivation-cycle"
    title = "Derivations must terminate and negation must not depend on itself"

    def finalize(self, ruleset: Ruleset) -> Iterable[Finding]:
        try:
            strata(ruleset)
        except NegationCycle as exc:
            yield self.finding(exc.rule.span, f"rule {exc.rule.id} says `not {exc.kind}`, but {exc.kind} is derived from this "
                                              "rule's own result: such a cycle has no consistent answer")
        facts = ruleset.vocabulary.facts
        for r in ruleset.active_rules:
            if r.derive is None or r.derive.fact not in facts:
                continue
            fdef = facts[r.derive.fact]
            if not fdef.key:
                yield self.finding(fdef.span, f"derived fact {fdef.name!r} needs a `key` (the fields that identify it)",
                                   "derived-without-key")
                continue
            if not is_recursive(ruleset, fdef.name):
                continue
            aliases = {}
            for branch in r.branches():
                aliases.update({p.alias: p.fact for p in branch if not p.negated})
            values = dict(r.derive.set)
            for k in fdef.key:
                v = values.get(k)
                if isinstance(v, tuple):
                    src = facts.get(aliases.get(v[1], ""))
                    if src is not None and src.origin == "input":
                        continue
                elif isinstance(v, (bool, int)) or (isinstance(v, str) and "{" not in v):
                    continue
                yield self.finding(r.derive.span, f"{fdef.name!r} is derived from itself, so its key field {k!r} must be "
                                                  "copied (`from:`) from an input fact; otherwise the chain may never end")
