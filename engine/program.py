"""Status programs: each rule branch made once, at compile time, into what the status pass runs.

For every pattern of a branch the compiler decides here, once, what ``Evaluator.evaluate_branch``
would otherwise work out on every call: the condition closures (engine/conditions.py), the
equality joins the engine looks facts up by, the joins whose joined value must be known, whether
the joined field may be unknown, and which kinds the branch's derived kind is mutually recursive
with (`own`: their facts are never completed by an unknown candidate).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .conditions import FALSE, TRUE, CondFn, F, Truth, U, Unknown, compile_condition, t_and
from .model import JOINS, Condition, Pattern


@dataclass(frozen=True)
class IndexJoin:
    """An equality join a pattern's candidates are looked up by (``Condition.indexed_join``)."""
    field: str
    alias: str  # the earlier pattern's alias
    other_field: str
    ignore_case: bool
    also_missing: bool  # the field may be unknown: facts lacking it are candidates too


@dataclass(frozen=True)
class PatternProgram:
    pattern: Pattern
    fact: str
    alias: str
    negated: bool
    conditions: tuple[tuple[Any, CondFn], ...]  # (the condition, its closure), in the rule's order
    index_joins: tuple[IndexJoin, ...]
    guards: tuple[tuple[str, str], ...]  # (alias, field) of each join: its value must be known

    def truth(self, cand: Any, binding: dict) -> Truth:
        """The pattern's conditions over one candidate, in order, stopping at the first false."""
        if isinstance(cand, Unknown):
            return Truth(U, cand.missing)
        result = TRUE
        for _, test in self.conditions:
            result = t_and(result, test(cand, binding))
            if result.value == F:
                return FALSE
        return result

    def guard(self, binding: dict) -> Truth:
        """Unknown when a joined value is (the compiled rule requires it with `$ex`)."""
        result = TRUE
        for alias, name in self.guards:
            other = binding.get(alias)
            if isinstance(other, Unknown):
                result = t_and(result, Truth(U, other.missing))
            elif other is not None and name not in other.values:
                result = t_and(result, Truth(U, frozenset({other.path_of(name)})))
        return result


@dataclass(frozen=True)
class BranchProgram:
    branch: Any  # engine.compile.Branch
    patterns: tuple[PatternProgram, ...]
    own: frozenset[str]  # kinds mutually recursive with the derived kind (no unknown candidate)


def pattern_program(p: Pattern, vocabulary: Any) -> PatternProgram:
    fields = vocabulary.facts[p.fact].fields
    top = [c for c in p.conditions if isinstance(c, Condition)]
    joins = tuple(IndexJoin(c.field, c.value[0], c.value[1], c.ignore_case, not fields[c.field].always_known)
                  for c in top if c.indexed_join)
    return PatternProgram(p, p.fact, p.alias, p.negated, tuple((c, compile_condition(c)) for c in p.conditions),
                          joins, tuple((c.value[0], c.value[1]) for c in top if c.op in JOINS))


def branch_program(branch: Any, vocabulary: Any, components: dict[str, frozenset[str]]) -> BranchProgram:
    own: frozenset[str] = frozenset()
    if branch.rule.derive is not None:
        own = components.get(branch.rule.derive.fact, frozenset())
    return BranchProgram(branch, tuple(pattern_program(p, vocabulary) for p in branch.patterns), own)
