"""Account Engagement users per business unit through API v5 (`deleted=all`, so recycle-bin
users are included), every page followed. Errors come back as `{"code": N, "message": ...}`;
each code the API documents for this call is retried when retrying can help and explained in
plain words otherwise (docs/collecting.md, "Account Engagement errors")."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlsplit

import requests

from syncdoctor.reading.words import plural

from .auth import Connection
from .http import HttpPolicy, Secrets, require_https
from .salesforce import PartFailed

PRODUCTION_HOST = "https://pi.pardot.com"
DEMO_HOST = "https://pi.demo.pardot.com"
FIELDS = "id,email,username,role,roleName,salesforceId,isDeleted,updatedAt"
PAGE_SIZE = 1000
RETRYABLE = {66, 183, 202, 214}  # concurrency, internal error ("try again"), minute rate limit, timeout
PAGE_TOKEN_GONE = {210, 211}      # the page token expired or is invalid: start the listing again
MAX_RETRY_AFTER = 60.0
SCOPE_HELP = {
    "target-org": "the Salesforce CLI's default login scopes (refresh_token api web) lack pardot_api: log in again "
                  "with `SFDX_AUTH_SCOPES=\"refresh_token api web pardot_api\" sf org login web`, or through a "
                  "connected app that includes pardot_api (`sf org login web --client-id ...`)",
    "jwt": "the connected app of --consumer-key must include the pardot_api OAuth scope",
    "password": "whether Account Engagement accepts a SOAP session id (password login) is not documented: log in "
                "through a connected app with the pardot_api scope instead (JWT, or --target-org with such an app)",
    "session-id": "the access token must come from a connected app that includes the pardot_api OAuth scope",
}


@dataclass
class AeHost:
    """The Account Engagement API host and why it was chosen (messages say both)."""
    base: str
    why: str


def ae_host(override: str | None, sandbox_flag: bool, org: dict[str, Any] | None) -> AeHost:
    """pi.demo.pardot.com for sandboxes and Developer Edition orgs, pi.pardot.com otherwise;
    --ae-api-url overrides."""
    if override:
        return AeHost(require_https(override, "--ae-api-url").rstrip("/"), "--ae-api-url")
    org = org or {}
    if sandbox_flag:
        return AeHost(DEMO_HOST, "--sandbox")
    if org.get("is_sandbox") is True:
        return AeHost(DEMO_HOST, "the org is a sandbox (Organization.IsSandbox)")
    if org.get("organization_type") == "Developer Edition":
        return AeHost(DEMO_HOST, "the org is a Developer Edition org (Organization.OrganizationType)")
    if org.get("is_sandbox") is None or org.get("organization_type") is None:
        return AeHost(PRODUCTION_HOST, "the org's type could not be read, so the production host is assumed")
    return AeHost(PRODUCTION_HOST, f"the org is a {org.get('organization_type')}, not a sandbox")


def explain_error(code: int | None, message: str, bu_id: str, host: AeHost, method: str, first_call: bool) -> str:
    """The documented meaning of `code` and what to do, then the server's own words (the
    caller redacts the whole)."""
    text = _explain(code, message, bu_id, host, method, first_call)
    said = " ".join(message.split())[:300]
    if code is not None and said and said not in text:
        text += f' (Account Engagement said: "{said}")'
    return text


def _explain(code: int | None, message: str, bu_id: str, host: AeHost, method: str, first_call: bool) -> str:
    if code == 184:
        if first_call:
            return (f"Account Engagement refused the access token for business unit {bu_id} (error 184) on the first "
                    "Account Engagement call, although the Salesforce login worked: most likely the token was not "
                    "issued by a connected app that includes the pardot_api OAuth scope; "
                    f"{SCOPE_HELP.get(method, SCOPE_HELP['session-id'])}. Otherwise the token expired, or the "
                    "collecting user is not an Account Engagement user synced to that business unit")
        return (f"Account Engagement refused the access token for business unit {bu_id} (error 184) although it was "
                "accepted for another business unit: the collecting user is not synced to that business unit; "
                "sync that user to the BU, or collect as a user who is")
    if code in (46, 49):
        what = "insufficient permissions" if code == 46 else "access denied"
        return (f"Account Engagement refused to list users of business unit {bu_id} (error {code}, {what}): the "
                "collecting user's Account Engagement role needs the ability \"Admin > User > View\"")
    if code == 201:
        other = PRODUCTION_HOST if host.base == DEMO_HOST else DEMO_HOST
        return (f"Account Engagement does not know business unit {bu_id} on {host.base} (error 201; host chosen "
                f"because {host.why}): check the business unit id and that it is not deleted; sandboxes and "
                f"Account Engagement Developer Edition orgs use {DEMO_HOST}, other orgs {PRODUCTION_HOST} "
                f"(try --ae-api-url {other}; the Salesforce login does not change)")
    if code == 122:
        return "Account Engagement's daily API limit is used up (error 122); try again tomorrow"
    if code == 66:
        return "Account Engagement kept refusing concurrent requests (error 66) after every retry"
    if code == 183:
        return "Account Engagement answered an internal error (183) on every retry; try again later"
    if code == 202:
        return "Account Engagement's per-minute API rate limit (error 202) was still reached after every retry"
    if code == 214:
        return "Account Engagement timed out (error 214) on every retry; try again later, when the org is less busy"
    if code in PAGE_TOKEN_GONE:
        return (f"Account Engagement's page token {'expired' if code == 210 else 'was invalid'} (error {code}) again "
                "after the listing was started over")
    return f"Account Engagement answered error {code}: {message}" if code is not None else message


def in_recycle_bin(value: Any) -> bool | None:
    """`isDeleted`: a boolean, or (in older payloads) the string "true" / "false". Anything
    else is unknown, never false."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


class _StartOver(Exception):
    """The page token expired (210) or is invalid (211): list the business unit again."""


@dataclass
class AccountEngagementReader:
    conn: Connection
    host: AeHost
    policy: HttpPolicy
    secrets: Secrets
    sleep: Callable[[float], None] = time.sleep
    answered: bool = False  # some AE call of this run succeeded (tells 184's two causes apart)
    warnings: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return self.host.base

    def users(self, bu_id: str) -> list[dict[str, Any]]:
        try:
            return self._users(bu_id)
        except _StartOver:
            self.warnings.append(f"business unit {bu_id}: the page token expired, the user list was read again")
            try:
                return self._users(bu_id)
            except _StartOver as exc:
                raise PartFailed(str(exc)) from None

    def _users(self, bu_id: str) -> list[dict[str, Any]]:
        url: str | None = f"{self.base}/api/v5/objects/users"
        params: dict[str, Any] | None = {"fields": FIELDS, "deleted": "all", "limit": PAGE_SIZE, "orderBy": "id"}
        out: list[dict[str, Any]] = []
        while url:
            page = self._get(url, params, bu_id, paging=params is None or "nextPageToken" in params)
            values = page.get("values")
            if not isinstance(values, list):
                raise PartFailed(f"Account Engagement's answer for business unit {bu_id} has no `values` list")
            for v in values:
                if not isinstance(v, dict):
                    raise PartFailed(f"Account Engagement's answer for business unit {bu_id} is not a list of users")
                role = v.get("roleName")  # never `role`: in v5 it holds the role's id, not its name
                out.append({"id": v.get("id"), "business_unit_id": bu_id, "email": v.get("email"),
                            "salesforce_id": v.get("salesforceId") or None,
                            "role": role if isinstance(role, str) and role else None,
                            "in_recycle_bin": in_recycle_bin(v.get("isDeleted"))})
            next_url = page.get("nextPageUrl")
            token = page.get("nextPageToken")
            if next_url:
                # Follow the page on the configured host (a proxy or --ae-api-url keeps working).
                parts = urlsplit(next_url)
                url, params = f"{self.base}{parts.path}" + (f"?{parts.query}" if parts.query else ""), None
            elif token:
                url, params = f"{self.base}/api/v5/objects/users", {"nextPageToken": token}
            else:
                url = None
        return out

    def _get(self, url: str, params: dict[str, Any] | None, bu_id: str, paging: bool) -> dict[str, Any]:
        delays = self.policy.delays()
        code: int | None = None
        for attempt in range(len(delays) + 1):
            headers = {"Authorization": f"Bearer {self.conn.access_token}", "Pardot-Business-Unit-Id": bu_id}
            try:
                response = self.conn.session.get(url, params=params, headers=headers)
            except requests.RequestException as exc:
                kind = "timed out" if isinstance(exc, requests.Timeout) else "connection failed"
                raise PartFailed(f"Account Engagement did not answer for business unit {bu_id} ({kind}) "
                                 f"after {plural(len(delays) + 1, 'attempt')}") from None
            try:
                body = response.json()
            except ValueError:
                raise PartFailed(f"Account Engagement answered HTTP {response.status_code} with something that is not "
                                 f"JSON for business unit {bu_id} (a proxy or an outage page?)") from None
            if response.status_code < 300 and isinstance(body, dict) and "code" not in body:
                self.answered = True
                return body
            raw = body.get("code") if isinstance(body, dict) else None
            code = raw if isinstance(raw, int) and not isinstance(raw, bool) else None
            message = str(body.get("message", "")) if isinstance(body, dict) else ""
            if code in PAGE_TOKEN_GONE and paging:
                raise _StartOver(self.secrets.redact(explain_error(code, message, bu_id, self.host,
                                                                   self.conn.method, not self.answered)))
            if code in RETRYABLE and attempt < len(delays):
                self.sleep(_wait(response, delays[attempt]) if code == 202 else delays[attempt])
                continue
            if code is None and response.status_code >= 500:
                raise PartFailed(f"Account Engagement answered HTTP {response.status_code} for business unit {bu_id} "
                                 f"after {plural(len(delays) + 1, 'attempt')}")
            raise PartFailed(self.secrets.redact(explain_error(code, message or f"HTTP {response.status_code}", bu_id,
                                                               self.host, self.conn.method, not self.answered)))
        raise PartFailed(explain_error(code, "", bu_id, self.host, self.conn.method, not self.answered))  # pragma: no cover


def _wait(response: requests.Response, default: float) -> float:
    """The minute rate limit (202): wait as long as the server says (Retry-After), at most a minute."""
    try:
        return min(max(float(response.headers.get("Retry-After", "")), 0.0), MAX_RETRY_AFTER)
    except ValueError:
        return default
