"""The facts knowledge v2 reads: an AE user's link (null is nobody, absent is unknown), the AE
users of every business unit and their completeness, the legacy role-update setting, and the
engineer's expected_access answer."""
from __future__ import annotations

from typing import Any

from syncdoctor.facts.snapshot import build_snapshot

BU1, BU2 = "0Uv5e000000BU01CAA", "0Uv5e000000BU02CAA"
USER = "0055e000000USR1AAA"


def _data(**ae_part: Any) -> dict[str, Any]:
    return {
        "snapshot_version": 1,
        "business_units": [
            {"id": BU1, "user_sync": {"enabled": True, "mode": "legacy", "update_role_on_profile_change": False},
             "expected_access": {USER[:15]: True}},
            {"id": BU2, "user_sync": {"enabled": True, "mode": "legacy"}},
        ],
        "salesforce": {"users": [{"id": USER, "username": "u@x.example", "email": "u@x.example"}]},
        "account_engagement": {"users": [
            {"id": 1, "business_unit_id": BU1, "email": "A@x.example", "salesforce_id": None},
            {"id": 2, "business_unit_id": BU1, "email": "b@x.example"},
            {"id": 3, "business_unit_id": BU2, "email": "c@x.example", "salesforce_id": USER[:15]},
            {"id": 4, "business_unit_id": "0Uv5e000000ELSECAA", "email": "d@x.example", "salesforce_id": None},
        ], **ae_part},
    }


def _facts(data: dict[str, Any], bu: int = 0) -> tuple[dict[str, list[dict[str, Any]]], set[str]]:
    snap = build_snapshot(data, "mem.yaml")
    fs = snap.factset(0, bu, None)
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for f in fs.facts + (fs.pool.facts if fs.pool else []):
        by_kind.setdefault(f.kind, []).append(f.values)
    return by_kind, fs.known_lists


def test_null_salesforce_id_is_linked_to_nobody_and_absent_is_unknown():
    facts, _ = _facts(_data())
    ae = {a["ae_id"]: a for a in facts["ae_user"]}
    assert ae["1"]["has_salesforce_id"] is False and "salesforce_id" not in ae["1"]
    assert "has_salesforce_id" not in ae["2"] and "salesforce_id" not in ae["2"]


def test_every_business_units_ae_users_with_fifteen_character_ids_normalised():
    """A 15-character link is read as the user it names, in the spelling the user is declared with."""
    facts, known = _facts(_data())
    org = {a["ae_id"]: a for a in facts["org_ae_user"]}
    assert set(org) == {"1", "2", "3", "4"}  # a business unit not in the snapshot included
    assert org["3"]["salesforce_id"] == USER and org["4"]["business_unit_id"].startswith("0Uv5e000000ELSE")
    assert {"ae_users", "all_ae_users"} <= known


def test_all_ae_users_are_incomplete_when_one_business_unit_was_not_collected():
    facts, known = _facts(_data(collected_business_units=[BU1]))
    assert "ae_users" in known and "all_ae_users" not in known
    assert facts["business_unit"][0]["ae_users_collected"] is True
    facts, known = _facts(_data(collected_business_units=[BU1]), bu=1)
    assert "ae_users" not in known and facts["business_unit"][0]["ae_users_collected"] is False
    # what was read of an incomplete list still counts: a link found there is a link
    assert [a["ae_id"] for a in facts["ae_user"]] == ["3"]


def test_role_update_setting_and_expected_access_answer():
    facts, _ = _facts(_data())
    assert facts["business_unit"][0]["update_role_on_profile_change"] is False
    assert facts["user"][0]["expects_access"] is True
    facts, _ = _facts(_data(), bu=1)
    assert "update_role_on_profile_change" not in facts["business_unit"][0]
    assert facts["business_unit"][0]["profile_table_collected"] is False  # no profile_roles: the table is unknown
    assert "expects_access" not in facts["user"][0]
