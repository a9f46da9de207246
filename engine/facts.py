"""Engine-side facts: typed values with provenance. Collectors and the snapshot loader build
these; the engine never reaches back into where they came from."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping


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


class KindSource:
    """The facts of one kind in a pool, built only when asked for: `column(name)` gives one
    field's value in every fact (MISSING where unknown, as Fact.values leaves it out) and
    `make(i)` the i-th Fact. A pool looks up by value through the columns, so a diagnosis that
    joins with 3 of 120,000 AE users computes one field of each and builds 3 Facts, not
    120,000; the same row always gives the same Fact object."""

    SCANS = 16  # lookups of a field answered by scanning its column before it is indexed

    def __init__(self, count: int, make: Callable[[int], Fact], column: Callable[[str], list[Any] | Coarse]):
        self.count = count
        self._make, self._column = make, column
        self._made: dict[int, Fact] = {}
        self._found: dict[tuple[str, bool, Any], list[Fact]] = {}
        # (field, casefolded) -> [its column (a list, or once indexed: value -> row numbers), the
        # Coarse column or None, lookups scanned so far]; on the source, shared by its pools
        self._columns: dict[tuple[str, bool], list[Any]] = {}

    @classmethod
    def of(cls, facts: list[Fact]) -> KindSource:
        return cls(len(facts), facts.__getitem__, lambda name: [f.values.get(name, MISSING) for f in facts])

    @classmethod
    def each(cls, specs: dict[str, "SourceSpec"]) -> dict[str, "KindSource"]:
        """Kind sources from their parts (count, the i-th fact's parts, a field's column): what
        facts/factsets.py hands the engine in one call per pool, each Fact built here when used."""
        return {kind: cls(count, _built(parts), column) for kind, (count, parts, column) in specs.items()}

    def fact(self, i: int) -> Fact:
        f = self._made.get(i)
        if f is None:
            f = self._made[i] = self._make(i)
        return f

    def all(self) -> list[Fact]:
        return [self.fact(i) for i in range(self.count)]

    def facts_with(self, name: str, value: Any, fold: bool) -> list[Fact]:
        """The facts whose field `name` is `value` (see rows_with), kept per value: the business
        units' pools share the org's sources, and so their answers, while the field is scanned."""
        want = (name, fold, value.casefold() if fold and isinstance(value, str) else value)
        found = self._found.get(want)
        if found is None:
            found = [self.fact(i) for i in self.rows_with(name, value, fold)]
            # Kept only while the field is scanned (a few answers): once it is indexed an answer
            # costs a dict lookup, and keeping one per value an org scan looks up (every user's
            # id and email) grew without bound and slowed the scan (docs/performance.md).
            if not isinstance(self._columns[(name, fold)][0], dict):
                self._found[want] = found
        return found

    def rows_with(self, name: str, value: Any, fold: bool) -> list[int]:
        """The rows whose field `name` is `value` (MISSING: those lacking it); `fold`: text
        compared casefolded. The first lookups of a field scan its column; from the
        SCANS-th on, an index is built (one diagnosis looks up a few values: a scan of
        120,000 rows costs a few ms, an index ten times that; an org scan looks up thousands)."""
        entry = self._columns.get((name, fold))
        if entry is None:
            column = self._column(name)
            keys, exact = (column.keys, column) if isinstance(column, Coarse) else (column, None)
            if fold:
                keys = [v.casefold() if isinstance(v, str) else v for v in keys]
            entry = self._columns[(name, fold)] = [keys, exact, 0]
        keys, exact, scans = entry
        want = value.casefold() if fold and isinstance(value, str) else value
        key = want if exact is None else exact.key_of(value) if value is not MISSING else MISSING
        if fold and isinstance(key, str):
            key = key.casefold()
        if isinstance(keys, dict):
            found = keys.get(key, [])
        elif scans < self.SCANS:
            entry[2] += 1
            found = [i for i, v in enumerate(keys) if v == key]  # == as a dict's keys compare
        else:
            idx: dict[Any, list[int]] = {}
            for i, v in enumerate(keys):
                idx.setdefault(v, []).append(i)
            entry[0] = idx
            found = idx.get(key, [])
        if exact is None:
            return found
        out = []
        for i in found:  # the rows sharing the key: keep those whose exact value is the one wanted
            v = exact.exact(i)
            if (v.casefold() if fold and isinstance(v, str) else v) == want:
                out.append(i)
        return out


@dataclass
class Coarse:
    """A column given by a key that is cheap to compute and that equal values share (an id's
    first 15 characters, casefolded, for its 18-character form): a lookup narrows to the rows
    with the value's key, then computes those rows' exact values (MISSING when unknown)."""

    keys: list[Any]
    key_of: Callable[[Any], Any]
    exact: Callable[[int], Any]


class _Kinds(Mapping[str, list[Fact]]):
    """kind -> its facts, built on first access; which kinds exist is known without building."""

    def __init__(self, sources: dict[str, KindSource]):
        self._sources = {k: s for k, s in sources.items() if s.count}
        self._built: dict[str, list[Fact]] = {}

    def __getitem__(self, kind: str) -> list[Fact]:
        facts = self._built.get(kind)
        if facts is None:
            facts = self._built[kind] = self._sources[kind].all()
        return facts

    def __contains__(self, kind: object) -> bool:
        return kind in self._sources

    def __iter__(self) -> Iterator[str]:
        return iter(self._sources)

    def __len__(self) -> int:
        return len(self._sources)


FactParts = tuple[str, str, dict[str, Any], dict[str, Any], dict[str, str]]  # id, kind, values, provenance, field paths
SourceSpec = tuple[int, Callable[[int], FactParts], Callable[[str], "list[Any] | Coarse"]]


def _built(parts: Callable[[int], FactParts]) -> Callable[[int], Fact]:
    return lambda i: Fact(*parts(i))


class FactPool:
    """Facts shared by many diagnoses (an org's roles and group members, a business unit's
    AE users and assignments), built once and indexed by field on first use. The engine
    asserts into a diagnosis only the pool facts that can join with what is already there
    (see Engine._demanded), so a diagnosis costs what the user's neighbourhood costs, not
    what the org costs. Kinds may come as KindSources: then their facts are built only when
    a diagnosis needs them (a kind no rule reads is never built)."""

    def __init__(self, facts: list[Fact] | None = None, sources: dict[str, KindSource] | None = None):
        grouped: dict[str, list[Fact]] = {}
        for f in facts or []:
            grouped.setdefault(f.kind, []).append(f)
        merged = {k: KindSource.of(v) for k, v in grouped.items()}
        for kind, source in (sources or {}).items():
            if kind in merged:  # both given: the listed facts first, then the source's
                listed, extra = merged[kind].all(), source.all()
                merged[kind] = KindSource.of(listed + extra)
            else:
                merged[kind] = source
        self.sources = {k: s for k, s in merged.items() if s.count}
        self.by_kind: Mapping[str, list[Fact]] = _Kinds(self.sources)
        self._ids: dict[str, Fact] | None = None

    @classmethod
    def lazy(cls, specs: dict[str, SourceSpec], shared: dict[str, KindSource]) -> "FactPool":
        """A pool of kinds built when used: its own (from their parts, `KindSource.each`), then
        the `shared` sources of every pool of the snapshot (the org's), in one call."""
        return cls(sources={**KindSource.each(specs), **shared})

    @property
    def facts(self) -> list[Fact]:
        return [f for kind in self.by_kind for f in self.by_kind[kind]]

    def by_id(self, fid: str) -> Fact:
        if self._ids is None:
            self._ids = {f.fid: f for f in self.facts}
        return self._ids[fid]

    def of_kind(self, kind: str) -> list[Fact]:
        return self.by_kind.get(kind, [])

    def lookup(self, kind: str, name: str, value: Any, fold: bool = False) -> list[Fact]:
        """As indexed_lookup, over the rows of the kind's source (Facts built for the matches only)."""
        source = self.sources.get(kind)
        if source is None:
            return []
        return source.facts_with(name, value, fold)


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

    @classmethod
    def of(cls, facts: list[tuple[str, str, dict[str, Any], dict[str, Any], dict[str, str]]], known_lists: set[str],
           list_paths: dict[str, str], **rest: Any) -> "FactSet":
        """A diagnosis's input from its facts' parts (id, kind, values, provenance, field paths):
        what facts/factsets.py hands the engine in one call per diagnosis."""
        return cls([Fact(*parts) for parts in facts], known_lists, list_paths, **rest)
