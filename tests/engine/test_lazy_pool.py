"""A business unit's pool builds its kinds lazily and looks values up through per-field columns
(engine/facts.py: KindSource): scanned at first, indexed after KindSource.SCANS lookups, and for
ids narrowed by a cheap key (Coarse). Whatever path answers, a lookup must give exactly the facts
whose value is the one asked for, as a scan over every built fact would."""
from __future__ import annotations

import copy
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncdoctor.engine.facts import MISSING, KindSource
from syncdoctor.facts.ids import to18
from syncdoctor.facts.snapshot import build_snapshot
from syncdoctor.facts.synthetic import generate


def _org(seed: int) -> dict:
    """A synthetic org whose AE users spell Salesforce ids every way a snapshot may: 18
    characters, 15, the suffix in lower case, absent, null."""
    data = generate(80, seed=seed)
    rnd = random.Random(seed)
    for a in data["account_engagement"]["users"]:
        sid = a.get("salesforce_id")
        if not sid:
            continue
        form = rnd.randrange(5)
        if form == 1:
            a["salesforce_id"] = sid[:15]
        elif form == 2:
            a["salesforce_id"] = sid[:15] + sid[15:].lower()
        elif form == 3:
            del a["salesforce_id"]
        elif form == 4:
            a["salesforce_id"] = None
        if rnd.random() < 0.2:
            a["email"] = a["email"].upper()
    return data


def _expected(facts, name: str, value, fold: bool):
    def norm(v):
        return v.casefold() if fold and isinstance(v, str) else v
    return [f for f in facts if norm(f.values.get(name, MISSING)) == norm(value)]


@given(seed=st.integers(0, 10_000), shuffle=st.integers(0, 2**32))
def test_every_lookup_path_gives_what_a_scan_of_the_facts_gives(seed: int, shuffle: int):
    snap = build_snapshot(_org(seed), "org.json")
    pool = snap.factset(0, 0, None).pool
    checks = []
    for kind in pool.by_kind:
        for f in pool.of_kind(kind):
            for name, value in f.values.items():
                for fold in (False, True):
                    checks.append((kind, name, value, fold))
                    if isinstance(value, str) and name in ("salesforce_id", "business_unit_id", "email"):
                        checks.append((kind, name, value.swapcase(), fold))  # another spelling
                        checks.append((kind, name, value[:15], fold))
                checks.append((kind, name, MISSING, False))
    random.Random(shuffle).shuffle(checks)
    # Fresh pools answer by scanning, then by index; every answer is compared with a scan.
    fresh = build_snapshot(_org(seed), "org.json").factset(0, 0, None).pool
    for kind, name, value, fold in checks[:800]:
        got = fresh.lookup(kind, name, value, fold)
        assert [f.fid for f in got] == [f.fid for f in _expected(fresh.of_kind(kind), name, value, fold)], (kind, name, value, fold)


def test_lazily_built_facts_are_the_same_objects_and_ids_as_a_whole_build():
    data = _org(3)
    snap = build_snapshot(copy.deepcopy(data), "org.json")
    first = snap.factset(0, 0, None).pool
    some = first.lookup("org_ae_user", "email", data["account_engagement"]["users"][5]["email"], True)
    every = first.of_kind("org_ae_user")
    assert some and all(any(f is g for g in every) for f in some)  # one Fact per row, whoever asked first
    # Ids are numbered as if every kind were built: o1.. roles, then group members, then AE users.
    roles = len(data["salesforce"]["roles"])
    members = sum(len(g["members"]) for g in data["salesforce"]["public_groups"])
    assert [f.fid for f in every] == [f"o{roles + members + i + 1}" for i in range(len(every))]
    assert every[5].values["salesforce_id" if "salesforce_id" in every[5].values else "email"]
    sid = data["account_engagement"]["users"][5].get("salesforce_id")
    assert every[5].values.get("salesforce_id") == (to18(sid) if sid else None) or "salesforce_id" not in every[5].values
    # The second business unit's pool shares the org's kinds (the same Fact objects) and numbers
    # its own facts after the first one's.
    second = snap.factset(0, 1, None).pool
    assert second.of_kind("org_ae_user")[0] is every[0]
    last_of_first = max(int(f.fid[1:]) for k in ("profile_mapping", "assignment", "ae_user") for f in first.of_kind(k))
    assert min(int(f.fid[1:]) for k in ("profile_mapping", "assignment", "ae_user") for f in second.of_kind(k)) == last_of_first + 1


def test_a_kind_no_diagnosis_reads_is_never_built():
    built = []
    source = KindSource(3, lambda i: built.append(i) or pytest.fail("built"), lambda name: [MISSING] * 3)
    from syncdoctor.engine.facts import FactPool
    pool = FactPool(sources={"org_ae_user": source})
    assert "org_ae_user" in pool.by_kind and "role" not in pool.by_kind
    assert pool.lookup("org_ae_user", "email", "x@y") == [] and built == []


def test_answers_are_not_kept_once_a_field_is_indexed():
    """An org scan looks up every user's id and email: keeping an answer per value grew without
    bound (memory, and a slower scan); once the field is indexed an answer is a dict lookup."""
    from syncdoctor.engine.facts import Fact
    facts = [Fact(f"o{i}", "ae_user", {"email": f"u{i}@x.example"}, {}) for i in range(500)]
    source = KindSource.of(facts)
    for i in range(400):
        assert [f.fid for f in source.facts_with("email", f"u{i}@x.example", False)] == [f"o{i}"]
    assert len(source._found) <= KindSource.SCANS
    assert source.facts_with("email", "U3@X.example", True)[0].fid == "o3"  # casefolded: its own column
