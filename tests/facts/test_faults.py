"""Failures lose nothing and invent nothing: each injected fault is retried where retrying can
help, explained where it cannot, and a part that cannot be read becomes unknown (with its
reason), never an empty list."""
from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest
import yaml

from syncdoctor.cli.main import app
from syncdoctor.facts.snapshot import load_snapshot
from tests.facts.fake_salesforce import BU_LEGACY, BU_MANAGED, N_USERS, PASSWORD, TOKEN
from tests.facts.test_collect import login
from tests.conftest import runner



def collect(org, tmp_path, *extra: str, name: str = "org.yaml"):
    out = tmp_path / name
    r = runner.invoke(app, ["facts", "collect", "--out", str(out), *login(org), *extra], catch_exceptions=False)
    data = yaml.safe_load(out.read_text()) if out.exists() else None
    return r, data


def test_expired_session_logs_in_again(fake_org, tmp_path):
    fake_org.fault("expire", where="FROM+UserRole")
    r, data = collect(fake_org, tmp_path)
    assert r.exit_code == 0, r.stderr
    assert fake_org.logins == 2 and len(data["salesforce"]["roles"]) == 8


@pytest.mark.parametrize("status", ["500", "503"])
def test_server_errors_are_retried(fake_org, tmp_path, status):
    fake_org.fault(status, where="FROM+UserRole", times=2)
    r, data = collect(fake_org, tmp_path)
    assert r.exit_code == 0, r.stderr
    assert len(data["salesforce"]["roles"]) == 8
    assert sum("FROM+UserRole" in p for _, p in fake_org.requests) == 3


def test_concurrency_limit_is_retried_but_daily_limit_is_not(fake_org, tmp_path):
    fake_org.fault("limit", where="FROM+UserRole", times=2)
    fake_org.fault("daily-limit", where="FROM+Group+", times=1)
    r, data = collect(fake_org, tmp_path)
    assert r.exit_code == 0, r.stderr
    assert len(data["salesforce"]["roles"]) == 8
    assert data["salesforce"]["public_groups"] is None  # unknown, not empty
    assert "request limit is exhausted" in data["unknown_reasons"]["salesforce.public_groups"]
    assert sum("FROM+Group+" in p for _, p in fake_org.requests) == 1
    assert "MANAGED_NOT_ASSIGNED" in r.stderr  # which diagnoses it affects


def test_a_page_failing_midway_makes_the_part_unknown(fake_org, tmp_path):
    fake_org.fault("500", where="query/01g000003-", after=1, times=10)  # cursors: org, permissions, tenants, users
    r, data = collect(fake_org, tmp_path)
    assert r.exit_code == 0, r.stderr
    assert data["salesforce"]["users"] is None
    assert "HTTP 500" in data["unknown_reasons"]["salesforce.users"]
    assert data["salesforce"]["roles"]  # the other parts are kept


def test_slow_answers_time_out_and_are_retried(fake_org, tmp_path):
    fake_org.delay = 1.5
    fake_org.fault("slow", where="FROM+UserRole", times=1)
    r, data = collect(fake_org, tmp_path)
    assert r.exit_code == 0, r.stderr
    assert len(data["salesforce"]["roles"]) == 8


def test_malformed_json_is_reported(fake_org, tmp_path):
    fake_org.fault("badjson", where="FROM+UserRole", times=1)
    r, data = collect(fake_org, tmp_path)
    assert r.exit_code == 0, r.stderr
    assert data["salesforce"]["roles"] is None
    assert "not JSON" in data["unknown_reasons"]["salesforce.roles"]


def test_tooling_forbidden_keeps_named_business_units(fake_org, tmp_path):
    fake_org.fault("forbidden", where="tooling/query", times=1)
    r, data = collect(fake_org, tmp_path, "--business-unit", BU_MANAGED)
    assert r.exit_code == 0, r.stderr
    assert data["business_units"] == [{"id": BU_MANAGED}]
    assert "lacks a permission" in data["unknown_reasons"]["business_units"]
    fake_org.fault("forbidden", where="tooling/query", times=1)
    r, _ = collect(fake_org, tmp_path, name="none.yaml")
    assert r.exit_code == 3 and "no business unit" in r.stderr
    assert not (tmp_path / "none.yaml").exists()


@pytest.mark.parametrize("code,words", [(184, "pardot_api OAuth scope"), (201, "Developer Edition orgs use https://pi.demo.pardot.com"),
                                        (122, "daily API limit"), (46, "Admin > User > View"), (49, "Admin > User > View")])
def test_account_engagement_errors_are_explained(fake_org, tmp_path, code, words):
    fake_org.fault(f"ae{code}", where="/api/v5/", times=1)
    r, data = collect(fake_org, tmp_path)
    assert r.exit_code == 0, r.stderr
    assert data["account_engagement"]["collected_business_units"] == [BU_LEGACY]
    assert words in data["unknown_reasons"]["account_engagement.users"]
    # The managed BU's AE users are unknown; the legacy BU's are known.
    snap = load_snapshot(tmp_path / "org.yaml")
    user = snap.find_user("user4@fake.example")
    known = {bu["id"]: snap.factset(user, i, None).known_lists for i, bu in enumerate(snap.business_units)}
    assert "ae_users" not in known[BU_MANAGED] and "ae_users" in known[BU_LEGACY]


def test_account_engagement_concurrency_is_retried(fake_org, tmp_path):
    fake_org.fault("ae66", where="/api/v5/", times=2)
    r, data = collect(fake_org, tmp_path)
    assert r.exit_code == 0, r.stderr
    assert data["account_engagement"]["collected_business_units"] == [BU_MANAGED, BU_LEGACY]
    assert "unknown_reasons" not in data


def test_wrong_password_is_exit_3_and_never_retried(fake_org, tmp_path):
    out = tmp_path / "org.yaml"
    out.write_text("previous snapshot\n")
    r = runner.invoke(app, ["facts", "collect", "--out", str(out), "--username", "admin@fake.example",
                            "--password", "wrong-password-123", "--security-token", TOKEN,
                            "--login-url", fake_org.base_url, "--backoff", "0.01"], catch_exceptions=False)
    assert r.exit_code == 3 and "INVALID_LOGIN" in r.stderr
    assert sum("/services/Soap/" in p for _, p in fake_org.requests) == 1
    assert out.read_text() == "previous snapshot\n"  # nothing lost
    assert "wrong-password-123" not in r.stderr + r.stdout


def test_session_id_login_cannot_relogin_and_says_so(fake_org, tmp_path):
    out = tmp_path / "org.yaml"
    fake_org.fault("expire", where="FROM+UserRole")
    r = runner.invoke(app, ["facts", "collect", "--out", str(out), "--session-id", fake_org.token,
                            "--instance-url", fake_org.base_url, "--ae-api-url", fake_org.base_url, "--backoff", "0.01"],
                      catch_exceptions=False)
    assert r.exit_code == 0, r.stderr
    data = yaml.safe_load(out.read_text())
    assert data["salesforce"]["roles"] is None and "cannot log in again" in data["unknown_reasons"]["salesforce.roles"]


# `sf org display --json` of Salesforce CLI 2.136.8 and later puts this in place of the token
# (salesforcecli/plugin-org, messages/secrets-redacted.md).
REDACTED = "[REDACTED] Use 'sf org auth show-access-token' to view"
SHOW_TOKEN_WARNING = ("This command exposes a sensitive Access Token that allows for subsequent activity using your "
                      "current authenticated session.")


def fake_sf_cli(fake_org, tmp_path, monkeypatch, generation: str = "current") -> Path:
    """A Salesforce CLI on PATH for alias `fake`, answering with the fake org's current token.

    - "current" (2.136.8+): `sf org display` redacts the token; `sf org auth show-access-token
      --json` gives it (and warns on stderr);
    - "old": `sf org display` gives the token; `org auth show-access-token` does not exist;
    - "between": redacts the token but has no show-access-token (a broken install).
    Every command line is appended to the returned log file."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    token_file, log = tmp_path / "token", tmp_path / "sf-calls.log"
    token_file.write_text(fake_org.token)
    fake_org.token_file = token_file
    display = {"id": "00D5e000000FAKEEAA", "apiVersion": "66.0", "instanceUrl": fake_org.base_url,
               "username": "admin@fake.example", "clientId": "PlatformCLI", "connectedStatus": "Connected", "alias": "fake"}
    sf = bin_dir / "sf"
    sf.write_text(f"""#!{sys.executable}
import json, sys
args = sys.argv[1:]
open({str(log)!r}, "a").write(" ".join(args) + "\\n")
token = open({str(token_file)!r}).read()
generation = {generation!r}
if args == ["org", "display", "--target-org", "fake", "--json"]:
    result = dict({display!r}, accessToken=token if generation == "old" else {REDACTED!r})
    print(json.dumps({{"status": 0, "result": result, "warnings": []}}))
elif args == ["org", "auth", "show-access-token", "--target-org", "fake", "--json"] and generation == "current":
    sys.stderr.write("Warning: " + {SHOW_TOKEN_WARNING!r} + "\\n")
    print(json.dumps({{"status": 0, "result": {{"accessToken": token}}, "warnings": [{SHOW_TOKEN_WARNING!r}]}}))
else:
    print(json.dumps({{"name": "CommandNotFoundError", "message": "command " + ":".join(args[:3]) + " not found",
                      "status": 127}}))
    sys.exit(127)
""")
    sf.chmod(sf.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return log


def test_target_org_uses_the_salesforce_cli_and_asks_it_again_when_the_session_expires(fake_org, tmp_path, monkeypatch):
    fake_sf_cli(fake_org, tmp_path, monkeypatch)
    fake_org.fault("expire", where="FROM+UserRole")
    out = tmp_path / "org.yaml"
    r = runner.invoke(app, ["facts", "collect", "--out", str(out), "--target-org", "fake", "--ae-api-url", fake_org.base_url],
                      catch_exceptions=False)
    assert r.exit_code == 0, r.stderr
    data = yaml.safe_load(out.read_text())
    assert len(data["salesforce"]["users"]) == N_USERS + 1
    assert len(data["salesforce"]["roles"]) == 8  # read again with the renewed token
    assert "unknown_reasons" not in data


def _jwt_key(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = tmp_path / "server.key"
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return pem


def test_jwt_bearer_login(fake_org, tmp_path):
    pem = _jwt_key(tmp_path)
    out = tmp_path / "org.json"
    r = runner.invoke(app, ["facts", "collect", "--out", str(out), "--username", "admin@fake.example", "--consumer-key", "3MVG9key",
                            "--private-key-file", str(pem), "--login-url", fake_org.base_url, "--ae-api-url", fake_org.base_url],
                      catch_exceptions=False)
    assert r.exit_code == 0, r.stderr
    assert fake_org.logins == 1 and json.loads(out.read_text())["snapshot_version"] == 1
