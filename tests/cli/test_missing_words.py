"""A snapshot path the engine needed and did not find is named in the vocabulary's words, found
through the snapshot map (facts/snapshot-map.yaml), never as the path's own field names
(`user sync, skip matching email`, `last modified at`) — for every field the map reads from a
user's or a business unit's record."""
from __future__ import annotations

from syncdoctor.api.knowledge import load_ruleset
from syncdoctor.api.proof import _BU_PLACES, _sentence, missing_words
from syncdoctor.facts.mapping import snapshot_map
from tests.conftest import FIXTURE_RULES

RECORDS = {"user": "salesforce.users[0]", "business_unit": "business_units[0]"}


def test_every_mapped_field_is_named_in_the_vocabulary_s_words():
    ruleset, _ = load_ruleset(FIXTURE_RULES)
    checked = 0
    for kind, prefix in RECORDS.items():
        fd = ruleset.vocabulary.facts[kind]
        for fm in snapshot_map()[kind].fields:
            fdef = fd.fields.get(fm.name)
            if fm.base != "record" or not fm.steps or fdef is None or not fdef.description:
                continue
            path = f"{prefix}.{'.'.join(fm.steps)}"
            words = missing_words(path, ["Acme"], ruleset)
            assert words != path and "_" not in words.split("(")[0], (path, words)
            rest = ".".join(fm.steps)
            if kind == "business_unit" and any(rest == p or rest.startswith(p + ".") for p, _ in _BU_PLACES):
                continue  # a place the report names in its own words (where to look in Setup)
            checked += 1
            # a path read into several fields (role_id: has_role and role_id) is named by one of them
            named = {_sentence(d) for f in snapshot_map()[kind].fields if f.steps == fm.steps
                     and (d := getattr(fd.fields.get(f.name), "description", ""))}
            assert any(n in words for n in named), (path, words)
    assert checked >= 5


def test_a_field_the_map_renames_is_named_by_the_field_it_becomes():
    ruleset, _ = load_ruleset(FIXTURE_RULES)
    fd = ruleset.vocabulary.facts["user"]
    words = missing_words("salesforce.users[3].last_modified_at", [], ruleset)
    assert words.startswith(_sentence(fd.fields["modified_minutes_ago"].description)), words
