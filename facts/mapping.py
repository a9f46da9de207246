"""The snapshot's mapping to input facts, read from facts/snapshot-map.yaml: for each kind of
fact, the record it is made from and, per field, where its value is read and the transform that
makes it (facts/transforms.py). facts/snapshot.py builds every input fact through `KindMap`;
`rules check` compares the map with the vocabulary and the snapshot schema (facts/map_check.py)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Callable

from syncdoctor.reading.findings import Finding, FindingError, Span
from syncdoctor.reading.loader import load_file, locate

from .transforms import ABSENT, TRANSFORMS, Place

MAP_FILE = Path(__file__).with_name("snapshot-map.yaml")
Getter = Callable[[Any, Place], Any]


def _walk(value: Any, steps: tuple[str, ...]) -> Any:
    for step in steps:
        if not isinstance(value, dict) or step not in value:
            return ABSENT
        value = value[step]
    return value


@dataclass(frozen=True)
class FieldMap:
    """One field of a kind: `source` as the map writes it (`from`), its transform, the other
    fields the transform reads (`also`) and where the map says so."""
    kind: str
    name: str
    source: str
    transform: str
    also: tuple[str, ...]
    span: Span

    @property
    def base(self) -> str:
        """Where `source` starts: record, parent, top or business_unit."""
        s = self.source
        if s.startswith("$business_unit."):
            return "business_unit"
        return "top" if s.startswith("$.") else "parent" if s.startswith("../") else "record"

    @property
    def steps(self) -> tuple[str, ...]:
        s = self.source
        for prefix in ("$business_unit.", "$.", "../"):
            s = s.removeprefix(prefix)
        return () if s == "." else tuple(s.split("."))

    def getter(self) -> Getter:
        """(record, place) -> the fact's value of this field (None: unknown)."""
        fn, base = TRANSFORMS[self.transform], self.base
        steps = tuple(s for s in self.steps if s != "{id}")
        # the common cases, each at the cost of its dict lookups (a diagnosis builds two facts this way)
        if base == "record" and self.transform == "copy" and len(steps) == 1:
            name = steps[0]
            return lambda record, place: record.get(name)
        if base == "record" and self.transform == "copy" and len(steps) == 2:
            outer, inner = steps
            return lambda record, place: v.get(inner) if isinstance(v := record.get(outer), dict) else None
        if base == "record" and len(steps) == 1:
            name = steps[0]
            return lambda record, place: fn(record.get(name, ABSENT), record, place)
        if base == "record":
            return lambda record, place: fn(_walk(record, steps) if steps else record, record, place)
        if base == "parent":
            return lambda record, place: fn(_walk(place.parent, steps), record, place)
        if base == "top":
            return lambda record, place: fn(_walk(place.org.data, steps), record, place)
        return lambda record, place: fn(_walk(place.bu, steps), record, place)

    def path(self) -> Callable[[Any, Place], str]:
        """(record, place) -> the snapshot path the value comes from (what `undetermined` names
        as missing); worked out once, as the getter is."""
        rest, base = ".".join(self.steps), self.base
        if base == "top":
            where: Callable[[Any, Place], str] = lambda record, place: rest
        elif base == "business_unit":
            head, _, tail = rest.partition("{id}")
            where = ((lambda record, place: f"{place.bp}.{head}{record['id']}{tail}") if "{id}" in rest
                     else (lambda record, place: f"{place.bp}.{rest}"))
        elif base == "parent":
            where = (lambda record, place: f"{place.parent_path}.{rest}") if rest else (lambda record, place: place.parent_path)
        else:
            where = (lambda record, place: f"{place.path}.{rest}") if rest else (lambda record, place: place.path)
        if self.transform != "minutes_before_collection":
            return where
        return lambda record, place: "collected_at" if place.org.now is None else where(record, place)


@dataclass(frozen=True)
class KindMap:
    kind: str
    record: str
    source: str  # "snapshot", or "command line" (the context)
    fields: tuple[FieldMap, ...]
    span: Span

    @cached_property
    def getters(self) -> dict[str, Getter]:
        """Field -> its getter, in the map's order (made once per process)."""
        return {f.name: f.getter() for f in self.fields}

    @cached_property
    def _paths(self) -> tuple[tuple[str, Callable[[Any, Place], str]], ...]:
        return tuple((f.name, f.path()) for f in self.fields)

    def field(self, name: str) -> FieldMap | None:
        return next((f for f in self.fields if f.name == name), None)

    def values(self, record: Any, place: Place) -> dict[str, Any]:
        """The fact's values (unknown fields left out)."""
        return {name: v for name, get in self.getters.items() if (v := get(record, place)) is not None}

    def paths(self, record: Any, place: Place) -> dict[str, str]:
        return {name: where(record, place) for name, where in self._paths}


def _fields(kind: str, raw: dict[str, Any], doc: Any, file: str, findings: list[Finding]) -> list[FieldMap]:
    out = []
    for name, d in (raw.get("fields") or {}).items():
        span = locate(doc, ["kinds", kind, "fields", name], Span(file))
        if not isinstance(d, dict) or not isinstance(d.get("from"), str):
            findings.append(Finding(span, "snapshot-map-field", f"{kind}.{name}: give `from:`, the snapshot path its value is read from"))
            continue
        transform = d.get("transform", "copy")
        if transform not in TRANSFORMS:
            findings.append(Finding(span, "snapshot-map-transform",
                                    f"{kind}.{name}: no transform {transform!r} (facts/transforms.py has: {', '.join(sorted(TRANSFORMS))})"))
            continue
        out.append(FieldMap(kind, name, d["from"], transform, tuple(d.get("also") or ()), span))
    return out


def read_map(path: Path = MAP_FILE) -> tuple[dict[str, KindMap], list[Finding]]:
    """The kinds the map declares, and what is wrong with it (file and line)."""
    file = str(path)
    try:
        doc = load_file(path)
    except FindingError as exc:
        return {}, list(exc.findings)
    findings: list[Finding] = []
    kinds_raw = doc.get("kinds") if isinstance(doc, dict) else None
    if not isinstance(kinds_raw, dict):
        return {}, [Finding(Span(file), "snapshot-map-kinds", "the map needs `kinds:`, one entry per input fact")]
    out: dict[str, KindMap] = {}
    for kind, raw in kinds_raw.items():
        span = locate(doc, ["kinds", kind], Span(file))
        if not isinstance(raw, dict) or not isinstance(raw.get("record"), str):
            findings.append(Finding(span, "snapshot-map-field", f"{kind}: give `record:`, the snapshot path of its records"))
            continue
        inherited = list(out[raw["extends"]].fields) if raw.get("extends") in out else []
        if raw.get("extends") is not None and not inherited:
            findings.append(Finding(span, "snapshot-map-field", f"{kind}: extends {raw['extends']!r}, which no kind above declares"))
        own = _fields(kind, raw, doc, file, findings)
        fields = [f for f in inherited if f.name not in {o.name for o in own}] + own
        out[kind] = KindMap(kind, raw["record"], raw.get("source", "snapshot"), tuple(fields), span)
    return out, findings


@lru_cache(maxsize=1)
def snapshot_map() -> dict[str, KindMap]:
    """The shipped map (read once per process); a broken one is refused with its findings."""
    kinds, findings = read_map()
    if findings:
        raise FindingError(findings)
    return kinds


def field_at(path: str) -> FieldMap | None:
    """The field of an input fact a snapshot path is read into, when the map reads it from the
    record itself: `business_units[1].user_sync.skip_matching_email` -> business_unit's
    `skip_matching_email`. What a report names when the path's value was needed and not there."""
    general = re.sub(r"\[\d+\]", "[]", path)
    for km in snapshot_map().values():
        if not general.startswith(km.record + "."):
            continue
        rest = general[len(km.record) + 1:]
        found = next((f for f in km.fields if f.base == "record" and ".".join(f.steps) == rest), None)
        if found is not None:
            return found
    return None

