"""Shared work across diagnoses (engine/memo.py, engine/classes.py) concludes exactly what one
diagnosis at a time concludes: same verdicts, rule statuses, undetermined lists and proof."""
from __future__ import annotations

import json
import random

import pytest
from durable.engine import Host
from hypothesis import given, settings, strategies as st

from syncdoctor.engine.classes import ClassEngine
from syncdoctor.engine.memo import MemoEngine
from syncdoctor.engine.session import MessageIds, fnv1a32
from syncdoctor.facts.snapshot import parse_snapshot
from syncdoctor.facts.synthetic import generate

ROLES = [f"00E5e000000R{c}00AAA" for c in "ABCDEF"]
GROUPS = [f"00G5e000000G{c}00AAA" for c in "ABC"]
USERS = [f"0055e000000U{i:03d}AAA" for i in range(1, 9)]


@pytest.fixture(scope="module")
def memo(ruleset):
    return MemoEngine(ruleset)


@pytest.fixture(scope="module")
def classes(ruleset):
    return ClassEngine(ruleset)


def _doc(d) -> str:
    return json.dumps(d.to_json(), sort_keys=True)


member = st.one_of(
    st.fixed_dictionaries({"type": st.just("user"), "id": st.sampled_from(USERS)}),
    st.fixed_dictionaries({"type": st.just("public_group"), "id": st.sampled_from(GROUPS)}),
    st.fixed_dictionaries({"type": st.sampled_from(["role", "role_and_subordinates", "role_and_internal_subordinates"]),
                           "id": st.sampled_from(ROLES)}),
)


@st.composite
def orgs(draw):
    """Several users (sharing roles and profiles, some with direct memberships) in two
    business units whose settings and completeness vary."""
    maybe = lambda s: st.one_of(st.none(), s)  # noqa: E731
    roles = [{"id": r, "name": f"Role {i}", "parent_id": draw(st.sampled_from([None] + ROLES[:i])) if i else None,
              "portal_type": draw(maybe(st.sampled_from(["None", "Partner"])))} for i, r in enumerate(ROLES)]
    groups = [{"id": g, "name": f"Group {i}", "members": draw(st.lists(member, max_size=3))} for i, g in enumerate(GROUPS)]

    def bu(i: int) -> dict:
        return {"id": f"0Uv5e000000BU0{i}AAA", "name": f"BU {i}",
                "user_sync": {"enabled": draw(maybe(st.booleans())), "mode": draw(maybe(st.sampled_from(["legacy", "managed"]))),
                              "profile_roles": draw(maybe(st.dictionaries(st.sampled_from(["P1", "P2"]), st.sampled_from(["Sales", "Marketing"])))),
                              "move_to_recycle_bin_without_profile": draw(maybe(st.booleans())),
                              "last_change_at": draw(maybe(st.sampled_from(["2026-11-28T09:30:00Z", "2026-11-01T00:00:00Z"])))},
                "user_groups": draw(maybe(st.fixed_dictionaries({"marketing": st.lists(member, max_size=3),
                                                                 "sales": st.lists(member, max_size=2)})))}
    users = [{"id": uid, "username": f"u{i}@x.example", "is_active": draw(maybe(st.booleans())),
              "profile": draw(maybe(st.sampled_from(["P1", "P2"]))), "role_id": draw(maybe(st.sampled_from(ROLES))),
              "last_modified_at": draw(maybe(st.sampled_from(["2026-11-28T09:55:00Z", "2026-10-01T00:00:00Z"])))}
             for i, uid in enumerate(USERS[:draw(st.integers(2, len(USERS)))])]
    return {"snapshot_version": 1, "collected_at": "2026-11-28T10:00:00Z", "business_units": [bu(1), bu(2)],
            "salesforce": {"users": users, "roles": roles, "public_groups": groups if draw(st.booleans()) else None}}


@given(orgs(), st.sampled_from([None, "cannot-delete", "not-syncing", "restrict-access"]))
def test_shared_scan_concludes_what_one_at_a_time_concludes(engine, memo, classes, data, symptom):
    """Whole results compared as JSON: verdicts, undetermined lists with their missing places,
    rule statuses, the trace (firing ids, matches, parents) and the facts it uses."""
    snap = parse_snapshot(json.dumps(data), "test.json", fmt="json")
    factsets = [snap.factset(u, b, symptom) for u in range(len(snap.users)) for b in range(2)]
    alone = [_doc(engine.diagnose(fs)) for fs in factsets]
    assert [_doc(memo.diagnose(fs)) for fs in factsets] == alone
    # twice: the second pass finds every class already derived
    for _ in range(2):
        assert [_doc(classes.diagnose(fs)) for fs in factsets] == alone


def test_memo_reuses_statuses_and_relabels_missing_places(engine, ruleset):
    """Users who differ only in where their data sits share every status; a missing value is
    still reported at the user's own place in the snapshot."""
    memo = MemoEngine(ruleset)
    users = [{"id": uid, "username": f"u{i}@x.example", "profile": "P1", "role_id": None} for i, uid in enumerate(USERS[:3])]
    data = {"snapshot_version": 1, "collected_at": "2026-11-28T10:00:00Z",
            "business_units": [{"id": "0Uv5e000000BU01AAA", "user_sync": {"enabled": True, "mode": "legacy"}}],
            "salesforce": {"users": users}}
    snap = parse_snapshot(json.dumps(data), "test.json", fmt="json")
    docs = [memo.diagnose(snap.factset(u, 0, None)).to_json() for u in range(3)]
    assert memo.memo.hits > memo.memo.misses
    for u, doc in enumerate(docs):
        assert doc == engine.diagnose(snap.factset(u, 0, None)).to_json()
        places = {m for entry in doc["undetermined"] for m in entry["missing"]}
        assert f"salesforce.users[{u}].is_active" in places
        assert not any(f"salesforce.users[{o}]" in p for p in places for o in range(3) if o != u)


def _assert_both(name: str, first: str, second: str) -> tuple[Host, list[str]]:
    """Two facts with message ids `first` and `second` in one durable-rules session: what fired."""
    fired: list[str] = []

    def run(c) -> None:
        fired.append(c.m.v)
    host = Host()
    host.register_rulesets({name: {"r": {"all": [{"m": {"t": "x"}}], "run": run}}})
    host.assert_fact(name, {"sid": "1", "t": "x", "v": "a", "id": first})
    try:
        host.assert_fact(name, {"sid": "1", "t": "x", "v": "b", "id": second})
    except Exception:  # noqa: BLE001 - the collision: durable-rules says it has seen this fact
        pass
    return host, fired


def test_fnv_matches_durable_rules_and_distinct_ids_avoid_a_collision():
    """durable-rules refuses a second fact whose id hashes like a stored one; MessageIds
    renames the second of two colliding names, and durable-rules then keeps both facts."""
    seen: dict[int, str] = {}
    i = 0
    while True:  # a birthday collision among short names: about 2^16 tries
        name = f"{i}.f{i % 7}"
        h = fnv1a32(name)
        if h in seen:
            first, second = seen[h], name
            break
        seen[h] = name
        i += 1
    host, fired = _assert_both("h17_collide", first, second)
    assert fired == ["a"], "durable-rules no longer collides on equal 32-bit id hashes: revisit MessageIds"
    ids = MessageIds()
    a, b = ids.new(first), ids.new(second)
    assert a == first and b != second and fnv1a32(a) != fnv1a32(b)
    host.assert_fact("h17_collide", {"sid": "2", "t": "x", "v": "a", "id": a})
    host.assert_fact("h17_collide", {"sid": "2", "t": "x", "v": "b", "id": b})
    assert fired == ["a", "a", "b"]


def test_no_compiled_join_follows_a_nested_test(engine):
    """durable-rules ignores a join written after a nested `$and`/`$or` in one pattern: the
    compiler puts every join before them."""
    for rule in engine.compiled.definition[engine.compiled.name].values():
        for pattern in rule["all"]:
            (expr,) = pattern.values()
            conds = expr.get("$and", [expr]) if set(expr) == {"$and"} else [expr]
            nested = False
            for c in conds:
                is_join = any(isinstance(v, dict) and next(iter(v), "").startswith("a_") for v in c.values())
                assert not (nested and is_join), f"join after a nested test: {pattern}"
                nested |= "$or" in c or "$and" in c


def test_durable_rules_drops_a_join_after_an_or():
    """The hazard the ordering avoids, measured on durable-rules itself."""
    fired: list[tuple] = []
    host = Host()
    join, alt = {"k": {"a_m": "k"}}, {"$or": [{"v": 1}, {"v": 2}]}
    host.register_rulesets({"h17_or": {
        "after": {"all": [{"a_m": {"t": "m"}}, {"a_x": {"$and": [{"t": "x"}, alt, join]}}], "run": lambda c: fired.append(("after", c.a_m.k, c.a_x.k))},
        "before": {"all": [{"a_m": {"t": "m"}}, {"a_x": {"$and": [{"t": "x"}, join, alt]}}], "run": lambda c: fired.append(("before", c.a_m.k, c.a_x.k))},
    }})
    host.assert_facts("h17_or", [{"sid": "1", "t": "x", "k": 1, "v": 1}, {"sid": "1", "t": "x", "k": 2, "v": 1},
                                 {"sid": "1", "t": "m", "k": 1}])
    assert sorted(f for f in fired if f[0] == "before") == [("before", 1, 1)]
    assert sorted(f for f in fired if f[0] == "after") == [("after", 1, 1), ("after", 1, 2)]


def test_derivation_classes_are_shared_and_read_from_the_rules(ruleset, engine):
    """Users of one role share their derivations (one whole diagnosis per class); the fields
    that decide a class come from the compiled derive rules: `id` counts by what joins it."""
    eng = ClassEngine(ruleset)
    assert eng.shareable
    user = dict(eng._uses["user"])
    assert user["has_role"] is None  # compared by value
    assert user["id"] and ("assignment", "target") in user["id"]  # only joined from pool facts
    snap = parse_snapshot(json.dumps(generate(300, seed=5)), "org.json", fmt="json")
    factsets = [snap.factset(u, b, None) for u in range(len(snap.users)) for b in range(len(snap.business_units))]
    docs = [_doc(eng.diagnose(fs)) for fs in factsets]
    assert eng.shared > eng.whole > 0 and eng.fallbacks == 0
    sample = random.Random(2).sample(range(len(factsets)), 60)
    assert [docs[i] for i in sample] == [_doc(engine.diagnose(factsets[i])) for i in sample]


def test_a_direct_assignment_makes_its_own_class(ruleset, engine):
    """Four users of one role, the second also assigned directly: the direct assignment is
    derived for that user only (its id joins an assignment), never shared with the others; the
    fourth reuses the class the first and third derived (kept from its second member on)."""
    data = {"snapshot_version": 1, "collected_at": "2026-11-28T10:00:00Z",
            "business_units": [{"id": "0Uv5e000000BU01AAA", "user_sync": {"enabled": True, "mode": "managed"},
                                "user_groups": {"marketing": [{"type": "user", "id": USERS[1]}], "sales": []}}],
            "salesforce": {"roles": [{"id": ROLES[0], "name": "R", "parent_id": None}],
                           "users": [{"id": uid, "username": f"u{i}@x.example", "is_active": True, "profile": "P1",
                                      "role_id": ROLES[0]} for i, uid in enumerate(USERS[:4])]}}
    snap = parse_snapshot(json.dumps(data), "test.json", fmt="json")
    eng = ClassEngine(ruleset)
    got = [eng.diagnose(snap.factset(u, 0, None)).to_json() for u in range(4)]
    assert (eng.whole, eng.shared) == (3, 1)
    assert got == [engine.diagnose(snap.factset(u, 0, None)).to_json() for u in range(4)]
    assert "MANAGED_NOT_ASSIGNED" not in {v["code"] for v in got[1]["verdicts"]}
    assert "MANAGED_NOT_ASSIGNED" in {v["code"] for v in got[0]["verdicts"]} | {u["code"] for u in got[0]["undetermined"]}


def test_knowledge_that_shares_no_class_stops_keeping_classes(monkeypatch, engine):
    """Knowledge v2 reads each user's own email and username in its derive rules: every user is a
    class of its own. After GIVE_UP_AFTER such diagnoses the class engine stops building class
    keys and tables, and answers exactly as one diagnosis at a time does, before and after."""
    from syncdoctor.engine import classes as classes_module
    from syncdoctor.engine.ruleset import require_ruleset
    from syncdoctor.engine.run import Engine
    from tests.conftest import ROOT
    monkeypatch.setattr(classes_module, "GIVE_UP_AFTER", 5)
    v2 = require_ruleset(ROOT / "tests" / "fixtures" / "knowledge_v2")
    eng, plain = ClassEngine(v2), Engine(v2)
    assert eng.shareable
    snap = parse_snapshot(json.dumps(generate(20, seed=8)), "org.json", fmt="json")
    factsets = [snap.factset(u, 0, None) for u in range(len(snap.users))]
    docs = [_doc(eng.diagnose(fs)) for fs in factsets]
    assert not eng.shareable and eng.shared == 0 and eng.whole == 5 and eng.fallbacks == len(factsets) - 5
    assert docs == [_doc(plain.diagnose(fs)) for fs in factsets]


def test_fnv_sign_extends_non_ascii_bytes_as_durable_rules_does():
    """Two non-ASCII ids that collide under the sign-extended hash: durable-rules' C core takes
    them for one fact (the second is refused), so the hash the engine uses must say they collide."""
    first, second = "é828918", "é1212600"
    assert fnv1a32(first) == fnv1a32(second)
    _, fired = _assert_both("fnv_non_ascii", first, second)
    assert fired == ["a"]


@st.composite
def orgs_with_ae_users(draw):
    """orgs() plus Account Engagement users whose emails and links collide with the Salesforce
    users' (in another letter case too), as knowledge v2's collision and link rules read them."""
    data = draw(orgs())
    users = data["salesforce"]["users"]
    for u in users:
        u["email"] = draw(st.sampled_from([u["username"], u["username"].upper(), "shared@x.example"]))
    ae = []
    for i in range(draw(st.integers(0, 6))):
        bu = draw(st.sampled_from(data["business_units"]))["id"]
        entry = {"id": 1000 + i, "business_unit_id": bu, "in_recycle_bin": draw(st.booleans()),
                 "email": draw(st.sampled_from([u["email"] for u in users] + ["SHARED@x.example", "other@x.example"])),
                 "role": "Marketing"}
        link = draw(st.sampled_from(["absent", None] + [u["id"] for u in users]))
        if link != "absent":
            entry["salesforce_id"] = link
        ae.append(entry)
    if draw(st.booleans()):
        data["account_engagement"] = {"users": ae}
    return data


@pytest.fixture(scope="module")
def v2():
    """Engine and MemoEngine on a frozen copy of the knowledge v2 rules."""
    from syncdoctor.engine.ruleset import require_ruleset
    from syncdoctor.engine.run import Engine
    from tests.conftest import ROOT
    rules = require_ruleset(ROOT / "tests" / "fixtures" / "knowledge_v2")
    return {"engine": Engine(rules), "memo": MemoEngine(rules)}


@given(orgs_with_ae_users(), st.sampled_from([None, "not-syncing", "in-recycle-bin"]))
@settings(max_examples=60, deadline=None)
def test_memoised_statuses_equal_one_at_a_time_with_knowledge_v2(v2, data, symptom):
    """With knowledge v2's joins on ids, emails (casefolded) and usernames, the status memo
    (engine/memo.py) gives byte for byte what one diagnosis at a time gives."""
    snap = parse_snapshot(json.dumps(data), "test.json", fmt="json")
    factsets = [snap.factset(u, b, symptom) for u in range(len(snap.users)) for b in range(2)]
    alone = [_doc(v2["engine"].diagnose(fs)) for fs in factsets]
    for _ in range(2):  # the second pass finds every signature already known
        assert [_doc(v2["memo"].diagnose(fs)) for fs in factsets] == alone



def test_a_casefolded_join_is_memoised_by_what_the_casefolded_lookup_finds(v2):
    """Two users whose emails an exact lookup finds nowhere, one of which an `ignore_case` join
    finds (collision-email): they must not share a memo entry (a memo keyed by what an exact
    lookup finds would make them share one)."""
    data = {"snapshot_version": 1, "collected_at": "2026-11-28T10:00:00Z",
            "business_units": [{"id": "0Uv5e000000BU01AAA", "name": "BU 1", "user_sync": {"enabled": True, "mode": "managed"},
                                "user_groups": {"marketing": [], "sales": []}}],
            "salesforce": {"users": [{"id": USERS[i], "username": f"u{i}@x.example", "email": email, "is_active": True,
                                      "profile": "P1"} for i, email in enumerate(["nomatch@x.example", "shared@x.example"])],
                           "roles": [], "public_groups": []},
            "account_engagement": {"users": [{"id": 7, "business_unit_id": "0Uv5e000000BU01AAA", "email": "SHARED@x.example",
                                              "salesforce_id": None, "role": "Marketing", "in_recycle_bin": False}]}}
    snap = parse_snapshot(json.dumps(data), "test.json", fmt="json")
    factsets = [snap.factset(u, 0, "not-syncing") for u in range(2)]
    alone = [_doc(v2["engine"].diagnose(fs)) for fs in factsets]
    assert "SYNC_COLLISION" in alone[1] or "collision" in alone[1]
    assert [_doc(v2["memo"].diagnose(fs)) for fs in factsets] == alone
