"""Knowledge v3's new facts: the Account Engagement user's username, update time and what it is
linked to; the legacy skip-matching-email setting, as a fact and as an --ask question."""
from __future__ import annotations

import json
from pathlib import Path


from syncdoctor.cli.main import app
from syncdoctor.facts.snapshot import build_snapshot, load_snapshot
from tests.conftest import runner

RULES = Path(__file__).resolve().parents[2] / "rules"
V3 = RULES / "cases" / "orgs" / "v3.yaml"
SKIP_UNKNOWN = "0Uv5e000000NWL3CAA"


def _fields(snap, kind: str, ae_id: str) -> dict:
    facts = snap.factset(0, 0, None).pool.of_kind(kind)
    return next(f.values for f in facts if f.values.get("ae_id") == ae_id)


def test_the_ae_user_says_what_it_is_linked_to_and_where_it_is():
    snap = load_snapshot(V3)
    leaver = _fields(snap, "org_ae_user", "7001")
    assert leaver["username"] == "leaver@nw.example" and leaver["linked_user_active"] is False
    assert leaver["link_words"] == "linked to Salesforce user leaver@nw.example (inactive)"
    assert leaver["business_unit_label"] == "Northwind Managed (0Uv5e000000NWM1CAA)"
    assert leaver["updated_minutes_ago"] == 26 * 24 * 60 + 10 * 60
    unmapped = _fields(snap, "org_ae_user", "7005")
    assert unmapped["link_words"] == "linked to no Salesforce user" and "linked_user_active" not in unmapped


def test_an_absent_link_is_unknown_not_linked_to_nobody():
    data = json.loads(json.dumps(load_snapshot(V3).data))
    row = data["account_engagement"]["users"][0]
    del row["salesforce_id"]
    values = _fields(build_snapshot(data, "inline"), "org_ae_user", "7001")
    assert "link_words" not in values and "has_salesforce_id" not in values and "linked_username" not in values


def test_the_snapshot_format_refuses_a_misshapen_new_field_with_its_path():
    data = json.loads(json.dumps(load_snapshot(V3).data))
    data["business_units"][1]["user_sync"]["skip_matching_email"] = "yes"
    data["account_engagement"]["users"][0]["updated_at"] = "last tuesday"
    try:
        build_snapshot(data, "inline")
    except Exception as exc:  # FindingError: every finding names its field
        text = str(exc)
    else:
        raise AssertionError("a string for a boolean setting was accepted")
    assert "skip_matching_email" in text and "updated_at" in text


def _diagnose(user: str, bu: str, *extra: str, input: str | None = None):
    r = runner.invoke(app, ["diagnose", "--rules", str(RULES), "--facts", str(V3), "--user", user, "--business-unit", bu,
                            "--format", "json", *extra], input=input, catch_exceptions=False)
    return r.exit_code, json.loads(r.stdout[r.stdout.index("{"):]), r.stderr


def test_the_skip_setting_is_asked_when_it_decides_and_an_answer_decides_it(tmp_path):
    code, doc, _ = _diagnose("skipper@nw.example", SKIP_UNKNOWN)
    assert code == 0
    q = next(q for q in doc["questions"] if q["topic"] == "skip_matching_email")
    assert q["question"] == ('Is "Skip Salesforce user whose email address matches an existing user record in Pardot" '
                             "turned on?")
    assert any("EMAIL_HELD_BY_UNMAPPED_AE_USER" in why for why in q["why"])
    answers = tmp_path / "answers.yaml"
    for given, concluded in (("true", "EMAIL_HELD_BY_UNMAPPED_AE_USER"), ("false", "EXPECTED_AE_USER_MISSING")):
        answers.write_text(f"answers_version: 1\nbusiness_units:\n  {SKIP_UNKNOWN}:\n    skip_matching_email: {given}\n")
        code, doc, _ = _diagnose("skipper@nw.example", SKIP_UNKNOWN, "--answers", str(answers))
        assert {v["code"] for v in doc["results"][0]["verdicts"]} == {concluded}
        assert not [q for q in doc["questions"] if q["topic"] == "skip_matching_email"]


def test_a_holder_s_business_unit_is_named_as_the_report_header_names_it():
    data = json.loads(json.dumps(load_snapshot(V3).data))
    data["business_units"][0]["id"] = "0Uv5e000000NWM1"  # written with 15 characters, the AE rows with 18
    values = _fields(build_snapshot(data, "inline"), "org_ae_user", "7005")
    assert values["business_unit_label"] == "Northwind Managed (0Uv5e000000NWM1)"
    assert _fields(build_snapshot(data, "inline"), "org_ae_user", "8008")["business_unit_label"] == \
        "Northwind Legacy Skip On (0Uv5e000000NWL1CAA)"
