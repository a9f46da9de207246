"""Every enum value reaches reports in the glossary's words (docs/authoring.md, "Messages,
remedies and warnings"): a vocabulary gives each value of each enum field a `shown_as`
term; a value without one fails `rules check` (`enum-without-term`) at its field's line; and
diagnoses of generated orgs, in every human format, never show a raw value."""
from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from syncdoctor.engine.ruleset import load_ruleset, require_ruleset
from syncdoctor.facts.synthetic import generate
from tests.conftest import FIXTURE_RULES, cli

# The fixture knowledge as it would be with screen names for every value (the shipped
# knowledge's own are checked by `rules check`, through tests/test_cases.py).
WORDS = {"legacy": "legacy User Sync", "managed": "Salesforce-managed User Sync", "marketing": "Marketing Users group",
         "sales": "Sales Users group", "user": "User", "public_group": "Public Group", "role": "Role",
         "role_and_subordinates": "Role and Subordinates", "role_and_internal_subordinates": "Role and Internal Subordinates"}


def _with_words(base: Path) -> Path:
    rules = base / "rules"
    shutil.copytree(FIXTURE_RULES, rules)
    glossary = rules / "glossary.yaml"
    glossary.write_text(glossary.read_text() + "".join(f"  v_{v}:\n    text: {t}\n    description: the value {v}\n"
                                                       for v, t in WORDS.items()))
    vocab = rules / "vocabulary.yaml"
    out = []
    for line in vocab.read_text().splitlines(keepends=True):
        m = re.search(r"values: \[([a-z_, ]+)\]", line)
        if m and all(v.strip() in WORDS for v in m.group(1).split(",")):
            shown = ", ".join(f"{v.strip()}: v_{v.strip()}" for v in m.group(1).split(","))
            line = line.replace(m.group(0), f"{m.group(0)}, shown_as: {{{shown}}}" if "{type" in line else m.group(0))
            if "{type" not in line:
                out.append(line)
                line = re.match(r"\s*", line).group(0) + f"shown_as: {{{shown}}}\n"
        out.append(line)
    vocab.write_text("".join(out))
    return rules


RULES = _with_words(Path(tempfile.mkdtemp(prefix="enum-terms-")))
WORDED = require_ruleset(RULES)
ENUMS = sorted((kind, name) for kind, fd in WORDED.vocabulary.facts.items() for name, f in fd.fields.items()
               if f.type == "enum" and not f.from_symptoms)
# raw values no sentence of ours would write: those with an underscore (`public_group`)
RAW = sorted({v for kind, name in ENUMS for v in WORDED.vocabulary.facts[kind].fields[name].values if "_" in v})


def test_the_worded_fixture_passes_and_every_value_has_its_words():
    _, findings = load_ruleset(RULES)
    assert not [str(f) for f in findings if f.id in ("enum-without-term", "unknown-term")]
    for kind, name in ENUMS:
        assert set(WORDED.value_words.get((kind, name), {})) == set(WORDED.vocabulary.facts[kind].fields[name].values)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_value_without_a_term_fails_the_check_at_its_field(tmp_path, data):
    rules = Path(tempfile.mkdtemp(dir=tmp_path)) / "rules"
    shutil.copytree(RULES, rules)
    kind, name = data.draw(st.sampled_from(ENUMS), label="field")
    f = WORDED.vocabulary.facts[kind].fields[name]
    vocab = rules / "vocabulary.yaml"
    lines = vocab.read_text().splitlines(keepends=True)
    if data.draw(st.booleans(), label="new value"):  # a value added without its term
        value = data.draw(st.from_regex(r"[a-z]{3,8}(_[a-z]{2,6})?", fullmatch=True).filter(lambda v: v not in f.values))
        at = f.span.line - 1
        j = next(i for i in range(at, len(lines)) if "values: [" in lines[i])
        lines[j] = lines[j].replace("values: [", f"values: [{value}, ", 1)
        gone = [value]
    else:  # terms taken out of `shown_as`
        shown = dict(f.shown_as)
        gone = data.draw(st.lists(st.sampled_from(sorted(shown)), min_size=1, max_size=len(shown) - 1, unique=True)
                         if len(shown) > 1 else st.just(sorted(shown)))
        j = next(i for i in range(f.span.line - 1, len(lines)) if "shown_as: {" in lines[i])
        for v in gone:
            lines[j] = re.sub(rf"(?<=[{{ ]){v}: {shown[v]}(, )?", "", lines[j], count=1)
        lines[j] = lines[j].replace(", }", "}").replace("shown_as: {}", "shown_as: {}")
    vocab.write_text("".join(lines))
    _, findings = load_ruleset(rules)
    found = [x for x in findings if x.id == "enum-without-term"]
    assert len(found) == 1, [str(x) for x in findings]
    assert found[0].span.file == str(vocab) and found[0].span.line == f.span.line
    assert f"{kind}.{name}" in found[0].message and all(repr(v) in found[0].message for v in gone)
    assert cli("rules", "check", rules).exit_code == 1


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(1, 10_000), symptom=st.sampled_from(["none", "cannot-delete", "not-syncing", "in-recycle-bin"]))
def test_generated_orgs_show_no_raw_value_in_any_human_format(tmp_path, seed, symptom):
    facts = tmp_path / f"org-{seed}.json"
    facts.write_text(json.dumps(generate(12, seed=seed)))
    args = ["diagnose", "--facts", facts, "--all", "--all-verdicts", "--rules", RULES]
    if symptom != "none":
        args += ["--symptom", symptom]
    for fmt in ("text", "markdown", "html"):
        r = cli(*args, "--format", fmt)
        assert r.exit_code in (0, 1), r.stderr
        shown = r.stdout.replace("\\_", "_")  # Markdown escapes the underscore
        assert not [v for v in RAW if re.search(rf"\b{v}\b", shown)], (fmt, [v for v in RAW if v in shown])
