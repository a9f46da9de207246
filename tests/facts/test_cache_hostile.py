"""The snapshot cache against a hostile cache folder (facts/cache.py): it deletes only files it
wrote, never follows a link, never uses a folder another user could change, acts only through
the handle it checked (a folder swapped in after the check is never read), and its key changes
with any code or library that decides what loading accepts."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncdoctor.facts import cache, snapshot
from syncdoctor.facts.synthetic import generate

pytestmark = pytest.mark.skipif(not cache._supported(), reason="the cache is off where folders cannot be opened by handle")


def private_cache(tmp: Path, monkeypatch: pytest.MonkeyPatch, max_entries: int) -> Path:
    """A private cache root (its `snapshots` folder is the cache) taking every file."""
    root = tmp / "cache"
    root.mkdir(mode=0o700)
    monkeypatch.setenv(cache.ENV_DIR, str(root))
    monkeypatch.delenv(cache.ENV_DISABLE, raising=False)
    monkeypatch.setattr(cache, "MIN_BYTES", 0)
    monkeypatch.setattr(cache, "MAX_ENTRIES", max_entries)
    return root


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return private_cache(tmp_path, monkeypatch, 2)


def _orgs(tmp_path: Path, n: int) -> list[Path]:
    out = []
    for seed in range(n):
        p = tmp_path / f"org{seed}.json"
        p.write_text(json.dumps(generate(4, seed=seed)), encoding="utf-8")
        out.append(p)
    return out


def _tree(folder: Path) -> dict[str, bytes | str]:
    """Every name under `folder` with its bytes (a link: where it points)."""
    out: dict[str, bytes | str] = {}
    for p in sorted(folder.rglob("*")):
        rel = str(p.relative_to(folder))
        out[rel] = os.readlink(p) if p.is_symlink() else (p.read_bytes() if p.is_file() else "dir")
    return out


foreign_names = st.text(st.sampled_from("abcdef0123456789ABC.-_json"), min_size=1, max_size=30).filter(
    lambda n: n not in (".", "..") and not cache.ENTRY.fullmatch(n) and not cache.TEMPORARY.fullmatch(n))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.sets(foreign_names, min_size=1, max_size=6), links=st.booleans())
def test_pruning_removes_only_its_own_entries(tmp_path_factory, monkeypatch, names, links):
    tmp = tmp_path_factory.mktemp("prune")
    folder = private_cache(tmp, monkeypatch, 1) / "snapshots"
    folder.mkdir(mode=0o700)
    outside = tmp / "outside"
    outside.mkdir()
    (outside / "keep.json").write_text("mine")
    orgs = _orgs(tmp, 3)
    for name in names:  # the user's own files, an input snapshot copied there among them
        (folder / name).write_bytes(orgs[0].read_bytes())
    if links:  # a link named like an entry, into another folder
        (folder / ("0" * 64 + ".json.json")).symlink_to(outside / "keep.json")
        (folder / ("1" * 64 + ".yaml.json")).symlink_to(outside)
    before, outside_before = {n: (folder / n).read_bytes() for n in names}, _tree(outside)
    for p in orgs:
        snapshot.load_snapshot(p)
    assert {n: (folder / n).read_bytes() for n in names} == before
    assert _tree(outside) == outside_before
    own = [p for p in folder.iterdir() if cache.ENTRY.fullmatch(p.name) and not p.is_symlink()]
    assert len(own) == 1  # bounded: the other two of its own entries were removed


def test_a_snapshots_link_into_another_folder_is_not_followed(home: Path, tmp_path: Path):
    other = tmp_path / "elsewhere"
    other.mkdir(mode=0o700)
    for i in range(4):
        (other / f"{i:064x}.json.json").write_text("the user's own file, named like an entry")
    (home / "snapshots").symlink_to(other)
    before = _tree(other)
    for p in _orgs(tmp_path, 3):
        snapshot.load_snapshot(p)
    assert _tree(other) == before
    assert cache.directory() is None


def test_a_linked_entry_is_never_read(home: Path, tmp_path: Path):
    """A forged entry that is a link (to a file the attacker controls) is ignored, never followed."""
    [org] = _orgs(tmp_path, 1)
    genuine = snapshot.load_snapshot(org)
    folder = home / "snapshots"
    [entry] = [p for p in folder.iterdir() if cache.ENTRY.fullmatch(p.name)]
    forged = tmp_path / "forged"
    data = json.loads(org.read_text())
    data["salesforce"]["users"][0]["username"] = "forged@evil.example"
    forged.write_bytes(_entry_bytes(entry, data))
    entry.unlink()
    entry.symlink_to(forged)
    again = snapshot.load_snapshot(org)
    assert again.users[0]["username"] == genuine.users[0]["username"] != "forged@evil.example"


def _entry_bytes(entry: Path, data: dict) -> bytes:
    """A well-formed entry holding `data` under `entry`'s header (digest and length recomputed)."""
    import hashlib

    import orjson
    head = json.loads(entry.read_bytes().split(b"\n", 1)[0])
    payload = orjson.dumps(data)
    head.update(length=len(payload), payload_sha256=hashlib.sha256(payload).hexdigest())
    return orjson.dumps(head) + b"\n" + payload


@pytest.mark.parametrize("mode", [0o777, 0o775, 0o757])
def test_a_folder_on_the_path_others_may_write_disables_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: int):
    parent = tmp_path / "shared"
    parent.mkdir()
    os.chmod(parent, mode)  # writable by a group or everyone, no sticky bit: anyone could swap `cache`
    monkeypatch.setenv(cache.ENV_DIR, str(parent / "cache"))
    monkeypatch.delenv(cache.ENV_DISABLE, raising=False)
    monkeypatch.setattr(cache, "MIN_BYTES", 0)
    [org] = _orgs(tmp_path, 1)
    snapshot.load_snapshot(org)
    assert cache.directory() is None
    assert not (parent / "cache" / "snapshots").exists() or not any((parent / "cache" / "snapshots").iterdir())


def test_a_folder_on_the_path_another_user_owns_disables_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """As root the test makes the parent another user's; as anyone else, a parent that is not
    theirs already exists on every machine: the cache must refuse a path through it."""
    monkeypatch.delenv(cache.ENV_DISABLE, raising=False)
    if os.getuid() == 0:
        parent = tmp_path / "theirs"
        parent.mkdir(mode=0o755)
        (parent / "cache").mkdir(mode=0o700)
        os.chown(parent, 54321, 54321)
        monkeypatch.setenv(cache.ENV_DIR, str(parent / "cache"))
    else:
        monkeypatch.setenv(cache.ENV_DIR, "/proc/1/cache-syncdoctor")  # / is root's, /proc/1 someone else's
    assert cache.open_folder() is None


def test_a_folder_swapped_in_after_the_check_is_never_used(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The race of the issue: the attacker replaces the checked folder between check and use.
    Here they always win the race (the swap happens right after the folder is opened): the
    forged entry is still never read, and nothing is written into their folder."""
    [org] = _orgs(tmp_path, 1)
    genuine = snapshot.load_snapshot(org)
    folder = home / "snapshots"
    [entry] = [p.name for p in folder.iterdir() if cache.ENTRY.fullmatch(p.name)]
    data = json.loads(org.read_text())
    data["salesforce"]["users"][0]["username"] = "forged@evil.example"
    evil = tmp_path / "evil"
    evil.mkdir(mode=0o700)
    (evil / entry).write_bytes(_entry_bytes(folder / entry, data))
    real_open = cache.open_folder

    def open_then_swap() -> int | None:
        fd = real_open()
        if not (home / "moved").exists():
            folder.rename(home / "moved")
            (home / "snapshots").symlink_to(evil)
        return fd

    monkeypatch.setattr(cache, "open_folder", open_then_swap)
    again = snapshot.load_snapshot(org)
    assert again.users[0]["username"] == genuine.users[0]["username"]
    assert sorted(p.name for p in evil.iterdir()) == [entry]  # nothing written there


def test_the_key_covers_every_module_loading_imports():
    """Every syncdoctor module that loading a snapshot imports is in a package the key hashes."""
    code = ("import sys; from syncdoctor.facts.snapshot import load_snapshot; "
            "print('\\n'.join(m for m in sys.modules if m.startswith('syncdoctor.')))")
    mods = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert mods
    uncovered = [m for m in mods if not any(m == p or m.startswith(p + ".") for p in cache.PACKAGES)
                 and m != "syncdoctor"]
    assert uncovered == []


def test_the_key_changes_with_code_and_library_versions(monkeypatch: pytest.MonkeyPatch):
    base = cache.code_identity()
    cache.code_identity.cache_clear()
    real = cache.metadata.version
    monkeypatch.setattr(cache.metadata, "version", lambda d: "0.0-other" if d == "PyYAML" else real(d))
    try:
        assert cache.code_identity() != base
        cache.code_identity.cache_clear()
        monkeypatch.setattr(cache.metadata, "version", real)
        monkeypatch.setattr(cache, "_sources", lambda folder, prefix: iter([("located.py", b"changed")]))
        assert cache.code_identity() != base
    finally:
        cache.code_identity.cache_clear()
