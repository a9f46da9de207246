"""The loaded knowledge as frozen dataclasses. Spans say where each thing was written and
take no part in equality."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Union

from .findings import Span

OPERATORS = ("equals", "not_equals", "one_of", "less_than", "at_most", "greater_than", "at_least",
             "same_as", "is_unknown", "is_known")
ORDERING = ("less_than", "at_most", "greater_than", "at_least")
KIND_ORDER = ("wait", "cause", "remedy", "advice", "answer", "info")


@dataclass(frozen=True)
class FieldDef:
    name: str
    type: str
    description: str
    values: tuple[str, ...] = ()
    always_known: bool = False


@dataclass(frozen=True)
class FactDef:
    name: str
    description: str
    origin: str  # input | derived
    cardinality: str  # one | many
    fields: dict[str, FieldDef]
    key: tuple[str, ...] = ()
    complete_when: tuple[str, ...] = ()
    span: Span = field(default=Span(""), compare=False)


@dataclass(frozen=True)
class ListDef:
    name: str
    description: str
    source: str


@dataclass(frozen=True)
class Vocabulary:
    lists: dict[str, ListDef]
    facts: dict[str, FactDef]


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    summary: str = ""


@dataclass(frozen=True)
class Article:
    number: str
    title: str
    url: str
    published: str
    sections: tuple[Section, ...]

    def section(self, section_id: str) -> Section | None:
        return next((s for s in self.sections if s.id == section_id), None)


@dataclass(frozen=True)
class Citation:
    article: str
    section: str
    note: str = ""
    span: Span = field(default=Span(""), compare=False)


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any = None  # constant, list of constants, or (alias, field) for same_as
    span: Span = field(default=Span(""), compare=False)

    @property
    def ref(self) -> tuple[str, str] | None:
        return self.value if self.op == "same_as" else None


@dataclass(frozen=True)
class AnyOf:
    conditions: tuple["Cond", ...]
    span: Span = field(default=Span(""), compare=False)


Cond = Union[Condition, AnyOf]


@dataclass(frozen=True)
class Pattern:
    fact: str
    alias: str
    conditions: tuple[Cond, ...]
    negated: bool = False
    span: Span = field(default=Span(""), compare=False)


@dataclass(frozen=True)
class Group:
    op: str  # all | any
    items: tuple[Union[Pattern, "Group"], ...]
    span: Span = field(default=Span(""), compare=False)


@dataclass(frozen=True)
class Derive:
    fact: str
    set: tuple[tuple[str, Any], ...]  # (field, constant | template str | ("from", alias, field))
    span: Span = field(default=Span(""), compare=False)


@dataclass(frozen=True)
class Conclusion:
    code: str
    kind: str
    message: str
    detail: str = ""
    remedies: tuple[str, ...] = ()
    span: Span = field(default=Span(""), compare=False)


@dataclass(frozen=True)
class Rule:
    id: str
    version: int
    title: str
    status: str
    description: str
    when: Group
    derive: Derive | None
    conclude: Conclusion | None
    citations: tuple[Citation, ...]
    file: str = field(default="", compare=False)
    span: Span = field(default=Span(""), compare=False)
    raw: Any = field(default=None, compare=False, repr=False)

    @property
    def logic_hash(self) -> str:
        """Hash of what decides behaviour (conditions and what is produced), not wording."""
        produced: Any = None
        if self.derive is not None:
            produced = {"derive": self.derive.fact, "set": [[k, _plain(v)] for k, v in self.derive.set]}
        elif self.conclude is not None:
            produced = {"conclude": self.conclude.code, "kind": self.conclude.kind}
        blob = json.dumps({"when": _plain(self.raw.get("when")) if self.raw else None, "then": produced},
                          sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    def branches(self) -> list[tuple[Pattern, ...]]:
        """Disjunctive normal form: each branch is a conjunction of patterns."""
        return [tuple(b) for b in _dnf(self.when)]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _dnf(node: Pattern | Group) -> list[list[Pattern]]:
    if isinstance(node, Pattern):
        return [[node]]
    if node.op == "any":
        out: list[list[Pattern]] = []
        for item in node.items:
            out.extend(_dnf(item))
        return out
    branches: list[list[Pattern]] = [[]]
    for item in node.items:
        branches = [b + alt for b in branches for alt in _dnf(item)]
    return branches


@dataclass(frozen=True)
class Ruleset:
    name: str
    version: str
    description: str
    root: str
    vocabulary: Vocabulary
    articles: dict[str, Article]
    rules: tuple[Rule, ...]
    lock: dict[str, dict]
    file_hashes: dict[str, str]
    case_paths: tuple[str, ...] = ()
    known_gaps: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        blob = "\n".join(f"{k} {v}" for k, v in sorted(self.file_hashes.items()))
        return hashlib.sha256(blob.encode()).hexdigest()

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def by_code(self, code: str) -> Rule | None:
        return next((r for r in self.rules if r.conclude and r.conclude.code == code), None)

    @property
    def active_rules(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.status != "deprecated")
