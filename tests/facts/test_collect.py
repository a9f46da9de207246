"""Collectors end to end over real HTTP (TLS), with the real simple-salesforce and requests code."""
from __future__ import annotations

import json
from pathlib import Path

import yaml

from syncdoctor.cli.main import app
from syncdoctor.facts.salesforce import USER_FIELDS
from tests.facts.fake_salesforce import BU_LEGACY, BU_MANAGED, N_USERS, PASSWORD, TOKEN, sfid
from tests.conftest import cli, runner



def login(org) -> list[str]:
    return ["--username", "admin@fake.example", "--password", PASSWORD, "--security-token", TOKEN,
            "--login-url", org.base_url, "--ae-api-url", org.base_url, "--backoff", "0.01", "--timeout", "1"]



def test_collect_writes_a_complete_snapshot(fake_org, tmp_path):
    out = tmp_path / "org.yaml"
    r = cli("facts", "collect", "--out", str(out), *login(fake_org))
    assert r.exit_code == 0, r.stderr
    data = yaml.safe_load(out.read_text())
    assert len(data["salesforce"]["users"]) == N_USERS + 1
    assert {bu["id"] for bu in data["business_units"]} == {BU_MANAGED, BU_LEGACY}
    # The 8 internal roles; the portal role that no user holds and no group names is not read.
    assert len(data["salesforce"]["roles"]) == 8 and "Partner Role" not in {r["name"] for r in data["salesforce"]["roles"]}
    groups = {g["name"]: g["members"] for g in data["salesforce"]["public_groups"]}
    assert {"type": "role", "id": sfid("00E", 3)} in groups["Group 2"]
    assert {"type": "role_and_subordinates", "id": sfid("00E", 6)} in groups["Group 3"]
    assert {"type": "public_group", "id": sfid("00G", 1)} in groups["Group 4"]
    ae = data["account_engagement"]["users"]
    assert sum(a["business_unit_id"] == BU_MANAGED for a in ae) == len(range(0, N_USERS, 3)) + 1
    assert any(a["in_recycle_bin"] for a in ae)
    # What no API tells stays unknown: no mode, no table, no assignments were invented.
    assert all("user_sync" not in bu and "user_groups" not in bu for bu in data["business_units"])
    assert data["sources"]["salesforce.users"]["source"] == "salesforce"
    # Paging: 301 users at 100 per page is 4 pages; AE 101 users at 40 per page is 3 pages per BU.
    user_calls = [p for m, p in fake_org.requests if "FROM+User" in p or "query/01g000003" in p]
    assert len([p for _, p in fake_org.requests if "/api/v5/" in p]) == 6
    assert "API calls" in r.stderr and "api-usage=" in r.stderr
    assert user_calls


def test_call_count_is_independent_of_users_diagnosed(fake_org, tmp_path):
    r = cli("facts", "collect", "--out", str(tmp_path / "a.json"), *login(fake_org))
    assert r.exit_code == 0, r.stderr
    calls_all = len(fake_org.requests)
    fake_org.requests.clear()
    r = cli("diagnose", "--org", *login(fake_org), "--user", "user4@fake.example", "--format", "json")
    assert r.exit_code in (0, 1), r.stderr
    # One user is one query page instead of four; nothing per user.
    assert len(fake_org.requests) <= calls_all
    assert not any("sobjects/User/" in p for _, p in fake_org.requests)


def test_quote_and_backslash_in_username_cannot_change_the_soql(fake_org):
    r = cli("diagnose", "--org", *login(fake_org), "--user", "o'brien\\ops@fake.example", "--format", "json")
    assert r.exit_code in (0, 1), r.stderr
    doc = json.loads(r.stdout)
    assert {res["user"]["username"] for res in doc["results"]} == {"o'brien\\ops@fake.example"}
    user_soql = [q for q in fake_org.soql if "FROM User WHERE" in q]
    assert user_soql == [f"SELECT {USER_FIELDS} FROM User "
                         "WHERE Username = 'o\\'brien\\\\ops@fake.example' OR Email = 'o\\'brien\\\\ops@fake.example' ORDER BY Id"]
    # An injection attempt is just a username nobody has.
    fake_org.soql.clear()
    r = cli("diagnose", "--org", *login(fake_org), "--user", "x' OR Username != '")
    assert r.exit_code == 2 and "no Salesforce user" in r.stderr
    assert "Username = 'x\\' OR Username != \\''" in fake_org.soql[-1]


def test_round_trip_collect_then_diagnose_equals_diagnosing_the_org_directly(fake_org, tmp_path):
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        "answers_version: 1\n"
        "business_units:\n"
        f"  {BU_MANAGED}:\n"
        "    sync_enabled: true\n    mode: managed\n    last_change_minutes_ago: 600\n"
        "    profile_roles: {Marketing User: Marketing, Sales Profile: Sales}\n"
        "    user_groups:\n"
        "      marketing: [{type: public_group, name: Group 1}, {type: user, name: user10@fake.example}]\n"
        "      sales: [{type: role_and_subordinates, name: Level 7}]\n"
        "  Fake Legacy:\n"
        "    sync_enabled: true\n    mode: legacy\n    last_change_minutes_ago: 600\n"
        "    profile_roles: {Marketing User: Marketing}\n    move_to_recycle_bin_without_profile: true\n")
    snap = tmp_path / "org.json"
    r = cli("facts", "collect", "--out", str(snap), "--answers", str(answers), *login(fake_org))
    assert r.exit_code == 0, r.stderr
    from_file = cli("diagnose", "--facts", str(snap), "--all", "--format", "json")
    live = cli("diagnose", "--org", *login(fake_org), "--all", "--answers", str(answers), "--format", "json")
    assert from_file.exit_code == live.exit_code == 1
    verdicts = lambda doc: {(r["user"]["id"], r["business_unit"]["id"]): sorted(v["code"] for v in r["verdicts"])
                            for r in json.loads(doc)["results"]}
    a, b = verdicts(from_file.stdout), verdicts(live.stdout)
    assert a == b and len(a) == 2 * (N_USERS + 1)
    codes = {c for v in a.values() for c in v}
    assert {"MANAGED_NOT_ASSIGNED", "LEGACY_PROFILE_NOT_SYNCED"} <= codes
    # The engineer's answers are facts with that provenance in explanations.
    r = cli("explain", "MANAGED_NOT_ASSIGNED", "--facts", str(snap), "--user", "user2@fake.example",
            "--business-unit", BU_MANAGED)
    assert "stated by the engineer" in r.stdout


def test_facts_collect_json(snapshot, fake_org, tmp_path):
    from tests.cli.test_json_snapshots import normalised
    out = tmp_path / "org.json"
    r = runner.invoke(app, ["facts", "collect", "--out", str(out), *login(fake_org), "--business-unit", "Fake Legacy"])
    assert r.exit_code == 0, r.stderr
    doc = normalised(out.read_text())
    doc["salesforce"]["users"] = doc["salesforce"]["users"][:5]  # the fixture org has 301; five show the shape
    doc["account_engagement"]["users"] = doc["account_engagement"]["users"][:5]
    assert doc == snapshot


def test_what_if_on_a_live_org_equals_what_if_on_its_collected_snapshot(fake_org, tmp_path):
    """`what-if --org` reads the org as `diagnose --org` does; with the same answers it reports
    exactly what `what-if --facts` reports on the snapshot collected from it."""
    answers = tmp_path / "answers.yaml"
    answers.write_text(
        "answers_version: 1\nbusiness_units:\n  Fake Managed:\n    sync_enabled: true\n    mode: managed\n"
        "    last_change_minutes_ago: 600\n    profile_roles: {Marketing User: Marketing, Sales Profile: Sales}\n"
        "    user_groups:\n      marketing: [{type: user, name: user10@fake.example}]\n      sales: []\n")
    snap = tmp_path / "org.json"
    assert cli("facts", "collect", "--out", str(snap), "--answers", str(answers), *login(fake_org)).exit_code == 0
    change = ["--assign", "role-and-subordinates:Level 7 -> Fake Managed/Marketing Users", "--format", "json", "--list"]
    from_file = cli("what-if", "--facts", str(snap), *change)
    live = cli("what-if", "--org", *login(fake_org), "--answers", str(answers), *change)
    assert from_file.exit_code == live.exit_code == 0, live.stderr
    moved = lambda out: {(g["business_unit"]["id"], u["id"]) for g in json.loads(out)["business_units"]  # noqa: E731
                         for u in g["gains_access"]["users"]}
    assert moved(from_file.stdout) == moved(live.stdout) != set()
