"""`rules check` finds what would pass the knowledge's checks and then break `make test` or be
silently ignored: stray files under the rules folder, a deprecated rule's code still expected,
pinned or mentioned, internal codes in a verdict's words."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncdoctor.cli.main import app
from syncdoctor.cli.rules_traps import stray_files
from syncdoctor.engine.ruleset import load_ruleset
from tests.conftest import FIXTURE_RULES, ROOT, runner

FOLDERS = ["", "derive", "conclude", "cases", "cases/orgs"]
STEMS = st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True)
SUFFIXES = st.sampled_from([".yaml~", ".yml", ".txt", ".md", ".bak", ".swp", "", ".json", ".orig"])


def _project(tmp: Path) -> Path:
    """A project folder: the fixture rules as `rules/` beside the real pyproject.toml."""
    shutil.copytree(FIXTURE_RULES, tmp / "rules")
    shutil.copy(ROOT / "pyproject.toml", tmp / "pyproject.toml")
    return tmp / "rules"


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(FOLDERS), STEMS, SUFFIXES, st.booleans())
def test_every_stray_file_is_named(tmp_path_factory, folder, stem, suffix, hidden):
    rules = _project(tmp_path_factory.mktemp("p"))
    ruleset, _ = load_ruleset(rules)
    assert ruleset is not None and stray_files(rules, ruleset) == []
    name = ("." if hidden else "") + stem + suffix
    stray = rules / folder / name
    if stray.exists():
        return
    stray.write_text("notes\n")
    ruleset, _ = load_ruleset(rules)
    if ruleset is None:  # a .yml rule file the loader reads and refuses: named by the loader itself
        return
    found = stray_files(rules, ruleset)
    assert len(found) == 1 and f"{(Path(folder) / name).as_posix()}:" in found[0] and "stray-file" in found[0]


def test_a_stray_file_fails_rules_check_with_its_name(tmp_path):
    rules = _project(tmp_path)
    assert runner.invoke(app, ["rules", "check", str(rules)]).exit_code == 0
    (rules / "conclude" / "user-inactive.yaml~").write_text("backup\n")
    (rules / ".DS_Store").write_bytes(b"\0\0")
    shutil.copy(rules / "cases" / "general.yaml", rules / "cases" / "more.yml")
    r = runner.invoke(app, ["rules", "check", str(rules)])
    assert r.exit_code == 1
    assert "conclude/user-inactive.yaml~: nothing reads it and the package would not ship it" in r.stdout
    assert ".DS_Store" in r.stdout and "rename it to more.yaml" in r.stdout


def test_an_unused_fixture_org_is_named(tmp_path):
    rules = _project(tmp_path)
    shutil.copy(rules / "cases" / "orgs" / "casebook.yaml", rules / "cases" / "orgs" / "spare.yaml")
    r = runner.invoke(app, ["rules", "check", str(rules)])
    assert r.exit_code == 1 and "cases/orgs/spare.yaml: nothing reads it" in r.stdout


def test_deprecating_a_rule_names_its_code_where_it_is_still_expected(tmp_path):
    rules = _project(tmp_path)
    rule = rules / "conclude" / "user-inactive.yaml"
    rule.write_text(rule.read_text().replace("status: stable", "status: deprecated"))
    r = runner.invoke(app, ["rules", "check", str(rules)])
    assert r.exit_code == 1
    lines = [line for line in r.stdout.splitlines() if "USER_INACTIVE" in line]
    assert lines and all("deprecated-code" in line and "did you mean" not in line for line in lines)
    assert not [line for line in r.stdout.splitlines() if "unknown-code" in line]


def _check_with_remedy_opening(rules: Path, rule_file: str, opening: str):
    """`rules check` after the first remedy of conclude/`rule_file` is made to start with `opening`."""
    rule = rules / "conclude" / rule_file
    text = rule.read_text()
    remedy = re.search(r"    remedies:\n      - ", text)
    assert remedy
    rule.write_text(text[:remedy.end()] + opening + text[remedy.end():])
    return runner.invoke(app, ["rules", "check", str(rules)])


def test_a_verdict_text_naming_a_code_is_a_finding(tmp_path):
    rules = _project(tmp_path)
    original = (rules / "conclude" / "managed-not-assigned.yaml").read_text()
    r = _check_with_remedy_opening(rules, "managed-not-assigned.yaml", "See USER_INACTIVE first. ")
    assert r.exit_code == 1 and "code-in-text" in r.stdout and "USER_INACTIVE is an internal code" in r.stdout
    (rules / "conclude" / "managed-not-assigned.yaml").write_text(original)
    r = _check_with_remedy_opening(rules, "managed-not-assigned.yaml", "Run `syncdoctor explain USER_INACTIVE` first. ")
    assert "code-in-text" not in r.stdout


def test_every_regenerator_advice_names_the_rules_folder(tmp_path):
    """Run from another folder, `syncdoctor rules lock` alone would lock the installed rules."""
    rules = _project(tmp_path)
    rule = rules / "conclude" / "user-inactive.yaml"
    rule.write_text(re.sub(r"^version: (\d+)$", lambda m: f"version: {int(m.group(1)) + 1}", rule.read_text(), count=1,
                           flags=re.M).replace("equals: false", "equals: true", 1))
    r = runner.invoke(app, ["rules", "check", str(rules)])
    advice = [line for line in r.stdout.splitlines() if "syncdoctor rules " in line]
    assert advice and all(f"syncdoctor rules lock {rules}`" in line or f"rules docs {rules}" in line for line in advice)
    (rules / "rules.lock").unlink()
    r = runner.invoke(app, ["rules", "check", str(rules)])
    assert f"run `syncdoctor rules lock {rules}` to record" in r.stdout


def test_an_input_field_only_the_vocabulary_knows_is_explained(tmp_path):
    rules = _project(tmp_path)
    vocab = rules / "vocabulary.yaml"
    text = vocab.read_text()
    anchor = "      username: {type: string, description: the Salesforce username}\n"
    assert anchor in text
    vocab.write_text(text.replace(anchor, anchor + "      department: {type: string, description: the user's department}\n"))
    r = runner.invoke(app, ["rules", "check", str(rules)])
    assert r.exit_code == 1
    line = next(x for x in r.stdout.splitlines() if "input-field-unread" in x)
    assert "vocabulary.yaml:" in line and "'department'" in line and "Add an input field" in line


def test_rules_graph_draws_a_picture_a_browser_opens():
    import xml.etree.ElementTree as ET
    ruleset, _ = load_ruleset(FIXTURE_RULES)
    r = runner.invoke(app, ["rules", "graph", str(FIXTURE_RULES), "--format", "svg"])
    assert r.exit_code == 0
    root = ET.fromstring(r.stdout)
    ns = "{http://www.w3.org/2000/svg}"
    labels = {t.text for t in root.iter(f"{ns}text")}
    assert {rule.id for rule in ruleset.active_rules if len(rule.id) <= 38} <= labels
    assert {rule.conclude.code for rule in ruleset.active_rules if rule.conclude} <= labels
    page = runner.invoke(app, ["rules", "graph", str(FIXTURE_RULES), "--format", "html"]).stdout
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", page)  # nothing fetched: the page is whole
    r = runner.invoke(app, ["rules", "graph", str(FIXTURE_RULES), "--format", "svgg"])
    assert r.exit_code == 2 and "did you mean 'svg'" in r.stderr


def test_a_conclusion_that_escalates_to_support_must_be_kind_escalate(tmp_path):
    rules = _project(tmp_path)
    r = _check_with_remedy_opening(rules, "access-control-legacy.yaml",  # kind advice
                                   "Escalate to Salesforce Support with the proof. ")
    assert r.exit_code == 1 and "escalation-kind" in r.stdout and "kind: escalate" in r.stdout
