"""One "did you mean" for every choice (reading/words.py `suggestions`): what it names is always
one of the choices, letter case never hides the intended one, and the choices that ignore case
(symptoms) accept any spelling of it."""
from __future__ import annotations

import ast
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncdoctor.api.errors import UnknownChoice
from syncdoctor.api.explain import find_rule
from syncdoctor.api.pipeline import check_symptom
from syncdoctor.reading.words import closest, suggest, suggestions
from tests.conftest import ROOT

# the letters of symptoms, codes, rule ids, option values and names (ASCII: their case is one-to-one)
words = st.text(string.ascii_letters + string.digits + "-_.@", min_size=1, max_size=12)


def _case_variant(draw_flags: list[bool], text: str) -> str:
    return "".join(c.swapcase() if flip else c for c, flip in zip(text, draw_flags + [False] * len(text)))


@given(st.lists(words, min_size=1, max_size=8, unique_by=str.lower), st.data())
def test_a_choice_spelt_in_another_case_is_named(choices, data):
    chosen = data.draw(st.sampled_from(choices))
    flips = data.draw(st.lists(st.booleans(), max_size=len(chosen)))
    assert suggestions(_case_variant(flips, chosen), choices) == [chosen]


@given(words, st.lists(words, max_size=8), st.integers(1, 4))
def test_what_is_named_is_always_a_choice(value, choices, n):
    found = suggestions(value, choices, n)
    assert len(found) <= n and all(f in choices for f in found)
    assert (closest(value, choices) is None) == (found == []) == (suggest(value, choices) == "")


@given(st.data())
def test_any_spelling_of_a_symptom_is_that_symptom(ruleset, data):
    symptom = data.draw(st.sampled_from(ruleset.symptom_ids))
    flips = data.draw(st.lists(st.booleans(), max_size=len(symptom)))
    assert check_symptom(ruleset, _case_variant(flips, symptom)) == symptom


@given(st.data())
def test_a_code_written_like_a_rule_id_suggests_the_code(ruleset, data):
    rule = data.draw(st.sampled_from([r for r in ruleset.rules if r.conclude]))
    with pytest.raises(UnknownChoice) as exc:
        find_rule(ruleset, rule.conclude.code.lower())
    assert f"did you mean {rule.conclude.code!r}" in str(exc.value)


def test_an_unknown_symptom_names_the_closest():
    from syncdoctor.engine.ruleset import require_ruleset
    with pytest.raises(UnknownChoice, match="did you mean 'not-syncing'"):
        check_symptom(require_ruleset(), "not-sync")


def test_no_other_module_computes_a_suggestion():
    """difflib (the similarity behind every "did you mean") is imported by reading/words.py only."""
    users = []
    for pkg in ("reading", "engine", "facts", "api", "cli"):
        for path in (ROOT / pkg).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                    [node.module] if isinstance(node, ast.ImportFrom) else []
                if "difflib" in names:
                    users.append(str(path.relative_to(ROOT)))
    assert users == ["reading/words.py"]
