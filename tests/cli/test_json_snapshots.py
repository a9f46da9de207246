"""Whole JSON outputs of the commands, kept as syrupy snapshots (review changes with
`pytest --snapshot-update` and git diff). Paths, ports and clock times are normalised."""
from __future__ import annotations

import json
import re


from syncdoctor.cli.main import app
from tests.conftest import EXAMPLE, ROOT, runner



def normalised(text: str, *extra: str) -> object:
    text = text.replace(str(ROOT), "<root>")
    for value in extra:
        text = text.replace(value, "<tmp>")
    text = re.sub(r"127\.0\.0\.1:\d+", "<server>", text)
    text = re.sub(r'"(at|collected_at|created_at)": "[^"]+"', r'"\1": "<time>"', text)
    return json.loads(text)


def test_diagnose_json(snapshot):
    r = runner.invoke(app, ["diagnose", "--facts", str(EXAMPLE), "--user", "asmith@acme.example", "--format", "json"])
    assert r.exit_code == 1
    assert normalised(r.stdout) == snapshot


def test_diagnose_all_json_streamed(snapshot):
    r = runner.invoke(app, ["diagnose", "--facts", str(EXAMPLE), "--all", "--format", "json", "--only-problems"])
    assert r.exit_code == 1
    assert normalised(r.stdout) == snapshot


def test_generate_org_json(snapshot, tmp_path):
    out = tmp_path / "org.json"
    r = runner.invoke(app, ["dev", "generate-org", "--users", "12", "--seed", "5", "--out", str(out)])
    assert r.exit_code == 0
    assert json.loads(out.read_text()) == snapshot
