"""The consultation (only the questions that decide something, why each is asked, answers as
facts stated by the engineer) and the secrets a collection handles."""
from __future__ import annotations

import pytest
import json

import yaml

from syncdoctor.cli.main import app
from tests.facts.fake_salesforce import BU_LEGACY, BU_MANAGED, PASSWORD, TOKEN
from tests.facts.test_collect import login
from tests.conftest import cli_process, runner



def test_without_ask_nothing_is_asked_and_the_questions_are_listed(fake_org):
    r = runner.invoke(app, ["diagnose", "--org", *login(fake_org), "--user", "user4@fake.example",
                            "--business-unit", BU_MANAGED, "--format", "json"], catch_exceptions=False)
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    topics = {q["topic"] for q in doc["questions"]}
    assert {"mode", "user_groups"} <= topics
    mode = next(q for q in doc["questions"] if q["topic"] == "mode")
    assert any("KB 000384042" in why for why in mode["why"])
    assert "Questions that would decide" in r.stderr and f"business_units.{BU_MANAGED}.mode" in r.stderr


def test_ask_prompts_only_what_decides_and_records_the_engineer(fake_org, tmp_path):
    # user4 (index 3): Standard User profile, no group. Answers: managed, enabled, a table, no assignment
    # reaching user4; then the last-change question.
    answers = "\n".join(["yes",        # sync enabled?
                         "managed",    # mode
                         "2,3",        # checked profiles (1 is Chatter Free User): Marketing User, Sales Profile
                         "Marketing", "Sales",
                         "",           # last change: don't know
                         "public_group", "Group 9", "Group 1",   # an unknown name is asked again
                         "done",       # marketing
                         "done",       # sales
                         ""] + [""] * 10) + "\n"
    audit, report = tmp_path / "audit.json", tmp_path / "report.json"
    # (--out: the test runner echoes typed answers to stdout, a terminal would not)
    r = runner.invoke(app, ["diagnose", "--org", *login(fake_org), "--user", "user4@fake.example", "--business-unit",
                            BU_MANAGED, "--ask", "--format", "json", "--audit", str(audit), "--out", str(report)],
                      input=answers, catch_exceptions=False)
    assert r.exit_code == 1 and report.exists(), r.stderr
    doc = json.loads(report.read_text())
    assert "MANAGED_NOT_ASSIGNED" in {v["code"] for v in doc["results"][0]["verdicts"]}
    assert "asked because it decides whether MANAGED_NOT_ASSIGNED (cause) applies" in r.stderr and "asked because rule" not in r.stderr
    assert "no public group named 'Group 9'" in r.stderr
    # Asked for this BU only, and the legacy-only setting was never asked of a managed BU.
    assert "Move Pardot user to the recycle bin" not in r.stderr
    record = json.loads(audit.read_text())
    sources = record["snapshot"]["content"]["sources"]
    assert sources["business_units[0].user_sync.mode"]["source"] == "engineer"
    assert sources["business_units[0].user_sync.mode"]["via"] == "asked interactively"


def test_answers_file_errors_are_located(fake_org, tmp_path):
    bad = tmp_path / "answers.yaml"
    bad.write_text(f"answers_version: 1\nbusiness_units:\n  {BU_LEGACY}:\n    mode: legasy\n")
    r = runner.invoke(app, ["diagnose", "--org", *login(fake_org), "--user", "user4@fake.example", "--answers", str(bad)])
    assert r.exit_code == 2 and f"{bad}:4:" in r.stderr and "legacy" in r.stderr
    bad.write_text("answers_version: 1\nbusiness_units:\n  Nowhere BU:\n    mode: legacy\n")
    r = runner.invoke(app, ["diagnose", "--org", *login(fake_org), "--user", "user4@fake.example", "--answers", str(bad)])
    assert r.exit_code == 2 and f"{bad}:3:" in r.stderr and "Fake Legacy" in r.stderr


@pytest.mark.slow
def test_no_secret_reaches_any_output_or_file(fake_org, tmp_path):
    session = fake_org.token
    outputs = []
    for fmt in ("text", "json", "markdown", "html"):
        out = tmp_path / f"report.{fmt}"
        who = ["--all"] if fmt == "json" else ["--user", "user8@fake.example"]
        r = runner.invoke(app, ["diagnose", "--org", *login(fake_org), *who, "--format", fmt, "--out", str(out),
                                "--audit", str(tmp_path / f"audit-{fmt}.json"), "--save-facts", str(tmp_path / f"facts-{fmt}.yaml")])
        assert r.exit_code in (0, 1), r.stderr
        outputs += [r.stdout, r.stderr]
    r = runner.invoke(app, ["facts", "collect", "--out", str(tmp_path / "c.json"), *login(fake_org)])
    outputs += [r.stdout, r.stderr]
    r = runner.invoke(app, ["explain", "MANAGED_NOT_ASSIGNED", "--facts", str(tmp_path / "facts-json.yaml"),
                            "--user", "user4@fake.example", "--why-not"])
    outputs += [r.stdout, r.stderr]
    # Failures too: a wrong password, an expired session that cannot be renewed.
    r = runner.invoke(app, ["facts", "collect", "--out", str(tmp_path / "x.yaml"), "--username", "a@b.c", "--password",
                            PASSWORD + "x", "--security-token", TOKEN, "--login-url", fake_org.base_url])
    outputs += [r.stdout, r.stderr]
    # The console script itself, with --debug (tracebacks allowed): still no secret.
    import os
    import subprocess
    import sys
    for extra in (["--security-token", TOKEN], ["--security-token", TOKEN + "x"]):
        proc = cli_process("--debug", "diagnose", "--org", *login(fake_org)[:4], *extra, *login(fake_org)[6:],
                           "--user", "user4@fake.example", env=dict(os.environ), cwd=None)
        assert proc.returncode in (0, 1, 3), proc.stderr
        outputs += [proc.stdout, proc.stderr]
    files = [p.read_text(errors="replace") for p in tmp_path.iterdir() if p.is_file()]
    assert len(files) >= 13
    for text in outputs + files:
        for secret in (PASSWORD, TOKEN, session):
            assert secret not in text


def test_interrupted_collection_leaves_no_file(fake_org, tmp_path, monkeypatch):
    from syncdoctor.facts import salesforce
    out = tmp_path / "org.yaml"
    out.write_text("previous\n")

    def interrupted(self):
        raise KeyboardInterrupt
    monkeypatch.setattr(salesforce.SalesforceReader, "roles", interrupted)
    r = runner.invoke(app, ["facts", "collect", "--out", str(out), *login(fake_org)])
    assert r.exit_code != 0
    assert out.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ca.pem", "org.yaml"]  # no temporary file left


def test_collect_ask_asks_per_business_unit(fake_org, tmp_path):
    out = tmp_path / "org.yaml"
    # Managed BU: enabled, managed, table "none", last change don't know, groups don't know;
    # legacy BU: enabled and mode "don't know", table blank, recycle-bin setting and last change
    # "don't know", groups "don't know" (the mode is unknown, so both modes' settings are asked).
    given = "\n".join(["yes", "managed", "none", "", "don't know"] + ["d", "d", "", "d", "", "don't know"]) + "\n"
    r = runner.invoke(app, ["facts", "collect", "--out", str(out), *login(fake_org), "--ask"], input=given,
                      catch_exceptions=False)
    assert r.exit_code == 0, r.stderr
    data = yaml.safe_load(out.read_text())
    managed = next(bu for bu in data["business_units"] if bu["id"] == BU_MANAGED)
    legacy = next(bu for bu in data["business_units"] if bu["id"] == BU_LEGACY)
    assert managed["user_sync"] == {"enabled": True, "mode": "managed", "profile_roles": {}}
    assert "user_groups" not in managed and "user_sync" not in legacy
