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

from syncdoctor.engine.facts import MISSING, Coarse, FactParts, FactPool, FactSet, KindSource, SourceSpec
from syncdoctor.reading import schemas
from syncdoctor.reading.findings import Finding, FindingError, Span
from syncdoctor.reading.loader import REREAD_LIMIT, LocatedDict, LocatedList, decode_text, json_path, locate, located_json, parse_json, parse_yaml, parse_yaml_fast, read_bytes, snapshot_limit

from . import cache, lookup, references
from .ids import id_problems, id_values, key
from .mapping import snapshot_map
from .transforms import OrgIndex, Place, ae_users_collected, timestamp



@dataclass
class Snapshot:
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

    # -- facts --------------------------------------------------------------------------------
    @property
    def org(self) -> OrgIndex:
        """What the map's transforms look up across the snapshot (facts/transforms.py)."""
        if self._org is None:
            self._org = OrgIndex(self.data, timestamp(self.data.get("collected_at")))
        return self._org

    def _mapped(self, fid: str, kind: str, record: Any, place: Place) -> FactParts:
        """The parts of the fact of `kind` that facts/snapshot-map.yaml makes of `record` at `place`."""
        km = snapshot_map()[kind]
        paths = km.paths(record, place)
        return fid, kind, km.values(record, place), self.provenance(place.path, paths), paths

    def factset(self, user_index: int, bu_index: int, symptom: str | None) -> FactSet:
        u, bu = self.users[user_index], self.business_units[bu_index]
        bp = f"business_units[{bu_index}]"
        org = self.org
        ctx_map = snapshot_map()["context"]
        context = ("f1", "context", ctx_map.values(symptom, Place(org)), {"source": ctx_map.source, "path": ctx_map.record}, {})
        facts = [context,
                 self._mapped("f2", "user", u, Place(org, f"salesforce.users[{user_index}]", bu=bu, bp=bp)),
                 self._mapped("f3", "business_unit", bu, Place(org, bp, bu=bu, bp=bp))]
        pool, known, list_paths = self._business_unit_part(bu_index)
        return FactSet.of(facts, set(known), dict(list_paths),
                          user_label=u.get("username") or u["id"], business_unit_label=bu.get("name") or bu["id"],
                          user_ref={"id": u["id"], "username": u.get("username"), "email": u.get("email")},
                          business_unit_ref={"id": bu["id"], "name": bu.get("name")}, pool=pool)

    def _business_unit_part(self, bu_index: int) -> tuple[FactPool, frozenset[str], dict[str, str]]:
        """The facts every diagnosis in one business unit shares (org facts, the profile table,
        the assignments, the BU's AE users), once per business unit, each kind built only when
        a diagnosis first reads it (fact ids are numbered as if all were built, in this order)."""
        cached = self._bu_cache.get(bu_index)
        if cached is not None:
            return cached
        if self._shared is not None and bu_index in self._shared[1]:
            return self._shared[0]._business_unit_part(bu_index)
        for earlier in range(bu_index):  # numbered in business-unit order, whatever order diagnoses come in
            if earlier not in self._bu_cache:
                self._business_unit_part(earlier)
        bu = self.business_units[bu_index]
        bp = f"business_units[{bu_index}]"
        sync = bu.get("user_sync") or {}
        known = set(self.org_known)
        list_paths = {
            "profile_roles": f"{bp}.user_sync.profile_roles",
            "user_groups": f"{bp}.user_groups",
            "public_groups": "salesforce.public_groups",
            "roles": "salesforce.roles",
            "ae_users": "account_engagement.users",
            "all_ae_users": self.all_ae_users_path,
        }
        table = sync.get("profile_roles")
        org = self.org
        mappings: list[tuple[Any, Place]] = []
        if isinstance(table, dict):
            known.add("profile_roles")
            mappings = [(entry, Place(org, f"{bp}.user_sync.profile_roles.{entry[0]}", bu=bu, bp=bp)) for entry in table.items()]
        groups = bu.get("user_groups") or {}
        if isinstance(groups.get("marketing"), list) and isinstance(groups.get("sales"), list):
            known.add("user_groups")
        elif groups.get("marketing") is not None or groups.get("sales") is not None:
            missing = "sales" if groups.get("sales") is None else "marketing"
            list_paths["user_groups"] = f"{bp}.user_groups.{missing}"
        assignments = [(m, Place(org, f"{bp}.user_groups.{group}[{j}]", bu=bu, bp=bp, group=group))
                       for group in ("marketing", "sales") for j, m in enumerate(groups.get(group) or [])]
        # A business unit's AE users that were read count even when its list is incomplete (a
        # link found there is a link); only a collected list is known complete.
        if ae_users_collected(self.data, bu):
            known.add("ae_users")
        ae_rows = self._ae_by_bu().get(key(bu["id"]), [])
        base = self._pool_counter
        self._pool_counter += len(mappings) + len(assignments) + len(ae_rows)
        sources = {
            "profile_mapping": self._listed("profile_mapping", "b", base, mappings),
            "assignment": self._listed("assignment", "b", base + len(mappings), assignments),
            "ae_user": self._ae_source("ae_user", "b", base + len(mappings) + len(assignments), ae_rows),
        }
        part = (FactPool.lazy(sources, self.org_sources), frozenset(known), list_paths)
        self._bu_cache[bu_index] = part
        return part

    # -- pool kinds, built lazily (engine/facts.py: KindSource, from these parts) -----------------
    def _listed(self, kind: str, prefix: str, base: int, items: list[tuple[Any, Place]]) -> SourceSpec:
        """A small kind (roles, group members, a business unit's table and assignments): every
        record's values computed at once, its Fact's parts when a diagnosis uses it."""
        km = snapshot_map()[kind]
        rows = [km.values(record, place) for record, place in items]

        def make(i: int) -> FactParts:
            record, place = items[i]
            paths = km.paths(record, place)
            return f"{prefix}{base + i + 1}", kind, rows[i], self.provenance(place.path, paths), paths
        return len(items), make, lambda name: [r.get(name, MISSING) for r in rows]

    def _ae_source(self, kind: str, prefix: str, base: int, indexes: list[int]) -> SourceSpec:
        """AE users (a business unit's, or the org's with their business unit): the largest
        kind, so only the fields a diagnosis looks up are computed, and only the Facts it uses."""
        ae = self.ae_users
        getters = snapshot_map()[kind].getters
        place = Place(self.org)  # an AE user's values do not depend on where it is

        def make(i: int) -> FactParts:
            j = indexes[i]
            return self._mapped(f"{prefix}{base + i + 1}", kind, ae[j], Place(self.org, f"account_engagement.users[{j}]"))

        def column(name: str) -> list[Any] | Coarse:
            get = getters.get(name)
            if get is None:
                return [MISSING] * len(indexes)
            if name in _ID_COLUMNS:  # coarse: the first 15 characters, case flattened
                return Coarse([MISSING if not (v := ae[j].get(name)) else _id_key(v) for j in indexes], _id_key,
                              lambda i: MISSING if (v := get(ae[indexes[i]], place)) is None else v)
            return [MISSING if (v := get(ae[j], place)) is None else v for j in indexes]
        return len(indexes), make, column

    @property
    def ae_users(self) -> list[dict[str, Any]]:
        ae = (self.data.get("account_engagement") or {}).get("users")
        return ae if isinstance(ae, list) else []

    @property
    def all_ae_users_path(self) -> str:
        """What would complete the AE users of every business unit (for `missing` reports)."""
        ae_part = self.data.get("account_engagement") or {}
        if isinstance(ae_part.get("users"), list) and isinstance(ae_part.get("collected_business_units"), list):
            return "account_engagement.collected_business_units"
        return "account_engagement.users"

    def _ae_by_bu(self) -> dict[str, list[int]]:
        if self._ae_index is None:
            spelled: dict[str, list[int]] = {}  # by the id as written: key() once per spelling, not per AE user
            for j, a in enumerate(self.ae_users):
                if a.get("business_unit_id"):
                    spelled.setdefault(a["business_unit_id"], []).append(j)
            merged: dict[str, list[list[int]]] = {}
            for written, rows in spelled.items():
                merged.setdefault(key(written), []).append(rows)
            self._ae_index = {k: parts[0] if len(parts) == 1 else sorted(j for rows in parts for j in rows)
                              for k, parts in merged.items()}
        return self._ae_index


def _org_facts(snap: Snapshot) -> None:
    """Roles, public groups and the org's AE users are the same for every diagnosis: one
    source each, shared by every business unit's pool (facts o1, o2, ... in this order)."""
    sf = snap.data.get("salesforce") or {}
    org = snap.org
    roles = sf.get("roles")
    role_items = [(r, Place(org, f"salesforce.roles[{i}]")) for i, r in enumerate(roles)] if isinstance(roles, list) else []
    if isinstance(roles, list):
        snap.org_known.add("roles")
    groups = sf.get("public_groups")
    if isinstance(groups, list) and all(isinstance(g.get("members"), list) for g in groups):
        snap.org_known.add("public_groups")
    member_items = [(m, Place(org, f"salesforce.public_groups[{i}].members[{j}]", parent=g, parent_path=f"salesforce.public_groups[{i}]"))
                    for i, g in enumerate(groups or []) for j, m in enumerate(g.get("members") or [])]
    # AE users of every business unit, those of business units not in the snapshot included
    # (emails and usernames are unique across business units): complete only when every
    # business unit's list was collected.
    ae = (snap.data.get("account_engagement") or {}).get("users")
    if isinstance(ae, list) and all(ae_users_collected(snap.data, bu) for bu in snap.business_units):
        snap.org_known.add("all_ae_users")
    snap.org_sources = KindSource.each({
        "role": snap._listed("role", "o", 0, role_items),
        "group_member": snap._listed("group_member", "o", len(role_items), member_items),
        "org_ae_user": snap._ae_source("org_ae_user", "o", len(role_items) + len(member_items),
                                       list(range(len(snap.ae_users)))),
    })


_ID_COLUMNS = ("salesforce_id", "business_unit_id")  # AE users' ids, looked up by what every spelling shares


def _id_key(value: Any) -> Any:
    """What every spelling of one id shares (15- or 18-character, case flattened or not)."""
    return value[:15].casefold() if isinstance(value, str) else value


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
    _org_facts(snap)
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
        _org_facts(snap)
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
        _org_facts(snap)
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
