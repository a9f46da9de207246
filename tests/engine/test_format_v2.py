"""Format 2: inequality and case-insensitive joins (three-valued, agreeing with durable-rules),
warnings, glossary terms, symptoms as data, citations with basis, and format-1 files refused."""
from __future__ import annotations

import json
from copy import deepcopy
from pathlib import Path

import pytest
import yaml

from syncdoctor.engine.ruleset import load_ruleset, require_ruleset
from syncdoctor.engine.run import Engine
from syncdoctor.facts.snapshot import parse_snapshot
from tests.conftest import EXAMPLE

BASE = yaml.safe_load(EXAMPLE.read_text())
HEADER = "# yaml-language-server: $schema=../../engine/schema/rule.schema.json\nformat: 2\n"

LINKED_ELSEWHERE = HEADER + """id: linked-elsewhere
version: 1
title: An AE user with the user's email is linked to another Salesforce user
status: draft
when:
  - fact: business_unit
  - fact: user
  - fact: ae_user
    as: ae
    where:
      - {field: email, same_as: user.email, ignore_case: true}
      - {field: salesforce_id, differs_from: user.id}
then:
  conclude:
    code: LINKED_ELSEWHERE
    kind: info
    message: "{ae.email} is linked to {ae.salesforce_id}"
    remedies: ["In {ui.business_unit_setup}, look at {user.username}"]
    warnings: ["Relinking in {ui.business_unit_setup} changes who {ae.email} is"]
citations:
  - {source: kb-000384042, section: description, basis: inference, quote: "check which version of User Sync is enabled"}
"""

ROLE_EQUALS = HEADER + """id: role-marketing
version: 1
title: The AE user of the user has the Marketing role, whatever its case
status: draft
when:
  - fact: business_unit
  - fact: user
  - fact: ae_user
    as: ae
    where:
      - {field: salesforce_id, same_as: user.id}
      - {field: role, equals: MARKETING, ignore_case: true}
then:
  conclude: {code: ROLE_MARKETING, kind: info, message: "{ae.role}"}
citations:
  - {source: kb-000384042, section: description, basis: inference}
"""


@pytest.fixture(scope="module")
def v2_engine(tmp_path_factory):
    import shutil

    from tests.conftest import FIXTURE_RULES
    root = tmp_path_factory.mktemp("v2") / "rules"
    shutil.copytree(FIXTURE_RULES, root)
    (root / "conclude" / "linked-elsewhere.yaml").write_text(LINKED_ELSEWHERE)
    (root / "conclude" / "role-marketing.yaml").write_text(ROLE_EQUALS)
    return Engine(require_ruleset(root))


def run(engine, data, user="asmith@acme.example"):
    snap = parse_snapshot(json.dumps(data), "t.json", fmt="json")
    d = engine.diagnose(snap.factset(snap.find_user(user), 0, None))
    doc = d.to_json()
    return {v["code"]: v for v in doc["verdicts"]}, {u["code"]: u["missing"] for u in doc["undetermined"]}


def ae_user(data, email):
    return next(u for u in data["account_engagement"]["users"] if u["email"] == email)


def test_differs_from_with_ignore_case_fires_and_renders_terms(v2_engine):
    data = deepcopy(BASE)
    ae = ae_user(data, "asmith@acme.example")
    ae["email"] = "ASmith@ACME.example"
    ae["salesforce_id"] = "0055e000000U999AAA"
    verdicts, _ = run(v2_engine, data)
    v = verdicts["LINKED_ELSEWHERE"]
    assert v["message"].startswith("ASmith@ACME.example is linked to 0055e000000U999")
    assert v["remedies"] == ["In Salesforce Setup > Business Unit Setup, look at asmith@acme.example"]
    assert v["warnings"] == ["Relinking in Salesforce Setup > Business Unit Setup changes who ASmith@ACME.example is"]
    assert v["citations"][0]["basis"] == "inference" and v["citations"][0]["quote"]


def test_differs_from_is_false_on_the_same_value(v2_engine):
    data = deepcopy(BASE)
    ae_user(data, "asmith@acme.example")["email"] = "ASMITH@acme.example"  # same link, other case
    verdicts, undetermined = run(v2_engine, data)
    assert "LINKED_ELSEWHERE" not in verdicts and "LINKED_ELSEWHERE" not in undetermined


@pytest.mark.parametrize("drop", ["salesforce_id", "email"])
def test_unknown_side_of_differs_from_is_undetermined_never_true(v2_engine, drop):
    data = deepcopy(BASE)
    ae = ae_user(data, "asmith@acme.example")
    ae["salesforce_id"] = "0055e000000U999AAA"  # linked elsewhere: only the dropped field can decide
    ae.pop(drop)
    verdicts, undetermined = run(v2_engine, data)
    assert "LINKED_ELSEWHERE" not in verdicts
    assert "LINKED_ELSEWHERE" in undetermined


def test_unknown_user_email_leaves_the_join_undetermined(v2_engine):
    data = deepcopy(BASE)
    user = next(u for u in data["salesforce"]["users"] if u["username"] == "asmith@acme.example")
    user.pop("email")
    verdicts, undetermined = run(v2_engine, data)
    assert "LINKED_ELSEWHERE" not in verdicts and "LINKED_ELSEWHERE" in undetermined


@pytest.mark.parametrize("role,fires", [("marketing", True), ("Marketing", True), ("MARKETING", True), ("Sales", False)])
def test_equals_ignore_case(v2_engine, role, fires):
    data = deepcopy(BASE)
    ae_user(data, "asmith@acme.example")["role"] = role
    verdicts, _ = run(v2_engine, data)
    assert ("ROLE_MARKETING" in verdicts) is fires


def test_literal_that_names_a_field_is_refused(rules_copy):
    path = rules_copy / "conclude" / "sales-group-for-non-sales.yaml"
    path.write_text(path.read_text().replace("{field: role, not_equals: Sales}", "{field: role, not_equals: user.profile}"))
    _, findings = load_ruleset(rules_copy)
    f = next(f for f in findings if f.id == "literal-looks-like-field")
    assert "did you mean `differs_from: user.profile`" in f.message and f.span.file.endswith(path.name)


@pytest.mark.parametrize("old,new,words", [
    ("{field: is_active, equals: false}", "{field: role_id, equals: hello}", "not one"),
    ("{field: is_active, equals: false}", "{field: profile, equals: 10}", "quote it"),
    ("{field: is_active, equals: false}", "{field: profile, equals: true}", "quote it"),
    ("{field: is_active, equals: false}", "{field: is_active, equals: false, ignore_case: true}", "ignore_case"),
])
def test_literals_that_do_not_suit_the_field(rules_copy, old, new, words):
    path = rules_copy / "conclude" / "user-inactive.yaml"
    path.write_text(path.read_text().replace(old, new))
    _, findings = load_ruleset(rules_copy)
    hits = [f for f in findings if f.span.file.endswith(path.name) and words in f.message]
    assert hits, [str(f) for f in findings]


def test_unknown_glossary_term_is_a_finding(rules_copy):
    path = rules_copy / "conclude" / "managed-not-assigned.yaml"
    path.write_text(path.read_text().replace("{ui.business_unit_setup}", "{ui.busines_unit_setup}"))
    _, findings = load_ruleset(rules_copy)
    f = next(f for f in findings if f.id == "unknown-term")
    assert "did you mean 'business_unit_setup'" in f.message and f.span.line > 0


def test_a_new_symptom_is_a_data_change_only(rules_copy):
    sym = rules_copy / "symptoms.yaml"
    sym.write_text(sym.read_text() + "  - id: wrong-role\n    title: the AE user has the wrong role\n")
    ruleset = require_ruleset(rules_copy)
    assert "wrong-role" in ruleset.symptom_ids
    assert "wrong-role" in ruleset.vocabulary.facts["context"].fields["symptom"].values


def test_format_1_file_gets_one_clear_finding(rules_copy):
    path = rules_copy / "conclude" / "user-inactive.yaml"
    path.write_text(path.read_text().replace("format: 2\n", ""))
    _, findings = load_ruleset(rules_copy)
    mine = [f for f in findings if f.span.file.endswith(path.name)]
    assert [f.id for f in mine] == ["format-1"] and "syncdoctor rules migrate" in mine[0].message


@pytest.mark.parametrize("key,value", [("sources", "/etc/passwd"), ("glossary", "../secret.yaml"), ("symptoms", "../../x.yaml")])
def test_manifest_paths_stay_inside_the_rules_folder(rules_copy, key, value):
    manifest = rules_copy / "ruleset.yaml"
    text = manifest.read_text()
    manifest.write_text(text.replace(f"{key}: {key}.yaml", f"{key}: {value}"))
    (rules_copy.parent / "secret.yaml").write_text("format: 2\nterms: {}\n")
    ruleset, findings = load_ruleset(rules_copy)
    assert ruleset is None
    f = next(f for f in findings if f.id == "path-outside")
    assert f.span.file.endswith("ruleset.yaml") and f.span.line > 0 and value in f.message


@pytest.mark.parametrize("fmt", ["text", "markdown", "html", "json"])
def test_warnings_are_rendered_apart_from_remedies_with_the_basis(v2_engine, fmt):
    from syncdoctor.api.pipeline import header
    from syncdoctor.cli.formats import render
    data = deepcopy(BASE)
    ae_user(data, "asmith@acme.example")["salesforce_id"] = "0055e000000U999AAA"
    snap = parse_snapshot(json.dumps(data), "t.json", fmt="json")
    result = v2_engine.diagnose(snap.factset(snap.find_user("asmith@acme.example"), 0, None)).to_json()
    doc = dict(header(v2_engine.ruleset, snap, None), results=[result])
    out = render(fmt, doc)
    from syncdoctor.cli.formats.escape import md
    warning = "Relinking in Salesforce Setup > Business Unit Setup"
    remedy = "look at asmith@acme.example"
    # each format escapes org-controlled text its own way (the remedy names the user)
    warning, remedy = {"html": (warning.replace(">", "&gt;"), remedy), "markdown": (md(warning), md(remedy))}.get(fmt, (warning, remedy))
    assert warning in out and remedy in out
    if fmt == "json":
        v = next(v for r in json.loads(out)["results"] for v in r["verdicts"] if v["code"] == "LINKED_ELSEWHERE")
        assert v["warnings"] and not any("Relinking" in r for r in v["remedies"])
        assert v["citations"][0]["basis"] == "inference"
        return
    # the warning is its own line or item, never one of the remedies
    line = next(x for x in out.splitlines() if "Relinking" in x)
    assert remedy not in line
    assert "inference" in out  # the basis next to the citation


def test_the_command_line_takes_its_symptoms_from_the_rules(rules_copy):
    from syncdoctor.cli.main import app
    from tests.conftest import runner
    sym = rules_copy / "symptoms.yaml"
    sym.write_text(sym.read_text() + "  - id: wrong-role\n    title: the AE user has the wrong role\n")
    base = ["diagnose", "--facts", str(EXAMPLE), "--user", "asmith@acme.example", "--rules", str(rules_copy)]
    r = runner.invoke(app, base + ["--symptom", "wrong-role"])
    assert r.exit_code in (0, 1), r.output
    r = runner.invoke(app, base + ["--symptom", "wrong-rol"])
    assert r.exit_code == 2 and "did you mean 'wrong-role'" in r.output and "not-syncing" in r.output
    # the shipped-rules list is what --help shows; a case may use the new symptom too
    help_text = runner.invoke(app, ["diagnose", "--help"]).output
    assert "--symptom" in help_text


def test_no_symptom_list_is_written_in_code_or_schemas():
    from tests.conftest import ROOT
    ids = [s.id for s in require_ruleset().symptoms.values()]
    offenders = [p.relative_to(ROOT).as_posix() for folder in ("engine", "cli", "facts")
                 for p in (ROOT / folder).rglob("*") if p.suffix in (".py", ".json")
                 if sum(f'"{i}"' in p.read_text() for i in ids) >= 2]
    assert offenders == []


def test_differs_from_inside_any_of_is_refused(rules_copy):
    """durable-rules cannot evaluate an inequality join inside $or (engine error 311, exit 4):
    the rule is refused with a located finding instead."""
    path = rules_copy / "conclude" / "sales-group-for-non-sales.yaml"
    text = path.read_text()
    assert "{field: role, not_equals: Sales}" in text
    path.write_text(text.replace("{field: role, not_equals: Sales}",
                                 "{any_of: [{field: role, not_equals: Sales}, {field: role, differs_from: user.profile}]}"))
    _, findings = load_ruleset(rules_copy)
    f = next(f for f in findings if f.id == "join-in-any-of")
    assert f.span.file.endswith(path.name) and f.span.line > 0 and "`any:`" in f.message


def test_a_registry_outside_the_folder_is_the_first_finding(rules_copy, tmp_path):
    """The root cause (a manifest entry leading outside the folder) comes before the unresolved
    citations it causes."""
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("secret: value\n")
    (rules_copy / "sources.yaml").unlink()
    (rules_copy / "sources.yaml").symlink_to(outside)
    _, findings = load_ruleset(rules_copy)
    from syncdoctor.engine.ruleset import root_causes_first
    ordered = root_causes_first(findings)
    assert ordered[0].id == "path-outside" and any(f.id == "unresolved-citation" for f in ordered)
    assert all("secret" not in f.message for f in findings)
