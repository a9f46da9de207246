"""Account Engagement users per business unit through API v5 (`deleted=all`, so recycle-bin
users are included), every page followed. Errors come back as `{"code": N, "message": ...}`;
the codes that matter for a collection are explained in plain words."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import urlsplit

import requests

from syncdoctor.engine.words import plural

from .auth import Connection
from .http import HttpPolicy, Secrets
from .salesforce import PartFailed

PRODUCTION_HOST = "https://pi.pardot.com"
DEMO_HOST = "https://pi.demo.pardot.com"
FIELDS = "id,email,username,role,roleName,salesforceId,isDeleted,updatedAt"
PAGE_SIZE = 1000
RETRYABLE = {66}  # concurrent-request limit


def ae_base_url(override: str | None, sandbox: bool) -> str:
    if override:
        return override.rstrip("/")
    return DEMO_HOST if sandbox else PRODUCTION_HOST


def explain_error(code: int | None, message: str, bu_id: str, base: str) -> str:
    if code == 184:
        return (f"Account Engagement refused the access token for business unit {bu_id} (error 184): the token is "
                "invalid, or the collecting user is not synced to that business unit; sync that user to the BU, "
                "or collect as a user who is")
    if code == 201:
        return (f"Account Engagement does not know business unit {bu_id} on {base} (error 201): check the BU id, and use "
                "the demo host (--sandbox) for sandboxes and developer orgs")
    if code == 122:
        return "Account Engagement's daily API limit is used up (error 122); try again tomorrow"
    if code == 66:
        return "Account Engagement kept refusing concurrent requests (error 66) after every retry"
    return f"Account Engagement answered error {code}: {message}" if code is not None else message


@dataclass
class AccountEngagementReader:
    conn: Connection
    base: str
    policy: HttpPolicy
    secrets: Secrets
    sleep: Callable[[float], None] = time.sleep

    def users(self, bu_id: str) -> list[dict[str, Any]]:
        url: str | None = f"{self.base}/api/v5/objects/users"
        params: dict[str, Any] | None = {"fields": FIELDS, "deleted": "all", "limit": PAGE_SIZE, "orderBy": "id"}
        out: list[dict[str, Any]] = []
        while url:
            page = self._get(url, params, bu_id)
            values = page.get("values")
            if not isinstance(values, list):
                raise PartFailed(f"Account Engagement's answer for business unit {bu_id} has no `values` list")
            for v in values:
                if not isinstance(v, dict):
                    raise PartFailed(f"Account Engagement's answer for business unit {bu_id} is not a list of users")
                out.append({"id": v.get("id"), "business_unit_id": bu_id, "email": v.get("email"),
                            "salesforce_id": v.get("salesforceId") or None,
                            "role": v.get("roleName") or v.get("role"),
                            "in_recycle_bin": v.get("isDeleted")})
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

    def _get(self, url: str, params: dict[str, Any] | None, bu_id: str) -> dict[str, Any]:
        delays = self.policy.delays()
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
                                 f"JSON for business unit {bu_id}") from None
            if response.status_code < 300 and isinstance(body, dict) and "code" not in body:
                return body
            code = body.get("code") if isinstance(body, dict) else None
            message = str(body.get("message", "")) if isinstance(body, dict) else ""
            if code in RETRYABLE and attempt < len(delays):
                self.sleep(delays[attempt])
                continue
            if code is None and response.status_code >= 500:
                raise PartFailed(f"Account Engagement answered HTTP {response.status_code} for business unit {bu_id} "
                                 f"after {plural(len(delays) + 1, 'attempt')}")
            raise PartFailed(self.secrets.redact(explain_error(code, message or f"HTTP {response.status_code}", bu_id, self.base)))
        raise PartFailed(explain_error(66, "", bu_id, self.base))
