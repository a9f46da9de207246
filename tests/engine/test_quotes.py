"""`rules check` refuses a quote that is not verbatim in a passage of the section it cites."""
from __future__ import annotations

import shutil
from pathlib import Path

from hypothesis import given, settings, strategies as st

from syncdoctor.engine.checks.quotes import holds, words
from syncdoctor.engine.ruleset import load_ruleset

RULES = Path(__file__).resolve().parents[2] / "rules"


def _loaded():
    ruleset, findings = load_ruleset(RULES)
    assert ruleset is not None, findings
    return ruleset


RULESET = _loaded()
PASSAGES = [p for src in RULESET.sources.values() for sec in src.sections for p in sec.passages]


def _copy(tmp_path: Path) -> Path:
    dest = tmp_path / "rules"
    shutil.copytree(RULES, dest)
    return dest


def _quote_findings(rules: Path):
    _, findings = load_ruleset(rules)
    return [f for f in findings if f.id == "quote-not-verbatim"]


def test_the_shipped_knowledge_quotes_only_verbatim():
    assert _quote_findings(RULES) == []
    # every source the rules cite ships passages, so no quote escapes the check
    assert all(any(sec.passages for sec in src.sections) for src in RULESET.sources.values())


def test_a_paraphrase_is_refused_with_its_location(tmp_path):
    rules = _copy(tmp_path)
    rule = rules / "conclude" / "user-inactive.yaml"
    text = rule.read_text()
    old = "User Sync will not sync inactive users."
    assert old in text
    rule.write_text(text.replace(old, "User Sync never syncs inactive users.", 1))
    found = _quote_findings(rules)
    assert len(found) == 1 and found[0].span.file.endswith("user-inactive.yaml") and found[0].span.line > 0
    assert "kb-000384042#resolution-a" in found[0].message


def test_a_real_sentence_cited_to_the_wrong_section_names_the_right_one(tmp_path):
    rules = _copy(tmp_path)
    rule = rules / "conclude" / "sync-cannot-be-disabled.yaml"
    text = rule.read_text()
    rule.write_text(text.replace("    section: disable-sync\n", "    section: description\n", 1))
    found = _quote_findings(rules)
    assert len(found) == 1 and "it is in kb-000384042#disable-sync" in found[0].message


def test_a_curly_apostrophe_is_not_a_straight_one(tmp_path):
    curly = next(p for p in PASSAGES if "’" in p)
    assert holds([curly], curly) and not holds([curly], curly.replace("’", "'"))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(PASSAGES), st.data())
def test_any_span_of_a_passage_holds_and_any_altered_one_does_not(passage, data):
    tokens = passage.split()
    i = data.draw(st.integers(0, len(tokens) - 1))
    j = data.draw(st.integers(i + 1, len(tokens)))
    span = tokens[i:j]
    sep = data.draw(st.sampled_from([" ", "\n", "  ", "\n      ", "\u00a0"]))
    assert holds(PASSAGES, sep.join(span))  # reflowed whitespace is the same text
    k = data.draw(st.integers(0, len(span) - 1))
    pos = data.draw(st.integers(0, len(span[k]) - 1))
    altered = list(span)
    altered[k] = span[k][:pos] + "\u2603" + span[k][pos + 1:]  # a character no passage holds
    assert not holds(PASSAGES, " ".join(altered))
    assert not holds(PASSAGES, "")
    assert words(sep.join(span)) == " ".join(span)
