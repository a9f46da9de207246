"""What `syncdoctor explain` computes for one diagnosis and one rule: the rule's status, its
proof (each firing, the facts it matched and where they come from, down to the input facts),
and why it did not fire (each condition's outcome: engine/status.py, Evaluator.explain_rule).
The CLI (cli/explain.py) renders these; a notebook reads them (`to_json`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from syncdoctor.engine.facts import Fact
from syncdoctor.engine.model import Pattern, Rule, Ruleset
from syncdoctor.engine.diagnosis import Diagnosis, Firing
from syncdoctor.engine.run import Engine
from syncdoctor.engine.status import FIRED, BranchOutcomes, Evaluator
from syncdoctor.reading.words import suggest

from .errors import UnknownChoice

PROOF_DEPTH = 60  # derived facts followed down this far (a role chain is bounded well below)


def find_rule(ruleset: Ruleset, target: str) -> Rule:
    """The rule of a conclusion code or a rule id; UnknownChoice names the closest."""
    rule = ruleset.by_code(target) or ruleset.rule(target)
    if rule is None:
        known = [r.conclude.code for r in ruleset.rules if r.conclude] + [r.id for r in ruleset.rules]
        raise UnknownChoice(f"{target!r} is neither a conclusion code nor a rule id{suggest(target, known)}")
    return rule


@dataclass
class Matched:
    """A fact a firing matched, under the pattern's alias; `proof` is how a derived fact was derived."""
    alias: str
    fact: Fact
    proof: "Proof | None" = None


@dataclass
class Proof:
    """One firing of a rule: the facts it matched, and the negated conditions that held."""
    rule: Rule
    firing: Firing
    matched: list[Matched] = field(default_factory=list)
    absent: list[Pattern] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule.id, "rule_version": self.rule.version, "firing": self.firing.id,
                "matched": [{"alias": m.alias, "fact": m.fact.fid, "kind": m.fact.kind, "values": dict(m.fact.values),
                             "provenance": m.fact.provenance, "proof": m.proof.to_json() if m.proof else None}
                            for m in self.matched],
                "absent": [p.fact for p in self.absent]}


@dataclass
class Explanation:
    """One rule in one diagnosis (a user in a business unit)."""
    diagnosis: Diagnosis
    rule: Rule
    engine: Engine

    @property
    def status(self) -> str:
        """fired, not_applicable or undetermined."""
        return self.diagnosis.statuses[self.rule.id].status

    @property
    def missing(self) -> tuple[str, ...]:
        """The snapshot paths that would decide an undetermined rule."""
        return tuple(self.diagnosis.statuses[self.rule.id].missing)

    @property
    def firings(self) -> list[Firing]:
        return [f for f in self.diagnosis.firings if f.rule == self.rule.id]

    @property
    def verdict(self) -> dict[str, Any] | None:
        return next((v for v in self.diagnosis.verdicts() if v["rule"] == self.rule.id), None)

    def proofs(self) -> list[Proof]:
        """One proof per firing of the rule (none when it did not fire)."""
        return [self._proof(f, 0) for f in self.firings]

    def _proof(self, firing: Firing, depth: int) -> Proof:
        d = self.diagnosis
        rule = d.compiled.ruleset.rule(firing.rule)
        assert rule is not None
        proof = Proof(rule, firing)
        for alias, fid in firing.matched.items():
            fact = d.facts[fid]
            sub = None
            if fact.provenance.get("source") == "derived" and depth < PROOF_DEPTH:
                sub = self._proof(next(f for f in d.firings if f.id == fact.provenance["firing"]), depth + 1)
            proof.matched.append(Matched(alias, fact, sub))
        proof.absent = [p for p in rule.branches()[firing.branch] if p.negated]
        return proof

    def why_not(self) -> list[BranchOutcomes]:
        """Each branch of the rule, condition by condition, over the diagnosis's final facts."""
        d = self.diagnosis
        ev = Evaluator(self.engine.compiled, list(d.facts.values()), d.factset.known_lists, d.factset.list_paths, d.factset.pool)
        ev.derived_missing = dict(d.derived_missing)
        return ev.explain_rule(self.rule.id)

    def to_json(self) -> dict[str, Any]:
        return {"user": self.diagnosis.factset.user_label, "business_unit": self.diagnosis.factset.business_unit_label,
                "rule": self.rule.id, "status": self.status, "missing": list(self.missing), "verdict": self.verdict,
                "proofs": [p.to_json() for p in self.proofs()] if self.status == FIRED else [],
                "why_not": [] if self.status == FIRED else [
                    {"branch": b.index, "conditions": [
                        {"fact": o.pattern.fact, "alias": o.pattern.alias, "negated": o.pattern.negated,
                         "field": getattr(o.condition, "field", None), "truth": o.truth,
                         "considered": o.fact.fid if o.fact else None, "missing": list(o.missing)}
                        for o in b.outcomes]} for b in self.why_not()]}


def explain_diagnosis(eng: Engine, d: Diagnosis, rule: Rule) -> Explanation:
    return Explanation(d, rule, eng)
