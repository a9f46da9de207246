"""Salesforce facts through simple-salesforce: SOQL (every page followed by `query_all_iter`)
and the Tooling API for business units. One query per object, never one per user: an org of
N users costs about N/2000 pages.

Values from the command line reach SOQL only through `format_soql`."""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Iterator

import requests
from simple_salesforce import format_soql
from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession, SalesforceMalformedRequest, SalesforceRefusedRequest, SalesforceResourceNotFound

from syncdoctor.reading.words import plural

from . import hierarchy
from .auth import Connection
from .failures import PartFailed
from .http import HttpPolicy, Secrets
from .ids import to18

USER_FIELDS = ("Id, Username, Email, IsActive, Profile.Name, Profile.UserLicense.Name, UserType, UserRoleId, "
               "LastModifiedDate")
QUERIES = {
    "org": "SELECT Id, Name, IsSandbox, OrganizationType FROM Organization",
    # The running user's effective permissions (profile, permission sets and groups together).
    "permissions": "SELECT PermissionsViewAllUsers, PermissionsViewRoles, PermissionsViewSetup FROM UserPermissionAccess",
    "users": f"SELECT {USER_FIELDS} FROM User ORDER BY Id",
    "profiles": "SELECT Name FROM Profile ORDER BY Name",
    "business_units": "SELECT Id, PardotTenantName, CreationStatus FROM PardotTenant ORDER BY Id",
    # "All Internal Users" (a Group of Type Organization) is every user of UserType Standard.
    "internal_users": "SELECT Id FROM User WHERE UserType = 'Standard' ORDER BY Id",
    **hierarchy.QUERIES,  # roles and groups, bounded (facts/hierarchy.py)
}
# What each object needs beyond read access, for the "refused" messages (docs/collecting.md).
NEEDS = {"UserRole": "\"View Roles and Role Hierarchy\" (needed for UserRole since Summer '20)",
         "PardotTenant": "\"View Setup and Configuration\" (the Tooling API)",
         "User": "read access to users (\"View All Users\" to see every one)",
         # Object Reference: Group is readable by "authenticated internal and external users" and
         # GroupMember by all but Customer Portal users; only the Tooling API's Group needs
         # "View Setup and Configuration" (syncdoctor reads Group through the REST API).
         "Group": "read access to Group (any authenticated internal user has it through the REST API)",
         "GroupMember": "read access to GroupMember (any internal user has it)",
         "Organization": "\"View Setup and Configuration\""}
ROLE_GROUP_TYPES = hierarchy.ROLE_GROUP_TYPES


@dataclass
class Source:
    """Where a part of the snapshot came from (recorded in the snapshot's `sources`)."""
    source: str
    via: str
    at: str

    def to_json(self) -> dict[str, str]:
        return {"source": self.source, "via": self.via, "at": self.at}


@dataclass
class SalesforceReader:
    conn: Connection
    policy: HttpPolicy
    secrets: Secrets
    sleep: Callable[[float], None] = time.sleep
    warnings: list[str] = field(default_factory=list)
    _internal: list[str] | str | None = None

    # -- one query, retried where retrying can help -------------------------------------------
    def records(self, soql: str, tooling: bool = False) -> list[dict[str, Any]]:
        try:
            return self._records(soql, tooling)
        except PartFailed as exc:
            raise PartFailed(self.secrets.redact(str(exc))) from None

    def _records(self, soql: str, tooling: bool) -> list[dict[str, Any]]:
        delays = self.policy.delays()
        relogged = False
        for attempt in range(len(delays) + 1):
            try:
                return list(self._pages(soql, tooling))
            except SalesforceExpiredSession:
                if relogged:
                    raise PartFailed("Salesforce refused the session again right after it was renewed: log in again "
                                     "(`sf org login web` for --target-org)") from None
                if self.conn.refresh is None:
                    raise PartFailed("the session expired and this login method cannot log in again "
                                     "(run `sf org login` again, or use --target-org or a password login)") from None
                self.conn.refresh()
                self.secrets.add(self.conn.access_token)
                relogged = True
            except SalesforceRefusedRequest as exc:
                code, message = _error(exc)
                if code == "REQUEST_LIMIT_EXCEEDED" and "concurrent" in message.lower() and attempt < len(delays):
                    self.sleep(delays[attempt])
                    continue
                if code == "REQUEST_LIMIT_EXCEEDED":
                    raise PartFailed(f"Salesforce's API request limit is exhausted ({message}); try again when it resets") from None
                raise PartFailed(f"Salesforce refused the query ({code or 'HTTP 403'}: {message}); the collecting user "
                                 f"lacks a permission: {needs_of(soql)} (docs/collecting.md lists them)") from None
            except (SalesforceMalformedRequest, SalesforceResourceNotFound) as exc:
                code, message = _error(exc)
                if code in ("INVALID_TYPE", "INSUFFICIENT_ACCESS", "INVALID_FIELD"):
                    message += f"; the object or field may be hidden from the collecting user, which needs {needs_of(soql)}"
                raise PartFailed(f"Salesforce rejected the query ({code}: {message})") from None
            except SalesforceError as exc:
                # 5xx, timeouts and resets were already retried by the transport (facts/http.py).
                code, message = _error(exc)
                raise PartFailed(f"Salesforce answered HTTP {getattr(exc, 'status', '?')} ({code or message or 'no detail'}) "
                                 f"after {plural(len(delays) + 1, 'attempt')}") from None
            except (requests.exceptions.JSONDecodeError, json.JSONDecodeError):
                raise PartFailed("Salesforce answered with something that is not JSON (a proxy or an outage page?)") from None
            except requests.RequestException as exc:
                raise PartFailed(f"Salesforce did not answer ({_network(exc)}) after {plural(len(delays) + 1, 'attempt')}") from None
            except (KeyError, TypeError, ValueError) as exc:
                raise PartFailed(f"Salesforce's answer is not shaped like a query result ({type(exc).__name__})") from None
        raise PartFailed("gave up after retries")  # pragma: no cover - the loop returns or raises

    def _pages(self, soql: str, tooling: bool) -> Iterator[dict[str, Any]]:
        if not tooling:
            yield from self.conn.sf.query_all_iter(soql)
            return
        result = self.conn.sf.restful("tooling/query/", params={"q": soql})
        while True:
            yield from result["records"]
            if result.get("done", True) or not result.get("nextRecordsUrl"):
                return
            path = result["nextRecordsUrl"].split("/tooling/", 1)[1]
            result = self.conn.sf.restful(f"tooling/{path}")

    # -- the objects ---------------------------------------------------------------------------
    def org(self) -> dict[str, Any]:
        rows = self.records(QUERIES["org"])
        if not rows:
            raise PartFailed("the Organization query returned nothing")
        r = rows[0]
        return {"id": r.get("Id"), "name": r.get("Name"), "is_sandbox": r.get("IsSandbox"),
                "organization_type": r.get("OrganizationType") if isinstance(r.get("OrganizationType"), str) else None}

    def permissions(self) -> dict[str, bool | None]:
        """The collecting user's own effective permissions; None for one that could not be read."""
        names = ("ViewAllUsers", "ViewRoles", "ViewSetup")
        try:
            rows = self.records(QUERIES["permissions"])
        except PartFailed:
            # One field this org's API does not know must not hide the others: ask one at a time.
            out: dict[str, bool | None] = {}
            for name in names:
                try:
                    one = self.records(f"SELECT Permissions{name} FROM UserPermissionAccess")
                except PartFailed:
                    one = []
                value = one[0].get(f"Permissions{name}") if one else None
                out[name] = value if isinstance(value, bool) else None
            if all(v is None for v in out.values()):
                raise
            return out
        r = rows[0] if rows else {}
        return {name: r.get(f"Permissions{name}") if isinstance(r.get(f"Permissions{name}"), bool) else None
                for name in names}

    def users(self, who: str | None = None) -> list[dict[str, Any]]:
        if who is None:
            rows = self.records(QUERIES["users"])
        else:
            clause = "Username = {} OR Email = {}"
            values: list[str] = [who, who]
            if len(who) in (15, 18) and who.isalnum():
                clause += " OR Id = {}"
                values.append(who)
            rows = self.records(format_soql(f"SELECT {USER_FIELDS} FROM User WHERE {clause} ORDER BY Id", *values))
        return [_user(r) for r in rows]

    def users_named(self, names: list[str]) -> list[dict[str, Any]]:
        """Users named in assignments (by username), in one query."""
        if not names:
            return []
        return [_user(r) for r in self.records(format_soql(f"SELECT {USER_FIELDS} FROM User WHERE Username IN {{}} ORDER BY Id", names))]

    def profiles(self) -> list[str]:
        return [r["Name"] for r in self.records(QUERIES["profiles"]) if r.get("Name")]

    def roles(self, reachable: Iterable[str] = ()) -> list[dict[str, Any]]:
        """The internal role hierarchy and the roles in `reachable` (held by read users, named
        by role groups) with their parents: never every portal role (facts/hierarchy.py)."""
        return hierarchy.read_roles(self.records, reachable, self.warnings.append)

    def public_groups(self, users_incomplete: Callable[[], str | None] = lambda: None
                      ) -> tuple[list[dict[str, Any]], dict[str, str], set[str]]:
        """Public groups with their direct members. "All Internal Users" is expanded into every
        user of UserType Standard (one query), unless the user list may be incomplete
        (`users_incomplete` gives the reason). A member syncdoctor cannot represent (a territory,
        a queue) makes that group's member list unknown rather than silently shorter; the reasons
        come back keyed by group id, then the roles the role-group members stand for."""
        groups, members = hierarchy.read_groups(self.records)
        by_id = {g["Id"][:15]: g for g in groups}
        public = [g for g in groups if g.get("Type") == "Regular"]
        listed: dict[str, list[dict[str, str]]] = {g["Id"][:15]: [] for g in public}
        unknown: dict[str, str] = {}
        for m in members:
            gid, mid = m["GroupId"][:15], m["UserOrGroupId"]
            if gid not in listed:
                continue
            if mid.startswith("005"):
                listed[gid].append({"type": "user", "id": mid})
                continue
            target = by_id.get(mid[:15])
            if target is not None and target.get("Type") == "Organization":
                internal = self._internal_users(users_incomplete)
                if isinstance(internal, str):
                    unknown[gid] = f"member \"All Internal Users\" cannot be expanded: {internal}"
                else:
                    listed[gid].extend({"type": "user", "id": uid} for uid in internal)
            elif target is not None and target.get("Type") == "Regular":
                listed[gid].append({"type": "public_group", "id": target["Id"]})
            elif target is not None and target.get("Type") in ROLE_GROUP_TYPES and target.get("RelatedId"):
                listed[gid].append({"type": ROLE_GROUP_TYPES[target["Type"]], "id": target["RelatedId"]})
            else:
                unknown[gid] = f"member {mid} is a kind syncdoctor cannot represent (not a user, public group or role group)"
        out = []
        for g in public:
            gid = g["Id"][:15]
            entry: dict[str, Any] = {"id": g["Id"], "name": g.get("Name") or g.get("DeveloperName")}
            entry["members"] = None if gid in unknown else sorted(listed[gid], key=lambda x: (x["type"], to18(x["id"])))
            out.append(entry)
        return (out, {to18(g["Id"]): unknown[g["Id"][:15]] for g in public if g["Id"][:15] in unknown},
                hierarchy.named_roles(groups))

    def _internal_users(self, users_incomplete: Callable[[], str | None]) -> list[str] | str:
        """Ids of every internal user, or why they cannot be known (read once per run)."""
        if self._internal is None:
            why = users_incomplete()
            if why:
                self._internal = why
            else:
                try:
                    self._internal = [r["Id"] for r in self.records(QUERIES["internal_users"])]
                except PartFailed as exc:
                    self._internal = str(exc)
        return self._internal

    def business_units(self) -> list[dict[str, Any]]:
        out = []
        for r in self.records(QUERIES["business_units"], tooling=True):
            status = r.get("CreationStatus")
            out.append({"id": r["Id"], "name": r.get("PardotTenantName"),
                        "creation_status": status if isinstance(status, str) else None})
        return out


def _user(r: dict[str, Any]) -> dict[str, Any]:
    profile = r.get("Profile")
    licence = profile.get("UserLicense") if isinstance(profile, dict) else None
    return {"id": r["Id"], "username": r.get("Username"), "email": r.get("Email"), "is_active": r.get("IsActive"),
            "profile": profile.get("Name") if isinstance(profile, dict) else None, "role_id": r.get("UserRoleId"),
            "last_modified_at": _iso(r.get("LastModifiedDate")),
            "user_type": r.get("UserType") if isinstance(r.get("UserType"), str) else None,
            "license": licence.get("Name") if isinstance(licence, dict) and isinstance(licence.get("Name"), str) else None}


def needs_of(soql: str) -> str:
    found = re.search(r"\bFROM\s+(\w+)", soql)
    return NEEDS.get(found.group(1) if found else "", "read access to the object")


def _iso(value: Any) -> str | None:
    """Salesforce's `2026-11-20T12:00:00.000+0000` as the snapshot's RFC 3339."""
    if not isinstance(value, str):
        return None
    try:
        stamp = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")
        return stamp.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return value


def _error(exc: SalesforceError) -> tuple[str, str]:
    content = getattr(exc, "content", None)
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return str(content[0].get("errorCode") or ""), str(content[0].get("message") or "")
    return "", ""


def _network(exc: Exception) -> str:
    if isinstance(exc, requests.Timeout):
        return "timed out"
    if isinstance(exc, requests.exceptions.RetryError):
        return "server errors on every retry"
    return "connection failed"
