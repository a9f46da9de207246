"""The Salesforce user an AE user is linked to (OrgIndex.linked, behind `linked_username` and
`linked_user_active`): found by the id as its record declares it, and by any other spelling of
that id (15 or 18 characters, the suffix in either case), never by an id of no listed user —
whichever is asked first (the declared-spelling table is tried before the identity table)."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from syncdoctor.facts.ids import key, spellings, to18
from syncdoctor.facts.transforms import OrgIndex

ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
ids15 = st.text(alphabet=ALNUM, min_size=12, max_size=12).map(lambda s: "005" + s)


@given(st.lists(ids15, min_size=1, max_size=6, unique_by=lambda s: s), st.data())
def test_every_spelling_of_a_listed_id_finds_its_user_and_no_other_id_does(ids, data):
    declared = [data.draw(st.sampled_from([i, to18(i)])) for i in ids]
    users = [{"id": d, "username": f"u{n}@x.example"} for n, d in enumerate(declared)]
    org = OrgIndex({"salesforce": {"users": users}}, None)
    asks = data.draw(st.lists(st.tuples(st.integers(0, len(ids) - 1), st.booleans()), min_size=1, max_size=8))
    for n, other_spelling in asks:
        spelling = data.draw(st.sampled_from(spellings(declared[n]))) if other_spelling else declared[n]
        assert org.linked(spelling) is users[n]
    stranger = data.draw(ids15.filter(lambda s: key(s) not in {key(i) for i in ids}))
    assert org.linked(stranger) is None and org.linked(to18(stranger)) is None
    assert org.linked(None) is None and org.linked(42) is None
