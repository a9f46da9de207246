"""The CLI as support engineers and auditors use it: exit codes, outputs, files."""
from __future__ import annotations

import json

import pytest

from tests.conftest import EXAMPLE, ROOT, cli, cli_process




def test_diagnose_text_and_exit_code_for_a_cause():
    r = cli("diagnose", "--facts", str(EXAMPLE), "--user", "asmith@acme.example", "--business-unit", "0Uv5e0000000001CAA")
    assert r.exit_code == 1
    assert "MANAGED_NOT_ASSIGNED" in r.stdout and "KB 000384042" in r.stdout


def test_diagnose_exit_zero_without_a_cause():
    r = cli("diagnose", "--facts", str(EXAMPLE), "--user", "jdoe@acme.example", "--business-unit", "Acme North America")
    assert r.exit_code == 0
    assert "Nothing to act on" in r.stdout


def test_unknown_user_names_closest_match():
    r = cli("diagnose", "--facts", str(EXAMPLE), "--user", "jdoe@acme.exampel")
    assert r.exit_code == 2
    assert "jdoe@acme.example" in r.stderr and "not in" in r.stderr


def test_unknown_business_unit():
    r = cli("diagnose", "--facts", str(EXAMPLE), "--user", "jdoe@acme.example", "--business-unit", "Acme Nort America")
    assert r.exit_code == 2 and "Acme North America" in r.stderr


def test_json_output_contract():
    r = cli("diagnose", "--facts", str(EXAMPLE), "--user", "bwong@acme.example", "--format", "json")
    doc = json.loads(r.stdout)
    assert set(doc["ruleset"]) >= {"name", "version", "sha256"}
    res = doc["results"][0]
    assert set(res) >= {"user", "business_unit", "verdicts", "undetermined"}
    v = res["verdicts"][0]
    assert set(v) >= {"code", "kind", "rule", "rule_version", "message", "remedies", "warnings", "citations", "evidence"}
    assert set(v["citations"][0]) >= {"source", "section", "section_title", "url", "basis", "quote"}
    assert v["citations"][0]["source"] == "kb-000384042" and v["citations"][0]["basis"] in ("article", "platform", "inference")


def test_bad_snapshot_is_located(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("snapshot_version: 1\nbusiness_units:\n  - id: 0Uv5e0000000001CAA\n    user_sync: {mode: legasy}\n")
    r = cli("diagnose", "--facts", str(bad), "--user", "x")
    assert r.exit_code == 2
    assert f"{bad}:4:" in r.stderr and "legacy" in r.stderr


def test_out_into_missing_directory_and_no_truncation(tmp_path):
    r = cli("diagnose", "--facts", str(EXAMPLE), "--user", "jdoe@acme.example", "--out", str(tmp_path / "no" / "x.txt"))
    assert r.exit_code == 2 and "does not exist" in r.stderr
    keep = tmp_path / "keep.txt"
    keep.write_text("precious")
    r = cli("diagnose", "--facts", str(EXAMPLE), "--user", "nobody", "--out", str(keep))
    assert r.exit_code == 2 and keep.read_text() == "precious"


@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_other_formats(tmp_path, fmt):
    out = tmp_path / f"r.{fmt}"
    r = cli("diagnose", "--facts", str(EXAMPLE), "--all", "--format", fmt, "--out", str(out))
    assert r.exit_code == 1
    text = out.read_text()
    assert "MANAGED_NOT_ASSIGNED" in text
    if fmt == "html":
        assert "<details class='proof'>" in text
        # self-contained: nothing is fetched when the file is opened
        assert not any(tag in text for tag in ("<script", "<link", "src=", "@import", "url("))


def test_all_with_summary_and_only_problems():
    r = cli("diagnose", "--facts", str(EXAMPLE), "--all", "--only-problems")
    assert "Summary" in r.stdout
    assert "jdoe@acme.example · business unit Acme North America" not in r.stdout


def test_explain_proof_tree_and_why_not(monkeypatch):
    args = ("explain", "DELETE_MANAGED_STILL_ASSIGNED", "--facts", str(EXAMPLE), "--user", "jdoe@acme.example",
            "--symptom", "cannot-delete", "--business-unit", "0Uv5e0000000001CAA")
    r = cli(*args)
    assert r.exit_code == 0
    text = " ".join(r.stdout.split())
    assert "A public group that contains a group the user reaches is reached too" in text  # the nested group's rule
    assert "group-reach-nested" not in text and "salesforce.public_groups[0]" not in text
    from syncdoctor.cli import common
    monkeypatch.setattr(common, "DEBUG", True)  # `syncdoctor --debug explain ...`: the engine's ids too
    text = " ".join(cli(*args).stdout.split())
    assert "group-reach-nested" in text and "salesforce.public_groups[0].members[0]" in text
    monkeypatch.setattr(common, "DEBUG", False)
    r = cli("explain", "MANAGED_NOT_ASSIGNED", "--facts", str(EXAMPLE), "--user", "jdoe@acme.example",
            "--business-unit", "0Uv5e0000000001CAA", "--why-not")
    assert "conditions hold" in r.stdout and "✗ nothing shows the user is assigned" in r.stdout


def test_explain_unknown_code():
    r = cli("explain", "MANAGED_NOT_ASIGNED", "--facts", str(EXAMPLE), "--user", "jdoe@acme.example")
    assert r.exit_code == 2 and "MANAGED_NOT_ASSIGNED" in r.stderr


def test_audit_verify_and_replay(tmp_path):
    audit = tmp_path / "audit.json"
    cli("diagnose", "--facts", str(EXAMPLE), "--user", "asmith@acme.example", "--audit", str(audit))
    assert cli("audit", "verify", str(audit)).exit_code == 0
    r = cli("replay", str(audit))
    assert r.exit_code == 0 and "same verdicts" in r.stdout
    record = json.loads(audit.read_text())
    record["results"][0]["verdicts"] = []
    audit.write_text(json.dumps(record))
    r = cli("audit", "verify", str(audit))
    assert r.exit_code == 1 and "ALTERED" in r.stdout


def test_rules_validate_json_and_exit(rules_copy):
    r = cli("rules", "validate", str(rules_copy), "--format", "json")
    assert r.exit_code == 0 and json.loads(r.stdout)["errors"] == 0
    (rules_copy / "conclude" / "user-inactive.yaml").write_text("id: [\n")
    r = cli("rules", "validate", str(rules_copy))
    assert r.exit_code == 1 and "user-inactive.yaml:2:1  yaml-syntax" in r.stdout


def test_rules_test_list_show_graph(ruleset):
    n = len(ruleset.active_rules)
    r = cli("rules", "test")
    assert r.exit_code == 0 and "0 failed" in r.stdout and f"{n}/{n} rules" in r.stdout
    assert "managed-not-assigned" in cli("rules", "list").stdout
    r = cli("rules", "show", "MANAGED_NOT_ASSIGNED")
    assert f"{ruleset.rule('managed-not-assigned').span}" in r.stdout and "covered by" in r.stdout
    assert cli("rules", "graph", "--format", "dot").stdout.startswith("digraph")
    assert cli("rules", "graph").stdout.startswith("flowchart LR")


@pytest.mark.parametrize("cmd", [["--help"], ["diagnose", "--help"], ["explain", "--help"], ["rules", "validate", "--help"],
                                 ["rules", "test", "--help"], ["rules", "docs", "--help"], ["audit", "verify", "--help"],
                                 ["replay", "--help"], ["rules", "lock", "--help"], ["rules", "show", "--help"],
                                 ["rules", "list", "--help"], ["rules", "graph", "--help"]])
def test_every_help_shows_an_example(cmd):
    r = cli(*cmd)
    assert r.exit_code == 0 and "syncdoctor " in r.stdout and "Example" in r.stdout


@pytest.mark.slow
def test_console_script_exit_codes():
    import subprocess
    import sys
    base = [sys.executable, "-m", "syncdoctor.cli.main", "diagnose", "--facts", str(EXAMPLE)]
    assert subprocess.run(base + ["--user", "asmith@acme.example"], capture_output=True).returncode == 1
    assert subprocess.run(base + ["--user", "jdoe@acme.example", "--business-unit", "0Uv5e0000000001CAA"], capture_output=True).returncode == 0
    r = subprocess.run(base + ["--user", "nobody@x"], capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    r = cli_process("diagnose", "--facts", ROOT / "README.md", "--user", "x", cwd=None)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "README.md" in r.stderr
