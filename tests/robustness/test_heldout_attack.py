"""Held-out variants of the trust (issue 14) and input-hardening (issue 15) attacks, found by a
hostile review after both were implemented: each failed before its fix."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import KNOWLEDGE_ROOT, ROOT

ACME = ROOT / "docs" / "examples" / "acme.yaml"
SHIPPED = KNOWLEDGE_ROOT / "rules"  # the defect is where the shipped knowledge meets the engine


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "syncdoctor.cli.main", *args], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)


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
        res = run("diagnose", "--rules", str(SHIPPED), "--facts", str(snap), "--user", "jdoe@acme.example", *symptom,
                  "--format", "json")
        assert res.returncode in (0, 1), res.stderr
        assert "internal error" not in res.stderr
        doc = json.loads(res.stdout)
        codes = {v["code"] for r in doc["results"] for v in r["verdicts"]}
        assert "USERNAME_RESERVED_BY_OTHER_AE_USER" not in codes  # the AE user is theirs
