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


@dataclass
class FactSet:
    """The input of one diagnosis: facts of one (user, business unit) pair."""

    facts: list[Fact]
    known_lists: set[str]
    list_paths: dict[str, str]  # list name -> snapshot path (for missing reports)
    user_label: str = ""
    business_unit_label: str = ""
    user_ref: dict[str, Any] = field(default_factory=dict)
    business_unit_ref: dict[str, Any] = field(default_factory=dict)
