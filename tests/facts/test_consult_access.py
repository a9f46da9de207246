"""Knowledge v2's consultation: "Should U have Account Engagement access in business unit B?"
and the legacy role-update setting are asked only when the answer decides something, and an
answers file (or --ask) gives them."""
from __future__ import annotations

import json
from pathlib import Path


from syncdoctor.cli.main import app
from tests.conftest import runner

# A frozen copy of the knowledge v2 rules (the questions they ask), like tests/fixtures/rules.
KNOWLEDGE = Path(__file__).resolve().parents[1] / "fixtures" / "knowledge_v2"
ORGS = KNOWLEDGE / "cases" / "orgs"
UNCOLLECTED, ACCESS = ORGS / "uncollected.yaml", ORGS / "access.yaml"
BU_UNCOLLECTED, BU_LEGACY_TWO = "0Uv5e000000MGD3CAA", "0Uv5e000000LGY2CAA"


def _diagnose(facts: Path, user: str, bu: str, *extra: str, input: str | None = None) -> tuple[int, dict, str]:
    r = runner.invoke(app, ["diagnose", "--rules", str(KNOWLEDGE), "--facts", str(facts), "--user", user, "--business-unit", bu,
                            "--format", "json", *extra], input=input, catch_exceptions=False)
    doc = json.loads(r.stdout[r.stdout.index("{"):]) if "{" in r.stdout else {}
    return r.exit_code, doc, r.stderr


def _codes(doc: dict) -> set[str]:
    return {v["code"] for v in doc["results"][0]["verdicts"]}


def test_expected_access_is_asked_when_the_ae_users_are_unknown():
    code, doc, err = _diagnose(UNCOLLECTED, "unassigned@unc.example", BU_UNCOLLECTED)
    assert code == 0, err
    q = next(q for q in doc["questions"] if q["topic"] == "expected_access")
    assert q["question"] == "Should unassigned@unc.example have Account Engagement access in business unit Managed Uncollected?"
    assert q["answers_path"] == f"business_units.{BU_UNCOLLECTED}.expected_access.unassigned@unc.example"
    assert any("MANAGED_NOT_ASSIGNED" in why for why in q["why"])
    assert "Should unassigned@unc.example have Account Engagement access" in err


def test_expected_access_is_not_asked_when_the_symptom_decides():
    code, doc, _ = _diagnose(UNCOLLECTED, "unassigned@unc.example", BU_UNCOLLECTED, "--symptom", "not-syncing")
    assert code == 1 and "MANAGED_NOT_ASSIGNED" in _codes(doc)
    assert not [q for q in doc["questions"] if q["topic"] == "expected_access"]


def test_expected_access_from_an_answers_file(tmp_path):
    answers = tmp_path / "answers.yaml"
    for given, concluded in (("true", True), ("false", False)):
        answers.write_text(f"answers_version: 1\nbusiness_units:\n  {BU_UNCOLLECTED}:\n"
                           f"    expected_access: {{unassigned@unc.example: {given}}}\n")
        code, doc, _ = _diagnose(UNCOLLECTED, "unassigned@unc.example", BU_UNCOLLECTED, "--answers", str(answers))
        assert ("MANAGED_NOT_ASSIGNED" in _codes(doc)) is concluded and code == (1 if concluded else 0)
        # "no" is an answer: the cause is decided (not applicable), not left undetermined
        assert "MANAGED_NOT_ASSIGNED" not in {u["code"] for u in doc["results"][0]["undetermined"]}
        assert not [q for q in doc["questions"] if q["topic"] == "expected_access"]


def test_expected_access_answer_naming_nobody_is_located(tmp_path):
    answers = tmp_path / "answers.yaml"
    answers.write_text(f"answers_version: 1\nbusiness_units:\n  {BU_UNCOLLECTED}:\n    expected_access: {{ghost@unc.example: true}}\n")
    r = runner.invoke(app, ["diagnose", "--rules", str(KNOWLEDGE), "--facts", str(UNCOLLECTED), "--user", "unassigned@unc.example",
                            "--business-unit", BU_UNCOLLECTED, "--answers", str(answers)])
    assert r.exit_code == 2 and f"{answers}:4:" in r.stderr and "ghost@unc.example" in r.stderr


def test_expected_access_asked_interactively(tmp_path):
    out = tmp_path / "report.json"
    r = runner.invoke(app, ["diagnose", "--rules", str(KNOWLEDGE), "--facts", str(UNCOLLECTED), "--user", "unassigned@unc.example",
                            "--business-unit", BU_UNCOLLECTED, "--ask", "--format", "json", "--out", str(out)],
                      input="yes\n" + "\n" * 5, catch_exceptions=False)
    assert r.exit_code == 1, r.stderr
    assert "? Should unassigned@unc.example have Account Engagement access in business unit Managed Uncollected?" in r.stderr
    doc = json.loads(out.read_text())
    assert "MANAGED_NOT_ASSIGNED" in _codes(doc)


def test_role_update_setting_is_asked_only_for_a_wrong_role(tmp_path):
    _, doc, _ = _diagnose(ACCESS, "role-differs@acc.example", BU_LEGACY_TWO, "--symptom", "wrong-role")
    q = next(q for q in doc["questions"] if q["topic"] == "update_role_on_profile_change")
    assert "Update Pardot user role when a user's Salesforce profile changes" in q["question"]
    assert any("LEGACY_ROLE_NOT_UPDATED" in why for why in q["why"])
    _, doc, _ = _diagnose(ACCESS, "role-differs@acc.example", BU_LEGACY_TWO)
    assert not [q for q in doc["questions"] if q["topic"] == "update_role_on_profile_change"]
    answers = tmp_path / "answers.yaml"
    answers.write_text(f"answers_version: 1\nbusiness_units:\n  {BU_LEGACY_TWO}:\n    update_role_on_profile_change: false\n")
    code, doc, _ = _diagnose(ACCESS, "role-differs@acc.example", BU_LEGACY_TWO, "--symptom", "wrong-role",
                             "--answers", str(answers))
    assert code == 1 and _codes(doc) == {"LEGACY_ROLE_NOT_UPDATED"}
