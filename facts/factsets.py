"""A snapshot's records made into the engine's facts (docs/snapshot.md; which path becomes which
field is facts/snapshot-map.yaml's): per diagnosis its own facts (`factset`), per business unit
a pool of the facts every diagnosis there may join with, per snapshot the org's (roles, group
members, AE users), each kind handed to engine/ as parts and built only when a diagnosis uses it.
`FactSets` is what facts/snapshot.py's Snapshot adds to its records."""
from __future__ import annotations

from typing import Any

from syncdoctor.engine.facts import MISSING, Coarse, FactParts, FactPool, FactSet, KindSource, SourceSpec

from .ids import key
from .mapping import snapshot_map
from .transforms import Place, ae_users_collected


class FactSets:
    """The engine's facts of a Snapshot (its `data`, `org`, `provenance`, and the caches it holds:
    `org_sources`, `org_known`, `_bu_cache`, `_ae_index`, `_pool_counter`, `_shared`)."""

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


def org_facts(snap: FactSets) -> None:
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
