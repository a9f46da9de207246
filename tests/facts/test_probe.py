"""`syncdoctor facts probe`: read-only, over real HTTP against the local TLS server."""
from __future__ import annotations

import json


from syncdoctor.cli.main import app
from tests.facts.fake_salesforce import BU_LEGACY, BU_MANAGED, PASSWORD, TOKEN, sfid
from tests.conftest import runner



def probe(org, *extra: str):
    return runner.invoke(app, ["facts", "probe", "--username", "admin@fake.example", "--password", PASSWORD,
                               "--security-token", TOKEN, "--login-url", org.base_url, "--backoff", "0.01", *extra],
                         catch_exceptions=False)


def _user_groups(org) -> None:
    # A hypothetical shape (no naming convention is documented): it only exercises the matching.
    org.model.groups += [
        {"Id": sfid("00G", 70), "Name": "Marketing Users (Fake Managed)", "DeveloperName": "MarketingUsers_FAKM",
         "Type": "Regular", "RelatedId": None},
        {"Id": sfid("00G", 71), "Name": None, "DeveloperName": "Pardot_SalesUsers", "Type": "Regular", "RelatedId": None}]
    org.model.members += [{"GroupId": sfid("00G", 70), "UserOrGroupId": sfid("005", 4)},
                          {"GroupId": sfid("00G", 70), "UserOrGroupId": sfid("00G", 1)}]


def test_probe_lists_groups_business_units_and_permissions_and_writes_nothing(fake_org, tmp_path, monkeypatch):
    _user_groups(fake_org)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    r = probe(fake_org)
    assert r.exit_code == 0, r.stderr
    assert "Group rows by Type: Regular=6, Role=1, RoleAndSubordinates=1" in r.stdout
    assert f"{sfid('00G', 70)}  Type=Regular  Name='Marketing Users (Fake Managed)'" in r.stdout
    assert "2 direct members" in r.stdout and "DeveloperName='Pardot_SalesUsers'  0 direct members" in r.stdout
    assert f"{BU_MANAGED}  'Fake Managed'  CreationStatus=Created" in r.stdout and BU_LEGACY in r.stdout
    assert "ViewAllUsers=True" in r.stdout
    assert list(work.iterdir()) == []  # nothing written
    assert all(m == "GET" for m, p in fake_org.requests if not p.startswith("/services/Soap/"))  # read-only
    doc = json.loads(probe(fake_org, "--json").stdout)
    assert {c["developer_name"] for c in doc["user_group_candidates"]} == {"MarketingUsers_FAKM", "Pardot_SalesUsers"}


def test_probe_says_what_it_could_not_read(fake_org):
    fake_org.fault("forbidden", where="tooling/query", times=10)
    fake_org.fault("forbidden", where="FROM+GroupMember", times=10)
    _user_groups(fake_org)
    r = probe(fake_org)
    assert r.exit_code == 0, r.stderr
    assert "could not read business units" in r.stdout and "View Setup and Configuration" in r.stdout
    assert "members unreadable" in r.stdout and "could not read members of those groups" in r.stdout


def test_probe_without_candidates_says_assignments_are_not_visible(fake_org):
    r = probe(fake_org)
    assert r.exit_code == 0 and "none by name: the assignments are either not Group rows" in r.stdout


def test_probe_login_failure_is_exit_3(fake_org):
    fake_org.login_page = "<html><body>portal</body></html>"
    r = probe(fake_org)
    assert r.exit_code == 3 and "captive portal" in r.stderr
