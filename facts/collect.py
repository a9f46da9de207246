"""A collection: log in, read each part of the org, and build a facts snapshot (dict) with the
`sources` of every part and the reason for every part that stayed unknown.

A part that cannot be read becomes unknown (absent or null), never an empty list, which would
mean "complete and empty"."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from .account_engagement import AccountEngagementReader, ae_base_url
from .auth import AuthOptions, CollectError, NotInOrg, connect
from .http import CallLog, HttpPolicy, Secrets
from .ids import to18
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

    def report_lines(self) -> list[str]:
        lines = [f"{len(self.log.calls)} API calls: "
                 f"{self.log.count('/services/data/')} Salesforce REST, "
                 f"{self.log.count('/api/v5/')} Account Engagement, {self.log.count('/services/Soap/') + self.log.count('/services/oauth2/')} login"]
        if self.log.api_usage:
            lines.append(f"Salesforce API usage reported by the server: {self.log.api_usage}")
        return lines


def now_utc() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def collect(req: CollectRequest, secrets: Secrets, sleep: Callable[[float], None] = time.sleep) -> Collection:
    log = CallLog()
    conn = connect(req.auth, req.policy, log, secrets)
    sf = SalesforceReader(conn, req.policy, secrets, sleep)
    at = now_utc()
    data: dict[str, Any] = {"snapshot_version": 1, "collected_at": at}
    sources: dict[str, dict[str, str]] = {}
    missing: dict[str, str] = {}

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
    tenants = part("business_units", f"Tooling API: {QUERIES['business_units']}", sf.business_units)
    data["business_units"] = _select_business_units(tenants, req.business_units, missing)
    if not data["business_units"]:
        raise CollectError("no business unit to collect: " + (missing.get("business_units")
                                                              or "the Tooling API lists no PardotTenant (is Account Engagement enabled?)"))
    user_via = QUERIES["users"] if req.user is None else "SOQL: User WHERE Username/Email/Id = the --user value"
    users = part("salesforce.users", user_via, lambda: sf.users(req.user))
    if req.user is not None and users == []:
        raise NotInOrg(f"no Salesforce user has the username, email or id {req.user!r}")
    profiles = part("salesforce.profiles", QUERIES["profiles"], sf.profiles)
    roles = part("salesforce.roles", QUERIES["roles"], sf.roles)
    groups_and_unknown = part("salesforce.public_groups", f"{QUERIES['groups']}; {QUERIES['members']}", sf.public_groups)
    groups = None
    if groups_and_unknown is not None:
        groups, unknown_members = groups_and_unknown
        for i, g in enumerate(groups):
            if to18(g["id"]) in unknown_members:
                missing[f"salesforce.public_groups[{i}].members"] = unknown_members[to18(g["id"])]
    data["salesforce"] = {"users": users, "profiles": profiles, "roles": roles, "public_groups": groups}

    sandbox = req.auth.sandbox or bool(org and org.get("is_sandbox"))
    base = ae_base_url(req.ae_api_url, sandbox)
    ae = AccountEngagementReader(conn, base, req.policy, secrets, sleep)
    ae_users: list[dict[str, Any]] = []
    done: list[str] = []
    failures: list[str] = []
    for bu in data["business_units"]:
        try:
            ae_users.extend(ae.users(bu["id"]))
            done.append(bu["id"])
        except PartFailed as exc:
            failures.append(f"business unit {bu['id']}: {secrets.redact(str(exc))}")
    if done:
        data["account_engagement"] = {"users": ae_users, "collected_business_units": done}
        sources["account_engagement.users"] = Source("account_engagement", f"{AE_VIA} on {base}", now_utc()).to_json()
    else:
        data["account_engagement"] = {"users": None}
    if failures:
        missing["account_engagement.users"] = "; ".join(failures)

    data["sources"] = sources
    if missing:
        data["unknown_reasons"] = dict(missing)

    def resolve_users(names: list[str]) -> list[dict[str, Any]]:
        try:
            return sf.users_named(names)
        except PartFailed:
            return []  # the name then stays unresolved and is reported as such
    return Collection(data, log, missing, conn.method, resolve_users)


def _select_business_units(tenants: list[dict[str, Any]] | None, wanted: list[str],
                           missing: dict[str, str]) -> list[dict[str, Any]]:
    if tenants is None:
        # Tooling unreadable: the BUs named on the command line are still known by id.
        return [{"id": w} for w in wanted if len(w) in (15, 18) and w.isalnum()]
    if not wanted:
        return tenants
    out = []
    for w in wanted:
        match = next((t for t in tenants if t["id"][:15] == w[:15] or t.get("name") == w), None)
        if match is None:
            names = ", ".join(f"{t['id']} ({t.get('name')})" for t in tenants) or "none"
            raise NotInOrg(f"business unit {w!r} is not in this org; its business units: {names}")
        out.append(match)
    return out
