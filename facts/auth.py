"""Logging in to Salesforce through simple-salesforce, four ways (docs/collecting.md):

- `--target-org ALIAS`: the Salesforce CLI's stored login (`sf org display --json`, and on a CLI
  that redacts its token there, `sf org auth show-access-token --json`: facts/sf_cli.py);
- username + password + security token (SOAP API login(), which Salesforce is retiring: a
  login refused because login() is off says so; simple-salesforce logs in again when the
  session expires);
- `--session-id` + `--instance-url` (an access token from elsewhere; cannot be refreshed);
- JWT bearer: `--consumer-key` + `--private-key-file` (+ username).

Secrets come from options, environment variables or a prompt without echo; each one is added
to the run's `Secrets` so every message can be scrubbed."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit
from xml.parsers.expat import ExpatError

from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceError

from .http import CallLog, CollectorSession, HttpPolicy, InsecureUrl, Secrets, require_https
from .sf_cli import CliFailed, CliLogin
import requests

# Every REST, Tooling and SOAP call uses this version. Password login is SOAP API login(),
# which "is not available in API versions 65.0 and later" (Platform SOAP API login()
# Retirement): the version stays below 65.0 while password login is offered, and nothing
# read here needs a newer one (PardotTenant needs 56.0).
API_VERSION = "59.0"

# What a refused password login says when login() itself is off (docs/collecting.md, "Password
# login is retiring"): its fault names login() and says it is disabled, not enabled or not
# available; or it names the "Use Any API Auth" permission that gates it from Summer '26.
_LOGIN_CALL = re.compile(r"\blogin\s*\(\s*\)|soap\s+api\s+login", re.IGNORECASE)
_LOGIN_OFF = re.compile(r"disabl|not\s+enabled|enable|not\s+available|unavailable|not\s+supported|retir", re.IGNORECASE)
_LOGIN_PERMISSION = re.compile(r"use\s+any\s+api\s+auth", re.IGNORECASE)
SOAP_LOGIN_RETIRING = (
    "Password login uses SOAP API login(), which Salesforce is retiring: it is disabled by default in orgs created "
    "from Winter '26, not available from API version 65.0, retired for every version in Summer '27, and from Summer "
    "'26 it needs the \"Use Any API Auth\" user permission where that is enforced (Salesforce's login() reference and "
    "\"Platform SOAP API login() Retirement\"). Log in another way: the Salesforce CLI (`sf org login web --alias "
    "ALIAS`, then `--target-org ALIAS`) or JWT bearer (`--username --consumer-key --private-key-file`). An admin can "
    "still turn it on (Setup > User Interface > \"Enable SOAP API login()\", which cannot be undone there and allows "
    "it to every integration of the org) until Summer '27")


def soap_login_unavailable(message: str) -> bool:
    """True when a refused login's text says that SOAP login() itself is off (disabled,
    unavailable, or gated by "Use Any API Auth"), whatever else the text holds."""
    if _LOGIN_PERMISSION.search(message):
        return True
    return bool(_LOGIN_CALL.search(message) and _LOGIN_OFF.search(message))


class CollectError(Exception):
    """A collection that cannot go on (login refused, nothing reachable). Exit 3."""


class NotInOrg(CollectError):
    """The engineer's input is wrong: a user or business unit that is not in the org, or a
    login/API URL that is not HTTPS. Exit 2."""


class PinnedSalesforce(Salesforce):
    """simple-salesforce whose REST host stays `--instance-url` after a re-login: its own
    `_refresh_session` resets `sf_instance` to the login's host but keeps the old `base_url`,
    so `query_more` (which uses `sf_instance`) would bypass the override."""

    pinned_instance: str | None = None

    def pin(self, instance_url: str) -> None:
        parts = urlsplit(instance_url)
        self.pinned_instance = parts.netloc or instance_url
        self._apply_pin()

    def _apply_pin(self) -> None:
        if not self.pinned_instance:
            return
        self.sf_instance = self.pinned_instance
        self.base_url = f"https://{self.sf_instance}/services/data/v{self.sf_version}/"
        self.tooling_url = f"{self.base_url}tooling/"
        self.apex_url = f"https://{self.sf_instance}/services/apexrest/"
        self.oauth2_url = f"https://{self.sf_instance}/services/oauth2/"

    def _refresh_session(self) -> None:
        super()._refresh_session()
        self._apply_pin()


@dataclass
class AuthOptions:
    target_org: str | None = None
    username: str | None = None
    password: str | None = None
    security_token: str | None = None
    session_id: str | None = None
    instance_url: str | None = None
    consumer_key: str | None = None
    private_key_file: str | None = None
    sandbox: bool = False
    login_url: str | None = None

    def method(self) -> str:
        if self.target_org:
            return "target-org"
        if self.session_id:
            return "session-id"
        if self.consumer_key or self.private_key_file:
            return "jwt"
        if self.username:
            return "password"
        raise CollectError("say how to log in: --target-org ALIAS, --username (with password and security token), "
                           "--session-id with --instance-url, or --consumer-key with --private-key-file")


@dataclass
class Connection:
    sf: Salesforce
    session: CollectorSession
    method: str
    refresh: Callable[[], None] | None = None  # re-login where the method allows

    @property
    def access_token(self) -> str:
        return self.sf.session_id

    @property
    def can_renew(self) -> bool:
        return self.refresh is not None or getattr(self.sf, "_salesforce_login_partial", None) is not None

    def renew(self) -> bool:
        """A new access token, where the login method can get one (the CLI again, or
        simple-salesforce's password or JWT login again); False for `--session-id`."""
        if self.refresh is not None:
            self.refresh()
            return True
        if getattr(self.sf, "_salesforce_login_partial", None) is not None:
            self.sf._refresh_session()
            return True
        return False


def _domain(opts: AuthOptions) -> tuple[str, str | None]:
    """simple-salesforce's `domain` and the login URL to route to (for non-salesforce.com hosts)."""
    if opts.login_url:
        url = opts.login_url if "//" in opts.login_url else f"https://{opts.login_url}"
        host = urlsplit(url).netloc
        if host.endswith(".salesforce.com"):
            return host[: -len(".salesforce.com")], None
        return ("test" if opts.sandbox else "login"), url
    return ("test" if opts.sandbox else "login"), None


def connect(opts: AuthOptions, policy: HttpPolicy, log: CallLog, secrets: Secrets) -> Connection:
    for value in (opts.password, opts.security_token, opts.session_id, opts.password and (opts.password + (opts.security_token or ""))):
        secrets.add(value)
    method = opts.method()
    try:
        # Refused before anything is sent: a cleartext login would carry the password.
        for url, what in ((opts.login_url, "--login-url"), (opts.instance_url, "--instance-url")):
            if url:
                require_https(url, what)
        domain, login_route = _domain(opts)
        session = CollectorSession(policy, log, login_route, secrets)
    except InsecureUrl as exc:
        raise NotInOrg(str(exc)) from None
    try:
        if method == "target-org":
            return _cli_connection(opts, session, secrets)
        if method == "session-id":
            if not opts.instance_url:
                raise CollectError("--session-id needs --instance-url (https://yourdomain.my.salesforce.com)")
            return Connection(Salesforce(session_id=opts.session_id, instance_url=opts.instance_url, session=session,
                                         version=API_VERSION), session, method)
        if method == "jwt":
            if not (opts.consumer_key and opts.private_key_file and opts.username):
                raise CollectError("JWT bearer login needs --consumer-key, --private-key-file and --username")
            sf = PinnedSalesforce(username=opts.username, consumer_key=opts.consumer_key,
                                  privatekey_file=opts.private_key_file, domain=domain, session=session, version=API_VERSION)
        else:
            if not (opts.password and opts.security_token is not None):
                raise CollectError("password login needs --password and --security-token (or their environment variables)")
            sf = PinnedSalesforce(username=opts.username, password=opts.password, security_token=opts.security_token,
                                  domain=domain, session=session, version=API_VERSION)
        secrets.add(sf.session_id)
        if opts.instance_url:  # a proxy in front of the org: every REST call goes there, re-logins included
            sf.pin(opts.instance_url)
        return Connection(sf, session, method)
    except InsecureUrl as exc:
        raise CollectError(f"could not log in ({method}): {secrets.redact(str(exc))}") from None
    except ExpatError:
        # simple-salesforce parses the SOAP answer as XML; an HTML page (a proxy's or a captive
        # portal's login page, an outage page) cannot be parsed.
        raise CollectError(f"could not log in ({method}): {_not_salesforce(session)}") from None
    except SalesforceAuthenticationFailed as exc:
        if _html_answer(session):  # well-formed HTML parses as XML, and then has no session id
            raise CollectError(f"could not log in ({method}): {_not_salesforce(session)}") from None
        said = secrets.redact(_auth_message(exc))
        if method == "password" and soap_login_unavailable(said):
            raise CollectError(f"Salesforce refused the password login: {said}. {SOAP_LOGIN_RETIRING}") from None
        raise CollectError(f"Salesforce refused the login ({method}): {said}") from None
    except SalesforceError as exc:
        raise CollectError(f"Salesforce refused the login ({method}): {secrets.redact(str(exc))}") from None
    except (OSError, ValueError) as exc:
        raise CollectError(f"could not log in ({method}): {secrets.redact(str(exc))}") from None
    except Exception as exc:  # requests' connection errors and timeouts
        if isinstance(exc, requests.RequestException):
            raise CollectError(f"could not reach Salesforce to log in ({method}): {secrets.redact(type(exc).__name__)}") from None
        raise


def _cli_connection(opts: AuthOptions, session: CollectorSession, secrets: Secrets) -> Connection:
    """`--target-org`: the CLI's token; a renewal asks the CLI again (`show-access-token`
    refreshes the login first on a current CLI)."""
    cli = CliLogin(opts.target_org or "", secrets)

    def build() -> Salesforce:
        try:
            token, url = cli.login()
        except CliFailed as exc:
            raise CollectError(str(exc)) from None
        require_https(url, "the instance URL from `sf org display`")
        return Salesforce(session_id=token, instance_url=opts.instance_url or url, session=session, version=API_VERSION)

    conn = Connection(build(), session, "target-org")

    def refresh() -> None:
        before = conn.sf.session_id
        conn.sf = build()
        if conn.sf.session_id == before:
            raise CollectError(f"the Salesforce CLI gave the same access token again after Salesforce refused it: the "
                               f"CLI's login for {opts.target_org} has expired or was revoked; log in again with "
                               f"`sf org login web --alias {opts.target_org}`")
    conn.refresh = refresh
    return conn


def _auth_message(exc: SalesforceAuthenticationFailed) -> str:
    """The server's own reason (simple-salesforce keeps it in `auth_message`; its `message` is
    only a template)."""
    code = getattr(exc, "code", None)
    message = str(getattr(exc, "auth_message", "") or "").strip()
    message = re.sub(r"\s+", " ", message)[:500] or "no reason given"
    return f"{code}: {message}" if code not in (None, "") else message


def _html_answer(session: CollectorSession) -> bool:
    if session.login_answer is None:
        return False
    _, content_type, head = session.login_answer
    head = head.lstrip().lower()
    return "html" in content_type.lower() or head.startswith(("<!doctype html", "<html")) or "<html" in head[:512]


def _not_salesforce(session: CollectorSession) -> str:
    status = f"HTTP {session.login_answer[0]}" if session.login_answer else "an answer"
    return (f"the login URL answered {status} with a page that is not a Salesforce login answer (HTML, not SOAP or "
            "OAuth): a proxy, a captive portal or an outage page is in the way; check --login-url, sign in to the "
            "network's portal, or set HTTPS_PROXY / REQUESTS_CA_BUNDLE for your proxy")
