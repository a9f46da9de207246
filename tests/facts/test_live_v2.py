"""Live orgs, v2 (issue #16): every case the platform review found, reproduced on the local TLS
server and run through the real collector code over real HTTP."""
from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from syncdoctor.cli.main import app
from tests.facts.fake_salesforce import (BU_LEGACY, BU_MANAGED, N_USERS, ORG_ID, PASSWORD, TOKEN, add_user, sfid)
from tests.facts.test_collect import login
from tests.facts.test_faults import collect

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


# -- Account Engagement login and host ---------------------------------------------------------

def test_184_on_the_first_ae_call_after_a_good_login_names_the_pardot_api_scope(fake_org, tmp_path):
    fake_org.fault("ae184", where="/api/v5/", times=2)
    r, data = collect(fake_org, tmp_path)
    assert r.exit_code == 0, r.stderr
    reason = data["unknown_reasons"]["account_engagement.users"]
    assert fake_org.logins == 1  # the Salesforce login worked
    assert "first Account Engagement call" in reason and "pardot_api" in reason
    assert "SOAP session id" in reason and "not documented" in reason  # password login: unverified, said so
    assert data["account_engagement"]["users"] is None  # both BUs refused: unknown, not empty


def test_184_after_another_business_unit_answered_means_not_synced(fake_org, tmp_path):
    fake_org.fault("ae184", where="/api/v5/", after=3, times=1)  # the managed BU's 3 pages pass
    r, data = collect(fake_org, tmp_path)
    assert r.exit_code == 0, r.stderr
    reason = data["unknown_reasons"]["account_engagement.users"]
    assert BU_LEGACY in reason and "not synced to that business unit" in reason and "pardot_api" not in reason
    assert data["account_engagement"]["collected_business_units"] == [BU_MANAGED]


@pytest.mark.parametrize("org_type,sandbox,host", [("Developer Edition", False, "pi.demo.pardot.com"),
                                                   ("Enterprise Edition", True, "pi.demo.pardot.com"),
                                                   ("Enterprise Edition", False, "pi.pardot.com")])
def test_ae_host_follows_the_org_and_login_stays_at_login_salesforce_com(fake_org, tmp_path, real_hosts, org_type, sandbox, host):
    fake_org.organization_type, fake_org.is_sandbox = org_type, sandbox
    out = tmp_path / "org.yaml"
    r = run("facts", "collect", "--out", str(out), "--username", "admin@fake.example", "--password", PASSWORD,
            "--security-token", TOKEN, "--backoff", "0.01")
    assert r.exit_code == 0, r.stderr
    logins = {h for h, p in fake_org.hosts if p.startswith("/services/Soap/")}
    ae = {h for h, p in fake_org.hosts if p.startswith("/api/v5/")}
    assert logins == {"login.salesforce.com"} and ae == {host}
    data = yaml.safe_load(out.read_text())
    assert data["org"]["organization_type"] == org_type
    assert data["sources"]["account_engagement.users"]["via"].endswith(f"on https://{host}")
    assert f"Account Engagement host: https://{host}" in r.stderr


def test_201_in_a_developer_edition_org_names_the_host_and_why_without_moving_the_login(fake_org, tmp_path, real_hosts):
    fake_org.organization_type = "Developer Edition"
    fake_org.fault("ae201", where="/api/v5/", times=1)
    out = tmp_path / "org.yaml"
    r = run("facts", "collect", "--out", str(out), "--username", "admin@fake.example", "--password", PASSWORD,
            "--security-token", TOKEN, "--backoff", "0.01")
    assert r.exit_code == 0, r.stderr
    reason = yaml.safe_load(out.read_text())["unknown_reasons"]["account_engagement.users"]
    assert "on https://pi.demo.pardot.com" in reason and "Developer Edition org" in reason
    assert "--sandbox" not in reason and "--ae-api-url https://pi.pardot.com" in reason


# -- AE errors retried or explained ------------------------------------------------------------

@pytest.mark.parametrize("code", [183, 202, 214, 66, "183@400", "202@400", "214@400"])
def test_transient_ae_errors_are_retried(fake_org, tmp_path, code):
    # By the error code in the body, whatever the HTTP status (the transport retries only 5xx and 429).
    fake_org.fault(f"ae{code}", where="/api/v5/", times=2)
    r, data = collect(fake_org, tmp_path)
    assert r.exit_code == 0, r.stderr
    assert data["account_engagement"]["collected_business_units"] == [BU_MANAGED, BU_LEGACY]
    assert "unknown_reasons" not in data
    assert len(data["account_engagement"]["users"]) == 2 * (len(range(0, N_USERS, 3)) + 1)


@pytest.mark.parametrize("code,words", [(183, "internal error (183)"), (202, "per-minute API rate limit"),
                                        (214, "timed out (error 214)")])
def test_transient_ae_errors_that_persist_are_explained(fake_org, tmp_path, code, words):
    fake_org.fault(f"ae{code}", where="/api/v5/", times=100)
    r, data = collect(fake_org, tmp_path)
    assert r.exit_code == 0, r.stderr
    assert words in data["unknown_reasons"]["account_engagement.users"]
    assert data["account_engagement"]["users"] is None


@pytest.mark.parametrize("code", [210, 211])
def test_an_expired_or_invalid_page_token_starts_the_listing_again(fake_org, tmp_path, code):
    fake_org.fault(f"ae{code}", where="nextPageToken", times=1)
    r, data = collect(fake_org, tmp_path)
    assert r.exit_code == 0, r.stderr
    ae = data["account_engagement"]["users"]
    ids = [(a["business_unit_id"], a["id"]) for a in ae]
    assert len(ids) == len(set(ids)) == 2 * (len(range(0, N_USERS, 3)) + 1)  # no page twice, none lost
    assert "read again" in r.stderr


def test_a_page_token_that_keeps_expiring_is_explained(fake_org, tmp_path):
    fake_org.fault("ae210", where="nextPageToken", times=100)
    r, data = collect(fake_org, tmp_path)
    assert r.exit_code == 0, r.stderr
    assert "expired (error 210) again after the listing was started over" in data["unknown_reasons"]["account_engagement.users"]


# -- what is read, and what silently is not ----------------------------------------------------

def test_deleted_and_deprovisioned_business_units_are_skipped_and_listed(fake_org, tmp_path):
    gone = {"0Uv5e000000GONEAAA": "Deleted", "0Uv5e000000DEPRAAA": "Deprovisioned", "0Uv5e000000DINGAAA": "Deleting"}
    fake_org.model.tenants += [{"Id": i, "PardotTenantName": f"Old {s}", "CreationStatus": s} for i, s in gone.items()]
    r, data = collect(fake_org, tmp_path)
    assert r.exit_code == 0, r.stderr
    assert [bu["id"] for bu in data["business_units"]] == [BU_MANAGED, BU_LEGACY]
    assert "unknown_reasons" not in data  # no 201 from a deleted BU
    for bu_id, status in gone.items():
        assert f"skipped business unit {bu_id} (Old {status}): its CreationStatus is {status}" in r.stderr
    r, _ = collect(fake_org, tmp_path, "--business-unit", "Old Deleted", name="one.yaml")
    assert r.exit_code == 2 and "CreationStatus is Deleted" in r.stderr


def test_isdeleted_strings_are_coerced_strictly_and_role_ids_are_never_role_names(fake_org, tmp_path):
    rows = fake_org.model.ae_users[BU_MANAGED]
    cases = {"false": False, "true": True, "False": False, "TRUE": True, "yes": None, 0: None, None: None}
    for row, value in zip(rows, cases):
        row["isDeleted"] = value
    rows[0].pop("roleName")
    rows[0]["role"] = "00E5e0000000001AAA"  # v5's `role` holds an id
    rows[1]["roleName"] = None
    rows[1]["role"] = 7
    r, data = collect(fake_org, tmp_path)
    assert r.exit_code == 0, r.stderr
    got = {a["id"]: a for a in data["account_engagement"]["users"] if a["business_unit_id"] == BU_MANAGED}
    for row, want in zip(rows, cases.values()):
        assert got[row["id"]]["in_recycle_bin"] is want, row
    assert got[rows[0]["id"]]["role"] is None and got[rows[1]["id"]]["role"] is None
    assert got[rows[2]["id"]]["role"] == "Marketing"
    assert "3 Account Engagement users have an isDeleted that is neither true nor false" in r.stderr


def test_without_view_all_users_the_user_list_is_marked_incomplete(fake_org, tmp_path):
    fake_org.permissions["PermissionsViewAllUsers"] = False
    fake_org.hidden_users = {sfid("005", 10)}
    r, data = collect(fake_org, tmp_path)
    assert r.exit_code == 0, r.stderr
    assert len(data["salesforce"]["users"]) == N_USERS  # one hidden by User Sharing
    assert "View All Users" in data["incomplete_reasons"]["salesforce.users"]
    assert "may be incomplete" in r.stderr
    # A hidden user is not "not in the org": live, exit 3 with the reason ...
    r = run("diagnose", "--org", *login(fake_org), "--user", "user10@fake.example")
    assert r.exit_code == 3 and "View All Users" in r.stderr and "no Salesforce user has" not in r.stderr
    # ... and from the snapshot, the reason is given with the miss.
    r = run("diagnose", "--facts", str(tmp_path / "org.yaml"), "--user", "user10@fake.example")
    assert r.exit_code == 2 and "may be incomplete" in r.stderr and "View All Users" in r.stderr


def test_an_unreadable_permission_check_also_marks_the_list_incomplete(fake_org, tmp_path):
    fake_org.fault("forbidden", where="UserPermissionAccess", times=10)
    r, data = collect(fake_org, tmp_path)
    assert r.exit_code == 0, r.stderr
    assert "could not be checked" in data["incomplete_reasons"]["salesforce.users"]


def test_with_view_all_users_the_list_is_complete(fake_org, tmp_path):
    fake_org.hidden_users = {sfid("005", 10)}  # the collecting user can see them anyway
    r, data = collect(fake_org, tmp_path)
    assert r.exit_code == 0, r.stderr
    assert "incomplete_reasons" not in data and len(data["salesforce"]["users"]) == N_USERS + 1


def test_roles_missing_without_view_roles_stay_unknown(fake_org, tmp_path):
    fake_org.permissions["PermissionsViewRoles"] = False
    r, data = collect(fake_org, tmp_path)
    assert r.exit_code == 0, r.stderr
    assert data["salesforce"]["roles"] is None  # never an empty hierarchy
    assert "View Roles and Role Hierarchy" in data["unknown_reasons"]["salesforce.roles"]


def test_integration_user_is_excluded_and_other_kinds_are_reported(fake_org, tmp_path):
    m = fake_org.model
    add_user(m, 900, f"b2bmaintegration@{ORG_ID}.ext", "Standard", "Salesforce Integration")
    add_user(m, 901, "partner@fake.example", "PowerPartner", "Partner Community")
    add_user(m, 902, "chatter@fake.example", "CsnOnly", "Chatter Free")
    add_user(m, 903, "ident1@fake.example", "Standard", "Identity")
    add_user(m, 904, "ident2@fake.example", "Standard", "External Identity")
    r, data = collect(fake_org, tmp_path)
    assert r.exit_code == 0, r.stderr
    users = {u["username"]: u for u in data["salesforce"]["users"]}
    assert not any(n.startswith("b2bmaintegration@") for n in users)
    assert f"excluded b2bmaintegration@{ORG_ID}.ext: the B2BMA integration user" in r.stderr
    assert users["partner@fake.example"]["user_type"] == "PowerPartner"
    assert users["ident1@fake.example"]["license"] == "Identity"
    assert "1 partner portal user in the list" in r.stderr
    assert "1 Chatter (Chatter Free) user in the list" in r.stderr
    assert "2 Identity licence users in the list (they can be Account Engagement users: KB 000389098)" in r.stderr
    r = run("diagnose", "--facts", str(tmp_path / "org.yaml"), "--user", f"b2bmaintegration@{ORG_ID}.ext")
    assert r.exit_code == 2
    r = run("diagnose", "--org", *login(fake_org), "--user", f"b2bmaintegration@{ORG_ID}.ext")
    assert r.exit_code == 2 and "is the B2BMA integration user, never a user to diagnose" in r.stderr


def test_roles_returned_without_view_roles_are_not_trusted(fake_org, tmp_path):
    fake_org.permissions["PermissionsViewRoles"] = False
    fake_org.roles_without_permission = 3  # a partial hierarchy comes back
    r = run("diagnose", "--org", *login(fake_org), "--user", "user1@fake.example", "--save-facts", str(tmp_path / "s.yaml"))
    assert r.exit_code in (0, 1), r.stderr  # user1's role is among the three: no gap visible, still not trusted
    data = yaml.safe_load((tmp_path / "s.yaml").read_text())
    assert data["salesforce"]["roles"] is None
    assert "may be partial" in data["unknown_reasons"]["salesforce.roles"]


def test_an_unknown_permission_field_does_not_hide_the_others(fake_org, tmp_path):
    del fake_org.permissions["PermissionsViewRoles"]  # an org whose API lacks this field
    fake_org.permissions["PermissionsViewAllUsers"] = True
    r, data = collect(fake_org, tmp_path)
    assert r.exit_code == 0, r.stderr
    assert "incomplete_reasons" not in data  # View All Users was still read, one field at a time


def _all_internal_users(fake_org) -> str:
    org_group = sfid("00G", 90)
    fake_org.model.groups.append({"Id": org_group, "Name": "All Internal Users", "DeveloperName": "AllInternalUsers",
                                  "Type": "Organization", "RelatedId": None})
    fake_org.model.members.append({"GroupId": sfid("00G", 1), "UserOrGroupId": org_group})
    return org_group


def test_all_internal_users_is_expanded_by_user_type(fake_org, tmp_path):
    _all_internal_users(fake_org)
    add_user(fake_org.model, 901, "partner@fake.example", "PowerPartner", "Partner Community")
    r, data = collect(fake_org, tmp_path)
    assert r.exit_code == 0, r.stderr
    group1 = next(g for g in data["salesforce"]["public_groups"] if g["name"] == "Group 1")
    user_members = {m["id"] for m in group1["members"] if m["type"] == "user"}
    assert user_members == {u["Id"] for u in fake_org.model.users if u["UserType"] == "Standard"}
    assert sfid("005", 901) not in user_members
    assert {"type": "public_group", "id": sfid("00G", 2)} in group1["members"]


def test_all_internal_users_stays_unknown_when_users_may_be_hidden(fake_org, tmp_path):
    _all_internal_users(fake_org)
    fake_org.permissions["PermissionsViewAllUsers"] = False
    r, data = collect(fake_org, tmp_path)
    assert r.exit_code == 0, r.stderr
    group1 = next(g for g in data["salesforce"]["public_groups"] if g["name"] == "Group 1")
    assert group1["members"] is None
    reasons = [v for k, v in data["unknown_reasons"].items() if k.endswith(".members")]
    assert reasons and "All Internal Users" in reasons[0] and "View All Users" in reasons[0]


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
    r = run("facts", "collect", "--out", str(out), *login(fake_org))
    assert r.exit_code == 3, r.stderr
    assert "captive portal" in r.stderr and "not a Salesforce login answer" in r.stderr
    assert "ExpatError" not in r.stderr and "internal error" not in r.stderr and "<html" not in r.stderr.lower()
    assert not out.exists()


def test_an_html_page_on_the_jwt_path_is_exit_3_too(fake_org, tmp_path):
    from tests.facts.test_faults import _jwt_key
    fake_org.login_page = HTML
    r = run("facts", "collect", "--out", str(tmp_path / "o.json"), "--username", "admin@fake.example",
            "--consumer-key", "3MVG9key", "--private-key-file", str(_jwt_key(tmp_path)), "--login-url", fake_org.base_url)
    assert r.exit_code == 3 and "captive portal" in r.stderr


def test_a_failed_login_shows_the_servers_reason(fake_org, tmp_path):
    r = run("facts", "collect", "--out", str(tmp_path / "o.yaml"), "--username", "admin@fake.example",
            "--password", "wrong-pass-42", "--security-token", TOKEN, "--login-url", fake_org.base_url)
    assert r.exit_code == 3
    assert "INVALID_LOGIN: Invalid username, password, security token; or user locked out." in r.stderr
    assert "Response content" not in r.stderr and "{content}" not in r.stderr


@pytest.mark.parametrize("option", ["--login-url", "--instance-url", "--ae-api-url"])
def test_a_cleartext_url_is_refused_before_anything_is_sent(fake_org, tmp_path, option):
    plain = fake_org.base_url.replace("https://", "http://")
    args = [a if a != fake_org.base_url else plain for a in login(fake_org)] if option == "--login-url" else \
        [*login(fake_org), option, plain]
    r = run("facts", "collect", "--out", str(tmp_path / "o.yaml"), *args)
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
    assert run(*args).exit_code == 2 and org.logins == 0
    monkeypatch.setenv("SYNCDOCTOR_ALLOW_HTTP_LOOPBACK", "1")
    run(*args)
    assert org.logins == 1  # the flag lets the login reach a loopback server over http


# -- secrets -------------------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["echo-plain", "echo-url", "echo-base64", "echo-lower", "echo-upper"])
def test_a_token_echoed_in_any_encoding_is_redacted_everywhere(fake_org, tmp_path, how):
    fake_org.fault(how, where="FROM+UserRole", times=1)
    fake_org.fault(how, where="/api/v5/", times=1)
    fake_org.limit_info_echo = how
    saved = tmp_path / "saved.yaml"
    r = run("diagnose", "--org", *login(fake_org), "--all", "--format", "json", "--save-facts", str(saved))
    snap_out = tmp_path / "org.yaml"
    r2 = run("facts", "collect", "--out", str(snap_out), *login(fake_org))
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
    r = run("facts", "collect", "--out", str(out), *login(fake_org), "--instance-url", instance)
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
    r = run("facts", "collect", "--out", str(out), *login(fake_org))
    assert r.exit_code == 0
    text = out.read_text()
    assert fake_org.echo("echo-url") not in text and "Access denied for token [redacted]" in json.loads(text)["unknown_reasons"]["account_engagement.users"]
