"""Account Engagement API v5 errors: the host rules, and what each error means, read from its
code *and its message* (docs/collecting.md, "Account Engagement errors").

Two codes carry more than one cause, told apart only by their text:

- 184 "access_token is invalid, unknown, or malformed: <why>": ": Invalid scope" means the
  token lacks the `pardot_api` scope; ": Inactive token" means it expired or was revoked
  (renew it and try once more). The wording is seen in the wild, not documented (Trailblazer
  Community thread quoting `"err": "access_token is invalid, unknown, or malformed: Invalid
  scope"`): the classes below match the words, not the whole sentence.
- 49 "Access Denied": "User associated with access token is not valid for the Pardot
  Business Unit ID specified in Pardot-Business-Unit-Id header" (pardot/api-docs#178) means
  the collecting user is not a user of that business unit; otherwise the user's role lacks
  the ability the call needs ("Admin > User > View", user-v5)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .http import require_https

PRODUCTION_HOST = "https://pi.pardot.com"
DEMO_HOST = "https://pi.demo.pardot.com"
SCOPE_HELP = {
    "target-org": "the Salesforce CLI's default login scopes (refresh_token api web) lack pardot_api: log in again "
                  "with `SFDX_AUTH_SCOPES=\"refresh_token api web pardot_api\" sf org login web`, or through a "
                  "connected app that includes pardot_api (`sf org login web --client-id ...`)",
    "jwt": "the connected app of --consumer-key must include the pardot_api OAuth scope",
    "password": "whether Account Engagement accepts a SOAP session id (password login) is not documented: log in "
                "through a connected app with the pardot_api scope instead (JWT, or --target-org with such an app)",
    "session-id": "the access token must come from a connected app that includes the pardot_api OAuth scope",
}

# Words, also inside identifiers ("invalid_scope"), never inside other words ("telescope").
_SCOPE = re.compile(r"(?<![a-z])scopes?(?![a-z])", re.IGNORECASE)
_INACTIVE = re.compile(r"(?<![a-z])(inactive|expir|revok)", re.IGNORECASE)
_NOT_IN_BU = re.compile(r"business[\s_-]*unit|pardot-business-unit-id", re.IGNORECASE)


@dataclass
class AeHost:
    """The Account Engagement API host and why it was chosen (messages say both)."""
    base: str
    why: str


def ae_host(override: str | None, sandbox_flag: bool, org: dict[str, Any] | None) -> AeHost:
    """pi.demo.pardot.com for sandboxes and Developer Edition orgs, pi.pardot.com otherwise
    (production and training orgs); --ae-api-url overrides."""
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


def other_host(host: AeHost) -> AeHost | None:
    """The other documented host, or None when the host was given (--ae-api-url: a proxy or a
    test server is never second-guessed)."""
    if host.base == PRODUCTION_HOST:
        return AeHost(DEMO_HOST, f"{PRODUCTION_HOST} answered error 201 for it")
    if host.base == DEMO_HOST and host.why != "--sandbox":
        return AeHost(PRODUCTION_HOST, f"{DEMO_HOST} answered error 201 for it")
    return None


def token_cause(message: str) -> str | None:
    """Error 184's cause from its text: "scope" (no pardot_api), "inactive" (expired or
    revoked: renew and retry), or None when the text does not say."""
    if _SCOPE.search(message):
        return "scope"
    if _INACTIVE.search(message):
        return "inactive"
    return None


def denial_cause(message: str) -> str:
    """Error 49's cause from its text: "business_unit" (the user is not a user of that BU) or
    "ability" (the user's role lacks the ability)."""
    return "business_unit" if _NOT_IN_BU.search(message) else "ability"


def explain_error(code: int | None, message: str, bu_id: str, host: AeHost, method: str, first_call: bool) -> str:
    """The meaning of `code` (and of its message) and what to do, then the server's own words
    (the caller redacts the whole)."""
    text = _explain(code, message, bu_id, host, method, first_call)
    said = " ".join(message.split())[:300]
    if code is not None and said and said not in text:
        text += f' (Account Engagement said on {host.base}: "{said}")'
    return text


def _explain(code: int | None, message: str, bu_id: str, host: AeHost, method: str, first_call: bool) -> str:
    if code == 184:
        return _explain_184(message, bu_id, method, first_call)
    if code in (46, 49):
        if code == 49 and denial_cause(message) == "business_unit":
            return (f"Account Engagement refused business unit {bu_id} (error 49, access denied): the collecting user "
                    "is not a user of that business unit; collect as a user who is (an Account Engagement user "
                    "synced to it), or have that user added to the business unit")
        what = "insufficient permissions" if code == 46 else "access denied"
        return (f"Account Engagement refused to list users of business unit {bu_id} (error {code}, {what}): the "
                "collecting user's Account Engagement role needs the ability \"Admin > User > View\"")
    if code == 201:
        return _explain_201(bu_id, host)
    return _explain_limits(code, message)


def _explain_184(message: str, bu_id: str, method: str, first_call: bool) -> str:
    cause = token_cause(message)
    scope_help = SCOPE_HELP.get(method, SCOPE_HELP["session-id"])
    if cause == "scope":
        return (f"Account Engagement refused the access token for business unit {bu_id} (error 184, invalid scope): "
                f"the token was not issued with the pardot_api OAuth scope; {scope_help}")
    if cause == "inactive":
        again = ("it was renewed once and refused again; log in again" if method != "session-id" else
                 "--session-id cannot be renewed; get a new token, or use --target-org, JWT or a password login")
        return (f"Account Engagement refused the access token for business unit {bu_id} (error 184, inactive token): "
                f"the token expired or was revoked; {again}")
    if first_call:
        return (f"Account Engagement refused the access token for business unit {bu_id} (error 184) on the first "
                "Account Engagement call, although the Salesforce login worked: most likely the token was not "
                f"issued by a connected app that includes the pardot_api OAuth scope; {scope_help}. Otherwise the "
                "token expired, or the collecting user is not an Account Engagement user synced to that business unit")
    return (f"Account Engagement refused the access token for business unit {bu_id} (error 184) although it was "
            "accepted for another business unit: the collecting user is not synced to that business unit; sync that "
            "user to the BU, or collect as a user who is")


def _explain_201(bu_id: str, host: AeHost) -> str:
    if host.why == "--ae-api-url":
        return (f"Account Engagement does not know business unit {bu_id} on {host.base} (error 201; the host given "
                f"with --ae-api-url): check the business unit id and that it is not deleted; sandboxes, demo and "
                f"Developer Edition orgs use {DEMO_HOST}, production and training orgs {PRODUCTION_HOST}")
    other = other_host(host)
    tried = f" and on {other.base}, tried once as well" if other else ""
    return (f"Account Engagement does not know business unit {bu_id} on {host.base} (error 201; host chosen because "
            f"{host.why}){tried}: check the business unit id and that it is not deleted or still being created "
            f"(its CreationStatus); sandboxes, demo and Developer Edition orgs use {DEMO_HOST}, production and "
            f"training orgs {PRODUCTION_HOST} (--ae-api-url chooses; the Salesforce login does not change)")


def _explain_limits(code: int | None, message: str) -> str:
    fixed = {
        122: "Account Engagement's daily API limit is used up (error 122); try again tomorrow",
        66: "Account Engagement kept refusing concurrent requests (error 66) after every retry",
        183: "Account Engagement answered an internal error (183) on every retry; try again later",
        202: "Account Engagement's per-minute API rate limit (error 202) was still reached after every retry",
        214: "Account Engagement timed out (error 214) on every retry; try again later, when the org is less busy",
        210: "Account Engagement's page token expired (error 210) again after the listing was started over",
        211: "Account Engagement's page token was invalid (error 211) again after the listing was started over",
    }
    if code in fixed:
        return fixed[code]
    return f"Account Engagement answered error {code}: {message}" if code is not None else message
