"""Compile validated rules into durable-rules rulesets.

Each rule's conditions become one durable-rules rule per alternative (`any:` expands into
separate rules, so a rule never fires twice for one match). Only the subset of durable-rules
that is safe with missing data is emitted:

* every pattern carries a positive discriminator (`t`: the fact kind), never only negative tests;
* a join (`same_as`) also requires the joined field to exist on the earlier fact (`$ex`), so an
  absent value never satisfies a negation;
* joins are equality only (ordering against an absent field of another fact is engine error 311),
  and no `$m`/arithmetic references are emitted;
* vocabulary fields named `id`/`sid` (reserved by durable-rules) are renamed;
* numbers are whole numbers (the C parser rejects `1e-05`);
* negation over a list requires a `__known` marker for that list, and negation over a derived
  fact waits for a `__stratum` marker asserted only after every rule deriving it has run.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from .graph import component_of, producers, strata
from .model import AnyOf, Condition, Pattern, Rule, Ruleset

RESERVED = {"id": "id_", "sid": "sid_", "t": "t_", "_fid": "_fid_"}
_counter = itertools.count(1)


def engine_field(name: str) -> str:
    return RESERVED.get(name, name)


def engine_alias(alias: str) -> str:
    return "a_" + alias


@dataclass(frozen=True)
class Branch:
    """One alternative of one rule, as registered with durable-rules."""

    rule: Rule
    index: int
    name: str
    patterns: tuple[Pattern, ...]
    stratum: int
    guards: tuple[str, ...]  # list / derived-kind names whose __known marker a negation needs


@dataclass
class CompiledRuleset:
    ruleset: Ruleset
    name: str  # the durable-rules ruleset name (unique per compiled version)
    branches: list[Branch]
    strata: dict[str, int]
    max_stratum: int
    derived_kinds: set[str]
    components: dict[str, frozenset[str]]  # derived kind -> the kinds it is mutually recursive with
    definition: dict[str, dict]  # what is registered with durable-rules

    def branches_of(self, rule_id: str) -> list[Branch]:
        return [b for b in self.branches if b.rule.id == rule_id]


class CompileError(Exception):
    pass


def _constant(value: Any) -> Any:
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise CompileError(f"number {value!r} is not a whole number")
    return value


def _condition(c: Condition | AnyOf, guards_for: dict[str, set[str]]) -> dict:
    if isinstance(c, AnyOf):
        return {"$or": [_condition(x, guards_for) for x in c.conditions]}
    f = engine_field(c.field)
    if c.op == "equals":
        return {f: _constant(c.value)}
    if c.op == "not_equals":
        # `$neq` on an absent field is false in durable-rules; the `$ex` states it explicitly.
        return {"$and": [{"$ex": {f: 1}}, {"$neq": {f: _constant(c.value)}}]}
    if c.op == "one_of":
        options = [{f: _constant(v)} for v in c.value]
        return options[0] if len(options) == 1 else {"$or": options}
    if c.op in ("less_than", "at_most", "greater_than", "at_least"):
        op = {"less_than": "$lt", "at_most": "$lte", "greater_than": "$gt", "at_least": "$gte"}[c.op]
        return {op: {f: _constant(c.value)}}
    if c.op == "same_as":
        alias, other = c.value
        guards_for.setdefault(alias, set()).add(engine_field(other))
        return {f: {engine_alias(alias): engine_field(other)}}
    if c.op == "is_unknown":
        return {"$nex": {f: 1}}
    if c.op == "is_known":
        return {"$ex": {f: 1}}
    raise CompileError(f"unknown operator {c.op}")


def compile_ruleset(ruleset: Ruleset, action_factory: Any) -> CompiledRuleset:
    """Build the durable-rules definition; ``action_factory(branch)`` returns each action."""
    rule_strata = strata(ruleset)
    prods = producers(ruleset)
    derived = set(prods)
    suffix = ruleset.sha256[:12]
    name = f"syncdoctor_{ruleset.name.replace('-', '_')}_{suffix}_{next(_counter)}"
    branches: list[Branch] = []
    definition: dict[str, dict] = {}
    # The start rule fires in every session, so delete_state never meets a session without
    # an action (that segfaults), and the catch-all keeps every fact "handled".
    definition["__start"] = {"all": [{"s": {"$and": [{"t": "__stratum"}, {"n": 0}]}}], "run": _noop, "pri": 0}
    definition["__catch_all"] = {"all": [{"x": {"$ex": {"t": 1}}}, {"never": {"t": "__never"}}], "run": _noop, "pri": 0}
    for rule in ruleset.active_rules:
        for i, patterns in enumerate(rule.branches()):
            stratum = rule_strata.get(rule.id, 0)
            guards: list[str] = []
            for p in patterns:
                if p.negated:
                    fdef = ruleset.vocabulary.facts[p.fact]
                    if fdef.origin == "derived":
                        guards.append(p.fact)
                    guards.extend(fdef.complete_when)
            guards = list(dict.fromkeys(guards))
            branch_name = f"r{len(branches):03d}_{rule.id}_{i}"
            guards_for: dict[str, set[str]] = {}
            compiled_patterns: list[tuple[str, list]] = []
            for p in patterns:
                conds = [{"t": p.fact}] + [_condition(c, guards_for) for c in p.conditions]
                key = engine_alias(p.alias) + ("$not" if p.negated else "")
                compiled_patterns.append((key, conds))
            # add $ex guards to the patterns whose fields are joined on later
            out: list[dict] = []
            if stratum > 0:
                out.append({"a__stratum": {"$and": [{"t": "__stratum"}, {"n": stratum}]}})
            for g in guards:
                out.append({f"a__known_{g}": {"$and": [{"t": "__known"}, {"list": g}]}})
            for key, conds in compiled_patterns:
                alias = key[2:].removesuffix("$not")
                for fld in sorted(guards_for.get(alias, ())) if not key.endswith("$not") else ():
                    conds.append({"$ex": {fld: 1}})
                out.append({key: conds[0] if len(conds) == 1 else {"$and": conds}})
            branch = Branch(rule, i, branch_name, tuple(patterns), stratum, tuple(guards))
            definition[branch_name] = {"all": out, "run": action_factory(branch), "pri": 1 + stratum}
            branches.append(branch)
    return CompiledRuleset(ruleset, name, branches, rule_strata, max(rule_strata.values(), default=0), derived,
                           component_of(ruleset), {name: definition})


def _noop(c: Any) -> None:
    return None
