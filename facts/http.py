"""The HTTP layer every collector shares: one `requests.Session` with a default timeout,
transport-level retries (urllib3's `Retry`) for what retrying can fix, a call counter, and
host routing for `--login-url` (simple-salesforce always logs in at `{domain}.salesforce.com`).

Secrets never leave this module in messages: `redact()` removes every secret the run knows,
in every encoding a server may echo it in, from any text before it is shown. Every bearer
token the session sends is learnt on the way out, so a token renewed by a re-login is
redacted too."""
from __future__ import annotations

import base64
import ipaddress
import os
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

# What retrying can help with at the transport level, for GETs only: a login POST answered
# with a SOAP fault (HTTP 500, INVALID_LOGIN) must never be retried (account lockout).
# 403 REQUEST_LIMIT_EXCEEDED and AE's error 66 need the body to decide, so the collectors
# retry those, not the transport.
RETRY_STATUSES = (500, 502, 503, 504)

# Plain http:// is allowed only to a loopback host, and only when this variable is "1": a
# local test server (docs/collecting.md). Passwords and tokens never go over cleartext otherwise.
INSECURE_LOOPBACK_ENV = "SYNCDOCTOR_ALLOW_HTTP_LOOPBACK"


class InsecureUrl(ValueError):
    """A login or API URL that would send secrets in cleartext."""


def require_https(url: str, what: str) -> str:
    """`url` when it is https (or http to loopback under the test flag); InsecureUrl otherwise."""
    parts = urlsplit(url if "//" in url else f"https://{url}")
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname and _loopback(parts.hostname) and os.environ.get(INSECURE_LOOPBACK_ENV) == "1":
        return url
    if parts.scheme == "http":
        raise InsecureUrl(f"{what} {url} is not HTTPS: the password, security token and access token would travel "
                          f"in cleartext; use https:// (a local test server on 127.0.0.1 may use http:// only with "
                          f"{INSECURE_LOOPBACK_ENV}=1)")
    raise InsecureUrl(f"{what} {url} is not an https:// URL")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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
    api_usage: str | None = None  # only the "used/limit" figures, never the raw header

    def count(self, prefix: str = "") -> int:
        return sum(1 for _, path, _ in self.calls if path.startswith(prefix))


class Secrets:
    """The secret values of one run, so that any message can be scrubbed before it is shown."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def add(self, value: str | None) -> None:
        if value and len(value) >= 4 and value not in self._values:
            self._values.add(value)
            self._pattern = None

    def _variants(self) -> set[str]:
        """Each secret as a server or a library may echo it: URL-encoded (both styles), base64
        (standard and URL-safe, with and without padding). Case is handled by the pattern."""
        out: set[str] = set()
        for v in self._values:
            raw = v.encode()
            out |= {v, quote(v, safe=""), quote_plus(v), quote(v)}
            for enc in (base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()):
                out |= {enc, enc.rstrip("=")}
        return {x for x in out if len(x) >= 4}

    def redact(self, text: str) -> str:
        if self._values:
            if self._pattern is None:
                alternatives = sorted(self._variants(), key=len, reverse=True)
                # Case-folded: a token lower- or upper-cased by a proxy or a log line is still the token.
                self._pattern = re.compile("|".join(re.escape(a) for a in alternatives), re.IGNORECASE)
            text = self._pattern.sub("[redacted]", text)
        # Bearer tokens and SOAP session ids that reached a message some other way.
        text = re.sub(r"(Bearer\s+)[A-Za-z0-9!._\-%+/=]+", r"\1[redacted]", text, flags=re.IGNORECASE)
        return re.sub(r"(<sessionId>)[^<]*(</sessionId>)", r"\1[redacted]\2", text, flags=re.IGNORECASE)


_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")


class CollectorSession(requests.Session):
    """A Session that applies the policy's timeout to every request, refuses cleartext URLs,
    rewrites the login host when `--login-url` names a non-salesforce.com host (a proxy, or the
    test server), and learns every bearer token it sends (so renewed tokens are redacted)."""

    def __init__(self, policy: HttpPolicy, log: CallLog, login_url: str | None = None, secrets: Secrets | None = None):
        super().__init__()
        self.policy = policy
        self.log = log
        self.secrets = secrets
        self.login_answer: tuple[int, str, str] | None = None  # status, content type, start of body
        self.login_base = require_https(login_url, "the login URL").rstrip("/") if login_url else None
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
        require_https(url, "the URL")  # an instance URL or page link from a server is checked too
        headers = kwargs.get("headers") or {}
        auth = headers.get("Authorization") if hasattr(headers, "get") else None
        if self.secrets is not None and isinstance(auth, str) and auth.lower().startswith("bearer "):
            self.secrets.add(auth[7:].strip())
        return super().request(method, url, *args, **kwargs)

    def _record(self, response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        parts = urlsplit(response.url)
        self.log.calls.append((response.request.method or "GET", parts.path, response.status_code))
        if parts.path.startswith(("/services/Soap/", "/services/oauth2/")):
            # Kept to tell a login refused by Salesforce from a page that is not Salesforce at all.
            head = response.content[:1024].decode("utf-8", "replace")
            self.login_answer = (response.status_code, response.headers.get("Content-Type", ""), head)
        auth = response.request.headers.get("Authorization", "")
        if self.secrets is not None and auth.lower().startswith("bearer "):
            self.secrets.add(auth[7:].strip())
        # Only the figures are kept: the header is server text and may carry anything.
        usage = _USAGE.search(response.headers.get("Sforce-Limit-Info") or "")
        if usage:
            self.log.api_usage = f"api-usage={usage.group(1)}/{usage.group(2)}"
        return response
