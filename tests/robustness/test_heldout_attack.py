"""Held-out variants of the trust (issue 14) and input-hardening (issue 15) attacks, found by a
hostile review after both were implemented: each failed before its fix."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, cli_process

ACME = ROOT / "docs" / "examples" / "acme.yaml"
KNOWLEDGE = ROOT / "tests" / "fixtures" / "knowledge_v2"  # a frozen copy of the knowledge v2 rules


def acme(tmp_path: Path, name: str, change) -> Path:
    doc = yaml.safe_load(ACME.read_text())
    change(doc)
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def test_username_is_own_linked_ae_email_but_sf_email_changed(tmp_path: Path) -> None:
    """A user whose Salesforce email changed while their linked AE user keeps the old address
    (their username): durable-rules fired collision-username's second branch (two joins to the
    same fact, one nested `$and`) and the agreement check ended the run with exit 4."""
    snap = acme(tmp_path, "moved.json", lambda d: d["salesforce"]["users"][0].update(email="jdoe@new.example"))
    for symptom in ([], ["--symptom", "not-syncing"]):
        res = cli_process("diagnose", "--rules", str(KNOWLEDGE), "--facts", str(snap), "--user", "jdoe@acme.example", *symptom,
                  "--format", "json")
        assert res.returncode in (0, 1), res.stderr
        assert "internal error" not in res.stderr
        doc = json.loads(res.stdout)
        codes = {v["code"] for r in doc["results"] for v in r["verdicts"]}
        assert "USERNAME_RESERVED_BY_OTHER_AE_USER" not in codes  # the AE user is theirs


def answers(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "answers.yaml"
    path.write_text("answers_version: 1\nbusiness_units:\n" + text)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("text, wanted", [
    # one business unit answered twice, by name and by id (or 15- and 18-character id)
    ("  Acme Europe:\n    mode: managed\n  0Uv5e0000000002CAA:\n    mode: legacy\n", "duplicate-answer"),
    ("  0Uv5e0000000002:\n    sync_enabled: false\n  0Uv5e0000000002CAA:\n    sync_enabled: true\n", "duplicate-answer"),
    # one user answered twice, by username and by id
    ("  Acme North America:\n    expected_access:\n      asmith@acme.example: false\n      0055e000000U002: true\n",
     "duplicate-answer"),
    # an id that is no user of the snapshot (or a 15-character one whose letter case was changed:
    # another record) was kept silently. An 18-character id in another case names its user
    # (facts/ids.py: its suffix restores the case; tests/facts/test_id_identity.py).
    ("  Acme North America:\n    expected_access:\n      0055e000000U999AAA: false\n", "unknown-name"),
    ("  Acme North America:\n    expected_access:\n      0055E000000U002: false\n", "unknown-name"),
])
def test_answers_that_would_be_silently_lost_are_refused(tmp_path: Path, text: str, wanted: str) -> None:
    res = cli_process("diagnose", "--facts", str(ACME), "--user", "asmith@acme.example", "--answers", str(answers(tmp_path, text)))
    assert res.returncode == 2, res.stdout + res.stderr
    assert wanted in res.stderr and "answers.yaml:" in res.stderr


def test_an_answer_by_id_still_applies(tmp_path: Path) -> None:
    text = "  Acme North America:\n    expected_access:\n      0055e000000U002: false\n"
    res = cli_process("diagnose", "--rules", str(KNOWLEDGE), "--facts", str(ACME), "--user", "asmith@acme.example", "--business-unit", "Acme North America",
              "--answers", str(answers(tmp_path, text)), "--format", "json")
    assert res.returncode == 0, res.stderr  # "should not have access": no cause
    assert "MANAGED_NOT_ASSIGNED" not in res.stdout


@pytest.mark.slow
@pytest.mark.parametrize("stamp", ["2026-11-28T09:00:00+0099", "2026-11-28T09:00:00-00:60", "2026-11-28T09:00+01:75"])
def test_a_time_zone_offset_with_impossible_minutes_is_refused(tmp_path: Path, stamp: str) -> None:
    """`+0099` read as 1 h 39 min: the shape matched and Python's parser took it."""
    snap = acme(tmp_path, "tz.json", lambda d: d["salesforce"]["users"][0].update(last_modified_at=stamp))
    res = cli_process("diagnose", "--facts", str(snap), "--user", "jdoe@acme.example")
    assert res.returncode == 2 and "last_modified_at" in res.stderr and "tz.json:" in res.stderr
    res = cli_process("diagnose", "--facts", str(ACME), "--user", "jdoe@acme.example",
              "--answers", str(answers(tmp_path, f"  Acme North America:\n    last_change_at: '{stamp}'\n")))
    assert res.returncode == 2 and "last_change_at" in res.stderr


CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def test_html_on_a_terminal_carries_no_escape_sequence(tmp_path: Path) -> None:
    """HTML goes to stdout by default: an OSC 52 (clipboard write) or `ESC[2J` in a business
    unit, role, group, profile or user name reached the terminal raw."""
    payload = "\x1b]52;c;SGVsbG8=\x07\x1b[2J\x9b31m\u202e"

    def hostile(d: dict) -> None:
        for bu in d["business_units"]:
            bu["name"] += payload
        for u in d["salesforce"]["users"]:
            u["profile"] += payload
        for x in d["salesforce"]["roles"] + d["salesforce"]["public_groups"]:
            x["name"] += payload
        d["salesforce"]["users"][1]["username"] = "as" + payload + "@x.example"

    snap = acme(tmp_path, "esc.json", hostile)
    res = cli_process("diagnose", "--facts", str(snap), "--all", "--format", "html")
    assert res.returncode in (0, 1), res.stderr
    assert "business unit" in res.stdout and not CONTROLS.search(res.stdout)
    assert "\\x1b]52;c;SGVsbG8=" in res.stdout  # shown, not dropped


def test_nothing_rides_unsigned_in_a_signed_record(tmp_path: Path) -> None:
    """The signature object is the one part the signature does not cover: a `signed_by` note
    added to it passed `audit verify --public-key` as signed and intact."""
    key, record = tmp_path / "key", tmp_path / "rec.json"
    assert cli_process("audit", "keygen", "--out", str(key)).returncode == 0
    res = cli_process("diagnose", "--facts", str(ACME), "--user", "jdoe@acme.example", "--audit", str(record), "--audit-key", str(key))
    assert res.returncode in (0, 1), res.stderr
    assert cli_process("audit", "verify", str(record), "--public-key", f"{key}.pub").returncode == 0
    doc = json.loads(record.read_text())
    doc["signature"]["signed_by"] = "Chief Auditor"
    record.write_text(json.dumps(doc))
    res = cli_process("audit", "verify", str(record), "--public-key", f"{key}.pub")
    assert res.returncode != 0 and "signed_by" in res.stdout + res.stderr


def test_rules_commands_show_a_hostile_rules_folder_without_raw_escapes(tmp_path: Path, rules_copy: Path) -> None:
    """`rules validate/check/show/list` echoed the folder's path and its rules' titles raw: an
    OSC 52 or `ESC[2J` in a rule title or a folder name acted on the reviewer's terminal."""
    payload = "\x1b]52;c;SGVsbG8=\x07\x1b[2J\u202e"
    rule = rules_copy / "conclude" / "access-control-legacy.yaml"
    escaped = "\\e]52;c;SGVsbG8=\\a\\e[2J\\u202e"  # the payload as YAML double-quoted escapes
    rule.write_text(re.sub(r"^title: (.*)$", lambda m: f'title: "{escaped}{m.group(1)}"', rule.read_text(), count=1,
                           flags=re.MULTILINE))
    rule_id = yaml.safe_load(rule.read_text())["id"]
    missing = tmp_path / f"gone{payload}"
    for args in (["validate", str(missing)], ["check", str(missing)], ["show", rule_id, str(rules_copy)],
                 ["list", str(rules_copy)]):
        res = cli_process("rules", *args)
        assert not CONTROLS.search(res.stdout + res.stderr), (args, res.stdout + res.stderr)
        assert args[0] == "list" or "\\x1b]52;c;SGVsbG8=" in res.stdout + res.stderr, args  # shown, not dropped


def test_a_rule_file_linked_from_outside_the_rules_folder_is_named(tmp_path: Path, rules_copy: Path) -> None:
    """A symlink in conclude/ to a file outside the folder was skipped without a word: `rules
    validate` said ok about a folder whose rule was not read."""
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text((rules_copy / "conclude" / "access-control-legacy.yaml").read_text())
    (rules_copy / "conclude" / "linked.yaml").symlink_to(outside)
    res = cli_process("rules", "validate", str(rules_copy))
    assert res.returncode != 0 and "path-outside" in res.stdout + res.stderr and "linked.yaml" in res.stdout + res.stderr


def test_a_record_re_signed_with_another_key_cannot_borrow_the_real_key_id(tmp_path: Path) -> None:
    """Edit the verdicts, re-sign with your own key, keep the real signer's key_id: `audit verify`
    without --public-key said "intact ... signed by key id <the real signer>", exit 0."""
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from syncdoctor.api import audit_record

    key, record = tmp_path / "key", tmp_path / "rec.json"
    assert cli_process("audit", "keygen", "--out", str(key)).returncode == 0
    cli_process("diagnose", "--facts", str(ACME), "--user", "asmith@acme.example", "--audit", str(record), "--audit-key", str(key))
    doc = json.loads(record.read_text())
    real_id = doc.pop("signature")["key_id"]
    for result in doc["results"]:
        result["verdicts"] = []
    doc["record_sha256"] = audit_record.sha256({k: v for k, v in doc.items() if k not in audit_record.UNSIGNED_FIELDS})
    forger = Ed25519PrivateKey.generate()
    public = forger.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    doc["signature"] = {"algorithm": "ed25519", "public_key": base64.b64encode(public).decode(), "key_id": real_id,
                        "value": base64.b64encode(forger.sign(audit_record.canonical(doc))).decode()}
    record.write_text(json.dumps(doc))
    res = cli_process("audit", "verify", str(record))
    assert res.returncode == 1 and real_id in res.stdout and "not the id of its public key" in res.stdout


def test_audit_verify_shows_a_hostile_key_id_without_raw_escapes(tmp_path: Path) -> None:
    """`audit verify` quotes the record's own key id when it explains an alteration: the text
    reaches the terminal with its controls made visible."""
    record = tmp_path / "rec.json"
    assert cli_process("diagnose", "--facts", str(ACME), "--user", "jdoe@acme.example", "--audit", str(record)).returncode in (0, 1)
    doc = json.loads(record.read_text())
    doc["signature"] = {"algorithm": "ed25519", "key_id": "\x1b]0;PWNED\x07\x1b[2J", "public_key": "x", "signature": "y"}
    record.write_text(json.dumps(doc))
    res = cli_process("audit", "verify", str(record))
    assert res.returncode != 0
    assert "\x1b" not in res.stdout + res.stderr and "\x07" not in res.stdout + res.stderr


def test_collection_names_business_units_like_a_snapshot_does() -> None:
    """`--business-unit` on a live org goes through the same lookup as on a snapshot: a shared
    name is ambiguous, a name in another case and an id with its case flattened are found, and
    a longer text that merely starts with an id is not."""
    from syncdoctor.facts.auth import NotInOrg
    from syncdoctor.facts.collect import _select_business_units
    tenants = [{"id": "0Uv5e0000000001CAA", "name": "EMEA"}, {"id": "0Uv5e0000000002CAA", "name": "EMEA"},
               {"id": "0Uv5e0000000003CAA", "name": "North America"}]
    with pytest.raises(NotInOrg, match="ambiguous"):
        _select_business_units(tenants, ["EMEA"], [])
    assert _select_business_units(tenants, ["north america"], []) == [tenants[2]]
    assert _select_business_units(tenants, ["0UV5E0000000003CAA"], []) == [tenants[2]]
    with pytest.raises(NotInOrg, match="not in this org"):
        _select_business_units(tenants, ["0Uv5e0000000003CAAjunk"], [])


def test_an_assignment_answer_is_a_name_before_it_is_an_id() -> None:
    """At the --ask prompt, a role whose name is 15 letters long is that role, not an id."""
    from syncdoctor.facts import consult
    data = yaml.safe_load(ACME.read_text())
    role = data["salesforce"]["roles"][0]
    role["name"] = "SalesManagersUS"
    typed = iter(["role", "SalesManagersUS", "done", "done"])
    p = consult.Prompter(echo=lambda _: None, choose=lambda label, choices: next(typed), text=lambda label: next(typed))
    groups = consult._ask_one("user_groups", data, p, None)
    assert groups["marketing"] == [{"type": "role", "name": "SalesManagersUS"}]
