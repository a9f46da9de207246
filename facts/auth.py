"""Logging in to Salesforce through simple-salesforce, four ways (docs/collecting.md):

- `--target-org ALIAS`: the Salesforce CLI's stored login (`sf org display --json`);
- username + password + security token (SOAP login; simple-salesforce logs in again when the
  session expires);
- `--session-id` + `--instance-url` (an access token from elsewhere; cannot be refreshed);
- JWT bearer: `--consumer-key` + `--private-key-file` (+ username).

Secrets come from options, environment variables or a prompt without echo; each one is added
to the run's `Secrets` so every message can be scrubbed."""
from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import urlsplit

from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceError

from .http import CallLog, CollectorSession, HttpPolicy, Secrets

API_VERSION = "59.0"


class CollectError(Exception):
    """A collection that cannot go on (login refused, nothing reachable). Exit 3."""


class NotInOrg(CollectError):
    """The user or business unit asked for is not in the org: the engineer's input. Exit 2."""


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


def _domain(opts: AuthOptions) -> tuple[str, str | None]:
    """simple-salesforce's `domain` and the login URL to route to (for non-salesforce.com hosts)."""
    if opts.login_url:
        host = urlsplit(opts.login_url).netloc or opts.login_url
        if host.endswith(".salesforce.com"):
            return host[: -len(".salesforce.com")], None
        return ("test" if opts.sandbox else "login"), opts.login_url
    return ("test" if opts.sandbox else "login"), None


def sf_cli_login(alias: str, secrets: Secrets, runner: Callable[..., Any] = subprocess.run) -> tuple[str, str]:
    """Access token and instance URL from the Salesforce CLI (`sf org display`)."""
    exe = shutil.which("sf")
    if exe is None:
        raise CollectError("--target-org needs the Salesforce CLI (`sf`) on PATH; install it or use another login option")
    try:
        proc = runner([exe, "org", "display", "--target-org", alias, "--json"], capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        raise CollectError(f"`sf org display --target-org {alias}` did not answer within 120 s") from None
    try:
        doc = json.loads(proc.stdout or "{}")
    except json.JSONDecodeError:
        doc = {}
    result = doc.get("result") or {}
    token, url = result.get("accessToken"), result.get("instanceUrl")
    secrets.add(token)
    if proc.returncode != 0 or not token or not url:
        why = doc.get("message") or (proc.stderr or "").strip().splitlines()[-1:] or ["no access token in its output"]
        raise CollectError(f"`sf org display --target-org {alias}` failed: {secrets.redact(str(why if isinstance(why, str) else why[0]))}")
    return token, url


def connect(opts: AuthOptions, policy: HttpPolicy, log: CallLog, secrets: Secrets) -> Connection:
    for value in (opts.password, opts.security_token, opts.session_id):
        secrets.add(value)
    method = opts.method()
    domain, login_route = _domain(opts)
    session = CollectorSession(policy, log, login_route)
    try:
        if method == "target-org":
            token, url = sf_cli_login(opts.target_org or "", secrets)
            conn = Connection(Salesforce(session_id=token, instance_url=opts.instance_url or url, session=session,
                                         version=API_VERSION), session, method)

            def refresh() -> None:
                new_token, new_url = sf_cli_login(opts.target_org or "", secrets)
                conn.sf = Salesforce(session_id=new_token, instance_url=opts.instance_url or new_url, session=session,
                                     version=API_VERSION)
            conn.refresh = refresh
            return conn
        if method == "session-id":
            if not opts.instance_url:
                raise CollectError("--session-id needs --instance-url (https://yourdomain.my.salesforce.com)")
            return Connection(Salesforce(session_id=opts.session_id, instance_url=opts.instance_url, session=session,
                                         version=API_VERSION), session, method)
        if method == "jwt":
            if not (opts.consumer_key and opts.private_key_file and opts.username):
                raise CollectError("JWT bearer login needs --consumer-key, --private-key-file and --username")
            sf = Salesforce(username=opts.username, consumer_key=opts.consumer_key, privatekey_file=opts.private_key_file,
                            domain=domain, session=session, version=API_VERSION)
        else:
            if not (opts.password and opts.security_token is not None):
                raise CollectError("password login needs --password and --security-token (or their environment variables)")
            sf = Salesforce(username=opts.username, password=opts.password, security_token=opts.security_token,
                            domain=domain, session=session, version=API_VERSION)
        secrets.add(sf.session_id)
        if opts.instance_url:  # a proxy in front of the org: every REST call goes there
            sf.sf_instance = urlsplit(opts.instance_url).netloc or opts.instance_url
            sf.base_url = f"https://{sf.sf_instance}/services/data/v{sf.sf_version}/"
        return Connection(sf, session, method)
    except SalesforceAuthenticationFailed as exc:
        raise CollectError(f"Salesforce refused the login ({method}): {secrets.redact(_auth_message(exc))}") from None
    except SalesforceError as exc:
        raise CollectError(f"Salesforce refused the login ({method}): {secrets.redact(str(exc))}") from None
    except (OSError, ValueError) as exc:
        raise CollectError(f"could not log in ({method}): {secrets.redact(str(exc))}") from None
    except Exception as exc:  # requests' connection errors and timeouts
        import requests
        if isinstance(exc, requests.RequestException):
            raise CollectError(f"could not reach Salesforce to log in ({method}): {secrets.redact(type(exc).__name__)}") from None
        raise


def _auth_message(exc: SalesforceAuthenticationFailed) -> str:
    code = getattr(exc, "code", "")
    message = getattr(exc, "message", "") or str(exc)
    return f"{code}: {message}" if code else message
