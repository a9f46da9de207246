"""Account Engagement users per business unit through API v5 (`deleted=all`, so recycle-bin
users are included), every page followed. Errors come back as `{"code": N, "message": ...}`;
each code the API documents for this call is retried when retrying can help and explained in
plain words otherwise (facts/ae_errors.py; docs/collecting.md, "Account Engagement errors").
Three are acted on by their text: 184 "Inactive token" renews the token and lists once more,
201 tries the other documented host once (the same read-only GET), and a `fields` value the
API refuses (`updatedById`) is dropped once."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import urlsplit

import requests

from syncdoctor.reading.words import plural

from .ae_errors import AeHost, ae_host, explain_error, other_host, token_cause
from .auth import CollectError, Connection
from .http import HttpPolicy, Secrets
from .failures import PartFailed

__all__ = ["AccountEngagementReader", "ae_host", "in_recycle_bin"]

# `updatedAt` and `updatedById` tell a deletion by the connector from a manual one, and the
# time since the last change (docs/collecting.md, "What is read").
FIELDS = "id,email,username,role,roleName,salesforceId,isDeleted,updatedAt,updatedById"
OPTIONAL_FIELD = "updatedById"  # dropped, once, if the API refuses it
PAGE_SIZE = 1000
RETRYABLE = {66, 183, 202, 214}  # concurrency, internal error ("try again"), minute rate limit, timeout
PAGE_TOKEN_GONE = {210, 211}      # the page token expired or is invalid: start the listing again
MAX_RETRY_AFTER = 60.0


class AeError(PartFailed):
    """An Account Engagement error answer: its (redacted) explanation, with the code and the
    server's raw text kept to decide what to do next."""

    def __init__(self, explanation: str, code: int | None, message: str):
        super().__init__(explanation)
        self.code = code
        self.message = message


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
    fields: str = FIELDS

    @property
    def base(self) -> str:
        return self.host.base

    def users(self, bu_id: str) -> list[dict[str, Any]]:
        """The business unit's users; an error the message says can be fixed here (an inactive
        token, the other host, an optional field) is acted on once, then explained."""
        renewed = moved = dropped = False
        while True:
            try:
                return self._listing(bu_id)
            except AeError as exc:
                if exc.code == 184 and token_cause(exc.message) == "inactive" and not renewed and self.conn.can_renew:
                    renewed = True
                    self._renew(bu_id)
                elif exc.code == 201 and not moved and other_host(self.host) is not None:
                    moved = True
                    return self._on_other_host(bu_id, exc)
                elif OPTIONAL_FIELD.lower() in exc.message.lower() and not dropped and OPTIONAL_FIELD in self.fields:
                    dropped = True
                    self.fields = ",".join(f for f in self.fields.split(",") if f != OPTIONAL_FIELD)
                    self.warnings.append(f"Account Engagement refused the field {OPTIONAL_FIELD}: who last changed each "
                                         "Account Engagement user (updated_by_id) stays unknown")
                else:
                    raise

    def _listing(self, bu_id: str) -> list[dict[str, Any]]:
        try:
            return self._users(bu_id)
        except _StartOver:
            self.warnings.append(f"business unit {bu_id}: the page token expired, the user list was read again")
            try:
                return self._users(bu_id)
            except _StartOver as exc:
                raise PartFailed(str(exc)) from None

    def _renew(self, bu_id: str) -> None:
        try:
            self.conn.renew()
        except CollectError as exc:
            raise PartFailed(self.secrets.redact(str(exc))) from None
        except Exception as exc:  # a re-login refused or unreachable: the token stays inactive
            raise PartFailed(f"Account Engagement refused the access token for business unit {bu_id} (error 184, "
                             f"inactive token) and logging in again failed ({type(exc).__name__})") from None
        self.secrets.add(self.conn.access_token)
        self.warnings.append(f"business unit {bu_id}: Account Engagement said the token was inactive (error 184); "
                             "it was renewed and the list read again")

    def _on_other_host(self, bu_id: str, first: AeError) -> list[dict[str, Any]]:
        """Error 201 on the chosen host: the same read-only listing once on the other documented
        host. If it answers, it is used from here on, and the report says which host answered."""
        chosen, other = self.host, other_host(self.host)
        assert other is not None
        self.host = other
        try:
            users = self._listing(bu_id)
        except AeError as exc:
            self.host = chosen
            said = "" if exc.code == 201 else f"; on {other.base}: {exc}"
            raise PartFailed(self.secrets.redact(explain_error(201, first.message, bu_id, chosen, self.conn.method,
                                                               False)) + said) from None
        except PartFailed:
            self.host = chosen
            raise
        self.warnings.append(f"business unit {bu_id}: {chosen.base} answered error 201 (it was chosen because "
                             f"{chosen.why}); {other.base} answered, and is used for the rest of this run "
                             f"(--ae-api-url {other.base} chooses it directly)")
        self.host = AeHost(other.base, f"{chosen.base} answered error 201 and {other.base} answered")
        return users

    def _users(self, bu_id: str) -> list[dict[str, Any]]:
        url: str | None = f"{self.base}/api/v5/objects/users"
        params: dict[str, Any] | None = {"fields": self.fields, "deleted": "all", "limit": PAGE_SIZE, "orderBy": "id"}
        out: list[dict[str, Any]] = []
        while url:
            page = self._get(url, params, bu_id, paging=params is None or "nextPageToken" in params)
            values = page.get("values")
            if not isinstance(values, list):
                raise PartFailed(f"Account Engagement's answer for business unit {bu_id} has no `values` list")
            for v in values:
                if not isinstance(v, dict):
                    raise PartFailed(f"Account Engagement's answer for business unit {bu_id} is not a list of users")
                out.append(ae_user(v, bu_id))
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
                raise PartFailed(f"Account Engagement did not answer for business unit {bu_id} on {self.base} ({kind}) "
                                 f"after {plural(len(delays) + 1, 'attempt')}") from None
            try:
                body = response.json()
            except ValueError:
                raise PartFailed(f"Account Engagement answered HTTP {response.status_code} with something that is not "
                                 f"JSON for business unit {bu_id} on {self.base} (a proxy or an outage page?)") from None
            if response.status_code < 300 and isinstance(body, dict) and "code" not in body:
                self.answered = True
                return body
            raw = body.get("code") if isinstance(body, dict) else None
            code = raw if isinstance(raw, int) and not isinstance(raw, bool) else None
            message = str(body.get("message", "")) if isinstance(body, dict) else ""
            if code in PAGE_TOKEN_GONE and paging:
                raise _StartOver(self._explain(code, message, bu_id))
            if code in RETRYABLE and attempt < len(delays):
                self.sleep(_wait(response, delays[attempt]) if code == 202 else delays[attempt])
                continue
            if code is None and response.status_code >= 500:
                raise PartFailed(f"Account Engagement answered HTTP {response.status_code} for business unit {bu_id} "
                                 f"on {self.base} after {plural(len(delays) + 1, 'attempt')}")
            raise AeError(self._explain(code, message or f"HTTP {response.status_code}", bu_id), code, message)
        raise AeError(self._explain(code, "", bu_id), code, "")  # pragma: no cover

    def _explain(self, code: int | None, message: str, bu_id: str) -> str:
        return self.secrets.redact(explain_error(code, message, bu_id, self.host, self.conn.method, not self.answered))


def ae_user(v: dict[str, Any], bu_id: str) -> dict[str, Any]:
    """One user of the v5 answer as the snapshot keeps it. `role` in v5 holds the role's id:
    the name is `roleName`. Values of the wrong type are unknown (null), never guessed."""
    role = v.get("roleName")
    updater = v.get("updatedById")
    return {"id": v.get("id"), "business_unit_id": bu_id, "email": v.get("email"),
            "username": v.get("username") if isinstance(v.get("username"), str) and v.get("username") else None,
            "salesforce_id": v.get("salesforceId") or None,
            "role": role if isinstance(role, str) and role else None,
            "in_recycle_bin": in_recycle_bin(v.get("isDeleted")),
            "updated_at": _timestamp(v.get("updatedAt")),
            "updated_by_id": updater if isinstance(updater, int) and not isinstance(updater, bool) else None}


def _timestamp(value: Any) -> str | None:
    """AE's `2026-11-01T08:00:00-04:00` as the snapshot's UTC timestamp; anything unparseable
    (or without a time zone) is unknown."""
    if not isinstance(value, str):
        return None
    try:
        stamp = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if stamp.tzinfo is None:
        return None
    return stamp.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _wait(response: requests.Response, default: float) -> float:
    """The minute rate limit (202): wait as long as the server says (Retry-After), at most a minute."""
    try:
        return min(max(float(response.headers.get("Retry-After", "")), 0.0), MAX_RETRY_AFTER)
    except ValueError:
        return default
