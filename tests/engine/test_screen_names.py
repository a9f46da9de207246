"""Screen names come from the glossary: an enum value written into a rule's text is shown as the
glossary term its vocabulary field names (`shown_as`) — where every text is rendered
(engine/diagnosis.py `render`: derived texts, messages, details, remedies, warnings) and in the
proof's words — and `rules check` finds a text that would write a raw value where the glossary
names the screen (`enum-in-text`). The shipped rules pass that check (tests/test_cases.py)."""
from __future__ import annotations

import re
import shutil

from hypothesis import given
from hypothesis import strategies as st

from syncdoctor.cli.main import app
from syncdoctor.engine.diagnosis import render
from syncdoctor.engine.facts import Fact
from syncdoctor.engine.ruleset import load_ruleset
from tests.conftest import EXAMPLE, FIXTURE_RULES, runner
from tests.relock import bumped_and_locked

TERMS = """  marketing_users:
    text: Marketing Users group
    description: the business unit's user group for most users
  sales_users:
    text: Sales Users group
    description: the business unit's user group for sales reps only
"""
PLAIN = "      group: {type: enum, values: [marketing, sales], description: which user group, always_known: true}"
SHOWN = ("      group: {type: enum, values: [marketing, sales], shown_as: {marketing: marketing_users, sales: sales_users}, "
         "description: which user group, always_known: true}")


def _rules(tmp_path, *, shown: bool):
    """The fixture rules with the glossary naming both user groups; `shown`: the vocabulary says
    so for `group`, and the derive texts no longer add "users group" after the value."""
    rules = tmp_path / "rules"
    shutil.copytree(FIXTURE_RULES, rules)
    glossary = rules / "glossary.yaml"
    glossary.write_text(glossary.read_text().replace("terms:\n", "terms:\n" + TERMS, 1))
    if shown:
        vocab = rules / "vocabulary.yaml"
        vocab.write_text(vocab.read_text().replace(PLAIN, SHOWN))
        for f in (rules / "derive").glob("assigned-*.yaml"):
            text = f.read_text().replace("{assignment.group} users group", "{assignment.group}")
            f.write_text(text)
    return bumped_and_locked(rules)


def test_a_raw_value_where_the_glossary_names_the_screen_is_a_finding(tmp_path):
    _, findings = load_ruleset(_rules(tmp_path, shown=False))
    found = [f for f in findings if f.id == "enum-in-text"]
    files = sorted({f.span.file.rsplit("/", 1)[-1] for f in found})
    assert files == ["assigned-public-group.yaml", "assigned-role-internal-subordinates.yaml", "assigned-role-subordinates.yaml",
                     "assigned-role.yaml", "assigned-user.yaml"], files
    assert all("shown_as: {marketing: marketing_users}" in f.message and f.span.line for f in found if "'marketing'" in f.message)


def test_with_shown_as_every_output_says_the_screen_name(tmp_path):
    rules = _rules(tmp_path, shown=True)
    _, findings = load_ruleset(rules)
    assert not [f for f in findings if f.id in ("enum-in-text", "unknown-term")]
    for fmt in ("text", "json", "markdown"):
        r = runner.invoke(app, ["diagnose", "--facts", str(EXAMPLE), "--user", "jdoe@acme.example", "--symptom", "cannot-delete",
                                "--rules", str(rules), "--format", fmt])
        assert r.exit_code == 1, r.stderr
        assert "the Marketing Users group via" in r.stdout
        assert not re.search(r"\b(marketing|sales) users group", r.stdout), fmt  # never the value in lower case


def test_an_unknown_term_in_shown_as_is_a_finding(tmp_path):
    rules = _rules(tmp_path, shown=True)
    vocab = rules / "vocabulary.yaml"
    vocab.write_text(vocab.read_text().replace("sales: sales_users}", "sales: sales_user}", 1))
    _, findings = load_ruleset(rules)
    assert any(f.id == "unknown-term" and "sales_user" in f.message for f in findings)


@given(value=st.sampled_from(["marketing", "sales", "other"]), kind=st.sampled_from(["assignment", "assigned", "role"]),
       prefix=st.text(alphabet="ab {}.", max_size=6))
def test_render_writes_the_screen_name_for_a_shown_value_and_nothing_else(value, kind, prefix):
    shown = {("assignment", "group"): {"marketing": "Marketing Users group", "sales": "Sales Users group"},
             ("assigned", "group"): {"marketing": "Marketing Users group", "sales": "Sales Users group"}}
    fact = Fact("f1", kind, {"group": value, "flag": True}, {})
    text = render(prefix + "the {a.group} ({a.flag})", {"a": fact}, shown)
    words = shown.get((kind, "group"), {}).get(value)
    assert text.endswith(f"the {words or value} (true)")
    if words:
        assert f"the {value} " not in text


def test_values_in_proofs_explain_and_why_not_say_the_screen_name(tmp_path):
    """A value a proof line, `explain` or `--why-not` shows (not only what a condition wants, but
    what the matched fact holds and what was found) goes through the same words: never the raw
    `marketing`/`sales` beside the screen name in one output."""
    rules = _rules(tmp_path, shown=True)
    raw = re.compile(r"(which user group|found): (marketing|sales)\b")
    outs = []
    for user, bu in (("crep@acme.example", "Acme North America"), ("jdoe@acme.example", "Acme North America")):
        r = runner.invoke(app, ["diagnose", "--facts", str(EXAMPLE), "--user", user, "--business-unit", bu, "--rules", str(rules)])
        outs.append(r.stdout)
        for why_not in ([], ["--why-not"]):
            r = runner.invoke(app, ["explain", "SALES_GROUP_FOR_NON_SALES", "--facts", str(EXAMPLE), "--user", user,
                                    "--business-unit", bu, "--rules", str(rules), *why_not])
            assert r.exit_code in (0, 1), r.stderr
            outs.append(r.stdout)
    text = "\n".join(outs)
    assert "which user group: Sales Users group" in text or "which user group: Marketing Users group" in text
    assert not raw.search(text), raw.search(text).group(0)
