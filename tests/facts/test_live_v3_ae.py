"""Live orgs, v3 (issue #24), Account Engagement and what is read: 184 and 49 read from their
message, the permission names of refused queries, the bounded role and group reads of a large
portal org, and the Account Engagement fields the knowledge needs."""
from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import cli
from syncdoctor.facts.ae_errors import denial_cause, token_cause
from syncdoctor.facts.salesforce import needs_of
from tests.facts.fake_salesforce import BU_LEGACY, BU_MANAGED, N_USERS, add_user, sfid
from tests.facts.test_faults import collect, fake_sf_cli

SCOPE_184 = "access_token is invalid, unknown, or malformed: Invalid scope"
INACTIVE_184 = "access_token is invalid, unknown, or malformed: Inactive token"
NOT_IN_BU_49 = ("Access Denied: User associated with access token is not valid for the Pardot Business Unit ID "
                "specified in Pardot-Business-Unit-Id header")



# -- 184, by its message ---------------------------------------------------------------------

def test_184_invalid_scope_names_the_pardot_api_scope_even_after_another_bu_answered(fake_org, tmp_path):
    fake_org.ae_messages[184] = SCOPE_184
    fake_org.fault("ae184", where="/api/v5/", after=3, times=1)  # the managed BU's 3 pages pass
    r, data = collect(fake_org, tmp_path)
    assert r.exit_code == 0, r.stderr
    reason = data["unknown_reasons"]["account_engagement.users"]
    assert "invalid scope" in reason and "pardot_api" in reason and "not synced" not in reason
    assert sum("/api/v5/" in p for _, p in fake_org.requests) == 4  # never retried


def test_184_inactive_token_renews_a_password_login_and_lists_again(fake_org, tmp_path):
    fake_org.fault("expire", where="/api/v5/", after=1)  # the token dies after the first AE page
    r, data = collect(fake_org, tmp_path)
    assert r.exit_code == 0, r.stderr
    assert "unknown_reasons" not in data and fake_org.logins == 2
    assert data["account_engagement"]["collected_business_units"] == [BU_MANAGED, BU_LEGACY]
    ids = [(a["business_unit_id"], a["id"]) for a in data["account_engagement"]["users"]]
    assert len(ids) == len(set(ids)) == 2 * (len(range(0, N_USERS, 3)) + 1)
    assert "it was renewed and the list read again" in r.stderr


def test_184_inactive_token_renews_a_current_cli_login(fake_org, tmp_path, monkeypatch):
    log = fake_sf_cli(fake_org, tmp_path, monkeypatch, "current")
    fake_org.fault("expire", where="/api/v5/")
    out = tmp_path / "org.yaml"
    r = cli("facts", "collect", "--out", str(out), "--target-org", "fake", "--ae-api-url", fake_org.base_url,
            "--backoff", "0.01")
    assert r.exit_code == 0, r.stderr
    assert "unknown_reasons" not in yaml.safe_load(out.read_text())
    assert log.read_text().count("show-access-token") == 2


def test_184_inactive_token_renews_a_jwt_login(fake_org, tmp_path):
    from tests.facts.test_faults import _jwt_key
    fake_org.fault("expire", where="/api/v5/")
    out = tmp_path / "org.yaml"
    r = cli("facts", "collect", "--out", str(out), "--username", "admin@fake.example", "--consumer-key", "3MVG9key",
            "--private-key-file", str(_jwt_key(tmp_path)), "--login-url", fake_org.base_url,
            "--ae-api-url", fake_org.base_url, "--backoff", "0.01")
    assert r.exit_code == 0, r.stderr
    assert "unknown_reasons" not in yaml.safe_load(out.read_text()) and fake_org.logins == 2


def test_184_inactive_token_with_a_session_id_is_explained_not_retried(fake_org, tmp_path):
    out = tmp_path / "org.yaml"
    fake_org.fault("expire", where="/api/v5/", times=1)
    r = cli("facts", "collect", "--out", str(out), "--session-id", fake_org.token, "--instance-url", fake_org.base_url,
            "--ae-api-url", fake_org.base_url, "--backoff", "0.01")
    assert r.exit_code == 0, r.stderr
    reason = yaml.safe_load(out.read_text())["unknown_reasons"]["account_engagement.users"]
    assert "inactive token" in reason and "--session-id cannot be renewed" in reason


# -- 49, by its message ------------------------------------------------------------------------

@pytest.mark.parametrize("message,words,not_words", [
    (NOT_IN_BU_49, "is not a user of that business unit", "Admin > User > View"),
    ("Access denied", "Admin > User > View", "not a user of that business unit")])
def test_49_is_explained_from_its_message(fake_org, tmp_path, message, words, not_words):
    fake_org.ae_messages[49] = message
    fake_org.fault("ae49", where="/api/v5/", times=1)
    r, data = collect(fake_org, tmp_path)
    assert r.exit_code == 0, r.stderr
    reason = data["unknown_reasons"]["account_engagement.users"]
    assert words in reason and not_words not in reason and BU_MANAGED in reason
    assert data["account_engagement"]["collected_business_units"] == [BU_LEGACY]


def _cased(text: str, flips: list[bool]) -> str:
    return "".join(c.swapcase() if flip else c for c, flip in zip(text, flips + [False] * len(text)))


_around = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=50)


@settings(max_examples=300)
@given(_around, st.sampled_from(["Invalid scope", "invalid_scope", "scope not granted", "missing scopes"]),
       st.lists(st.booleans(), max_size=30))
def test_any_184_naming_a_scope_is_the_pardot_api_scope(before, said, flips):
    assert token_cause(f"access_token is invalid, unknown, or malformed{before}: {_cased(said, flips)}") == "scope"


@settings(max_examples=300)
@given(st.sampled_from(["Inactive token", "token inactive", "Expired token", "token has expired", "token revoked"]),
       st.lists(st.booleans(), max_size=30), _around.filter(lambda t: "scope" not in t.lower()))
def test_any_184_saying_inactive_or_expired_renews(said, flips, after):
    assert token_cause(f"access_token is invalid, unknown, or malformed: {_cased(said, flips)} {after}") == "inactive"


@settings(max_examples=300)
@given(_around, st.sampled_from(["not valid for the Pardot Business Unit ID", "Pardot-Business-Unit-Id header",
                                 "not a member of the business unit", "BUSINESS UNIT"]), _around)
def test_any_49_naming_the_business_unit_is_not_the_ability(before, said, after):
    assert denial_cause(f"{before} Access Denied: {said} {after}") == "business_unit"


@settings(max_examples=200)
@given(_around.filter(lambda t: "business" not in t.lower() and "pardot" not in t.lower()))
def test_a_49_that_does_not_name_the_business_unit_is_the_ability(text):
    assert denial_cause(f"Access Denied {text}") == "ability"


# -- permission names ------------------------------------------------------------------------

@pytest.mark.parametrize("soql", ["SELECT Id FROM Group WHERE Type IN ('Regular')",
                                  "SELECT GroupId FROM GroupMember WHERE Group.Type = 'Regular'"])
def test_group_and_group_member_do_not_claim_view_setup(soql):
    assert "View Setup" not in needs_of(soql) and "read access" in needs_of(soql)


def test_a_refused_group_query_names_read_access_not_view_setup(fake_org, tmp_path):
    fake_org.fault("forbidden", where="FROM+Group+", times=1)
    r, data = collect(fake_org, tmp_path)
    assert r.exit_code == 0, r.stderr
    reason = data["unknown_reasons"]["salesforce.public_groups"]
    assert "read access to Group" in reason and "View Setup" not in reason


# -- a large Experience Cloud org: roles and groups within the bound -------------------------

PORTAL_ROLES, PORTAL_USERS = 50_000, 30


def _portal_org(fake_org) -> tuple[set[str], set[str]]:
    """50,000 portal roles (three per partner account, under internal roles), three system
    groups for each role, 30 portal users holding some of them, and one public group naming a
    portal role through a role group. Returns the roles users hold and the role a group names."""
    m = fake_org.model
    held, accounts = set(), PORTAL_ROLES // 3
    for a in range(accounts + 1):
        top = sfid("00E", 100_000 + 3 * a)
        for level, parent in enumerate([sfid("00E", (a % 8) + 1), top, sfid("00E", 100_000 + 3 * a + 1)]):
            rid = sfid("00E", 100_000 + 3 * a + level)
            if len(m.roles) - 9 < PORTAL_ROLES:
                m.roles.append({"Id": rid, "Name": f"Account {a} Partner {level}", "ParentRoleId": parent,
                                "PortalType": "Partner"})
    for i, r in enumerate(m.roles[9:]):
        for j, t in enumerate(("Role", "RoleAndSubordinates", "RoleAndSubordinatesInternal")):
            m.groups.append({"Id": sfid("00G", 1_000_000 + 3 * i + j), "Name": None, "DeveloperName": f"R{i}_{j}",
                             "Type": t, "RelatedId": r["Id"]})
    for u in range(PORTAL_USERS):
        uid = add_user(m, 50_000 + u, f"partner{u}@fake.example", "PowerPartner", "Partner Community")
        role = sfid("00E", 100_000 + 3 * (u * 97) + 2)  # the lowest role of an account
        m.users[-1]["UserRoleId"] = role
        held.add(role)
    named_role = sfid("00E", 100_000 + 3 * 4000)
    group = next(g for g in m.groups if g["RelatedId"] == named_role and g["Type"] == "RoleAndSubordinates")
    m.members.append({"GroupId": sfid("00G", 1), "UserOrGroupId": group["Id"]})
    return held, {named_role}


def test_a_50000_role_portal_org_reads_only_the_roles_and_groups_something_reaches(fake_org, tmp_path):
    held, named = _portal_org(fake_org)
    fake_org.page_size = 2000  # Salesforce's page size
    r, data = collect(fake_org, tmp_path, "--timeout", "30", name="org.json")
    assert r.exit_code == 0, r.stderr
    roles = {x["id"]: x for x in data["salesforce"]["roles"]}
    # Every role a user holds or a group names is there, with every parent up to the top.
    for rid in held | named:
        node = rid
        while node:
            assert node in roles, node
            node = roles[node]["parent_id"]
    # The bound (facts/hierarchy.py): 8 internal roles + at most 3 roles per reached portal
    # role (itself and its account's two above it); Group rows: the public groups, and the
    # groups public groups contain.
    internal = 8
    assert fake_org.served["UserRole"] <= internal + 3 * len(held | named) == internal + 93
    public = sum(g["Type"] in ("Regular", "Organization") for g in fake_org.model.groups)
    assert fake_org.served["Group"] <= public + len({x["UserOrGroupId"] for x in fake_org.model.members
                                                     if not x["UserOrGroupId"].startswith("005")})
    assert sum("FROM+UserRole" in p for _, p in fake_org.requests) <= 1 + 3  # internal roles, then one query a level
    # The snapshot is whole: it loads and diagnoses a portal user.
    r = cli("diagnose", "--facts", str(tmp_path / "org.json"), "--user", "partner0@fake.example", "--format", "json")
    assert r.exit_code in (0, 1), r.stderr


def test_an_org_that_will_not_filter_roles_on_portal_type_still_gets_every_reachable_role(fake_org, tmp_path):
    held, named = _portal_org(fake_org)
    fake_org.refuse_portal_type = True
    r, data = collect(fake_org, tmp_path, name="org.json")
    assert r.exit_code == 0, r.stderr
    roles = {x["id"] for x in data["salesforce"]["roles"]}
    assert held | named <= roles and "salesforce.roles" not in data.get("unknown_reasons", {})
    assert fake_org.served["UserRole"] <= 3 * len(held | named) + 8
    assert "could not be filtered on PortalType" in r.stderr


# -- what the knowledge needs from Account Engagement ------------------------------------------

def test_the_ae_username_update_time_and_updater_are_kept(fake_org, tmp_path):
    rows = fake_org.model.ae_users[BU_MANAGED]
    rows[0].update(username="ae-login@fake.example", updatedAt="2026-11-20T09:30:00-05:00", updatedById=1234)
    rows[1].update(username=7, updatedAt="yesterday", updatedById="1234")  # wrong types: unknown, not guessed
    rows[2].update(updatedAt="2026-11-20T09:30:00")                          # no time zone: unknown
    r, data = collect(fake_org, tmp_path)
    assert r.exit_code == 0, r.stderr
    got = {a["id"]: a for a in data["account_engagement"]["users"] if a["business_unit_id"] == BU_MANAGED}
    assert got[rows[0]["id"]]["username"] == "ae-login@fake.example"
    assert got[rows[0]["id"]]["updated_at"] == "2026-11-20T14:30:00Z" and got[rows[0]["id"]]["updated_by_id"] == 1234
    assert got[rows[1]["id"]]["username"] is None and got[rows[1]["id"]]["updated_at"] is None
    assert got[rows[1]["id"]]["updated_by_id"] is None and got[rows[2]["id"]]["updated_at"] is None
    assert "updatedById" in next(q for _, q in fake_org.requests if "/api/v5/" in q)
    # The snapshot with the new fields is valid: it loads and diagnoses.
    r = cli("diagnose", "--facts", str(tmp_path / "org.yaml"), "--user", "user1@fake.example", "--format", "json")
    assert r.exit_code in (0, 1), r.stderr


def test_an_api_that_refuses_updated_by_id_keeps_the_rest(fake_org, tmp_path):
    fake_org.ae_refused_fields = {"updatedById"}
    r, data = collect(fake_org, tmp_path)
    assert r.exit_code == 0, r.stderr
    assert "unknown_reasons" not in data
    ae = data["account_engagement"]["users"]
    assert all(a["updated_by_id"] is None for a in ae) and any(a["updated_at"] for a in ae)
    assert "Account Engagement refused the field updatedById" in r.stderr
