"""`syncdoctor rules check`: the author's loop, and what it catches in case files."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURE_RULES, ROOT, cli


NEW_RULE = """# yaml-language-server: $schema=../../engine/schema/rule.schema.json
format: 2
id: wrong-role-advice
version: 1
title: The customer reports the wrong Account Engagement role
status: stable
when:
  - fact: context
    where:
      - {field: symptom, equals: wrong-role}
  - fact: business_unit
    where:
      - {field: sync_enabled, equals: true}
  - fact: user
then:
  conclude:
    code: WRONG_ROLE_ADVICE
    kind: advice
    message: Check which Account Engagement role the profile of {user.username} maps to.
    remedies:
      - In the {ui.profile_role_table}, map the profile "{user.profile}" to the right role.
citations:
  - source: kb-000384042
    section: description
    basis: article
    quote: "First, check what Account Engagement Role the user is assigned to"
"""

NEW_CASES = """# yaml-language-server: $schema=../../engine/schema/cases.schema.json
format: 2
snapshot: orgs/casebook.yaml
cases:
  - name: the wrong role is reported
    user: direct@case.example
    business_unit: 0Uv5e000000LEGNCAA
    symptom: wrong-role
    expect:
      concluded: [WRONG_ROLE_ADVICE]
      message_contains: {WRONG_ROLE_ADVICE: ["Check which Account Engagement role"]}
      remedies_contain: {WRONG_ROLE_ADVICE: ["In the \\"Map Salesforce Profiles to Account Engagement Roles\\" table, map the profile"]}
"""



@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of what an author edits, rules/ and docs/knowledge.md, made from the fixture
    ruleset (so that this test, too, holds whatever the shipped knowledge says)."""
    shutil.copytree(FIXTURE_RULES, tmp_path / "rules", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "docs").mkdir()
    r = cli("rules", "docs", str(tmp_path / "rules"), "--out", str(tmp_path / "docs" / "knowledge.md"))
    assert r.exit_code == 0, r.output
    assert cli("rules", "check", str(tmp_path / "rules")).exit_code == 0
    return tmp_path


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


@pytest.mark.slow
def test_the_authors_loop_green_check_means_green_tests(repo):
    rules = repo / "rules"
    # 1. change a remedy (the pinned phrase stays true)
    replace(rules / "conclude" / "user-inactive.yaml", "User Sync then syncs them again.",
            "User Sync then syncs them again within the hour.")
    # 2. add a symptom, a conclusion rule using it, and a case for it
    with (rules / "symptoms.yaml").open("a") as fh:
        fh.write("  - id: wrong-role\n    title: the Account Engagement user has the wrong role\n"
                 "    sections: [{source: kb-000384042, section: description}]\n")
    (rules / "conclude" / "wrong-role-advice.yaml").write_text(NEW_RULE)
    (rules / "cases" / "wrong-role.yaml").write_text(NEW_CASES)
    r = cli("rules", "check", str(rules))
    assert r.exit_code == 1 and "version-not-bumped" in r.stdout and "ruleset-version-not-bumped" in r.stdout
    assert cli("rules", "lock", str(rules)).exit_code == 1  # the lock never blesses an unbumped change
    # 3. the bumps (the changed rule, the ruleset), then the regenerators it names, then the check
    bump = int(re.search(r"^version: (\d+)$", (rules / "conclude" / "user-inactive.yaml").read_text(), re.M).group(1))
    replace(rules / "conclude" / "user-inactive.yaml", f"\nversion: {bump}\n", f"\nversion: {bump + 1}\n")
    replace(rules / "ruleset.yaml", "\nversion: 1.0.0\n", "\nversion: 1.1.0\n")
    r = cli("rules", "check", str(rules))
    assert r.exit_code == 1 and "lock-stale" in r.stdout and "docs-stale" in r.stdout  # names the regenerators
    assert cli("rules", "lock", str(rules)).exit_code == 0
    assert cli("rules", "docs", str(rules), "--out", str(repo / "docs" / "knowledge.md")).exit_code == 0
    r = cli("rules", "check", str(rules))
    assert r.exit_code == 0, r.stdout
    assert "WRONG_ROLE_ADVICE" in (repo / "docs" / "knowledge.md").read_text()
    # 4. the tests that read the knowledge, run against the copy
    env = dict(os.environ, SYNCDOCTOR_TEST_KNOWLEDGE_ROOT=str(repo))
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_cases.py"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_no_other_test_reads_the_shipped_knowledge():
    """The guarantee rests on this: only tests/test_cases.py (what `rules check` runs) reads
    rules/ or docs/knowledge.md; every other test uses the fixture ruleset."""
    # (spelt in pieces so that this file does not match itself)
    pattern = re.compile("|".join([r"\bSHIP" + r"PED\b", r"\bKNOWLEDGE" + r"_ROOT\b", 'ROOT / "' + 'rules"', 'ROOT / "docs" / "' + 'knowledge']))
    # test_packaging reads rules/ only to check that the wheel ships every file of it: `rules check`
    # guards that too (finding unpackaged-folder), so the guarantee holds.
    allowed = {"tests/conftest.py", "tests/test_cases.py", "tests/test_packaging.py"}
    readers = [p.relative_to(ROOT).as_posix() for p in (ROOT / "tests").rglob("*.py")
               if pattern.search(p.read_text()) and p.relative_to(ROOT).as_posix() not in allowed]
    assert readers == []


def test_inverting_a_remedy_fails_naming_the_case(repo):
    replace(repo / "rules" / "conclude" / "legacy-recycled-profile-not-synced.yaml", "- Disable the setting", "- Enable the setting")
    r = cli("rules", "check", str(repo / "rules"))
    assert r.exit_code == 1
    first = r.stdout.splitlines()[0]
    assert "case-failed" in first and "profile not selected and the recycle-bin setting is on" in first
    assert re.match(r"^\S+legacy\.yaml:\d+:\d+  ", first)


@pytest.mark.parametrize("old,new,finding", [
    ("    expect:\n      concluded: [LEGACY_PROFILE_NOT_SYNCED]\n", "    expekt:\n      concluded: [LEGACY_PROFILE_NOT_SYNCED]\n", "schema"),
    ("not_concluded: [LEGACY_RECYCLED_PROFILE_NOT_SYNCED]", "not_concluded: [LEGACY_RECYCLED_PROFILE_NOT_SYNCD]", "unknown-code"),
    ("    symptom: in-recycle-bin\n", "    symptom: in-recycle-bim\n", "unknown-symptom"),
])
def test_a_case_file_with_an_error_fails_with_one_located_finding_first(repo, old, new, finding):
    replace(repo / "rules" / "cases" / "legacy.yaml", old, new)
    r = cli("rules", "check", str(repo / "rules"))
    assert r.exit_code == 1
    first = r.stdout.splitlines()[0]
    assert re.match(r"^\S+legacy\.yaml:\d+:\d+  " + finding + "  ", first), r.stdout
    assert "did you mean" in first
    # no flood of consequences (rules the dropped file covered, their pins, the generated page)
    assert not re.search(r"uncovered-rule|unpinned-|docs-stale", r.stdout), r.stdout
    r = cli("rules", "test", str(repo / "rules"))
    assert r.exit_code == 1 and ", 0 failed" not in r.stdout  # the file counts as failed, never dropped
    r = cli("rules", "validate", str(repo / "rules"))
    assert r.exit_code == 1 and re.match(r"^\S+legacy\.yaml:\d+:\d+  " + finding + "  ", r.stdout)


def test_a_new_rules_folder_not_in_pyproject_is_a_finding(repo):
    """A folder the wheel would leave out fails `rules check`, not only tests/test_packaging.py."""
    shutil.copy(ROOT / "pyproject.toml", repo / "pyproject.toml")
    assert cli("rules", "check", str(repo / "rules")).exit_code == 0
    extra = repo / "rules" / "cases" / "orgs" / "more"
    extra.mkdir()
    shutil.copy(next((repo / "rules" / "cases" / "orgs").glob("*.yaml")), extra / "copy.yaml")
    r = cli("rules", "check", str(repo / "rules"))
    assert r.exit_code == 1 and "unpackaged-folder" in r.output and "syncdoctor.rules.cases.orgs.more" in r.output


def test_a_case_file_in_a_subfolder_is_read(repo):
    """Case files below rules/cases/ are read at any depth; only `orgs` folders hold snapshots."""
    sub = repo / "rules" / "cases" / "legacy-extra"
    sub.mkdir()
    text = (repo / "rules" / "cases" / "legacy.yaml").read_text().replace("snapshot: orgs/", "snapshot: ../orgs/")
    (sub / "more.yaml").write_text(text.replace("LEGACY_PROFILE_NOT_SYNCED]", "LEGACY_PROFILE_NOT_SYNCD]", 1))
    r = cli("rules", "check", str(repo / "rules"))
    assert r.exit_code == 1 and "legacy-extra/more.yaml" in r.stdout and "unknown-code" in r.stdout, r.stdout


@pytest.mark.parametrize("new", ["- Do not Disable the setting", "- Never, ever Disable the setting"])
def test_negating_a_remedy_in_front_of_its_pin_fails_naming_the_case(repo, new):
    """A pin must start where its remedy starts: "Do not Disable…" still contains the pinned
    "Disable the setting", so a pin anywhere in the remedy would let the inversion pass."""
    replace(repo / "rules" / "conclude" / "legacy-recycled-profile-not-synced.yaml", "- Disable the setting", new)
    r = cli("rules", "check", str(repo / "rules"))
    assert r.exit_code == 1
    lines = [line for line in r.stdout.splitlines() if "unanchored-pin" in line]
    assert lines and all(re.match(r"^\S+\.yaml:\d+:\d+  unanchored-pin  case '", line) for line in lines), r.stdout
