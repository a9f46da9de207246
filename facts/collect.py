"""A collection: log in, read each part of the org, and build a facts snapshot (dict) with the
`sources` of every part, the reason for every part that stayed unknown, and the reason for
every list that is present but may be incomplete.

A part that cannot be read becomes unknown (absent or null), never an empty list, which would
mean "complete and empty"."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from .account_engagement import AccountEngagementReader, ae_host
from .auth import AuthOptions, CollectError, NotInOrg, connect
from .http import CallLog, HttpPolicy, InsecureUrl, Secrets, require_https
from . import lookup
from .ids import looks_like_id, to18
from .kinds import ACTIVE_BU_STATUSES, integration_user, kind_summary, role_gaps, users_visibility
from .salesforce import QUERIES, PartFailed, SalesforceReader, Source

AE_VIA = "Account Engagement API v5 GET /api/v5/objects/users?deleted=all"


@dataclass
class CollectRequest:
    auth: AuthOptions
    business_units: list[str] = field(default_factory=list)
    user: str | None = None        # diagnose --org: only this user's record
    ae_api_url: str | None = None
    policy: HttpPolicy = field(default_factory=HttpPolicy)


@dataclass
class Collection:
    data: dict[str, Any]
    log: CallLog
    missing: dict[str, str]  # snapshot path -> reason
    auth_method: str
    resolve_users: Callable[[list[str]], list[dict[str, Any]]] | None = None  # usernames named in answers
    notes: list[str] = field(default_factory=list)  # what was skipped, excluded or may be incomplete

    def report_lines(self) -> list[str]:
        lines = [f"{len(self.log.calls)} API calls: "
                 f"{self.log.count('/services/data/')} Salesforce REST, "
                 f"{self.log.count('/api/v5/')} Account Engagement, {self.log.count('/services/Soap/') + self.log.count('/services/oauth2/')} login"]
        if self.log.api_usage:  # only the figures (facts/http.py keeps nothing else of the header)
            lines.append(f"Salesforce API usage reported by the server: {self.log.api_usage}")
        return lines + self.notes


def now_utc() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def collect(req: CollectRequest, secrets: Secrets, sleep: Callable[[float], None] = time.sleep) -> Collection:
    log = CallLog()
    if req.ae_api_url:  # refused before any login: the token would go to it in cleartext
        try:
            require_https(req.ae_api_url, "--ae-api-url")
        except InsecureUrl as exc:
            raise NotInOrg(str(exc)) from None
    conn = connect(req.auth, req.policy, log, secrets)
    sf = SalesforceReader(conn, req.policy, secrets, sleep)
    at = now_utc()
    data: dict[str, Any] = {"snapshot_version": 1, "collected_at": at}
    sources: dict[str, dict[str, str]] = {}
    missing: dict[str, str] = {}
    incomplete: dict[str, str] = {}
    notes: list[str] = []

    def part(path: str, via: str, read: Callable[[], Any]) -> Any:
        try:
            value = read()
        except PartFailed as exc:
            missing[path] = secrets.redact(str(exc))
            return None
        sources[path] = Source("salesforce" if "API v5" not in via else "account_engagement", via, now_utc()).to_json()
        return value

    org = part("org", QUERIES["org"], sf.org)
    data["org"] = org
    try:
        host = ae_host(req.ae_api_url, req.auth.sandbox, org)
    except InsecureUrl as exc:
        raise NotInOrg(str(exc)) from None
    try:
        perms: dict[str, bool | None] | str = sf.permissions()
    except PartFailed as exc:
        perms = str(exc)
    tenants = part("business_units", f"Tooling API: {QUERIES['business_units']}", sf.business_units)
    data["business_units"] = _select_business_units(tenants, req.business_units, notes)
    if not data["business_units"]:
        raise CollectError("no business unit to collect: " + (missing.get("business_units")
                                                              or "the Tooling API lists no usable PardotTenant (is Account Engagement enabled?)"))
    hidden = users_visibility(perms)
    users = _users(sf, part, req.user, hidden, notes, incomplete)
    profiles = part("salesforce.profiles", QUERIES["profiles"], sf.profiles)
    groups, roles = _groups_and_roles(sf, part, missing, sources, users, perms, hidden)
    notes += [secrets.redact(w) for w in sf.warnings]
    data["salesforce"] = {"users": users, "profiles": profiles, "roles": roles, "public_groups": groups}

    ae = AccountEngagementReader(conn, host, req.policy, secrets, sleep)
    notes.append(f"Account Engagement host: {host.base} ({host.why})")
    data["account_engagement"] = _ae_users(ae, [bu["id"] for bu in data["business_units"]], sources, missing, notes)

    data["sources"] = sources
    if missing:
        data["unknown_reasons"] = {k: secrets.redact(v) for k, v in missing.items()}
    if incomplete:
        data["incomplete_reasons"] = {k: secrets.redact(v) for k, v in incomplete.items()}

    def resolve_users(names: list[str]) -> list[dict[str, Any]]:
        try:
            return sf.users_named(names)
        except PartFailed:
            return []  # the name then stays unresolved and is reported as such
    return Collection(data, log, missing, conn.method, resolve_users, [secrets.redact(n) for n in notes])


def _users(sf: SalesforceReader, part: Callable[..., Any], user: str | None, hidden: str | None, notes: list[str],
           incomplete: dict[str, str]) -> list[dict[str, Any]] | None:
    """The org's Salesforce users (or the one `user` names), without the B2BMA integration user;
    `hidden`: why the list may be incomplete (the collecting user's permissions)."""
    user_via = QUERIES["users"] if user is None else "SOQL: User WHERE Username/Email/Id = the --user value"
    users = part("salesforce.users", user_via, lambda: sf.users(user))
    excluded: list[dict[str, Any]] = []
    if users is not None:
        excluded = [u for u in users if integration_user(u)]
        users = [u for u in users if not integration_user(u)]
        notes += [f"excluded {u.get('username')}: the B2BMA integration user, never a user to diagnose" for u in excluded]
        if hidden:
            incomplete["salesforce.users"] = hidden
            notes.append(f"the user list may be incomplete: {hidden}")
        notes += kind_summary(users)
    if user is not None and users == []:
        if excluded:
            raise NotInOrg(f"{user!r} is the B2BMA integration user, never a user to diagnose")
        if hidden:
            raise CollectError(f"no Salesforce user visible to the collecting user has the username, email or id "
                               f"{user!r}, but the list may be incomplete: {hidden}")
        raise NotInOrg(f"no Salesforce user has the username, email or id {user!r}")
    return users


def _groups_and_roles(sf: SalesforceReader, part: Callable[..., Any], missing: dict[str, str],
                      sources: dict[str, Any], users: list[dict[str, Any]] | None, perms: Any,
                      hidden: str | None) -> tuple[list[dict[str, Any]] | None, list[dict[str, Any]] | None]:
    """Public groups, then only the roles something can reach: the internal hierarchy, the
    roles users hold and the roles public groups name, with their parents (facts/hierarchy.py
    states the bound). A role list that misses users' roles stays unknown."""
    groups_and_unknown = part("salesforce.public_groups", f"{QUERIES['groups']}; {QUERIES['members']}; "
                              f"{QUERIES['groups_by_id']} (the groups public groups contain)",
                              lambda: sf.public_groups(lambda: hidden))
    groups, named = None, set()
    if groups_and_unknown is not None:
        groups, unknown_members, named = groups_and_unknown
        for i, g in enumerate(groups):
            if to18(g["id"]) in unknown_members:
                missing[f"salesforce.public_groups[{i}].members"] = unknown_members[to18(g["id"])]
    held = {u["role_id"] for u in users or [] if u.get("role_id")}
    roles = part("salesforce.roles", f"{QUERIES['roles']}; {QUERIES['roles_by_id']} (roles users hold or groups "
                 "name, and their parents)", lambda: sf.roles(held | named))
    if roles is not None:
        gap = role_gaps(users or [], roles, perms)
        if gap:
            missing["salesforce.roles"], roles = gap, None
            sources.pop("salesforce.roles", None)
    return groups, roles


def _ae_users(ae: AccountEngagementReader, bu_ids: list[str], sources: dict[str, Any], missing: dict[str, str],
              notes: list[str]) -> dict[str, Any]:
    """Every business unit's Account Engagement users; those of a unit that failed stay unknown."""
    ae_users: list[dict[str, Any]] = []
    done: list[str] = []
    failures: list[str] = []
    for bu_id in bu_ids:
        try:
            ae_users.extend(ae.users(bu_id))
            done.append(bu_id)
        except PartFailed as exc:
            failures.append(f"business unit {bu_id}: {ae.secrets.redact(str(exc))}")
    notes += [ae.secrets.redact(w) for w in ae.warnings]
    unsure = [a for a in ae_users if a["in_recycle_bin"] is None]
    if unsure:
        notes.append(f"{len(unsure)} Account Engagement users have an isDeleted that is neither true nor false: "
                     "whether they are in the recycle bin stays unknown")
    if failures:
        missing["account_engagement.users"] = "; ".join(failures)
    if not done:
        return {"users": None}
    # The host that answered last (error 201 may have moved the run to the other host).
    sources["account_engagement.users"] = Source("account_engagement", f"{AE_VIA} on {ae.host.base}", now_utc()).to_json()
    return {"users": ae_users, "collected_business_units": done}


def _select_business_units(tenants: list[dict[str, Any]] | None, wanted: list[str], notes: list[str]) -> list[dict[str, Any]]:
    if tenants is None:
        # Tooling unreadable: the BUs named on the command line are still known by id.
        return [{"id": w} for w in wanted if looks_like_id(w)]
    usable = [t for t in tenants if t.get("creation_status") is None or t["creation_status"] in ACTIVE_BU_STATUSES]
    gone = [t for t in tenants if t not in usable]
    if not wanted:
        notes += [f"skipped business unit {t['id']} ({t.get('name')}): its CreationStatus is {t['creation_status']}"
                  for t in gone]
        return usable
    out = []
    for w in wanted:
        try:  # the same lookup as a snapshot's: ids by identity, names ignoring case, shared names ambiguous
            match = tenants[lookup.find_business_unit(tenants, w, "this org")]
        except lookup.Ambiguous as exc:
            raise NotInOrg(str(exc)) from None
        except lookup.LookupProblem:
            names = ", ".join(f"{t['id']} ({t.get('name')})" for t in usable) or "none"
            raise NotInOrg(f"business unit {w!r} is not in this org; its business units: {names}") from None
        if match in gone:
            raise NotInOrg(f"business unit {w!r} cannot be read: its CreationStatus is {match['creation_status']} "
                           "(deleted, being deleted, deprovisioned, not yet created, or failed)")
        out.append(match)
    return out
