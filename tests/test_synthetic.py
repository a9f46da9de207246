"""`syncdoctor dev generate-org`: deterministic, valid, and of the shape the benchmark needs."""
from __future__ import annotations

import json


from syncdoctor.cli.main import app
from syncdoctor.facts.snapshot import load_snapshot
from tests.conftest import runner



def test_generate_org_is_deterministic_valid_and_realistic(tmp_path):
    a, b, c = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "c.yaml"
    for out, seed in ((a, "7"), (b, "7"), (c, "8")):
        r = runner.invoke(app, ["dev", "generate-org", "--users", "600", "--seed", seed, "--out", str(out)])
        assert r.exit_code == 0, r.stderr
    assert a.read_bytes() == b.read_bytes()
    snap = load_snapshot(c)  # YAML by extension, and valid
    data = json.loads(a.read_text())
    load_snapshot(a)
    sf = data["salesforce"]
    assert len(sf["users"]) == 600
    modes = {bu["user_sync"].get("mode") for bu in data["business_units"]}
    assert modes == {"legacy", "managed"}
    parent = {r["id"]: r["parent_id"] for r in sf["roles"]}
    depth = max(_depth(parent, rid) for rid in parent)
    assert depth >= 8
    nested = {g["id"]: [m["id"] for m in g["members"] if m["type"] == "public_group"] for g in sf["public_groups"]}
    assert _longest_chain(nested) >= 4 and _has_cycle(nested)
    types = {m["type"] for bu in data["business_units"] for grp in (bu.get("user_groups") or {}).values() for m in grp}
    types |= {m["type"] for g in sf["public_groups"] for m in g["members"]}
    assert types == {"user", "public_group", "role", "role_and_subordinates", "role_and_internal_subordinates"}
    inactive = sum(not u["is_active"] for u in sf["users"]) / len(sf["users"])
    assert 0.005 < inactive < 0.1
    assert any(a_["in_recycle_bin"] for a_ in data["account_engagement"]["users"])
    assert any("profile" not in u for u in sf["users"]) and any("last_change_at" not in bu["user_sync"] for bu in data["business_units"])
    assert len(snap.users) == 600
    r = runner.invoke(app, ["dev", "generate-org", "--users", "5", "--out", str(tmp_path / "x.txt")])
    assert r.exit_code == 2 and ".json, .yaml" in r.stderr


def _depth(parent: dict, rid: str) -> int:
    n = 0
    while parent.get(rid):
        rid, n = parent[rid], n + 1
    return n + 1


def _longest_chain(graph: dict) -> int:
    best = 0
    for start in graph:
        seen, node, n = {start}, start, 1
        while graph.get(node):
            node = graph[node][0]
            if node in seen:
                break
            seen.add(node)
            n += 1
        best = max(best, n)
    return best


def _has_cycle(graph: dict) -> bool:
    for start in graph:
        stack, seen = list(graph[start]), set()
        while stack:
            node = stack.pop()
            if node == start:
                return True
            if node not in seen:
                seen.add(node)
                stack.extend(graph.get(node, []))
    return False
