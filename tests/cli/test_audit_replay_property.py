"""Audit records as a property (api/audit_record.py, api/replay.py): for random orgs and every
selection (one user, --business-unit, --all, --jobs, --answers), an untouched record verifies
and replays with exit 0, and any single-field edit of a result is caught: by replay (the edit
rehashed, as anyone can) and by audit verify --public-key (the signature kept)."""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncdoctor.api.audit_record import sha256
from syncdoctor.facts.synthetic import generate
from tests.conftest import cli

SELECTIONS = ["user", "user-in-bu", "business-unit", "all", "all-jobs"]



@pytest.fixture(scope="module")
def key(tmp_path_factory) -> tuple[Path, Path]:
    k = tmp_path_factory.mktemp("key") / "k"
    assert cli("audit", "keygen", "--out", str(k)).exit_code == 0
    return k, Path(str(k) + ".pub")


_RECORDS: dict[tuple, Any] = {}


def recorded(tmp_path_factory, key, seed: int, selection: str, answers: bool) -> Path:
    """A signed record of one diagnosis of a generated org (made once per arguments)."""
    args = (seed, selection, answers)
    if args in _RECORDS:
        return _RECORDS[args]
    d = tmp_path_factory.mktemp("rec")
    data = generate(6 + seed % 5, seed=seed)
    facts = d / "org.json"
    facts.write_text(json.dumps(data))
    user = data["salesforce"]["users"][seed % len(data["salesforce"]["users"])]
    bu = data["business_units"][seed % 2]
    cmd = ["diagnose", "--facts", str(facts), "--format", "json", "--audit", str(d / "rec.json"), "--audit-key", str(key[0])]
    cmd += {"user": ["--user", user["username"]], "user-in-bu": ["--user", user["email"], "--business-unit", bu["name"]],
            "business-unit": ["--all", "--business-unit", bu["id"]], "all": ["--all"],
            "all-jobs": ["--all", "--jobs", "2"]}[selection]
    if answers:  # the legacy business unit's last change is unknown in generated orgs
        legacy = next(b for b in data["business_units"] if b["user_sync"].get("mode") == "legacy")
        (d / "answers.yaml").write_text(json.dumps({"answers_version": 1, "business_units": {
            legacy["id"]: {"last_change_minutes_ago": 30 + seed}}}))
        cmd += ["--answers", str(d / "answers.yaml")]
    r = cli(*cmd)
    assert r.exit_code in (0, 1), r.stderr
    _RECORDS[args] = d / "rec.json"
    return _RECORDS[args]


def leaves(value: Any, path: tuple = ()) -> list[tuple]:
    """Every place a single field can be edited: each scalar, each mapping (a key added), each
    key of a mapping (removed)."""
    out: list[tuple] = []
    if isinstance(value, dict):
        out.append(("add", path))
        for k, v in value.items():
            out.append(("remove", path + (k,)))
            out.extend(leaves(v, path + (k,)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(leaves(v, path + (i,)))
    else:
        out.append(("set", path))
    return out


def edit(record: dict, where: tuple) -> None:
    op, path = where
    parent: Any = record["results"]
    for p in path[:-1] if path else ():
        parent = parent[p]
    if op == "add":
        target = parent[path[-1]] if path else parent
        target["x-added"] = True
    elif op == "remove":
        del parent[path[-1]]
    else:
        old = parent[path[-1]]
        parent[path[-1]] = (not old if isinstance(old, bool) else old + 1 if isinstance(old, (int, float))
                            else "edited" if old is None else old + " (edited)" if old else "edited")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(seed=st.integers(1, 4), selection=st.sampled_from(SELECTIONS), answers=st.booleans(), pick=st.integers(0, 10**6))
def test_untouched_records_replay_and_any_edit_of_a_result_is_caught(tmp_path_factory, key, seed, selection, answers, pick):
    rec = recorded(tmp_path_factory, key, seed, selection, answers)
    r = cli("replay", str(rec))
    assert r.exit_code == 0, r.stdout + r.stderr
    assert cli("audit", "verify", str(rec), "--public-key", str(key[1])).exit_code == 0
    record = json.loads(rec.read_text())
    spots = leaves(record["results"])
    where = spots[pick % len(spots)]
    edited = copy.deepcopy(record)
    edit(edited, where)
    signed_copy = rec.with_name("edited-signed.json")
    signed_copy.write_text(json.dumps(edited))  # the signature kept: verify must say ALTERED
    r = cli("audit", "verify", str(signed_copy), "--public-key", str(key[1]))
    assert r.exit_code in (1, 2), (where, r.stdout)
    edited.pop("signature", None)
    edited.pop("record_sha256", None)
    edited["record_sha256"] = sha256(edited)  # as anyone can: an unsigned record rehashed
    forged = rec.with_name("edited.json")
    forged.write_text(json.dumps(edited))
    r = cli("replay", str(forged))
    assert r.exit_code in (1, 2), (where, r.stdout)


def _rehashed(record: dict) -> dict:
    record = {k: v for k, v in record.items() if k not in ("signature", "record_sha256")}
    record["record_sha256"] = sha256(record)
    return record


def test_a_forged_result_before_the_real_one_is_refused(tmp_path_factory, key, tmp_path):
    rec = recorded(tmp_path_factory, key, 2, "all", False)
    record = json.loads(rec.read_text())
    forged = copy.deepcopy(record["results"][0])
    forged["verdicts"] = []
    record["results"].insert(0, forged)
    (tmp_path / "f.json").write_text(json.dumps(_rehashed(record)))
    r = cli("replay", str(tmp_path / "f.json"))
    assert r.exit_code == 2 and "second result" in r.stderr
    assert cli("audit", "verify", str(tmp_path / "f.json")).exit_code == 1


def test_a_downgraded_record_proves_nothing_about_completeness(tmp_path_factory, key, tmp_path):
    rec = recorded(tmp_path_factory, key, 3, "all", False)
    record = json.loads(rec.read_text())
    record["record_version"] = 1
    (tmp_path / "v1sel.json").write_text(json.dumps(_rehashed(record)))
    assert cli("replay", str(tmp_path / "v1sel.json")).exit_code == 2  # a version 1 never held a selection
    del record["selection"]
    record["results"] = record["results"][1:]  # a result dropped
    (tmp_path / "v1.json").write_text(json.dumps(_rehashed(record)))
    r = cli("replay", str(tmp_path / "v1.json"))
    assert r.exit_code == 1 and "NOT PROVEN" in r.stdout


@pytest.mark.parametrize("field", [("user", "username"), ("user", "email"), ("business_unit", "name")])
def test_identity_fields_are_compared(tmp_path_factory, key, tmp_path, field):
    rec = recorded(tmp_path_factory, key, 1, "user-in-bu", False)
    record = json.loads(rec.read_text())
    record["results"][0][field[0]][field[1]] = "someone.else@example.com"
    (tmp_path / "e.json").write_text(json.dumps(_rehashed(record)))
    r = cli("replay", str(tmp_path / "e.json"))
    # the difference names the field with the record's value and today's
    assert r.exit_code == 1 and f"{field[0]}: was " in r.stdout and "someone.else@example.com" in r.stdout


@pytest.mark.parametrize("name", ["salesforce.users[0]@x.example", "salesforce.users[" + "9" * 50 + "]@x.example"])
def test_org_text_shaped_like_a_path_replays(tmp_path, name):
    data = generate(6, seed=1)
    data["salesforce"]["users"][3]["email"] = name
    facts = tmp_path / "org.json"
    facts.write_text(json.dumps(data))
    r = cli("diagnose", "--facts", str(facts), "--user", data["salesforce"]["users"][3]["username"], "--format", "json",
            "--audit", str(tmp_path / "rec.json"))
    assert r.exit_code in (0, 1), r.stderr
    r = cli("replay", str(tmp_path / "rec.json"))
    assert r.exit_code == 0, r.stdout
