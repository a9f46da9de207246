"""`syncdoctor what-if` as an admin uses it: changes as options or a file, every format, bad
input named with the closest names (exit 2), org names escaped, an audit record of the changes."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from syncdoctor.cli.main import app
from tests.conftest import EXAMPLE, runner

NA = "Acme North America"


def run(*args: str):
    return runner.invoke(app, ["what-if", "--facts", str(EXAMPLE), *args], catch_exceptions=False)


def test_assigning_asmith_gives_her_access_and_her_cause_goes():
    r = run("--assign", f"user:asmith@acme.example -> {NA}/Marketing Users", "--user", "asmith@acme.example")
    assert r.exit_code == 0, r.stderr
    assert "the cause goes away: MANAGED_NOT_ASSIGNED" in r.stdout
    assert "1 user: gain Account Engagement access\n    asmith@acme.example (Marketing Users; role Marketing)" in r.stdout


@pytest.mark.parametrize("fmt", ["text", "markdown", "html", "json"])
def test_every_format_names_the_users_moved(fmt):
    r = run("--unassign", f"role-and-subordinates:VP Sales -> {NA}/sales", "--format", fmt)
    assert r.exit_code == 0, r.stderr
    assert "crep@acme.example" in r.stdout
    if fmt == "json":
        doc = json.loads(r.stdout)
        (na, _) = doc["business_units"]
        assert [u["username"] for u in na["loses_access"]["users"]] == ["crep@acme.example"]
        assert doc["changes"][0]["member"] == {"type": "role_and_subordinates", "id": "00E5e000000ROL3AAA", "name": "VP Sales"}


def test_a_changes_file_is_validated_with_its_line(tmp_path: Path):
    bad = tmp_path / "changes.yaml"
    bad.write_text("changes_version: 1\nchanges:\n  - change: assign\n    business_unit: Acme North America\n"
                   "    group: marketting\n    member: {type: user, name: jdoe@acme.example}\n")
    r = run("--changes", str(bad))
    assert r.exit_code == 2
    assert f"{bad}:5" in r.stderr and "marketting" in r.stderr


def test_a_changes_file_applies_in_order(tmp_path: Path):
    good = tmp_path / "changes.yaml"
    good.write_text(yaml.safe_dump({"changes_version": 1, "changes": [
        {"change": "add_member", "member": {"type": "user", "name": "asmith@acme.example"}, "public_group": "Field Marketing"},
        {"change": "select_profile", "business_unit": "Acme Europe", "profile": "Marketing User", "role": "Marketing"}]}))
    r = run("--changes", str(good), "--format", "json", "--list")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    na, eu = doc["business_units"]
    assert [u["username"] for u in na["gains_access"]["users"]] == ["asmith@acme.example"]  # via Campaign Team
    assert {u["username"] for u in eu["gains_access"]["users"]} == {"jdoe@acme.example", "asmith@acme.example", "crep@acme.example"}


@pytest.mark.parametrize("args, said", [
    (["--assign", f"role:VP Sale -> {NA}/Marketing Users"], "did you mean: VP Sales"),
    (["--assign", f"rol:VP Sales -> {NA}/Marketing Users"], "did you mean 'role'"),
    (["--assign", f"role:VP Sales -> {NA}/Marketting"], "not a user group"),
    (["--assign", "role:VP Sales"], "write it as 'TYPE:NAME -> BUSINESS UNIT/Marketing Users'"),
    (["--set-profile", "jdoe@acme.example -> Marketing Usr"], "did you mean: Marketing User"),
    (["--transfer", "Acme Europa"], "did you mean: Acme Europe"),
    (["--setting", "move-to-recycle-bin=off -> Acme Europe"], "did you mean 'move-to-recycle-bin-without-profile'"),
    (["--remove-member", "role:VP Sales -> Campaign Team"], "there: public_group 00G5e000000GRP2AAA"),
    ([], "say what to change"),
])
def test_bad_changes_exit_2_naming_the_closest(args, said):
    r = run(*args)
    assert r.exit_code == 2
    assert said in r.stderr and "Traceback" not in r.stderr


def test_org_names_are_escaped_in_every_format(tmp_path: Path):
    data = yaml.safe_load(EXAMPLE.read_text())
    data["salesforce"]["users"][1]["username"] = "evil\x1b]52;c;AAAA\x07<b>*x*</b>@acme.example"
    org = tmp_path / "org.yaml"
    org.write_text(yaml.safe_dump(data, allow_unicode=True))
    for fmt, bad in (("text", "\x1b"), ("markdown", "<b>"), ("html", "<b>"), ("json", "\x1b")):
        r = runner.invoke(app, ["what-if", "--facts", str(org), "--format", fmt,
                                "--assign", f"user:0055e000000U002AAA -> {NA}/Marketing Users"], catch_exceptions=False)
        assert r.exit_code == 0, r.stderr
        assert "evil" in r.stdout and bad not in r.stdout


def test_the_audit_record_records_the_changes_and_verifies(tmp_path: Path):
    record = tmp_path / "audit.json"
    r = run("--deactivate", "jdoe@acme.example", "--user", "jdoe@acme.example", "--audit", str(record))
    assert r.exit_code == 0, r.stderr
    doc = json.loads(record.read_text())
    assert doc["what_if"]["changes"][0]["change"] == "deactivate"
    assert doc["what_if"]["changes"][0]["user"]["id"] == "0055e000000U001AAA"
    assert {x["business_unit"]["name"] for x in doc["results"]} == {NA, "Acme Europe"}
    v = runner.invoke(app, ["audit", "verify", str(record)], catch_exceptions=False)
    assert v.exit_code == 0, v.stdout
    doc["what_if"]["changes"][0]["change"] = "activate"
    record.write_text(json.dumps(doc))
    assert runner.invoke(app, ["audit", "verify", str(record)], catch_exceptions=False).exit_code == 1


SHIPPED_RULES = str(Path(__file__).resolve().parents[2] / "rules")


def test_verify_remedies_proves_the_fix_and_names_who_else_a_role_and_subordinates_assignment_adds(tmp_path: Path):
    data = yaml.safe_load(EXAMPLE.read_text())
    users = data["salesforce"]["users"]
    users[1]["role_id"] = "00E5e000000ROL2AAA"  # asmith: VP Marketing, which no assignment reaches
    users.append({"id": "0055e000000U005AAA", "username": "mlead@acme.example", "email": "mlead@acme.example",
                  "is_active": True, "profile": "Marketing User", "role_id": "00E5e000000ROL2AAA"})
    org = tmp_path / "org.yaml"
    org.write_text(yaml.safe_dump(data))
    r = runner.invoke(app, ["diagnose", "--facts", str(org), "--user", "asmith@acme.example", "--business-unit", NA,
                            "--verify-remedies", "--rules", SHIPPED_RULES], catch_exceptions=False)
    assert r.exit_code == 1, r.stderr
    assert ("✓ verified: assign user asmith@acme.example to the Marketing Users group of business unit Acme North America "
            "removes this cause") in r.stdout
    assert ("✓ verified: assign role and subordinates VP Marketing to the Marketing Users group of business unit "
            "Acme North America removes this cause") in r.stdout
    assert "also gives Account Engagement access to 1 other user in Acme North America: mlead@acme.example" in r.stdout
    j = runner.invoke(app, ["diagnose", "--facts", str(org), "--user", "asmith@acme.example", "--business-unit", NA,
                            "--verify-remedies", "--rules", SHIPPED_RULES, "--format", "json"], catch_exceptions=False)
    (verdict,) = [v for v in json.loads(j.stdout)["results"][0]["verdicts"] if v["code"] == "MANAGED_NOT_ASSIGNED"]
    assert [(c["remedy"], c["cause_gone"]) for c in verdict["remedy_checks"]] == [(1, True), (2, True)]
    assert verdict["remedy_checks"][1]["others"] == [{"business_unit": NA, "move": "gains_access", "count": 1,
                                                      "users": ["mlead@acme.example"]}]


def test_verify_remedies_says_when_a_declared_change_does_not_apply():
    r = runner.invoke(app, ["diagnose", "--facts", str(EXAMPLE), "--user", "asmith@acme.example", "--business-unit", NA,
                            "--verify-remedies", "--rules", SHIPPED_RULES], catch_exceptions=False)
    assert "not verified: the declared change does not apply here (unknown here: user.role_id)" in r.stdout
