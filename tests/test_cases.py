"""The shipped knowledge (rules/): its own checks, exactly what `syncdoctor rules check` runs.

These are the only tests that read rules/ and docs/knowledge.md; everything else runs on the
fixture ruleset (tests/fixtures/rules). So an author's change confined to rules/ and
docs/knowledge.md that passes `rules check` passes here too, by construction.
"""
from __future__ import annotations

from syncdoctor.cli.rules_check import check_knowledge
from tests.conftest import KNOWLEDGE_ROOT, SHIPPED


def test_shipped_knowledge_passes_rules_check():
    report = check_knowledge(SHIPPED, KNOWLEDGE_ROOT / "docs" / "knowledge.md")
    assert report.problems == [], "\n".join(report.problems)
    assert report.cases >= 40
