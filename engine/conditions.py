"""Three-valued truth and the conditions of the rules compiled to Python closures.

A condition is turned once (per compiled ruleset) into a function of the candidate fact and the
binding of the aliases before it, returning a ``Truth``: everything that does not depend on the
facts — the operator, the field, the constant (casefolded for `ignore_case`), the joined alias
and field — is decided at compile time, so that evaluating a condition is a few dictionary reads
and one comparison. Unknown is never false: an absent value, an absent joined value or a joined
fact that may exist but is not in the data (``Unknown``) make a condition unknown, with the
places that would decide it.
"""
from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from .model import JOINS, AnyOf, Condition

T, F, U = "true", "false", "unknown"


@dataclass(frozen=True)
class Truth:
    value: str
    missing: frozenset[str] = frozenset()


TRUE = Truth(T)
FALSE = Truth(F)
UNKNOWN = Truth(U)


def t_and(a: Truth, b: Truth) -> Truth:
    if a.value == F or b.value == F:
        return FALSE
    if a.value == U or b.value == U:
        return Truth(U, a.missing | b.missing)
    return TRUE


def t_or(items: Iterable[Truth]) -> Truth:
    missing: set[str] = set()
    unknown = False
    for t in items:
        if t.value == T:
            return TRUE
        if t.value == U:
            unknown = True
            missing |= t.missing
    return Truth(U, frozenset(missing)) if unknown else FALSE


def t_not(a: Truth) -> Truth:
    return {T: FALSE, F: TRUE}.get(a.value) or a


class Unknown:
    """A fact that may exist but is not in the data (the list it belongs to is incomplete)."""

    def __init__(self, missing: frozenset[str]):
        self.missing = missing


def fold(value: Any) -> Any:
    """Text compared without case (`ignore_case`), exactly as the compiled shadow fields."""
    return value.casefold() if isinstance(value, str) else value


def keep(value: Any) -> Any:
    return value


def same(a: Any, b: Any) -> bool:
    """Exact equality: booleans are not numbers, numbers are not text."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


CondFn = Callable[[Any, dict], Truth]  # (candidate fact, binding: alias -> Fact | Unknown) -> Truth
_ORDER = {"less_than": operator.lt, "at_most": operator.le, "greater_than": operator.gt, "at_least": operator.ge}


def compile_condition(c: Condition | AnyOf) -> CondFn:
    """The condition as a closure (module docstring)."""
    if isinstance(c, AnyOf):
        parts = [compile_condition(x) for x in c.conditions]
        return lambda fact, binding: t_or(p(fact, binding) for p in parts)
    name, op = c.field, c.op
    if op == "is_unknown":
        return lambda fact, binding: FALSE if name in fact.values else TRUE
    if op == "is_known":
        return lambda fact, binding: TRUE if name in fact.values else FALSE
    test = _value_test(c)

    def condition(fact: Any, binding: dict) -> Truth:
        values = fact.values
        if name not in values:
            return Truth(U, frozenset({fact.path_of(name)}))
        return test(values[name], binding)
    return condition


def _value_test(c: Condition) -> Callable[[Any, dict], Truth]:
    """The test on a known value of the condition's field."""
    f = fold if c.ignore_case else keep
    op = c.op
    if op in JOINS:
        alias, other_field = c.value
        want = op == "same_as"

        def join(v: Any, binding: dict) -> Truth:
            other = binding.get(alias)
            if isinstance(other, Unknown):
                return Truth(U, other.missing)
            if other is None:
                return UNKNOWN
            if other_field not in other.values:
                return Truth(U, frozenset({other.path_of(other_field)}))
            return TRUE if same(f(v), f(other.values[other_field])) == want else FALSE
        return join
    if op == "equals":
        const = f(c.value)
        return lambda v, binding: TRUE if same(f(v), const) else FALSE
    if op == "not_equals":
        const = f(c.value)
        return lambda v, binding: FALSE if same(f(v), const) else TRUE
    if op == "one_of":
        consts = [f(x) for x in c.value]
        return lambda v, binding: TRUE if any(same(f(v), x) for x in consts) else FALSE
    compare, limit = _ORDER[op], c.value

    def order(v: Any, binding: dict) -> Truth:
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            return FALSE
        return TRUE if compare(v, limit) else FALSE
    return order
