"""What an engineer reads is plain words, the same in every format: no Python spellings, no
"(s)" plurals, no `<bool>` metavars, one sentence for "nothing found" and "not decided", the
closest choice named for a mistyped option or answer, and exit codes a script can act on."""
from __future__ import annotations

import re

import pytest
import typer
import yaml
from typer.main import get_command

from syncdoctor.cli import org as cli_org
from syncdoctor.cli.main import app
from syncdoctor.facts import consult
from syncdoctor.reading.words import closest, plain, plural
from tests.conftest import EXAMPLE, cli

FORMATS = ["text", "markdown", "html"]



def _commands(command, path=()):
    yield path
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, path + (name,))


def test_no_help_shows_bool_for_a_plain_flag():
    paths = list(_commands(get_command(app)))
    assert ("rules", "diff") in paths and ("diagnose",) in paths
    for path in paths:
        r = cli(*path, "--help")
        assert r.exit_code == 0, path
        assert "<bool>" not in r.stdout, path


@pytest.mark.parametrize("args, wanted", [(["--symptom", "not-sync"], "not-syncing"), (["--symptom", "CANNOT-DELET"], "cannot-delete"),
                                          (["--format", "htm"], "html"), (["--format", "mardown"], "markdown")])
def test_a_mistyped_choice_names_the_closest(args, wanted):
    r = cli("diagnose", "--facts", str(EXAMPLE), "--user", "jdoe@acme.example", *args)
    assert r.exit_code == 2
    text = " ".join(r.stderr.replace("│", " ").split())
    assert f"did you mean '{wanted}'?" in text and "Value error" not in text


def test_explain_names_the_closest_symptom_too():
    r = cli("explain", "MANAGED_NOT_ASSIGNED", "--facts", str(EXAMPLE), "--user", "jdoe@acme.example", "--symptom", "in-recyle-bin")
    assert r.exit_code == 2 and "in-recycle-bin" in " ".join(r.stderr.replace("│", " ").split())


def test_words():
    assert plural(1, "warning") == "1 warning" and plural(2, "warning") == "2 warnings"
    assert plural(1, "match", "matches") == "1 match" and plural(3, "match", "matches") == "3 matches"
    assert plain(True) == "true" and plain(False) == "false" and plain(None) == "null" and plain("x") == "x"
    assert closest("campaign tem", ["Campaign Team", "Field Marketing"]) == "Campaign Team"
    assert closest("zzzz", ["Campaign Team"]) is None


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_python_spelling_or_parenthesised_plural_in_reports(fmt):
    out = cli("diagnose", "--facts", str(EXAMPLE), "--all", "--format", fmt).stdout
    assert not re.search(r"\b(True|False)\b", out)  # (PortalType "None" is Salesforce's own value)
    assert "(s)" not in out and "(es)" not in out


def test_explain_proof_reads_as_plain_words():
    r = cli("explain", "MANAGED_NOT_ASSIGNED", "--facts", str(EXAMPLE), "--user", "asmith@acme.example",
            "--business-unit", "Acme North America")
    text = " ".join(r.stdout.split())
    assert "no assigned matched" not in text and "that list is complete" not in text
    assert "nothing shows the user is assigned" in text and "the snapshot holds these lists whole" in text
    assert "Marketing Users and Sales Users assignments" in text  # which list makes the absence known
    r = cli("explain", "MANAGED_NOT_ASSIGNED", "--facts", str(EXAMPLE), "--user", "asmith@acme.example",
            "--business-unit", "Acme North America", "--why-not")
    assert "(1 match)" in r.stdout and "match(es)" not in r.stdout
    r = cli("explain", "MANAGED_NOT_ASSIGNED", "--facts", str(EXAMPLE), "--user", "jdoe@acme.example", "--why-not")
    assert "found True" not in r.stdout and "found yes" in r.stdout
    # the engine's language only with --debug: no fact ids, field names or snapshot paths
    assert not re.search(r"\b[fbd]\d+\b|\bis_active\b|has_role|business_units\[", r.stdout)


@pytest.fixture
def undecided(tmp_path):
    """The example with the North America business unit's mode unknown: verdicts that need it are undetermined."""
    data = yaml.safe_load(EXAMPLE.read_text())
    del data["business_units"][0]["user_sync"]["mode"]
    path = tmp_path / "undecided.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_vocabulary_for_results_without_a_verdict(fmt, undecided):
    """Every format says the same sentences; "nothing to act on" is never followed by "not decided"."""
    decided = cli("diagnose", "--facts", str(EXAMPLE), "--user", "jdoe@acme.example", "--business-unit", "Acme North America",
                  "--format", fmt).stdout
    assert "Nothing to act on: no check of the article matches these facts." in decided
    assert "No problem found" not in decided and "No conclusion" not in decided
    out = cli("diagnose", "--facts", str(undecided), "--all", "--format", fmt).stdout
    sections = re.split(r"(?=jdoe@|asmith@|bwong@|crep@)", out)
    undecided_sections = [s for s in sections if "Not decided" in s or "Also not decided" in s]
    assert undecided_sections, out
    for s in sections:
        assert not ("Nothing to act on" in s and "decided" in s), s
    assert "diagnose again with --ask" in out  # what to do next


def test_a_remedy_is_something_to_act_on():
    r = cli("diagnose", "--facts", str(EXAMPLE), "--user", "jdoe@acme.example", "--business-unit", "Acme North America",
            "--symptom", "cannot-delete")
    assert "REMEDY" in r.stdout and "CAUSE" not in r.stdout
    assert r.exit_code == 1
    r = cli("diagnose", "--facts", str(EXAMPLE), "--all", "--symptom", "cannot-delete", "--only-problems", "--format", "json")
    assert "DELETE_MANAGED_STILL_ASSIGNED" in r.stdout and r.exit_code == 1


def test_a_prompt_answer_not_among_the_choices_names_the_closest(monkeypatch, capsys):
    answers = iter(["Manged", "managed"])
    monkeypatch.setattr(cli_org, "_read", lambda label: next(answers))
    assert cli_org._choose("mode", ["legacy", "managed", "don't know"]) == "managed"
    assert "did you mean 'managed'?" in capsys.readouterr().err


def test_a_name_answer_not_in_the_facts_names_the_closest():
    data = yaml.safe_load(EXAMPLE.read_text())
    said: list[str] = []
    typed = iter(["public_group", "Campaign Tem", "Campaign Team", "done", "done"])
    p = consult.Prompter(echo=said.append, choose=lambda label, choices: next(typed), text=lambda label: next(typed))
    groups = consult._ask_one("user_groups", data, p, None)
    assert groups["marketing"] == [{"type": "public_group", "name": "Campaign Team"}]
    assert any("'Campaign Tem'" in s and "did you mean 'Campaign Team'?" in s for s in said), said
