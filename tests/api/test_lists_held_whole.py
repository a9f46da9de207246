"""A proof says a negated condition is known "because the snapshot holds these lists whole" only
for lists the snapshot holds (review: docs/examples/acme.yaml with `salesforce.roles: null`, user
asmith, MANAGED_NOT_ASSIGNED, named the role hierarchy among the lists held whole). The words
come from one place, api/proof.py's `ProofWords.lists_behind`, fed the lists each diagnosis had
whole; here over generated snapshots whose lists are null, absent, empty or present, every line
of every proof (what every report format and `explain` print) is checked against the snapshot."""
from __future__ import annotations

import copy
from typing import Any, Iterator

import pytest
import yaml
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from syncdoctor.api import pipeline
from syncdoctor.api.errors import BadInput
from syncdoctor.api.proof import Line
from syncdoctor.api.stream import Selection
from tests.conftest import EXAMPLE, FIXTURE_RULES, ROOT

BASE = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
HELD = " — known, because the snapshot holds these lists whole: "
STATES = ("present", "null", "absent", "empty")
# where each list of a snapshot lives: (the path's keys below the snapshot, or below a business unit)
ORG_LISTS = {"roles": ("salesforce", "roles"), "public_groups": ("salesforce", "public_groups"),
             "ae_users": ("account_engagement", "users")}
BU_LISTS = {"user_groups": ("user_groups",), "profile_roles": ("user_sync", "profile_roles")}
EMPTY = {"user_groups": {"marketing": [], "sales": []}, "profile_roles": {}}


def _set(data: dict[str, Any], keys: tuple[str, ...], state: str, empty: Any) -> None:
    *parents, last = keys
    for k in parents:
        data = data.setdefault(k, {})
    if state == "null":
        data[last] = None
    elif state == "absent":
        data.pop(last, None)
    elif state == "empty":
        data[last] = copy.deepcopy(empty)


@st.composite
def snapshots(draw: st.DrawFn) -> dict[str, Any]:
    """docs/examples/acme.yaml with each list of the org and of each business unit present (as
    the example has it), null, absent or empty."""
    data = copy.deepcopy(BASE)
    for name, keys in ORG_LISTS.items():
        _set(data, keys, draw(st.sampled_from(STATES), label=name), [])
    for i, bu in enumerate(data["business_units"]):
        for name, keys in BU_LISTS.items():
            _set(bu, keys, draw(st.sampled_from(STATES), label=f"{name}[{i}]"), EMPTY[name])
    return data


def _held(data: dict[str, Any], source: str, bu: dict[str, Any]) -> bool:
    """Whether the snapshot holds the list at `source` (vocabulary `lists`: `business_units[].x.y`
    is of the result's business unit): present, not null."""
    value: Any = data
    keys = source.split(".")
    if keys[0] == "business_units[]":
        value, keys = bu, keys[1:]
    for k in keys:
        if not isinstance(value, dict) or value.get(k) is None:
            return False
        value = value[k]
    return True


def _lines(lines: tuple[Line, ...] | list[Line]) -> Iterator[str]:
    for line in lines:
        yield line.text
        yield from _lines(line.children)


def _claimed(rest: str, descriptions: dict[str, Any]) -> Iterator[str]:
    """The lists a claim names, "; "-separated descriptions (one may hold "; " itself)."""
    while rest:
        said = next((d for d in sorted(descriptions, key=len, reverse=True)
                     if rest == d or rest.startswith(d + "; ")), None)
        assert said is not None, f"not a list of the vocabulary: {rest!r}"
        yield said
        rest = rest[len(said) + 2:]


# the project's fixture rulesets (tests read no other: tests/cli/test_rules_check.py)
KNOWLEDGE = {"fixture": pipeline.knowledge(FIXTURE_RULES),
             "knowledge_v2": pipeline.knowledge(ROOT / "tests" / "fixtures" / "knowledge_v2")}


@pytest.mark.parametrize("rules", list(KNOWLEDGE))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=snapshots())
def test_no_proof_claims_a_list_the_snapshot_does_not_hold(rules: str, data: dict[str, Any]) -> None:
    know = KNOWLEDGE[rules]
    try:
        snap = pipeline.Source(data, "generated.yaml").build()
    except BadInput:
        reject()  # an empty list that leaves a reference dangling: not a snapshot
    ruleset = know.ruleset
    by_words = {lst.description: (name, lst.source) for name, lst in ruleset.vocabulary.lists.items()}
    sel = Selection(list(range(len(snap.users))), list(range(len(snap.business_units))))
    words = pipeline.words_for(know, snap)
    for row in pipeline.diagnoses(know, snap, sel, None, words=words):
        bu = next(b for b in data["business_units"] if b["id"] == row.rendered["business_unit"]["id"])
        assert row.words is not None and len(row.words.proofs) == len(row.rendered["verdicts"])
        for text in (t for proof in row.words.proofs for t in _lines(proof)):
            if HELD not in text:
                continue
            for said in _claimed(text.split(HELD, 1)[1], by_words):
                name, source = by_words[said]
                assert _held(data, source, bu), f"{name} ({source}) is not in the snapshot, yet: {text}"


def test_the_review_reproduction_names_no_role_hierarchy() -> None:
    """acme.yaml with `salesforce.roles: null`: asmith's MANAGED_NOT_ASSIGNED is still known
    from the lists it had, and its proof does not say the role hierarchy was held whole."""
    data = copy.deepcopy(BASE)
    data["salesforce"]["roles"] = None
    know = KNOWLEDGE["fixture"]
    snap = pipeline.Source(data, "acme-no-roles.yaml").build()
    sel = pipeline.select(snap, "asmith@acme.example", False, "Acme North America")
    [row] = pipeline.diagnoses(know, snap, sel, None, words=pipeline.words_for(know, snap))
    codes = [v["code"] for v in row.rendered["verdicts"]]
    assert "MANAGED_NOT_ASSIGNED" in codes
    proof = row.words.proofs[codes.index("MANAGED_NOT_ASSIGNED")]
    held = [t for t in _lines(proof) if HELD in t]
    assert held, "the negated condition's line is there"
    assert all("role hierarchy" not in t for t in held), held
