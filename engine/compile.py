"""Compile validated rules into durable-rules rulesets.

Each rule's conditions become one durable-rules rule per alternative (`any:` expands into
separate rules, so a rule never fires twice for one match). Only the subset of durable-rules
that is safe with missing data is emitted:

* every pattern carries a positive discriminator (`t`: the fact kind), never only negative tests;
* a join (`same_as`) also requires the joined field to exist on the earlier fact (`$ex`), so an
  absent value never satisfies a negation;
* joins are equality (`same_as`) or inequality (`differs_from`, `$neq` with the same `$ex`
  guards on both sides); ordering against another fact's field is never emitted (engine error
  311 on an absent field), nor `$m`/arithmetic references;
* `ignore_case` compares a lower-cased shadow field (`<field>__lc`, see `shadow_field`) that the
  engine asserts next to each text field some rule compares without case;
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
from .program import BranchProgram, branch_program

RESERVED = {"id": "id_", "sid": "sid_", "t": "t_", "_fid": "_fid_"}
_counter = itertools.count(1)


def engine_field(name: str) -> str:
    return RESERVED.get(name, name)


def engine_alias(alias: str) -> str:
    return "a_" + alias


def shadow_field(name: str) -> str:
    """The lower-cased copy of a text field, for `ignore_case` comparisons."""
    return engine_field(name) + "__lc"


def folded(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def case_folded_fields(ruleset: Ruleset) -> dict[str, tuple[str, ...]]:
    """fact kind -> the fields some rule compares without case (each gets a shadow field)."""
    out: dict[str, set[str]] = {}
    for rule in ruleset.active_rules:
        for branch in rule.branches():
            kinds = {p.alias: p.fact for p in branch}
            for p in branch:
                for c in _flat(p.conditions):
                    if c.ignore_case:
                        out.setdefault(p.fact, set()).add(c.field)
                        if c.ref is not None and c.ref[0] in kinds:
                            out.setdefault(kinds[c.ref[0]], set()).add(c.ref[1])
    return {k: tuple(sorted(v)) for k, v in out.items()}


def _flat(conds: Any) -> Any:
    for c in conds:
        if isinstance(c, AnyOf):
            yield from _flat(c.conditions)
        else:
            yield c


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
    shadows: dict[str, tuple[str, ...]]  # fact kind -> fields asserted lower-cased too (ignore_case)
    programs: dict[str, BranchProgram]  # branch name -> what the status pass runs (engine/program.py)

    def branches_of(self, rule_id: str) -> list[Branch]:
        return list(self.rule_branches(rule_id))

    def rule_branches(self, rule_id: str) -> tuple[Branch, ...]:
        """The rule's branches, not copied (asked for every rule of every diagnosis)."""
        by_rule = self.__dict__.get("_by_rule")
        if by_rule is None:  # indexed on first use
            grouped: dict[str, list[Branch]] = {}
            for b in self.branches:
                grouped.setdefault(b.rule.id, []).append(b)
            by_rule = self.__dict__["_by_rule"] = {k: tuple(v) for k, v in grouped.items()}
        return by_rule.get(rule_id, ())


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
    f = shadow_field(c.field) if c.ignore_case else engine_field(c.field)
    value = tuple(folded(v) for v in c.value) if c.ignore_case and c.op == "one_of" else \
        folded(c.value) if c.ignore_case and c.op not in ("same_as", "differs_from") else c.value
    c = Condition(c.field, c.op, value, c.span, c.ignore_case)
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
    if c.op in ("same_as", "differs_from"):
        alias, other = c.value
        other_f = shadow_field(other) if c.ignore_case else engine_field(other)
        guards_for.setdefault(alias, set()).add(other_f)
        ref = {engine_alias(alias): other_f}
        if c.op == "same_as":
            return {f: ref}
        # Unknown on either side is unknown, never "different": both fields must exist.
        return {"$and": [{"$ex": {f: 1}}, {"$neq": {f: ref}}]}
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
                flat: list[dict] = []
                for c in p.conditions:
                    # Flattened: durable-rules mis-evaluates an `$and` nested in a pattern's
                    # `$and` when it holds a second join to the same fact (two `differs_from`).
                    compiled = _condition(c, guards_for)
                    flat.extend(compiled["$and"] if set(compiled) == {"$and"} else [compiled])
                conds = [{"t": p.fact}] + sorted(flat, key=_nested)  # `$or` last: see _nested
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
    components = component_of(ruleset)
    programs = {b.name: branch_program(b, ruleset.vocabulary, components) for b in branches}
    return CompiledRuleset(ruleset, name, branches, rule_strata, max(rule_strata.values(), default=0), derived,
                           components, {name: definition}, case_folded_fields(ruleset), programs)


def _nested(cond: dict) -> bool:
    """A nested `$and`/`$or`. durable-rules 2.0.28 ignores a join written after one in the same
    pattern (measured: the pattern then matches whatever the joined value), so a pattern's
    nested tests always come after its joins."""
    return "$or" in cond or "$and" in cond


def _noop(c: Any) -> None:
    return None
