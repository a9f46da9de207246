"""The engine on durable-rules: chaining, unknown-is-not-false, hazards, determinism."""
from __future__ import annotations

import pytest
import json
from copy import deepcopy

import yaml
from durable.engine import Host
from hypothesis import given, strategies as st

from syncdoctor.facts.snapshot import load_snapshot, parse_snapshot
from tests.conftest import EXAMPLE, ROOT, cli_process

BASE = yaml.safe_load(EXAMPLE.read_text())


def diagnose(engine, data, user, bu=0, symptom=None):
    snap = parse_snapshot(json.dumps(data), "test.json", fmt="json")
    d = engine.diagnose(snap.factset(snap.find_user(user), bu, symptom))
    return d, d.to_json()


def codes(doc):
    return {v["code"] for v in doc["verdicts"]}


def test_chaining_three_levels_deep(engine):
    # role -> group_reach (Field Marketing) -> group_reach (Campaign Team) -> assigned -> verdict
    d, doc = diagnose(engine, BASE, "jdoe@acme.example", 0, "cannot-delete")
    verdict = next(v for v in doc["verdicts"] if v["code"] == "DELETE_MANAGED_STILL_ASSIGNED")
    firings = {f.id: f for f in d.firings}

    def depth(fid):
        f = firings[fid]
        return 1 + max((depth(p) for p in f.parents), default=0)

    assert max(depth(e) for e in verdict["evidence"]) >= 4
    assert any("through nested public group Field Marketing" in x for x in verdict["details"])


def test_unknown_mode_is_not_false(engine):
    data = deepcopy(BASE)
    del data["business_units"][0]["user_sync"]["mode"]
    _, doc = diagnose(engine, data, "asmith@acme.example", 0)
    assert "MANAGED_NOT_ASSIGNED" not in codes(doc)
    und = {u["code"]: u["missing"] for u in doc["undetermined"]}
    assert und["MANAGED_NOT_ASSIGNED"] == ["business_units[0].user_sync.mode"]


def test_false_is_not_applicable(engine):
    d, doc = diagnose(engine, BASE, "asmith@acme.example", 0)
    assert "MANAGED_NOT_ASSIGNED" in codes(doc)
    assert d.statuses["legacy-profile-not-synced"].status == "not_applicable"


def test_negation_waits_for_derived_facts(engine):
    """Without strata, MANAGED_NOT_ASSIGNED would fire before `assigned` is derived (durable-rules
    has no truth maintenance). jdoe is assigned only through two nested groups."""
    data = deepcopy(BASE)
    data["business_units"][0]["user_groups"]["marketing"] = [{"type": "public_group", "id": "00G5e000000GRP1AAA"}]
    _, doc = diagnose(engine, data, "jdoe@acme.example", 0)
    assert "MANAGED_NOT_ASSIGNED" not in codes(doc)


def test_absent_join_field_does_not_satisfy_negation(engine):
    """`not profile_mapping where profile = user.profile` with the profile unknown must not fire."""
    data = deepcopy(BASE)
    del data["salesforce"]["users"][1]["profile"]
    _, doc = diagnose(engine, data, "asmith@acme.example", 1)
    assert "LEGACY_PROFILE_NOT_SYNCED" not in codes(doc)
    assert "LEGACY_PROFILE_NOT_SYNCED" in {u["code"] for u in doc["undetermined"]}


def test_incomplete_list_blocks_negation(engine):
    data = deepcopy(BASE)
    del data["business_units"][0]["user_groups"]
    _, doc = diagnose(engine, data, "asmith@acme.example", 0)
    assert "MANAGED_NOT_ASSIGNED" not in codes(doc)
    assert {"business_units[0].user_groups"} <= {m for u in doc["undetermined"] for m in u["missing"]}


def test_fifteen_and_eighteen_character_ids_join(engine):
    data = deepcopy(BASE)
    data["business_units"][0]["user_groups"]["marketing"] = [{"type": "user", "id": "0055e000000U002"}]
    _, doc = diagnose(engine, data, "asmith@acme.example", 0)
    assert "MANAGED_NOT_ASSIGNED" not in codes(doc)


def test_neq_on_absent_field_is_false_in_durable():
    """The hazard the compiler's `$ex` guard on not_equals protects against, observed directly."""
    fired = []
    host = Host()
    host.register_rulesets({"hz_neq": {"r": {"all": [{"m": {"$and": [{"t": "x"}, {"$neq": {"mode": "legacy"}}]}}],
                                               "run": lambda c: fired.append(1)}}})
    try:
        host.assert_fact("hz_neq", {"sid": "1", "t": "x"})
    except Exception:
        pass
    assert fired == []


def test_same_fact_never_binds_twice_in_durable():
    """Why the checker refuses a rule that matches a single fact under two names."""
    fired = []
    host = Host()
    host.register_rulesets({"hz_twice": {"r": {"all": [{"a": {"t": "one"}}, {"b": {"t": "one"}}],
                                                 "run": lambda c: fired.append(1)}}})
    host.assert_fact("hz_twice", {"sid": "1", "t": "one", "v": 1})
    assert fired == []


def test_many_diagnoses_share_nothing(engine):
    first = diagnose(engine, BASE, "asmith@acme.example", 0)[1]
    for _ in range(300):
        diagnose(engine, BASE, "jdoe@acme.example", 0, "cannot-delete")
    again = diagnose(engine, BASE, "asmith@acme.example", 0)[1]
    assert json.dumps(first, sort_keys=True) == json.dumps(again, sort_keys=True)
    assert not engine._sessions


def test_two_rulesets_side_by_side(ruleset):
    from syncdoctor.engine.run import Engine
    a, b = Engine(ruleset), Engine(ruleset)
    assert a.compiled.name != b.compiled.name
    assert codes(diagnose(a, BASE, "asmith@acme.example")[1]) == codes(diagnose(b, BASE, "asmith@acme.example")[1])


@pytest.mark.slow
def test_byte_identical_across_processes(tmp_path):
    outs = []
    for i in range(2):
        out = tmp_path / f"o{i}.json"
        cli_process("diagnose", "--facts", EXAMPLE, "--all", "--format", "json", "--out", out)
        outs.append(out.read_bytes())
    assert outs[0] == outs[1] and len(outs[0]) > 1000


# -- the two evaluators agree on generated fact sets ---------------------------------------
ids_roles = [f"00E5e000000R{c}00AAA" for c in "ABCDE"]
ids_groups = [f"00G5e000000G{c}00AAA" for c in "ABCD"]
member = st.one_of(
    st.fixed_dictionaries({"type": st.just("user"), "id": st.sampled_from(["0055e000000U001AAA", "0055e000000U009AAA"])}),
    st.fixed_dictionaries({"type": st.just("public_group"), "id": st.sampled_from(ids_groups)}),
    st.fixed_dictionaries({"type": st.sampled_from(["role", "role_and_subordinates", "role_and_internal_subordinates"]),
                           "id": st.sampled_from(ids_roles)}),
)


@st.composite
def snapshots(draw):
    maybe = lambda s: st.one_of(st.none(), s)  # noqa: E731
    roles = [{"id": r, "name": f"Role {i}", "parent_id": draw(st.sampled_from([None] + ids_roles[:i])) if i else None,
              "portal_type": draw(maybe(st.sampled_from(["None", "Partner"])))} for i, r in enumerate(ids_roles)]
    groups = [{"id": g, "name": f"Group {i}", "members": draw(st.lists(member, max_size=3))} for i, g in enumerate(ids_groups)]
    data = {
        "snapshot_version": 1, "collected_at": "2026-11-28T10:00:00Z",
        "business_units": [{"id": "0Uv5e000000BU01AAA", "name": "BU",
                            "user_sync": {"enabled": draw(maybe(st.booleans())), "mode": draw(maybe(st.sampled_from(["legacy", "managed"]))),
                                          "profile_roles": draw(maybe(st.dictionaries(st.sampled_from(["P1", "P2"]), st.sampled_from(["Sales", "Marketing"])))),
                                          "move_to_recycle_bin_without_profile": draw(maybe(st.booleans())),
                                          "last_change_at": draw(maybe(st.sampled_from(["2026-11-28T09:30:00Z", "2026-11-01T00:00:00Z"])))},
                            "user_groups": draw(maybe(st.fixed_dictionaries({"marketing": st.lists(member, max_size=3), "sales": st.lists(member, max_size=2)})))}],
        "salesforce": {"users": [{"id": "0055e000000U001AAA", "username": "u@x.example", "is_active": draw(maybe(st.booleans())),
                                  "profile": draw(maybe(st.sampled_from(["P1", "P2"]))), "role_id": draw(maybe(st.sampled_from(ids_roles)))}],
                       "roles": roles if draw(st.booleans()) else None,
                       "public_groups": groups if draw(st.booleans()) else None},
    }
    if data["salesforce"]["roles"] is None and data["salesforce"]["users"][0]["role_id"]:
        data["salesforce"]["roles"] = roles
    return data


@given(snapshots(), st.sampled_from([None, "cannot-delete", "restrict-access", "disable-sync", "not-syncing"]))
def test_engine_and_status_evaluator_agree(engine, data, symptom):
    # Engine.diagnose raises EngineError on any disagreement: reaching the asserts means they agreed.
    d, doc = diagnose(engine, data, "u@x.example", 0, symptom)
    fired = {r for r, s in d.statuses.items() if s.status == "fired"}
    assert fired == {f.rule for f in d.firings}
    assert not codes(doc) & {u["code"] for u in doc["undetermined"]}


def test_regression_empty_table_and_unknown_profile(engine):
    """Found by the thorough hypothesis profile: an empty (complete) profile table and an
    unknown profile must leave the legacy cause undetermined in both evaluators."""
    data = {"snapshot_version": 1, "collected_at": "2026-11-28T10:00:00Z",
            "business_units": [{"id": "0Uv5e000000BU01AAA", "user_sync": {"enabled": True, "mode": "legacy", "profile_roles": {}}}],
            "salesforce": {"users": [{"id": "0055e000000U001AAA", "username": "u@x.example", "profile": None, "role_id": None}]}}
    _, doc = diagnose(engine, data, "u@x.example", 0)
    assert "LEGACY_PROFILE_NOT_SYNCED" in {u["code"] for u in doc["undetermined"]}


@given(snapshots(), st.sampled_from([None, "cannot-delete", "not-syncing"]))
def test_demand_driven_pool_equals_asserting_every_fact(engine, data, symptom):
    """A diagnosis asserts only the pool facts that can join with its own (Engine._demanded).
    It must conclude exactly what asserting every org and business-unit fact concludes:
    same verdicts, same undetermined rules with the same missing facts, same rule statuses."""
    from dataclasses import replace
    snap = parse_snapshot(json.dumps(data), "test.json", fmt="json")
    pruned = snap.factset(0, 0, symptom)
    whole = replace(pruned, facts=pruned.facts + list(pruned.pool.facts), pool=None)
    a, b = engine.diagnose(pruned), engine.diagnose(whole)
    # Firing ids (evidence) and the order of details follow assertion order, which differs.
    same = lambda d: [dict(v, evidence=len(v["evidence"]), details=sorted(v["details"])) for v in d.verdicts()]  # noqa: E731
    assert same(a) == same(b)
    assert a.undetermined() == b.undetermined()
    assert {r: s.status for r, s in a.statuses.items()} == {r: s.status for r, s in b.statuses.items()}
