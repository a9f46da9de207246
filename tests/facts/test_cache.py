"""The snapshot cache (facts/cache.py): a second read of the same bytes skips parsing and
validation and changes nothing in what a diagnosis says; anything wrong with an entry, or a
changed file, falls back to reading the file."""
from __future__ import annotations

import hashlib
import json
import os
import stat
from pathlib import Path

import orjson
import pytest

from tests.conftest import runner
from syncdoctor.cli.diagnose import snapshot_text
from syncdoctor.cli.main import app
from syncdoctor.facts import cache, snapshot
from syncdoctor.facts.synthetic import generate
from syncdoctor.reading.findings import FindingError


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private cache that takes every file, however small."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV_DIR, str(folder))
    monkeypatch.delenv(cache.ENV_DISABLE, raising=False)
    monkeypatch.setattr(cache, "MIN_BYTES", 0)
    return folder / "snapshots"


@pytest.fixture(params=["json", "yaml"])
def org(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    data = generate(60, seed=5)
    data["incomplete_reasons"] = {"salesforce.users": "View All Users could not be shown"}
    path = tmp_path / f"org.{request.param}"
    path.write_text(snapshot_text(data, path), encoding="utf-8")
    return path


def _entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.endswith(".json")) if folder.exists() else []


def _diagnose(path: Path, *extra: str) -> tuple[int, str, str]:
    r = runner.invoke(app, ["diagnose", "--facts", str(path), *extra], catch_exceptions=False)
    return r.exit_code, r.stdout, r.stderr


def _same_snapshot(a: snapshot.Snapshot, b: snapshot.Snapshot) -> None:
    assert a.data == b.data and json.dumps(a.data) == json.dumps(b.data)  # same values, same key order
    assert (a.sha256, a.file_sha256, a.file, a.org_known) == (b.sha256, b.file_sha256, b.file, b.org_known)


def test_a_cache_hit_reads_what_the_file_says(cache_dir: Path, org: Path, monkeypatch: pytest.MonkeyPatch):
    cold = snapshot.load_snapshot(org)
    assert len(_entries(cache_dir)) == 1
    assert cold.file_sha256 == hashlib.sha256(org.read_bytes()).hexdigest()
    # The second read must not parse or validate: make both fail loudly if they are called.
    monkeypatch.setattr(snapshot, "parse_snapshot", lambda *a, **k: pytest.fail("parsed again"))
    warm = snapshot.load_snapshot(org)
    _same_snapshot(cold, warm)


def test_diagnosis_output_is_identical_cold_and_warm(cache_dir: Path, org: Path, monkeypatch: pytest.MonkeyPatch):
    user = ["--user", "user7@synthetic.example", "--format", "json"]
    monkeypatch.setenv(cache.ENV_DISABLE, "1")
    reference = _diagnose(org, *user)
    assert _entries(cache_dir) == []  # disabled: nothing written
    monkeypatch.delenv(cache.ENV_DISABLE)
    cold = _diagnose(org, *user)
    assert len(_entries(cache_dir)) == 1
    warm = _diagnose(org, *user)
    assert reference == cold == warm
    assert json.loads(warm[1])["results"]  # a real diagnosis, compared whole
    # Lookup problems too: the closest usernames, and the reason the user list may be incomplete.
    missing = _diagnose(org, "--user", "user7@synthetic.exampel")
    assert missing[0] == 2 and "user7@synthetic.example" in missing[2] and "View All Users" in missing[2]
    monkeypatch.setenv(cache.ENV_DISABLE, "1")
    assert _diagnose(org, "--user", "user7@synthetic.exampel") == missing


def test_the_audit_record_names_the_bytes_as_read(cache_dir: Path, org: Path, tmp_path: Path):
    digest = hashlib.sha256(org.read_bytes()).hexdigest()
    for run in ("cold", "warm"):
        record = tmp_path / f"{run}.audit.json"
        _diagnose(org, "--user", "user3@synthetic.example", "--audit", str(record))
        assert json.loads(record.read_text())["snapshot"]["file_sha256"] == digest


def _corruptions(entry: Path) -> dict[str, bytes]:
    raw = entry.read_bytes()
    head, _, payload = raw.partition(b"\n")
    header = orjson.loads(head)
    other = dict(header, key="0" * 64)
    forged_payload = payload.replace(b"user1@", b"userX@")
    return {
        "truncated": raw[: len(raw) // 2],
        "empty": b"",
        "flipped byte": raw[:-10] + bytes([raw[-10] ^ 1]) + raw[-9:],
        "payload changed, digest kept": head + b"\n" + forged_payload,
        "header of another file": orjson.dumps(other) + b"\n" + payload,
        "other code": orjson.dumps(dict(header, code="x")) + b"\n" + payload,
        "not JSON": b"\x00\xff" * 100,
        "no header": payload,
    }


@pytest.mark.parametrize("kind", ["truncated", "empty", "flipped byte", "payload changed, digest kept",
                                  "header of another file", "other code", "not JSON", "no header"])
def test_a_bad_entry_is_ignored_and_rewritten(cache_dir: Path, org: Path, kind: str):
    cold = snapshot.load_snapshot(org)
    [entry] = _entries(cache_dir)
    good = entry.read_bytes()
    entry.write_bytes(_corruptions(entry)[kind])
    again = snapshot.load_snapshot(org)
    _same_snapshot(cold, again)
    assert entry.read_bytes() == good  # rebuilt from the file


def test_a_changed_file_is_never_served_stale(cache_dir: Path, org: Path):
    before = snapshot.load_snapshot(org)
    st = org.stat()
    text = org.read_text(encoding="utf-8")
    changed = text.replace("user1@synthetic.example", "user1@synthetic.exampl")  # padded to the same size below
    assert changed != text
    org.write_text(changed + " " * (len(text) - len(changed)), encoding="utf-8")
    assert org.stat().st_size == st.st_size
    os.utime(org, ns=(st.st_atime_ns, st.st_mtime_ns))  # same mtime: only the content tells
    after = snapshot.load_snapshot(org)
    assert after.file_sha256 != before.file_sha256 and after.sha256 != before.sha256
    assert any(u["username"] == "user1@synthetic.exampl" for u in after.users)
    assert len(_entries(cache_dir)) == 2


def test_an_invalid_file_is_refused_every_time_and_never_cached(cache_dir: Path, tmp_path: Path):
    bad = tmp_path / "bad.json"
    data = generate(5, seed=1)
    data["salesforce"]["users"].append(dict(data["salesforce"]["users"][0]))  # a duplicate id
    bad.write_text(json.dumps(data), encoding="utf-8")
    for _ in range(2):
        with pytest.raises(FindingError) as exc:
            snapshot.load_snapshot(bad)
        assert "duplicate-id" in {f.id for f in exc.value.findings}
    assert _entries(cache_dir) == []


def test_entries_are_private_and_bounded(cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(cache, "MAX_ENTRIES", 3)
    for seed in range(5):
        path = tmp_path / f"org{seed}.json"
        path.write_text(json.dumps(generate(5, seed=seed)), encoding="utf-8")
        snapshot.load_snapshot(path)
    entries = _entries(cache_dir)
    assert len(entries) == 3
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in entries)
    assert stat.S_IMODE(cache_dir.stat().st_mode) & 0o077 == 0


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_directory_others_may_write_is_not_used(cache_dir: Path, org: Path):
    cache_dir.mkdir(parents=True)
    cache_dir.chmod(0o777)
    snapshot.load_snapshot(org)
    assert _entries(cache_dir) == []
    assert cache.directory() is None


def test_small_files_are_not_cached(tmp_path: Path, org: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(cache.ENV_DIR, str(tmp_path / "c"))
    assert org.stat().st_size < cache.MIN_BYTES
    snapshot.load_snapshot(org)
    assert _entries(tmp_path / "c" / "snapshots") == []
