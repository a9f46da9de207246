"""Audit records that cannot be forged: Ed25519 signatures, replay comparing whole verdicts
and every result, malformed records as located errors (exit 2), never a traceback."""
from __future__ import annotations

import copy
import hashlib
import json
import stat
from pathlib import Path
from typing import Any, Callable

import pytest

from syncdoctor.api.audit_record import sha256
from tests.conftest import EXAMPLE, cli




@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> tuple[Path, Path]:
    key = tmp_path_factory.mktemp("keys") / "audit-key"
    assert cli("audit", "keygen", "--out", str(key)).exit_code == 0
    return key, key.with_name("audit-key.pub")


@pytest.fixture(scope="module")
def signed(tmp_path_factory, keys) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("rec") / "audit.json"
    r = cli("diagnose", "--facts", str(EXAMPLE), "--user", "asmith@acme.example", "--audit", str(path), "--audit-key", str(keys[0]))
    assert r.exit_code == 1, r.stderr
    return json.loads(path.read_text())


def write(tmp_path: Path, record: dict[str, Any], rehash: bool = True) -> Path:
    """A record as a forger leaves it: edited, with record_sha256 (and the content hash) recomputed."""
    record = copy.deepcopy(record)
    if rehash:
        snap = record["snapshot"]
        if isinstance(snap, dict) and "content_sha256" in snap:
            snap["content_sha256"] = sha256(snap["content"])
        record["record_sha256"] = sha256({k: v for k, v in record.items() if k not in ("record_sha256", "signature")})
    p = tmp_path / "forged.json"
    p.write_text(json.dumps(record))
    return p


def test_keygen_writes_a_private_key_0600_and_never_overwrites(tmp_path, keys):
    assert stat.S_IMODE(keys[0].stat().st_mode) == 0o600
    assert "PUBLIC KEY" in keys[1].read_text()
    before = keys[0].read_bytes()
    r = cli("audit", "keygen", "--out", str(keys[0]))
    assert r.exit_code == 2 and "already exists" in r.stderr and keys[0].read_bytes() == before


def test_a_signed_record_verifies_and_replays(tmp_path, signed, keys):
    p = write(tmp_path, signed, rehash=False)
    r = cli("audit", "verify", str(p), "--public-key", str(keys[1]))
    assert r.exit_code == 0 and "signed by key" in r.stdout
    r = cli("audit", "verify", str(p))
    assert r.exit_code == 0 and "integrity only" in r.stdout and "--public-key" in r.stdout
    r = cli("replay", str(p))
    assert r.exit_code == 0 and "same verdicts" in r.stdout


def _first_verdict(rec: dict) -> dict:
    return rec["results"][0]["verdicts"][0]


FORGERIES: dict[str, Callable[[dict], None]] = {
    "kind": lambda rec: _first_verdict(rec).update(kind="info"),
    "message": lambda rec: _first_verdict(rec).update(message="All good."),
    "remedies": lambda rec: _first_verdict(rec).update(remedies=["Do nothing."]),
    "evidence": lambda rec: _first_verdict(rec).update(evidence=[]),
    "citations": lambda rec: _first_verdict(rec).update(citations=[]),
    "proof emptied": lambda rec: rec["results"][0].update(trace=[], facts=[]),
    "every result dropped": lambda rec: rec.update(results=[]),
    "one result dropped": lambda rec: rec["results"].pop(),
    "a result added": lambda rec: rec["results"].append(dict(copy.deepcopy(rec["results"][0]),
                                                             user={"id": "0055e000000ZZZZAAA", "username": "ghost@acme.example"})),
}
REPLAY_BLIND = {"created_at", "ruleset sha256"}  # replay re-runs; only the signature covers these


@pytest.mark.parametrize("name", list(FORGERIES) + ["created_at", "ruleset sha256"])
def test_any_change_with_recomputed_hashes_fails_signature_verification(tmp_path, signed, keys, name):
    rec = copy.deepcopy(signed)
    if name == "created_at":
        rec["created_at"] = "2020-01-01T00:00:00Z"
    elif name == "ruleset sha256":
        rec["ruleset"]["sha256"] = "0" * 64
    else:
        FORGERIES[name](rec)
    p = write(tmp_path, rec)
    r = cli("audit", "verify", str(p), "--public-key", str(keys[1]))
    assert r.exit_code == 1 and "signature does not match" in r.stdout
    if name not in REPLAY_BLIND:
        r = cli("replay", str(p))
        assert r.exit_code == 1 and "differ" in r.stdout, r.stdout


def test_an_unsigned_record_is_not_trusted_with_a_public_key(tmp_path, signed, keys):
    rec = {k: v for k, v in signed.items() if k != "signature"}
    r = cli("audit", "verify", str(write(tmp_path, rec, rehash=False)), "--public-key", str(keys[1]))
    assert r.exit_code == 1 and "not signed" in r.stdout


def test_a_record_signed_by_another_key_is_not_trusted(tmp_path, signed):
    other = tmp_path / "other"
    assert cli("audit", "keygen", "--out", str(other)).exit_code == 0
    r = cli("audit", "verify", str(write(tmp_path, signed, rehash=False)), "--public-key", str(other) + ".pub")
    assert r.exit_code == 1 and "another key" in r.stdout


def test_a_bad_signing_key_is_refused_before_any_work(tmp_path):
    bad = tmp_path / "key"
    bad.write_text("not a key")
    audit = tmp_path / "a.json"
    r = cli("diagnose", "--facts", str(EXAMPLE), "--user", "asmith@acme.example", "--audit", str(audit), "--audit-key", str(bad))
    assert r.exit_code == 2 and str(bad) in r.stderr and not audit.exists()


def test_the_record_states_the_file_hash_and_embeds_only_what_one_user_needs(signed):
    snap = signed["snapshot"]
    assert snap["file_sha256"] == hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()
    assert [u["username"] for u in snap["content"]["salesforce"]["users"]] == ["asmith@acme.example"]
    assert "diagnosed users (1 of 4)" in snap["embedded"]


def test_a_whole_org_record_embeds_the_whole_snapshot(tmp_path):
    path = tmp_path / "all.json"
    cli("diagnose", "--facts", str(EXAMPLE), "--all", "--audit", str(path))
    rec = json.loads(path.read_text())
    assert rec["snapshot"]["embedded"] == "the whole snapshot"
    assert rec["snapshot"]["sha256"] == sha256(rec["snapshot"]["content"])
    assert cli("replay", str(path)).exit_code == 0


# -- malformed records: exit 2 with a located message ------------------------------------------
def _malformed(signed: dict) -> dict[str, Any]:
    sealed = {k: v for k, v in signed.items() if k != "ruleset"}
    files_list = copy.deepcopy(signed)
    files_list["ruleset"]["files"] = list(files_list["ruleset"]["files"])
    results_str = dict(signed, results="none")
    no_user = copy.deepcopy(signed)
    del no_user["results"][0]["user"]
    verdicts_obj = copy.deepcopy(signed)
    verdicts_obj["results"][0]["verdicts"] = {"code": "X"}
    content_list = copy.deepcopy(signed)
    content_list["snapshot"]["content"] = []
    facts_int = copy.deepcopy(signed)
    facts_int["results"][0]["facts"] = 7
    no_content_hash = copy.deepcopy(signed)
    del no_content_hash["snapshot"]["content_sha256"]
    bad_sig = dict(signed, signature={"algorithm": "rsa", "public_key": "x", "value": "y"})
    return {"snapshot is text": {"record_version": 1, "snapshot": "x"}, "sealed without ruleset": sealed,
            "facts a number": facts_int, "v2 without content_sha256": no_content_hash, "another algorithm": bad_sig,
            "ruleset.files a list": files_list, "results a string": results_str, "a result without user": no_user,
            "verdicts a mapping": verdicts_obj, "content a list": content_list, "a list": [1, 2],
            "record_version 9": dict(signed, record_version=9)}


@pytest.mark.parametrize("command", ["verify", "replay"])
def test_malformed_records_are_located_errors(tmp_path, signed, command):
    for name, bad in _malformed(signed).items():
        p = tmp_path / "bad.json"
        p.write_text(json.dumps(bad))
        args = ["audit", "verify", str(p)] if command == "verify" else ["replay", str(p)]
        r = cli(*args)
        assert r.exit_code == 2, (name, r.stdout, r.stderr)
        assert str(p) in r.stderr and "Traceback" not in r.stderr, name


def test_a_duplicate_key_in_a_record_is_refused(tmp_path, signed):
    """Depends on the shared JSON loader refusing duplicate keys (issue #15, helper h15)."""
    text = json.dumps(signed)
    fake = json.dumps([dict(_first_verdict(signed), kind="info", message="All good.")])
    forged = text.replace('"verdicts": [', f'"verdicts": {fake}, "verdicts": [', 1)
    p = tmp_path / "dup.json"
    p.write_text(forged)
    r = cli("audit", "verify", str(p))
    assert r.exit_code == 2 and "duplicate" in r.stderr.lower()


@pytest.mark.parametrize("bom", [False, True])
def test_file_sha256_is_the_files_bytes_with_answers_and_a_byte_order_mark(tmp_path, bom):
    facts = tmp_path / "org.yaml"
    facts.write_bytes((b"\xef\xbb\xbf" if bom else b"") + EXAMPLE.read_bytes())
    answers = tmp_path / "answers.yaml"
    answers.write_text("answers_version: 1\nbusiness_units:\n  Acme Europe:\n    mode: legacy\n")
    path = tmp_path / "audit.json"
    r = cli("diagnose", "--facts", str(facts), "--user", "jdoe@acme.example", "--answers", str(answers), "--audit", str(path))
    assert r.exit_code in (0, 1), r.stderr
    assert json.loads(path.read_text())["snapshot"]["file_sha256"] == hashlib.sha256(facts.read_bytes()).hexdigest()


ORGS = [EXAMPLE] + sorted((Path(__file__).resolve().parents[2] / "rules" / "cases" / "orgs").glob("*.yaml"))


@pytest.mark.parametrize("org", ORGS, ids=lambda p: p.name)
def test_every_one_user_record_replays_the_same(tmp_path, org):
    """What a one-user record embeds is enough: replay finds the same verdicts and proofs."""
    import yaml
    users = [u["username"] for u in yaml.safe_load(org.read_text())["salesforce"]["users"]]
    for i, user in enumerate(users):
        path = tmp_path / f"a{i}.json"
        r = cli("diagnose", "--facts", str(org), "--user", user, "--audit", str(path), "--symptom", "cannot-delete" if i % 2 else "not-syncing")
        assert r.exit_code in (0, 1), r.stderr
        r = cli("replay", str(path))
        assert r.exit_code == 0 and "same verdicts" in r.stdout, (user, r.stdout)


def test_a_replay_that_stops_midway_has_printed_the_rules_line_first(tmp_path, signed, monkeypatch):
    """api/replay.py hands back what it had to say when the diagnosis stopped (`stopped`): the
    CLI prints it, then raises what stopped the run (an engine crash: exit 4 in cli/main.py), as
    when the CLI printed the rules' line itself before diagnosing."""
    from syncdoctor.api import pipeline
    from syncdoctor.api.knowledge import EngineError

    def crash(*args: Any, **kwargs: Any):
        raise EngineError("the engine stopped")
        yield
    monkeypatch.setattr(pipeline, "diagnosed", crash)
    r = cli("replay", str(write(tmp_path, signed, rehash=False)), catch_exceptions=True)
    assert r.stdout.startswith("rules: identical to the recorded ruleset") and isinstance(r.exception, EngineError)
