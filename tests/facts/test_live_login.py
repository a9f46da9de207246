"""Live orgs, v2 (issue #16), logins and secrets: HTML login pages, the server's reason, HTTPS
only, tokens echoed in any encoding, re-login with --instance-url."""
from __future__ import annotations

import json

import pytest
import yaml

from tests.facts.fake_salesforce import N_USERS, PASSWORD, TOKEN
from tests.facts.test_collect import login
from tests.facts.test_faults import collect
from tests.conftest import cli




# -- logins --------------------------------------------------------------------------------------

HTML = "<!DOCTYPE html><html><head><title>Sign in to the guest network</title></head><body>Accept the terms</body></html>"
SLOPPY_HTML = "<html><head><meta charset=utf-8><title>Proxy login</title></head><body><form><input name=u></form>"


@pytest.mark.parametrize("page", [HTML, SLOPPY_HTML])
@pytest.mark.parametrize("status", ["200", "401"])
def test_an_html_login_page_is_exit_3_with_a_plain_message(fake_org, tmp_path, status, page):
    fake_org.login_page = page
    if status == "401":
        fake_org.fault("login-page-401", where="/services/Soap/")
    out = tmp_path / "org.yaml"
    r = cli("facts", "collect", "--out", str(out), *login(fake_org))
    assert r.exit_code == 3, r.stderr
    assert "captive portal" in r.stderr and "not a Salesforce login answer" in r.stderr
    assert "ExpatError" not in r.stderr and "internal error" not in r.stderr and "<html" not in r.stderr.lower()
    assert not out.exists()


def test_an_html_page_on_the_jwt_path_is_exit_3_too(fake_org, tmp_path):
    from tests.facts.test_faults import _jwt_key
    fake_org.login_page = HTML
    r = cli("facts", "collect", "--out", str(tmp_path / "o.json"), "--username", "admin@fake.example",
            "--consumer-key", "3MVG9key", "--private-key-file", str(_jwt_key(tmp_path)), "--login-url", fake_org.base_url)
    assert r.exit_code == 3 and "captive portal" in r.stderr


def test_a_failed_login_shows_the_servers_reason(fake_org, tmp_path):
    r = cli("facts", "collect", "--out", str(tmp_path / "o.yaml"), "--username", "admin@fake.example",
            "--password", "wrong-pass-42", "--security-token", TOKEN, "--login-url", fake_org.base_url)
    assert r.exit_code == 3
    assert "INVALID_LOGIN: Invalid username, password, security token; or user locked out." in r.stderr
    assert "Response content" not in r.stderr and "{content}" not in r.stderr


@pytest.mark.parametrize("option", ["--login-url", "--instance-url", "--ae-api-url"])
def test_a_cleartext_url_is_refused_before_anything_is_sent(fake_org, tmp_path, option):
    plain = fake_org.base_url.replace("https://", "http://")
    args = [a if a != fake_org.base_url else plain for a in login(fake_org)] if option == "--login-url" else \
        [*login(fake_org), option, plain]
    r = cli("facts", "collect", "--out", str(tmp_path / "o.yaml"), *args)
    assert r.exit_code == 2 and "not HTTPS" in r.stderr and "SYNCDOCTOR_ALLOW_HTTP_LOOPBACK" in r.stderr
    assert PASSWORD not in r.stderr + r.stdout
    assert fake_org.requests == []  # nothing, the password least of all, was sent


def test_cleartext_to_loopback_only_behind_the_test_flag(httpserver, tmp_path, monkeypatch):
    from tests.facts.fake_salesforce import FakeOrg
    org = FakeOrg(httpserver.url_for("/"))
    httpserver.expect_request(__import__("re").compile(".*")).respond_with_handler(org)
    args = ["facts", "collect", "--out", str(tmp_path / "o.yaml"), "--username", "admin@fake.example", "--password",
            PASSWORD, "--security-token", TOKEN, "--login-url", org.base_url, "--retries", "0", "--timeout", "2"]
    monkeypatch.delenv("SYNCDOCTOR_ALLOW_HTTP_LOOPBACK", raising=False)
    assert cli(*args).exit_code == 2 and org.logins == 0
    monkeypatch.setenv("SYNCDOCTOR_ALLOW_HTTP_LOOPBACK", "1")
    cli(*args)
    assert org.logins == 1  # the flag lets the login reach a loopback server over http


# -- secrets -------------------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["echo-plain", "echo-url", "echo-base64", "echo-lower", "echo-upper"])
def test_a_token_echoed_in_any_encoding_is_redacted_everywhere(fake_org, tmp_path, how):
    fake_org.fault(how, where="FROM+UserRole", times=1)
    fake_org.fault(how, where="/api/v5/", times=1)
    fake_org.limit_info_echo = how
    saved = tmp_path / "saved.yaml"
    r = cli("diagnose", "--org", *login(fake_org), "--all", "--format", "json", "--save-facts", str(saved))
    snap_out = tmp_path / "org.yaml"
    r2 = cli("facts", "collect", "--out", str(snap_out), *login(fake_org))
    echoed = fake_org.echo(how)
    for text in (r.stdout, r.stderr, r2.stdout, r2.stderr, saved.read_text(), snap_out.read_text()):
        assert echoed not in text and echoed.lower() not in text.lower()
        assert fake_org.token not in text
    assert "[redacted]" in saved.read_text()  # the echo was there, and was scrubbed
    assert "api-usage=" in r2.stderr and "appName" not in r2.stderr  # only the usage figures are shown


def test_relogin_keeps_the_instance_url_and_redacts_the_renewed_token(fake_org, tmp_path):
    instance = fake_org.base_url.replace("127.0.0.1", "localhost")
    fake_org.fault("expire", where="query/01g000003-100")  # mid-way through the users' pages
    fake_org.fault("echo-plain", where="FROM+Group+", times=1)  # quotes the renewed token
    out = tmp_path / "org.yaml"
    r = cli("facts", "collect", "--out", str(out), *login(fake_org), "--instance-url", instance)
    assert r.exit_code == 0, r.stderr
    assert fake_org.logins == 2
    rest_hosts = {h for h, p in fake_org.hosts if p.startswith("/services/data/")}
    assert rest_hosts == {"localhost"}  # the re-login did not move the pages back to the login's host
    data = yaml.safe_load(out.read_text())
    assert len(data["salesforce"]["users"]) == N_USERS + 1
    assert fake_org.token.endswith("2") and fake_org.token not in out.read_text() + r.stderr
    assert "[redacted]" in data["unknown_reasons"]["salesforce.public_groups"]


def test_json_output_of_an_echo_is_clean_too(fake_org, tmp_path):
    fake_org.fault("echo-url", where="/api/v5/", times=1)
    out = tmp_path / "org.json"
    r = cli("facts", "collect", "--out", str(out), *login(fake_org))
    assert r.exit_code == 0
    text = out.read_text()
    assert fake_org.echo("echo-url") not in text and "Access denied for token [redacted]" in json.loads(text)["unknown_reasons"]["account_engagement.users"]
