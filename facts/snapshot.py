"""The facts snapshot (docs/snapshot.md): load, validate, normalise, and turn into engine facts.

Unknown is not false: an absent key or null stays absent in the facts (except a user's
`role_id: null`, which means "no role", and a role's `parent_id: null`, "top of the
hierarchy"). A list that is present is complete, and only then is its `__known` marker set.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from syncdoctor.engine.facts import FactPool, KindSource
from syncdoctor.reading import schemas
from syncdoctor.reading.findings import Finding, FindingError, Span
from syncdoctor.reading.loader import REREAD_LIMIT, LocatedDict, LocatedList, decode_text, json_path, locate, located_json, parse_json, parse_yaml, parse_yaml_fast, read_bytes, snapshot_limit

from . import cache, lookup, references
from .ids import id_problems, id_values
from .factsets import FactSets, org_facts
from .transforms import OrgIndex, timestamp



@dataclass
class Snapshot(FactSets):
    file: str
    data: dict[str, Any]
    sha256: str
    file_sha256: str | None = None  # of the file's bytes, when read from a file (audit records)
    org_sources: dict[str, KindSource] = field(default_factory=dict)  # roles, group members, AE users
    org_known: set[str] = field(default_factory=set)
    _bu_cache: dict[int, tuple[FactPool, frozenset[str], dict[str, str]]] = field(default_factory=dict, repr=False)
    _ae_index: dict[str, list[int]] | None = field(default=None, repr=False)
    _org: OrgIndex | None = field(default=None, repr=False)
    _pool_counter: int = 0
    # an edited copy (edited_snapshot): the snapshot it was edited from, and the business units
    # whose facts it shares with it (those the edit left as they were)
    _shared: "tuple[Snapshot, frozenset[int]] | None" = field(default=None, repr=False)

    # -- provenance ---------------------------------------------------------------------------
    def origin(self, path: str) -> dict[str, Any] | None:
        """Where the value at `path` came from, from the snapshot's `sources` (longest prefix)."""
        sources = self.data.get("sources")
        if not sources:
            return None
        p = path
        while p:
            if p in sources:
                return sources[p]
            cut = max(p.rfind("."), p.rfind("["))
            if cut <= 0:
                return None
            p = p[:cut]
        return None

    def provenance(self, path: str, field_paths: dict[str, str]) -> dict[str, Any]:
        prov: dict[str, Any] = {"source": "snapshot", "file": self.file, "path": path}
        if self.data.get("collected_at"):
            prov["collected_at"] = self.data["collected_at"]
        if not self.data.get("sources"):
            return prov
        base = self.origin(path)
        if base:
            prov["origin"] = base
        fields = {name: o for name, fp in sorted(field_paths.items()) if (o := self.origin(fp)) and o != base}
        if fields:
            prov["field_origins"] = fields
        return prov

    # -- lookups ----------------------------------------------------------------------------
    @property
    def users(self) -> list[dict[str, Any]]:
        return ((self.data.get("salesforce") or {}).get("users")) or []

    @property
    def business_units(self) -> list[dict[str, Any]]:
        return self.data.get("business_units") or []

    def find_user(self, query: str) -> int:
        """The user `query` names: username (wins), email or id (facts/lookup.py); LookupProblem
        when it names nobody (with the closest usernames) or several users."""
        return lookup.find_user(self.users, query, self.file)

    def find_business_unit(self, query: str) -> int:
        """The business unit `query` names (id or name); LookupProblem as find_user."""
        return lookup.find_business_unit(self.business_units, query, self.file)

    def select(self, user: str | None, all_users: bool, business_unit: str | None) -> tuple[list[int] | None, list[int]]:
        """The snapshot indexes a request names, in one call: (the users: every one with
        `all_users`, the one `user` names, None when neither; the business units: the one named,
        or every one). LookupProblem as find_business_unit, then UserLookup as find_user."""
        bus = [self.find_business_unit(business_unit)] if business_unit else list(range(len(self.business_units)))
        if not bus or all_users:
            return (list(range(len(self.users))) if all_users else None), bus
        try:
            return ([self.find_user(user)] if user else None), bus
        except lookup.LookupProblem as exc:
            raise lookup.UserLookup(str(exc)) from None

    # -- facts --------------------------------------------------------------------------------
    @property
    def org(self) -> OrgIndex:
        """What the map's transforms look up across the snapshot (facts/transforms.py)."""
        if self._org is None:
            self._org = OrgIndex(self.data, timestamp(self.data.get("collected_at")))
        return self._org

def _semantic_findings(data: dict[str, Any], file: str) -> tuple[list[Finding], dict[str, str]]:
    """What the schema cannot say: bad ids, then duplicate ids, dangling or ambiguous
    references and hierarchy cycles (facts/references.py)."""
    values = id_values(data)
    out: list[Finding] = [Finding(locate(data, where, Span(file)), "bad-id", f"{json_path(where)}: {message}")
                          for where, message in id_problems(data, values)]
    if out:
        return out, {}
    return references.reference_findings(data, file, values)  # every later check compares ids by their identity


def parse_snapshot(text: str, file: str, *, fmt: str | None = None) -> Snapshot:
    kind = fmt or _kind(file)
    if kind == "json":
        data = parse_json(text, file)
        try:
            return build_snapshot(data, file, owned=True)
        except FindingError:
            located = located_json(text, file)  # the same findings, with their lines
            if located is None or located != data:
                raise
            return build_snapshot(located, file)
    data = parse_yaml_fast(text, file)
    try:
        return build_snapshot(data, file, owned=True)
    except FindingError:
        if isinstance(data, LocatedDict) or len(text) > REREAD_LIMIT:
            raise  # a very large file's findings name the field (re-reading would take gigabytes)
        # libyaml's containers do not know their lines: read again, located, to say where
        return build_snapshot(parse_yaml(text, file), file)


def _kind(file: str) -> str:
    return "json" if file.lower().endswith(".json") else "yaml"


def build_snapshot(data: Any, file: str, *, owned: bool = False) -> Snapshot:
    """Validate a parsed (or collected, or answered) snapshot and build its org facts.
    `owned`: `data` was just parsed and nothing else holds it, so it is kept, not copied."""
    findings = schemas.check("snapshot", data, file)
    respell: dict[str, str] = {}
    if not findings:
        findings, respell = _semantic_findings(data, file)
    if findings:
        raise FindingError(findings)
    plain = data if owned and not _located(data) else _plain(data)
    references.one_spelling(plain, respell)  # one spelling per record from here on (facts, answers, results, audit records)
    canonical = json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    snap = Snapshot(file, plain, hashlib.sha256(canonical.encode()).hexdigest())
    org_facts(snap)
    return snap


def edited_snapshot(base: Snapshot, data: dict[str, Any], sha256: str) -> Snapshot:
    """A snapshot of `base`'s data edited in memory by checked changes (api/edit.py: every id an
    edit writes was resolved in `base`, and what it does not edit is the same object), without
    validating 100,000 users again; `sha256` names the edit (the base's hash and the changes).
    When the roles, public groups, Account Engagement users and sources are untouched, it shares
    `base`'s org facts, and the facts of every business unit the edit left as it was."""
    snap = Snapshot(base.file, data, sha256)
    sf, bsf = data.get("salesforce") or {}, base.data.get("salesforce") or {}
    same_org = (sf.get("roles") is bsf.get("roles") and sf.get("public_groups") is bsf.get("public_groups")
                and all(data.get(k) is base.data.get(k) for k in ("account_engagement", "sources", "collected_at"))
                and len(snap.business_units) == len(base.business_units))
    if not same_org:
        org_facts(snap)
        return snap
    snap.org_sources, snap.org_known = base.org_sources, set(base.org_known)
    snap._ae_index = base._ae_by_bu()  # the Account Engagement users by business unit: the same
    snap._shared = (base, frozenset(i for i, bu in enumerate(snap.business_units) if bu is base.business_units[i]))
    snap._pool_counter = 1 << 30  # the business units it builds anew are numbered apart from those it shares
    return snap


def load_snapshot(path: Path | str) -> Snapshot:
    """A snapshot file, validated; a file read before (the same bytes) comes from the cache
    (facts/cache.py) without being parsed or checked again."""
    p = Path(path)
    raw = read_bytes(p, snapshot_limit(p))
    digest = hashlib.sha256(raw).hexdigest()  # the bytes as read: what the audit record names
    kind = _kind(str(p))
    entry = cache.lookup(digest, kind)
    if entry is not None:
        snap = Snapshot(str(p), entry.data, entry.canonical_sha256)
        org_facts(snap)
    else:
        snap = parse_snapshot(decode_text(raw, str(p)), str(p))
        cache.store(digest, kind, len(raw), cache.Entry(snap.data, snap.sha256))
    snap.file_sha256 = digest
    return snap


def _located(value: Any) -> bool:
    """Whether a parsed document holds line-aware containers (anywhere: parsers build them all or none)."""
    return isinstance(value, (LocatedDict, LocatedList))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
