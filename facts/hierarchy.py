"""Roles and public groups, read within a stated bound (docs/collecting.md, "What is read").

An Experience Cloud org can hold tens of thousands of portal roles (one to three per partner
or customer account) and three system groups per role (Role, RoleAndSubordinates,
RoleAndSubordinatesInternal). None of that is read unless something in the snapshot can reach it:

- roles: every internal role (`PortalType = 'None'`: the internal hierarchy, closed under its
  parents), then, by id, each other role a read user holds or a public group names through a
  role group, and their parents, until every parent is known;
- groups: the public groups (`Type = 'Regular'`), "All Internal Users" (`Organization`), and,
  by id, only the groups that public groups have as members.

Bound: UserRole rows read <= internal roles + the parent closure of the portal roles users
hold or groups name; Group rows read <= public groups + 1 + groups that are members of public
groups. Ids go into SOQL only through `format_soql`, at most `CHUNK` a query (a REST query is
a GET: its URL must stay short)."""
from __future__ import annotations

from typing import Any, Callable, Iterable

from simple_salesforce import format_soql

from .failures import PartFailed
from .ids import to18

ROLE_FIELDS = "Id, Name, ParentRoleId, PortalType"
GROUP_FIELDS = "Id, Name, DeveloperName, Type, RelatedId"
QUERIES = {
    "roles": f"SELECT {ROLE_FIELDS} FROM UserRole WHERE PortalType = 'None' ORDER BY Id",
    "roles_by_id": f"SELECT {ROLE_FIELDS} FROM UserRole WHERE Id IN {{}} ORDER BY Id",
    "groups": f"SELECT {GROUP_FIELDS} FROM Group WHERE Type IN ('Regular', 'Organization') ORDER BY Id",
    "groups_by_id": f"SELECT {GROUP_FIELDS} FROM Group WHERE Id IN {{}} ORDER BY Id",
    "members": "SELECT GroupId, UserOrGroupId FROM GroupMember WHERE Group.Type = 'Regular' ORDER BY GroupId, UserOrGroupId",
}
CHUNK = 200  # ids per query: 200 quoted 18-character ids keep the query URL near 5 KB
ROLE_GROUP_TYPES = {"Role": "role", "RoleAndSubordinates": "role_and_subordinates",
                    "RoleAndSubordinatesInternal": "role_and_internal_subordinates"}

Records = Callable[[str], list[dict[str, Any]]]


def by_ids(records: Records, template: str, ids: Iterable[str]) -> list[dict[str, Any]]:
    """Rows whose Id is in `ids`, CHUNK ids a query."""
    wanted = sorted({i for i in ids if i})
    out: list[dict[str, Any]] = []
    for start in range(0, len(wanted), CHUNK):
        out += records(format_soql(template, wanted[start:start + CHUNK]))
    return out


def read_roles(records: Records, reachable: Iterable[str], note: Callable[[str], None] = lambda _: None
               ) -> list[dict[str, Any]]:
    """The internal hierarchy, plus each role in `reachable` and its parents. Should an org
    refuse to filter on PortalType (not documented either way), only the reachable roles and
    their parents are read, and `note` says so."""
    try:
        rows = {r["Id"][:15]: r for r in records(QUERIES["roles"])}
    except PartFailed as exc:
        if "portaltype" not in str(exc).lower():
            raise
        rows = {}
        note("UserRole could not be filtered on PortalType: only the roles users hold or groups name, and their "
             "parents, were read (a role named only in an answers file is then not found)")
    pending = {i for i in reachable if i and i[:15] not in rows}
    asked: set[str] = set()
    while pending:
        asked |= {i[:15] for i in pending}
        got = by_ids(records, QUERIES["roles_by_id"], pending)
        rows.update((r["Id"][:15], r) for r in got)
        # Parents not yet known; an id asked for and not returned is not asked again (the
        # caller reports roles users hold that the query did not return).
        pending = {r["ParentRoleId"] for r in got
                   if r.get("ParentRoleId") and r["ParentRoleId"][:15] not in rows and r["ParentRoleId"][:15] not in asked}
    return [{"id": r["Id"], "name": r.get("Name"), "parent_id": r.get("ParentRoleId"), "portal_type": r.get("PortalType")}
            for _, r in sorted(rows.items(), key=lambda kv: to18(kv[1]["Id"]))]


def read_groups(records: Records) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Group rows (public groups, "All Internal Users", and the groups public groups contain)
    and the GroupMember rows of public groups."""
    members = records(QUERIES["members"])
    groups = records(QUERIES["groups"])
    known = {g["Id"][:15] for g in groups}
    nested = {m["UserOrGroupId"] for m in members
              if not m["UserOrGroupId"].startswith("005") and m["UserOrGroupId"][:15] not in known}
    return groups + by_ids(records, QUERIES["groups_by_id"], nested), members


def named_roles(groups: list[dict[str, Any]]) -> set[str]:
    """The roles that role groups among the read groups stand for."""
    return {g["RelatedId"] for g in groups if g.get("Type") in ROLE_GROUP_TYPES and g.get("RelatedId")}
