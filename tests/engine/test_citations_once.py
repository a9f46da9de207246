"""A section a rule cites is shown once (Ruleset.cited, used where verdicts, the shared layout's
rules and proofs are built), with every sentence the rule quotes from it; `rules check` finds a
rule that lists one section twice (`duplicate-citation`)."""
from __future__ import annotations

import dataclasses
import shutil

from hypothesis import given
from hypothesis import strategies as st

from syncdoctor.api.proof import ProofWords
from syncdoctor.cli.main import app
from syncdoctor.engine.model import Citation
from syncdoctor.engine.ruleset import load_ruleset, require_ruleset
from tests.conftest import FIXTURE_RULES, runner
from tests.relock import bumped_and_locked

RULESET = require_ruleset(FIXTURE_RULES)
RULE = RULESET.rules[0]
SECTIONS = [(src.id, sec.id) for src in RULESET.sources.values() for sec in src.sections][:4]

citations = st.lists(st.builds(lambda where, basis, quote: Citation(where[0], where[1], basis, quote),
                               st.sampled_from(SECTIONS), st.sampled_from(["article", "salesforce-doc"]),
                               st.sampled_from(["", "one sentence.", "another sentence.", "a third."])),
                     min_size=1, max_size=8)


@given(cites=citations)
def test_each_section_is_shown_once_with_every_sentence(cites):
    docs = RULESET.cited(dataclasses.replace(RULE, citations=tuple(cites)))
    keys = [(d["source"], d["section"], d["basis"]) for d in docs]
    assert len(keys) == len(set(keys))  # once each
    assert keys == list(dict.fromkeys((c.source, c.section, c.basis) for c in cites))  # in the rule's order
    for c in cites:  # no sentence lost
        doc = docs[keys.index((c.source, c.section, c.basis))]
        assert c.quote in ([doc["quote"]] + doc.get("quotes", [])) or not c.quote
        assert len(doc.get("quotes", [])) != 1  # `quotes` only for several sentences
        assert len(set(doc.get("quotes", []))) == len(doc.get("quotes", []))


def test_the_proof_names_a_section_once():
    """The issue's reproduction: MANAGED_NOT_ASSIGNED's proof showed the AE API v5 page twice
    (its derived fact's rule quoted two sentences of one section)."""
    twice = dataclasses.replace(RULE, citations=(Citation(*SECTIONS[0], "platform", "a."), Citation(*SECTIONS[0], "platform", "b.")))
    label = RULESET.citation_label(twice.citations[0])
    assert ProofWords(RULESET).rule_words(twice).count(label) == 1


DOUBLED = """  - source: kb-000384042
    section: description
    basis: article
    quote: "First, check what Account Engagement Role the user is assigned to"
"""


def _rules_with(tmp_path, citations_text: str, base=FIXTURE_RULES):
    rules = tmp_path / "rules"
    shutil.copytree(base, rules)
    target = next((rules / "conclude").glob("*.yaml"))
    text = target.read_text()
    head, _, _ = text.partition("\ncitations:\n")
    target.write_text(head + "\ncitations:\n" + citations_text)
    return bumped_and_locked(rules), target


def test_a_section_listed_twice_is_a_finding_naming_the_line(tmp_path):
    rules, target = _rules_with(tmp_path, DOUBLED + DOUBLED)
    _, findings = load_ruleset(rules)
    found = [f for f in findings if f.id == "duplicate-citation"]
    assert len(found) == 1 and found[0].span.file.endswith(target.name) and "quotes:" in found[0].message
    r = runner.invoke(app, ["rules", "check", str(rules)])
    assert r.exit_code == 1 and "duplicate-citation" in r.stdout + r.stderr


def test_quotes_lists_several_sentences_of_one_section(tmp_path):
    """Each sentence becomes a citation of its own, checked like any `quote` (quote-not-verbatim)."""
    rules, target = _rules_with(tmp_path, DOUBLED.replace('    quote: "First', '    quotes:\n      - "First')
                                + '      - "another sentence"\n')
    ruleset, findings = load_ruleset(rules)
    assert not [f for f in findings if f.id == "duplicate-citation"]
    rule = next(r for r in ruleset.rules if r.file.endswith(target.name))
    assert [c.quote for c in rule.citations] == ["First, check what Account Engagement Role the user is assigned to",
                                                 "another sentence"]
    assert [d.get("quotes") for d in ruleset.cited(rule)] == [[c.quote for c in rule.citations]]
    rules, _ = _rules_with(tmp_path / "both", DOUBLED + '    quotes: ["a", "b"]\n')
    _, findings = load_ruleset(rules)
    assert findings and "not both" in " ".join(f.message for f in findings)
