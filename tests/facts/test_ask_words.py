"""`--ask` in the glossary's words: asking for a business unit's assignments says what each
assignment type is (the choice typed, then its words) and every later line names the type by
its words ("Role and Subordinates: name or id"), never by the raw value, whatever is chosen."""
from __future__ import annotations

import re

import yaml
from hypothesis import given, settings, strategies as st

from syncdoctor.facts import consult
from syncdoctor.reading.words import visible
from tests.conftest import EXAMPLE
from tests.engine.test_enum_terms import WORDED

DATA = yaml.safe_load(EXAMPLE.read_text())
NAMES = {"user": "asmith@acme.example", "public_group": "Campaign Team", "role": "Marketing Manager",
         "role_and_subordinates": "Marketing Manager", "role_and_internal_subordinates": "Marketing Manager"}
RAW = re.compile(r"\b(" + "|".join(t for t in consult.ASSIGNMENT_TYPES if "_" in t) + r")\b")


@settings(max_examples=25, deadline=None)
@given(picks=st.lists(st.sampled_from(consult.ASSIGNMENT_TYPES), max_size=4),
       wrong=st.lists(st.booleans(), min_size=4, max_size=4))
def test_every_line_names_an_assignment_type_by_its_words(picks, wrong):
    questions = consult.open_questions({**DATA, "business_units": [dict(DATA["business_units"][0], user_groups=None)]},
                                       WORDED)
    question = next(q for q in questions if q.topic == "user_groups")
    assert question.words == WORDED.value_words[("assignment", "type")]
    typed = [x for i, kind in enumerate(picks)
             for x in ([kind] + (["Nobody Of That Name"] if wrong[i] else []) + [NAMES[kind]])] + ["done", "done"]
    said: list[str] = []
    replies = iter(typed)
    prompter = consult.Prompter(echo=said.append, choose=lambda label, choices: (said.append(label), next(replies))[1],
                                text=lambda label: (said.append(label), next(replies))[1])
    groups = consult._ask_one("user_groups", DATA, prompter, None, question.words)
    assert [e["type"] for e in groups["marketing"]] == picks
    legend = [line for line in said if "= " in line]
    assert len(legend) == len(consult.ASSIGNMENT_TYPES)  # what each choice means, once
    assert not [line for line in said if line not in legend and RAW.search(line)], said
    for kind in picks:
        assert any(line.startswith(f"{question.words[kind]}: name or id") for line in said)


@settings(max_examples=25, deadline=None)
@given(name=st.text(st.sampled_from("\n\r\x1b[]\u202e") | st.characters(codec="utf-8", exclude_categories=("Cs",)),
                    min_size=1, max_size=8))
def test_a_question_line_shows_an_org_name_the_terminals_way(name):
    data = {**DATA, "business_units": [dict(DATA["business_units"][0], name=name, user_sync={})]}
    question = next(q for q in consult.open_questions(data, WORDED) if q.topic == "mode")
    said: list[str] = []
    prompter = consult.Prompter(echo=said.append, choose=lambda label, choices: "don't know", text=lambda label: "")
    consult.ask([question], data, prompter)
    head = said[0].removeprefix("\n")  # the blank line before a business unit is the prompt's own
    assert head.startswith(f"Business unit {visible(name)} (")
    assert not [line for line in [head, *said[1:]] if re.search("[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e]", line)], said
