"""Hostile and broken snapshots through the real console script, each in its own process
with a memory ceiling (RLIMIT_AS) and a bound on its CPU time: a located message and exit 2, never a
traceback, a hang or a crash. docs/reliability.md lists what each input gets."""
from __future__ import annotations

import json
import subprocess

import pytest

from tests.conftest import ROOT, cli_process

pytestmark = pytest.mark.slow  # hostile snapshots, each run as a CLI process

MEMORY = 1536 * 1024 * 1024  # bytes of address space a run may use
VALID = {"snapshot_version": 1, "collected_at": "2026-11-28T10:00:00Z",
         "business_units": [{"id": "0Uv5e000000BU01AAA", "name": "BU", "user_sync": {"enabled": True, "mode": "managed"},
                             "user_groups": {"marketing": [], "sales": []}}],
         "salesforce": {"users": [{"id": "0055e000000U001AAA", "username": "u@x.example", "is_active": True, "role_id": None}],
                        "roles": [], "public_groups": []}}


def variant(**changes) -> bytes:
    doc = json.loads(json.dumps(VALID))
    for path, value in changes.items():
        node = doc
        keys = path.split("__")
        for k in keys[:-1]:
            node = node[int(k)] if k.isdigit() else node[k]
        node[keys[-1]] = value
    return json.dumps(doc).encode()


CASES = [
    # name, file name, content, what stderr must contain
    ("truncated JSON", "t.json", json.dumps(VALID).encode()[:90], "t.json:1:"),
    ("truncated YAML", "t.yaml", b"snapshot_version: 1\nbusiness_units:\n  - id: 0Uv5e000000BU01AAA\n    user_sync: {enabled: tr", "t.yaml:4:"),
    ("wrong type", "w.json", variant(salesforce__users=[{"id": "0055e000000U001AAA", "is_active": "yes"}]), "is_active"),
    ("not a Salesforce id", "i.json", variant(salesforce__users=[{"id": "user-1"}]), "15 or 18 letters"),
    ("10 MB id", "big.json", variant(salesforce__users=[{"id": "0" * 10_000_000}]), "15 or 18 letters"),
    ("10 MB of nesting", "deep.json", b"[" * 10_000_000, "nested too deeply"),
    ("deep YAML nesting", "deep.yaml", b"a: " + b"[" * 100_000, "deep.yaml"),
    ("duplicate ids", "d.json", variant(salesforce__users=[{"id": "0055e000000U001AAA"}, {"id": "0055e000000U001"}]), "duplicate-id"),
    ("role hierarchy cycle", "r.json", variant(salesforce__roles=[{"id": "00E5e000000R001AAA", "parent_id": "00E5e000000R002AAA"},
                                                                  {"id": "00E5e000000R002AAA", "parent_id": "00E5e000000R001AAA"}]), "role-cycle"),
    ("dangling role", "dr.json", variant(salesforce__users=[{"id": "0055e000000U001AAA", "role_id": "00E5e000000R009AAA"}]), "dangling-reference"),
    ("non-UTF-8 bytes", "n.yaml", b"snapshot_version: 1\norg: {name: \xff\xfe}\n", "UTF-8"),
    ("binary file", "b.json", b"\x00\x01\x02" * 1000, "b.json"),
    ("YAML alias bomb", "bomb.yaml", b"a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                                      b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n", "bomb.yaml:2:"),
    ("python tag", "tag.yaml", b"snapshot_version: !!python/object/apply:os.system [echo pwned]\n", "tag.yaml:1:"),
    ("empty file", "e.yaml", b"", "e.yaml"),
    ("a list, not a mapping", "l.json", b"[1, 2, 3]", "l.json"),
    ("huge integer", "h.json", b'{"snapshot_version": 1' + b"0" * 5000 + b"}", "h.json"),
]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """The console script with a memory ceiling and a bound on the CPU time it uses (tests/limits.py)."""
    return cli_process(*args, text=False, memory=MEMORY)


@pytest.mark.parametrize("name,file,content,expected", CASES, ids=[c[0] for c in CASES])
def test_hostile_snapshot_gets_a_located_message_and_exit_2(tmp_path, name, file, content, expected):
    path = tmp_path / file
    path.write_bytes(content)
    proc = run_cli("diagnose", "--facts", str(path), "--user", "u@x.example", "--debug")
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 2, err[-2000:]
    assert expected in err and "Traceback" not in err
    assert len(err) < 20_000  # a message, not the 10 MB value echoed back


def test_group_membership_cycles_are_legitimate_and_terminate(tmp_path):
    """Salesforce allows a public group to contain (through others) itself: not an error."""
    groups = [{"id": f"00G5e000000G00{i}AAA", "name": f"G{i}",
               "members": [{"type": "public_group", "id": f"00G5e000000G00{(i + 1) % 3}AAA"}]} for i in range(3)]
    groups[0]["members"].append({"type": "user", "id": "0055e000000U001AAA"})
    path = tmp_path / "cycle.json"
    path.write_bytes(variant(salesforce__public_groups=groups,
                             business_units__0__user_groups={"marketing": [{"type": "public_group", "id": "00G5e000000G002AAA"}],
                                                             "sales": []}))
    proc = run_cli("diagnose", "--facts", str(path), "--user", "u@x.example", "--format", "json")
    assert proc.returncode == 0, proc.stderr.decode()
    doc = json.loads(proc.stdout)
    assert not any(v["kind"] == "cause" for v in doc["results"][0]["verdicts"])


def test_outputs_are_atomic_and_missing_folders_are_named(tmp_path):
    out = tmp_path / "report.txt"
    out.write_text("keep me\n")
    example = str(ROOT / "docs" / "examples" / "acme.yaml")
    proc = run_cli("diagnose", "--facts", example, "--user", "nobody@nowhere.example", "--out", str(out))
    assert proc.returncode == 2 and out.read_text() == "keep me\n"
    proc = run_cli("diagnose", "--facts", example, "--user", "asmith@acme.example", "--out", str(tmp_path / "no" / "such" / "r.txt"))
    assert proc.returncode == 2 and b"does not exist" in proc.stderr and b"Traceback" not in proc.stderr
    proc = run_cli("diagnose", "--facts", example, "--user", "asmith@acme.example", "--out", str(out))
    assert proc.returncode == 1 and "MANAGED_NOT_ASSIGNED" in out.read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]  # no temporary file left behind
