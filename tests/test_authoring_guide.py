"""docs/authoring.md and the tools say the same: every finding the tools can report is
explained there, and the version rule is the tool's own sentence."""
from __future__ import annotations

import re

from syncdoctor.engine.checks.lock import BUMP_RULE
from tests.conftest import ROOT

GUIDE = (ROOT / "docs" / "authoring.md").read_text()
# string literals that look like finding ids but are other vocabulary (source kinds, bases…)
NOT_FINDINGS = {"kb-article", "help-page", "object-reference", "developer-doc", "release-notes", "salesforce-doc",
                "x-message", "utf-8", "latin-1", "syncdoctor-rules"}
FINDING_ID = re.compile(r'"([a-z]+(?:-[a-z0-9]+)+)"')
REPORTED = re.compile(r"  ([a-z]+(?:-[a-z0-9]+)+)  ")  # `file:line  id  message` lines built in rules_check


def finding_ids() -> set[str]:
    ids = {"schema", "format", "unreadable"}
    for path in list((ROOT / "engine").rglob("*.py")) + [ROOT / "api" / "cases.py"]:
        ids |= set(FINDING_ID.findall(path.read_text())) - NOT_FINDINGS
    ids |= set(REPORTED.findall((ROOT / "cli" / "rules_check.py").read_text()))
    return ids


def test_every_finding_is_explained_in_the_guide():
    missing = sorted(i for i in finding_ids() if f"`{i}`" not in GUIDE)
    assert missing == []


def test_the_version_rule_is_the_tools_sentence():
    assert BUMP_RULE in GUIDE
