"""Live orgs, v2 (issue #16), Account Engagement: the token's scope, the host, and every documented
error code retried or explained; on the local TLS server, through the real collector over real HTTP."""
from __future__ import annotations

import pytest
import yaml

from tests.facts.fake_salesforce import BU_LEGACY, BU_MANAGED, N_USERS, PASSWORD, TOKEN
from tests.facts.test_collect import login
from tests.facts.test_faults import collect
from tests.conftest import cli




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


def test_184_with_the_salesforce_cli_login_gives_the_sfdx_auth_scopes_fix(fake_org, tmp_path, monkeypatch):
    from tests.facts.test_faults import fake_sf_cli
    fake_sf_cli(fake_org, tmp_path, monkeypatch)
    fake_org.fault("ae184", where="/api/v5/", times=2)
    out = tmp_path / "org.yaml"
    r = cli("facts", "collect", "--out", str(out), "--target-org", "fake", "--ae-api-url", fake_org.base_url)
    assert r.exit_code == 0, r.stderr
    reason = yaml.safe_load(out.read_text())["unknown_reasons"]["account_engagement.users"]
    assert "refresh_token api web" in reason and 'SFDX_AUTH_SCOPES="refresh_token api web pardot_api"' in reason


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
    r = cli("facts", "collect", "--out", str(out), "--username", "admin@fake.example", "--password", PASSWORD,
            "--security-token", TOKEN, "--backoff", "0.01")
    assert r.exit_code == 0, r.stderr
    logins = {h for h, p in fake_org.hosts if p.startswith("/services/Soap/")}
    ae = {h for h, p in fake_org.hosts if p.startswith("/api/v5/")}
    assert logins == {"login.salesforce.com"} and ae == {host}
    data = yaml.safe_load(out.read_text())
    assert data["org"]["organization_type"] == org_type
    assert data["sources"]["account_engagement.users"]["via"].endswith(f"on https://{host}")
    assert f"Account Engagement host: https://{host}" in r.stderr


def test_201_on_the_chosen_host_tries_the_other_host_once_and_says_which_answered(fake_org, tmp_path, real_hosts):
    fake_org.organization_type = "Developer Edition"  # so pi.demo.pardot.com is chosen ...
    fake_org.ae_home = "pi.pardot.com"                 # ... but this org's AE lives on production
    out = tmp_path / "org.yaml"
    r = cli("facts", "collect", "--out", str(out), "--username", "admin@fake.example", "--password", PASSWORD,
            "--security-token", TOKEN, "--backoff", "0.01")
    assert r.exit_code == 0, r.stderr
    data = yaml.safe_load(out.read_text())
    assert "unknown_reasons" not in data
    assert data["account_engagement"]["collected_business_units"] == [BU_MANAGED, BU_LEGACY]
    assert ("https://pi.demo.pardot.com answered error 201 (it was chosen because the org is a Developer Edition org"
            in r.stderr) and "https://pi.pardot.com answered, and is used for the rest of this run" in r.stderr
    assert data["sources"]["account_engagement.users"]["via"].endswith("on https://pi.pardot.com")
    ae_calls = [(h, p) for h, p in fake_org.hosts if p.startswith("/api/v5/")]
    assert ae_calls[0][0] == "pi.demo.pardot.com" and {h for h, _ in ae_calls[1:]} == {"pi.pardot.com"}
    assert {h for h, p in fake_org.hosts if p.startswith("/services/Soap/")} == {"login.salesforce.com"}
    assert all(m == "GET" for m, p in fake_org.requests if "/api/v5/" in p)  # the other host only read


def test_201_on_both_hosts_is_explained_with_both(fake_org, tmp_path, real_hosts):
    fake_org.organization_type = "Developer Edition"
    fake_org.fault("ae201", where="/api/v5/", times=2)  # the managed BU: on the demo host, then on production
    out = tmp_path / "org.yaml"
    r = cli("facts", "collect", "--out", str(out), "--username", "admin@fake.example", "--password", PASSWORD,
            "--security-token", TOKEN, "--backoff", "0.01")
    assert r.exit_code == 0, r.stderr
    reason = yaml.safe_load(out.read_text())["unknown_reasons"]["account_engagement.users"]
    assert "on https://pi.demo.pardot.com (error 201; host chosen because the org is a Developer Edition org" in reason
    assert "and on https://pi.pardot.com, tried once as well" in reason and "--sandbox" not in reason
    assert BU_MANAGED in reason and BU_LEGACY not in reason  # the other BU still answered on the chosen host


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
