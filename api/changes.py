"""Changes to an org, in Salesforce's terms (docs/whatif.md): read (a changes file, validated by
engine/schema/changes.schema.json), resolved against a snapshot (every name becomes an id; a name
the snapshot lacks is NotFound naming the closest), and applied to the snapshot's data in memory.

A change *spec* is what a person wrote (names); a *resolved* change holds ids and names, is plain
JSON (an audit record keeps it), and is what `apply` and `api/reach.py` read."""
from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

from syncdoctor.reading import schemas
from syncdoctor.reading.findings import FindingError, Span
from syncdoctor.reading.loader import RULE_FILE_LIMIT, load_file, locate
from syncdoctor.facts import lookup
from syncdoctor.facts.ids import key
from syncdoctor.facts.snapshot import Snapshot

from .errors import BadInput, NotFound

KINDS = ("assign", "unassign", "add_member", "remove_member", "set_role", "set_profile", "activate", "deactivate",
         "select_profile", "unselect_profile", "set_setting", "transfer")
MEMBER_TYPES = ("user", "public_group", "role", "role_and_subordinates", "role_and_internal_subordinates")
SETTINGS = ("move_to_recycle_bin_without_profile", "update_role_on_profile_change")
GROUPS = {"marketing": "Marketing Users", "sales": "Sales Users"}
# Account Engagement's standard roles (Help: "Account Engagement User Roles"); custom roles are
# accepted when the snapshot already uses them (a profile table or an Account Engagement user).
STANDARD_AE_ROLES = ("Administrator", "Marketing", "Sales Manager", "Sales")


def load_changes(path: Path) -> list[tuple[dict[str, Any], str]]:
    """The changes of a changes file, each with where it is written (file:line:col)."""
    data = load_file(path, RULE_FILE_LIMIT)  # YAML, or JSON by its extension; located
    findings = schemas.check("changes", data, str(path))
    if findings:
        raise BadInput.of(FindingError(findings))
    return [(dict(c), str(locate(data, ["changes", i], Span(str(path))))) for i, c in enumerate(data["changes"])]


def check_specs(specs: list[dict[str, Any]], where: str = "changes") -> None:
    """Changes given as data (the Python API): the same schema as a changes file."""
    findings = schemas.check("changes", {"changes_version": 1, "changes": specs}, where)
    if findings:
        raise BadInput.of(FindingError(findings))


# -- resolving names ----------------------------------------------------------------------------
class _Names:
    """What a snapshot names, for resolving a change: users, business units, roles, groups, profiles."""

    def __init__(self, snap: Snapshot):
        self.snap = snap
        sf = snap.data.get("salesforce") or {}
        self.roles = sf.get("roles")
        self.groups = sf.get("public_groups")
        self.tables = [(bu.get("user_sync") or {}).get("profile_roles") or {} for bu in snap.business_units]

    @cached_property
    def profiles(self) -> list[str]:
        sf = self.snap.data.get("salesforce") or {}
        return sorted({str(p) for p in sf.get("profiles") or []} | {u["profile"] for u in self.snap.users if u.get("profile")}
                      | {p for t in self.tables for p in t})

    @cached_property
    def ae_roles(self) -> list[str]:
        return sorted(set(STANDARD_AE_ROLES) | {r for t in self.tables for r in t.values() if isinstance(r, str)}
                      | {a["role"] for a in self.snap.ae_users if isinstance(a.get("role"), str)})

    def user(self, q: str) -> dict[str, Any]:
        u = self.snap.users[_found(lambda: self.snap.find_user(q))]
        return {"id": u["id"], "username": u.get("username")}

    def business_unit(self, q: str) -> dict[str, Any]:
        bu = self.snap.business_units[_found(lambda: self.snap.find_business_unit(q))]
        return {"id": bu["id"], "name": bu.get("name")}

    def named(self, what: str, records: list[dict[str, Any]] | None, q: str, path: str) -> dict[str, Any]:
        if not isinstance(records, list):
            raise NotFound(f"{what} {q!r}: {self.snap.file} does not list them ({path} is absent: unknown)")
        r = records[_found(lambda: lookup.find_named(what, records, q, self.snap.file))]
        return {"id": r["id"], "name": r.get("name")}

    def role(self, q: str) -> dict[str, Any]:
        return self.named("role", self.roles, q, "salesforce.roles")

    def group(self, q: str) -> dict[str, Any]:
        return self.named("public group", self.groups, q, "salesforce.public_groups")

    def member(self, m: dict[str, Any]) -> dict[str, Any]:
        t = m["type"]
        got = self.user(m["name"]) if t == "user" else self.group(m["name"]) if t == "public_group" else self.role(m["name"])
        return {"type": t, "id": got["id"], "name": got.get("username") if t == "user" else got.get("name")}

    def choice(self, what: str, q: str, names: list[str]) -> str:
        exact = [n for n in names if n == q] or [n for n in names if n.lower() == q.strip().lower()]
        if len(exact) == 1:
            return exact[0]
        close = lookup.closest(q, names)
        hint = f"; did you mean: {', '.join(close)}?" if close else ""
        raise NotFound(f"{what} {q!r} is not in {self.snap.file}{hint}")


def _found(fn: Any) -> int:
    try:
        return fn()
    except lookup.LookupProblem as exc:
        raise NotFound(str(exc)) from None


def resolve(snap: Snapshot, specs: list[tuple[dict[str, Any], str]]) -> list[dict[str, Any]]:
    """Each change with its names resolved to ids; NotFound says where the change was written."""
    names = _Names(snap)
    out = []
    for spec, where in specs:
        try:
            out.append(_resolve_one(names, spec))
        except NotFound as exc:
            raise NotFound(f"{where}: {exc}") from None
    return out


def _resolve_one(n: _Names, s: dict[str, Any]) -> dict[str, Any]:
    kind = s["change"]
    r: dict[str, Any] = {"change": kind}
    if "business_unit" in s:
        r["business_unit"] = n.business_unit(s["business_unit"])
    if "user" in s:
        r["user"] = n.user(s["user"])
    if "public_group" in s:
        r["public_group"] = n.group(s["public_group"])
    if "member" in s:
        r["member"] = n.member(s["member"])
    if "group" in s:
        r["group"] = s["group"]
    if kind == "set_role":
        r["role"] = None if s["role"] is None else n.role(s["role"])
    if kind == "select_profile":
        r["role"] = n.choice("Account Engagement role", s["role"], n.ae_roles)
    if kind in ("set_profile", "select_profile"):
        r["profile"] = n.choice("profile", s["profile"], n.profiles)
    if kind == "unselect_profile":
        bu = n.snap.business_units[n.snap.find_business_unit(r["business_unit"]["id"])]
        table = (bu.get("user_sync") or {}).get("profile_roles")
        r["profile"] = n.choice(f"a checked profile of {bu.get('name') or bu['id']}'s profile table, profile",
                                s["profile"], sorted(table or {}))
    if kind == "set_setting":
        r["setting"], r["value"] = s["setting"], s["value"]
    return r


# -- in words ------------------------------------------------------------------------------------
def words(c: dict[str, Any]) -> str:
    """A resolved change as an admin says it."""
    kind = c["change"]
    bu = f"business unit {c['business_unit']['name'] or c['business_unit']['id']}" if "business_unit" in c else ""
    who = c["user"]["username"] or c["user"]["id"] if "user" in c else ""
    member = f"{c['member']['type'].replace('_', ' ')} {c['member']['name'] or c['member']['id']}" if "member" in c else ""
    group = f"public group {c['public_group']['name'] or c['public_group']['id']}" if "public_group" in c else ""
    ug = f"the {GROUPS.get(c.get('group', ''), '')} group of {bu}"
    role = c.get("role")
    return {
        "assign": f"assign {member} to {ug}", "unassign": f"unassign {member} from {ug}",
        "add_member": f"add {member} to {group}", "remove_member": f"remove {member} from {group}",
        "set_role": f"give {who} the role {role['name'] or role['id']}" if isinstance(role, dict) else f"give {who} no role",
        "set_profile": f"give {who} the profile {c.get('profile')!r}",
        "activate": f"activate {who}", "deactivate": f"deactivate {who}",
        "select_profile": f"check the profile {c.get('profile')!r} in the profile table of {bu}, mapped to the role {role!r}",
        "unselect_profile": f"uncheck the profile {c.get('profile')!r} in the profile table of {bu}",
        "set_setting": f"turn {'on' if c.get('value') else 'off'} the setting {c.get('setting')} of {bu}",
        "transfer": f"transfer the user management of {bu} to Salesforce",
    }[kind]
