"""Live orgs, v2 (issue #16), what is read and what silently is not: business units by
CreationStatus, kinds of users, User Sharing, roles, "All Internal Users", AE fields."""
from __future__ import annotations

import yaml

from tests.facts.fake_salesforce import BU_LEGACY, BU_MANAGED, N_USERS, ORG_ID, add_user, sfid
from tests.facts.test_collect import login
from tests.facts.test_faults import collect
from tests.conftest import cli




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
    r = cli("diagnose", "--org", *login(fake_org), "--user", "user10@fake.example")
    assert r.exit_code == 3 and "View All Users" in r.stderr and "no Salesforce user has" not in r.stderr
    # ... and from the snapshot, the reason is given with the miss.
    r = cli("diagnose", "--facts", str(tmp_path / "org.yaml"), "--user", "user10@fake.example")
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
    r = cli("diagnose", "--facts", str(tmp_path / "org.yaml"), "--user", f"b2bmaintegration@{ORG_ID}.ext")
    assert r.exit_code == 2
    r = cli("diagnose", "--org", *login(fake_org), "--user", f"b2bmaintegration@{ORG_ID}.ext")
    assert r.exit_code == 2 and "is the B2BMA integration user, never a user to diagnose" in r.stderr


def test_roles_returned_without_view_roles_are_not_trusted(fake_org, tmp_path):
    fake_org.permissions["PermissionsViewRoles"] = False
    fake_org.roles_without_permission = 3  # a partial hierarchy comes back
    r = cli("diagnose", "--org", *login(fake_org), "--user", "user1@fake.example", "--save-facts", str(tmp_path / "s.yaml"))
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
