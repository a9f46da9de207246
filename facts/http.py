"""The HTTP layer every collector shares: one `requests.Session` with a default timeout,
transport-level retries (urllib3's `Retry`) for what retrying can fix, a call counter, and
host routing for `--login-url` (simple-salesforce always logs in at `{domain}.salesforce.com`).

Secrets never leave this module in messages: `redact()` removes every secret the run knows
from any text before it is shown."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

# What retrying can help with at the transport level, for GETs only: a login POST answered
# with a SOAP fault (HTTP 500, INVALID_LOGIN) must never be retried (account lockout).
# 403 REQUEST_LIMIT_EXCEEDED and AE's error 66 need the body to decide, so the collectors
# retry those, not the transport.
RETRY_STATUSES = (500, 502, 503, 504)


@dataclass
class HttpPolicy:
    timeout: float = 30.0
    retries: int = 3
    backoff: float = 0.5  # seconds; doubles on each retry

    def delays(self) -> list[float]:
        return [self.backoff * (2 ** i) for i in range(self.retries)]


@dataclass
class CallLog:
    """Every HTTP call the run made (method, host-less path, status), for the closing report."""

    calls: list[tuple[str, str, int]] = field(default_factory=list)
    api_usage: str | None = None

    def count(self, prefix: str = "") -> int:
        return sum(1 for _, path, _ in self.calls if path.startswith(prefix))


class CollectorSession(requests.Session):
    """A Session that applies the policy's timeout to every request and rewrites the login
    host when `--login-url` names a non-salesforce.com host (a proxy, or the test server)."""

    def __init__(self, policy: HttpPolicy, log: CallLog, login_url: str | None = None):
        super().__init__()
        self.policy = policy
        self.log = log
        self.login_base = login_url.rstrip("/") if login_url else None
        retry = Retry(total=policy.retries, connect=policy.retries, read=policy.retries,
                      status=policy.retries, backoff_factor=policy.backoff, backoff_max=30,
                      status_forcelist=RETRY_STATUSES, allowed_methods=frozenset({"GET"}),
                      raise_on_status=False, respect_retry_after_header=True)
        adapter = HTTPAdapter(max_retries=retry)
        self.mount("https://", adapter)
        self.mount("http://", adapter)
        self.hooks["response"].append(self._record)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self.policy.timeout)
        url = url.decode() if isinstance(url, bytes) else url
        if self.login_base:
            url = re.sub(r"^https://[^/]+\.salesforce\.com(?=/services/(Soap|oauth2)/)", self.login_base, url)
        return super().request(method, url, *args, **kwargs)

    def _record(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        parts = urlsplit(response.url)
        self.log.calls.append((response.request.method or "GET", parts.path, response.status_code))
        usage = response.headers.get("Sforce-Limit-Info")
        if usage:
            self.log.api_usage = usage
        return response


class Secrets:
    """The secret values of one run, so that any message can be scrubbed before it is shown."""

    def __init__(self) -> None:
        self._values: set[str] = set()

    def add(self, value: str | None) -> None:
        if value and len(value) >= 4:
            self._values.add(value)

    def redact(self, text: str) -> str:
        for value in sorted(self._values, key=len, reverse=True):
            text = text.replace(value, "[redacted]")
        # Bearer tokens and SOAP session ids that reached a message some other way.
        text = re.sub(r"(Bearer\s+)[A-Za-z0-9!._\-]+", r"\1[redacted]", text)
        return re.sub(r"(<sessionId>)[^<]*(</sessionId>)", r"\1[redacted]\2", text)
