"""The right record: ids whose letter case was changed, usernames against shared emails,
business units sharing a name, in `--user`, `--business-unit`, snapshots and answers files."""
from __future__ import annotations

import json

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from syncdoctor.cli.main import app
from syncdoctor.facts.ids import BadId, key, suffix, to18
from tests.conftest import EXAMPLE, runner

NA = "0Uv5e0000000001CAA"


def acme() -> dict:
    return yaml.safe_load(EXAMPLE.read_text())


def write(tmp_path, data: dict, name: str = "org.json"):
    p = tmp_path / name
    p.write_text(json.dumps(data))
    return p


def diagnose(*args: str):
    return runner.invoke(app, ["diagnose", *args, "--format", "json"], catch_exceptions=False)


def codes(r) -> set[str]:
    return {v["code"] for res in json.loads(r.stdout)["results"] for v in res["verdicts"]}

def with_answers(tmp_path, data: dict, business_units: dict):
    """diagnose jdoe with an answers file naming what `business_units` says."""
    answers = tmp_path / "answers.yaml"
    answers.write_text(yaml.safe_dump({"answers_version": 1, "business_units": business_units}))
    return runner.invoke(app, ["diagnose", "--facts", str(write(tmp_path, data)), "--user", "jdoe@acme.example",
                               "--answers", str(answers)])



def true18(sfid15: str) -> str:
    return sfid15 + suffix(sfid15)


# -- ids ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("sfid", ["0055e000000U002", "00E5e000000ROL3", "a0Bx0000001AbCd", "0Uv5e0000000001", "zzzzzZZZZZ12345"])
@pytest.mark.parametrize("mangle", [str.upper, str.lower])
def test_an_18_character_id_gets_its_case_back_from_its_suffix(sfid, mangle):
    written = mangle(true18(sfid))
    assert key(written) == sfid
    assert to18(written) == true18(sfid)
    assert key(true18(sfid)) == sfid  # as Salesforce writes it


def _suffix_by_definition(sfid15: str) -> str:
    """Salesforce's definition: per chunk of five characters, bit i set when character i is A-Z."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
    return "".join(alphabet[sum(1 << i for i, ch in enumerate(sfid15[c * 5:c * 5 + 5]) if "A" <= ch <= "Z")] for c in range(3))


@given(st.text(alphabet=st.sampled_from("aZ09bY-é٣Ａ \x00"), max_size=18) | st.from_regex(r"[A-Za-z0-9]{15}", fullmatch=True))
def test_the_fast_suffix_is_the_definition(sfid15: str):
    assert suffix(sfid15) == _suffix_by_definition(sfid15)


@pytest.mark.parametrize("bad", ["0055e000000U002AA5", "0055e000000U002ZZZ", "0055e000000U0029AA", "00000000000000005AA"[:18]])
def test_a_suffix_no_casing_gives_is_bad_input(bad):
    with pytest.raises(BadId):
        key(bad)


def test_an_upper_cased_assignment_reaches_the_right_user(tmp_path):
    """The issue's reproduction: asmith's true id, upper-cased, in the Marketing group."""
    data = acme()
    for u in data["salesforce"]["users"]:
        u["id"] = true18(u["id"][:15])
    for a in data["account_engagement"]["users"]:
        a["salesforce_id"] = true18(a["salesforce_id"][:15])
    data["business_units"][0]["user_groups"]["marketing"] = [{"type": "user", "id": true18("0055e000000U002").upper()}]
    r = diagnose("--facts", str(write(tmp_path, data)), "--user", "asmith@acme.example", "--business-unit", NA)
    assert "MANAGED_NOT_ASSIGNED" not in codes(r)
    data["business_units"][0]["user_groups"]["marketing"] = [{"type": "user", "id": true18("0055e000000U001").lower()}]
    r = diagnose("--facts", str(write(tmp_path, data)), "--user", "asmith@acme.example", "--business-unit", NA)
    assert "MANAGED_NOT_ASSIGNED" in codes(r)


@pytest.mark.parametrize("mangle", [str.upper, str.lower])
def test_user_lookup_by_a_case_changed_18_character_id(tmp_path, mangle):
    data = acme()
    for u in data["salesforce"]["users"]:
        u["id"] = true18(u["id"][:15])
    f = write(tmp_path, data)
    for u in data["salesforce"]["users"]:
        r = diagnose("--facts", str(f), "--user", mangle(u["id"]), "--business-unit", NA)
        assert r.exit_code in (0, 1), r.stderr
        res = json.loads(r.stdout)["results"][0]
        assert res["user"]["username"] == u["username"]
        assert res["user"]["id"] == u["id"]  # shown as the snapshot wrote it


def test_a_15_character_id_in_another_case_names_the_real_one():
    r = runner.invoke(app, ["diagnose", "--facts", str(EXAMPLE), "--user", "0055E000000U002"])
    assert r.exit_code == 2
    assert "0055e000000U002" in r.stderr and "did you mean" in r.stderr


def test_a_bad_suffix_on_the_command_line_is_named():
    r = runner.invoke(app, ["diagnose", "--facts", str(EXAMPLE), "--user", "0055e000000U002ZZZ"])
    assert r.exit_code == 2 and "0055e000000U002ZZZ" in r.stderr and "suffix" in r.stderr


def test_a_bad_suffix_in_the_snapshot_is_located(tmp_path):
    data = acme()
    data["salesforce"]["roles"][1]["parent_id"] = "00E5e000000ROL2ZZ5"
    r = runner.invoke(app, ["diagnose", "--facts", str(write(tmp_path, data)), "--user", "jdoe@acme.example"])
    assert r.exit_code == 2
    assert "bad-id" in r.stderr and "salesforce.roles[1].parent_id" in r.stderr and "00E5e000000ROL2ZZ5" in r.stderr


def test_duplicates_are_found_across_letter_case(tmp_path):
    data = acme()
    users = data["salesforce"]["users"]
    users[0]["id"] = true18("0055e000000U009")
    users[1]["id"] = true18("0055e000000U009").upper()
    r = runner.invoke(app, ["diagnose", "--facts", str(write(tmp_path, data)), "--user", "jdoe@acme.example"])
    assert r.exit_code == 2 and "duplicate-id" in r.stderr


# -- usernames, emails, business-unit names ----------------------------------------------------
def test_exact_username_wins_over_another_users_email(tmp_path):
    data = acme()
    users = data["salesforce"]["users"]
    bwong = next(u for u in users if u["username"].startswith("bwong"))
    bwong["email"] = "asmith@acme.example"
    users.remove(bwong)
    users.insert(0, bwong)
    r = diagnose("--facts", str(write(tmp_path, data)), "--user", "asmith@acme.example", "--business-unit", NA)
    assert json.loads(r.stdout)["results"][0]["user"]["username"] == "asmith@acme.example"


@pytest.mark.parametrize("shared", ["team@acme.example", "Ops.Shared@Acme.Example"])
def test_a_shared_email_is_ambiguous_and_names_every_candidate(tmp_path, shared):
    data = acme()
    for u in data["salesforce"]["users"][1:3]:
        u["email"] = shared
    r = runner.invoke(app, ["diagnose", "--facts", str(write(tmp_path, data)), "--user", shared.lower()])
    assert r.exit_code == 2
    for u in data["salesforce"]["users"][1:3]:
        assert u["username"] in r.stderr and u["id"] in r.stderr
    assert "ambiguous" in r.stderr


def test_a_shared_business_unit_name_is_ambiguous(tmp_path):
    data = acme()
    for bu in data["business_units"]:
        bu["name"] = "EMEA"
    r = runner.invoke(app, ["diagnose", "--facts", str(write(tmp_path, data)), "--user", "jdoe@acme.example",
                            "--business-unit", "EMEA"])
    assert r.exit_code == 2 and "ambiguous" in r.stderr
    for bu in data["business_units"]:
        assert bu["id"] in r.stderr


def test_unknown_user_suggests_closest_usernames():
    r = runner.invoke(app, ["diagnose", "--facts", str(EXAMPLE), "--user", "asmiht@acme.example"])
    assert r.exit_code == 2 and "did you mean" in r.stderr and "asmith@acme.example" in r.stderr


def test_answers_file_with_a_shared_email_is_ambiguous(tmp_path):
    data = acme()
    for u in data["salesforce"]["users"][2:4]:
        u["email"] = "shared@acme.example"
    r = with_answers(tmp_path, data, {NA: {"user_groups": {"marketing": [{"type": "user", "name": "shared@acme.example"}],
                                                            "sales": []}}})
    assert r.exit_code == 2 and "ambiguous" in r.stderr
    for u in data["salesforce"]["users"][2:4]:
        assert u["username"] in r.stderr


def test_answers_file_username_wins_over_email(tmp_path):
    data = acme()
    users = data["salesforce"]["users"]
    users[3]["email"] = users[1]["username"]  # crep carries asmith's username as email
    users.insert(0, users.pop(3))
    answers = tmp_path / "answers.yaml"
    answers.write_text(yaml.safe_dump({"answers_version": 1, "business_units": {NA: {"user_groups": {
        "marketing": [{"type": "user", "name": "asmith@acme.example"}], "sales": []}}}}))
    r = diagnose("--facts", str(write(tmp_path, data)), "--user", "asmith@acme.example", "--business-unit", NA,
                 "--answers", str(answers))
    assert "MANAGED_NOT_ASSIGNED" not in codes(r)


def test_answers_file_naming_a_shared_business_unit_name_is_ambiguous(tmp_path):
    data = acme()
    for bu in data["business_units"]:
        bu["name"] = "Acme"
    r = with_answers(tmp_path, data, {"Acme": {"mode": "legacy"}})
    assert r.exit_code == 2 and "ambiguous-business-unit" in r.stderr
    for bu in data["business_units"]:
        assert bu["id"] in r.stderr


def test_answers_file_naming_a_shared_group_name_is_ambiguous(tmp_path):
    data = acme()
    for g in data["salesforce"]["public_groups"]:
        g["name"] = "Team"
    r = with_answers(tmp_path, data, {NA: {"user_groups": {"marketing": [{"type": "public_group", "name": "Team"}],
                                                            "sales": []}}})
    assert r.exit_code == 2 and "ambiguous" in r.stderr
    for g in data["salesforce"]["public_groups"]:
        assert g["id"] in r.stderr


def test_the_issues_reproduction_on_the_example_as_shipped(tmp_path):
    data = acme()
    data["business_units"][0]["user_groups"]["marketing"] = [{"type": "user", "id": "0055E000000U002AAC"}]
    r = diagnose("--facts", str(write(tmp_path, data)), "--user", "asmith@acme.example", "--business-unit", NA)
    assert r.exit_code in (0, 1) and "MANAGED_NOT_ASSIGNED" not in codes(r)
    r = diagnose("--facts", str(write(tmp_path, data)), "--user", "0055E000000U002AAC", "--business-unit", NA)
    assert json.loads(r.stdout)["results"][0]["user"]["username"] == "asmith@acme.example"
