"""Engine-side facts: typed values with provenance. Collectors and the snapshot loader build
these; the engine never reaches back into where they came from."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Fact:
    fid: str
    kind: str
    values: dict[str, Any]
    provenance: dict[str, Any]
    field_paths: dict[str, str] = field(default_factory=dict)

    def path_of(self, name: str) -> str:
        """Where the value of ``name`` would come from (for `undetermined: missing`)."""
        if name in self.field_paths:
            return self.field_paths[name]
        base = self.provenance.get("path", self.kind)
        return f"{base}.{name}"

    def to_json(self) -> dict[str, Any]:
        return {"id": self.fid, "kind": self.kind, "values": dict(sorted(self.values.items())),
                "provenance": self.provenance}


MISSING = object()  # index key of facts that lack the field


class FactPool:
    """Facts shared by many diagnoses (an org's roles and group members, a business unit's
    AE users and assignments), built once and indexed by field on first use. The engine
    asserts into a diagnosis only the pool facts that can join with what is already there
    (see Engine._demanded), so a diagnosis costs what the user's neighbourhood costs, not
    what the org costs."""

    def __init__(self, facts: list[Fact]):
        self.facts = facts
        self.by_kind: dict[str, list[Fact]] = {}
        for f in facts:
            self.by_kind.setdefault(f.kind, []).append(f)
        self._index: dict[tuple[str, str], dict[Any, list[Fact]]] = {}
        self._ids: dict[str, Fact] | None = None

    def by_id(self, fid: str) -> Fact:
        if self._ids is None:
            self._ids = {f.fid: f for f in self.facts}
        return self._ids[fid]

    def of_kind(self, kind: str) -> list[Fact]:
        return self.by_kind.get(kind, [])

    def lookup(self, kind: str, name: str, value: Any, fold: bool = False) -> list[Fact]:
        return indexed_lookup(self._index, self.by_kind, kind, name, value, fold)


def indexed_lookup(cache: dict[tuple[str, str], dict[Any, list[Fact]]], by_kind: dict[str, list[Fact]],
                   kind: str, name: str, value: Any, fold: bool = False) -> list[Fact]:
    """The facts of `kind` whose field `name` is `value` (MISSING: those lacking it), through an
    index built on first use and kept in `cache`. `fold`: text compared without case
    (`ignore_case` joins), casefolded exactly as the compiled shadow fields."""
    key = (kind, name + "\0casefold") if fold else (kind, name)
    idx = cache.get(key)
    if idx is None:
        idx = {}
        for f in by_kind.get(kind, []):
            v = f.values.get(name, MISSING)
            idx.setdefault(v.casefold() if fold and isinstance(v, str) else v, []).append(f)
        cache[key] = idx
    return idx.get(value.casefold() if fold and isinstance(value, str) else value, [])


@dataclass
class FactSet:
    """The input of one diagnosis: facts of one (user, business unit) pair, plus the shared
    pool they may join with (None: every fact is in ``facts``)."""

    facts: list[Fact]
    known_lists: set[str]
    list_paths: dict[str, str]  # list name -> snapshot path (for missing reports)
    user_label: str = ""
    business_unit_label: str = ""
    user_ref: dict[str, Any] = field(default_factory=dict)
    business_unit_ref: dict[str, Any] = field(default_factory=dict)
    pool: FactPool | None = None
