"""`syncdoctor.api.what_if`: for random orgs and random changes of every kind, the moves it
reports (who gains or loses access, whose role changes, who goes to the recycle bin, who gets a
new cause) are exactly those of a full re-diagnosis of every user of an edited copy of the
snapshot, edited here independently (a deep copy, by ids) and validated from scratch."""
from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import syncdoctor.api as api
from syncdoctor.api import whatif
from syncdoctor.facts.snapshot import build_snapshot
from tests.conftest import EXAMPLE

ROLES = [f"00E5e00000R{i:04d}AAA" for i in range(6)]
GROUPS = [f"00G5e00000G{i:04d}AAA" for i in range(4)]
USERS = [f"0055e00000U{i:04d}AAA" for i in range(7)]
PROFILES = ["P1", "P2", "P3"]
BUS = ["0Uv5e000000BU01AAA", "0Uv5e000000BU02AAA"]
MEMBER_TYPES = ["user", "public_group", "role", "role_and_subordinates", "role_and_internal_subordinates"]


def _member(draw, types=MEMBER_TYPES, users=USERS):
    t = draw(st.sampled_from(types))
    pool = {"user": users, "public_group": GROUPS}.get(t, ROLES)
    return {"type": t, "id": draw(st.sampled_from(pool))}


def _dedupe(items):
    seen, out = set(), []
    for m in items:
        if (m["type"], m["id"]) not in seen:
            seen.add((m["type"], m["id"]))
            out.append(m)
    return out


@st.composite
def orgs(draw):
    maybe = lambda s: st.one_of(st.none(), s)  # noqa: E731
    roles = [{"id": r, "name": f"Role {i}", "parent_id": draw(st.sampled_from([None] + ROLES[:i])) if i else None,
              "portal_type": draw(st.sampled_from(["None", "None", "Partner"]))} for i, r in enumerate(ROLES)]
    n_users = draw(st.integers(3, len(USERS)))
    member = lambda: _member(draw, users=USERS[:n_users])  # noqa: E731
    groups = [{"id": g, "name": f"Group {i}", "members": _dedupe([member() for _ in range(draw(st.integers(0, 4)))])}
              for i, g in enumerate(GROUPS)]
    users = [{"id": u, "username": f"u{i}@x.example", "email": f"u{i}@x.example", "is_active": draw(st.sampled_from([True] * 4 + [False])),
              "profile": draw(st.sampled_from(PROFILES)), "role_id": draw(st.sampled_from([None] + ROLES))}
             for i, u in enumerate(USERS[:n_users])]
    bus = []
    for i, (b, mode) in enumerate(zip(BUS, draw(st.permutations(["managed", "legacy"])))):
        table = draw(st.dictionaries(st.sampled_from(PROFILES), st.sampled_from(["Marketing", "Sales", "Administrator"])))
        bus.append({"id": b, "name": f"BU {i}",
                    "user_sync": {"enabled": draw(st.sampled_from([True] * 5 + [None])), "mode": mode, "profile_roles": table,
                                  "move_to_recycle_bin_without_profile": draw(maybe(st.booleans())),
                                  "last_change_at": "2026-11-01T00:00:00Z"},
                    "user_groups": {"marketing": _dedupe([member() for _ in range(draw(st.integers(0, 3)))]),
                                    "sales": _dedupe([member() for _ in range(draw(st.integers(0, 2)))])}})
    ae = [{"id": 100 + j, "business_unit_id": b, "email": u["email"], "salesforce_id": u["id"], "role": "Marketing",
           "in_recycle_bin": draw(st.booleans())}
          for j, (u, b) in enumerate((u, b) for u in users for b in BUS) if draw(st.booleans())]
    return {"snapshot_version": 1, "collected_at": "2026-11-28T10:00:00Z", "business_units": bus,
            "salesforce": {"users": users, "roles": roles, "public_groups": groups, "profiles": PROFILES}, "account_engagement": {"users": ae}}


@st.composite
def changes(draw, data):
    """A change of any kind, named by name (or username) as a person writes it, that applies."""
    users = data["salesforce"]["users"]
    uname = lambda uid: next(u["username"] for u in users if u["id"] == uid)  # noqa: E731
    rname = {r["id"]: r["name"] for r in data["salesforce"]["roles"]}
    gname = {g["id"]: g["name"] for g in data["salesforce"]["public_groups"]}
    named = lambda m: {"type": m["type"], "name": uname(m["id"]) if m["type"] == "user" else  # noqa: E731
                       gname[m["id"]] if m["type"] == "public_group" else rname[m["id"]]}
    types = ["user", "public_group", "role", "role_and_subordinates", "role_and_internal_subordinates"]
    with_users = lambda: {"type": "user", "id": draw(st.sampled_from([u["id"] for u in users]))}  # noqa: E731
    kind = draw(st.sampled_from(["assign", "unassign", "add_member", "remove_member", "set_role", "set_profile", "activate",
                                 "deactivate", "select_profile", "unselect_profile", "set_setting", "transfer"]))
    # assignments matter in the managed business unit, the profile table and settings in the legacy one
    wanted = "managed" if kind in ("assign", "unassign", "add_member", "remove_member") else "legacy"
    fits = [b for b in data["business_units"] if b["user_sync"]["mode"] == wanted] or data["business_units"]
    bu = draw(st.sampled_from(fits + data["business_units"][:1]))
    if kind in ("assign", "unassign"):
        group = draw(st.sampled_from(["marketing", "sales"]))
        current = bu["user_groups"][group]
        if kind == "unassign" and current:
            m = draw(st.sampled_from(current))
        else:
            kind = "assign"
            m = with_users() if draw(st.booleans()) else _member(draw, types, [u["id"] for u in users])
        return {"change": kind, "member": named(m), "business_unit": bu["name"], "group": group}
    if kind in ("add_member", "remove_member"):
        g = draw(st.sampled_from(data["salesforce"]["public_groups"]))
        if kind == "remove_member" and g["members"]:
            m = draw(st.sampled_from(g["members"]))
        else:
            kind = "add_member"
            m = with_users() if draw(st.booleans()) else _member(draw, types, [u["id"] for u in users])
        return {"change": kind, "member": named(m), "public_group": g["name"]}
    user = draw(st.sampled_from(users))["username"]
    if kind == "set_role":
        return {"change": kind, "user": user, "role": draw(st.sampled_from([None] + list(rname.values())))}
    if kind == "set_profile":
        return {"change": kind, "user": user, "profile": draw(st.sampled_from(PROFILES))}
    if kind in ("activate", "deactivate"):
        return {"change": kind, "user": user}
    table = bu["user_sync"]["profile_roles"]
    if kind == "unselect_profile" and table:
        return {"change": kind, "business_unit": bu["name"], "profile": draw(st.sampled_from(sorted(table)))}
    if kind in ("select_profile", "unselect_profile"):
        return {"change": "select_profile", "business_unit": bu["name"], "profile": draw(st.sampled_from(PROFILES)),
                "role": draw(st.sampled_from(["Marketing", "Sales"]))}
    if kind == "set_setting":
        return {"change": kind, "business_unit": bu["name"], "value": draw(st.booleans()),
                "setting": draw(st.sampled_from(["move_to_recycle_bin_without_profile", "update_role_on_profile_change"]))}
    return {"change": "transfer", "business_unit": bu["name"]}


def edited_copy(data, change):
    """The snapshot data with one change made by hand (names looked up here, not by the API)."""
    out = copy.deepcopy(data)
    sf = out["salesforce"]
    by_name = {("user", u["username"]): u["id"] for u in sf["users"]}
    by_name.update({("public_group", g["name"]): g["id"] for g in sf["public_groups"]})
    by_name.update({("role", r["name"]): r["id"] for r in sf["roles"]})
    mid = lambda m: by_name[("user" if m["type"] == "user" else "public_group" if m["type"] == "public_group" else "role", m["name"])]  # noqa: E731
    bu = next((b for b in out["business_units"] if b["name"] == change.get("business_unit")), None)
    user = next((u for u in sf["users"] if u["username"] == change.get("user")), None)
    kind = change["change"]
    if kind in ("assign", "unassign", "add_member", "remove_member"):
        entry = {"type": change["member"]["type"], "id": mid(change["member"])}
        if kind in ("assign", "unassign"):
            target = bu["user_groups"][change["group"]]
        else:
            target = next(g for g in sf["public_groups"] if g["name"] == change["public_group"])["members"]
        if kind in ("assign", "add_member") and entry not in target:
            target.append(entry)
        elif kind in ("unassign", "remove_member"):
            target.remove(entry)
    elif kind == "set_role":
        user["role_id"] = by_name[("role", change["role"])] if change["role"] else None
    elif kind == "set_profile":
        user["profile"] = change["profile"]
    elif kind in ("activate", "deactivate"):
        user["is_active"] = kind == "activate"
    elif kind == "select_profile":
        bu["user_sync"]["profile_roles"][change["profile"]] = change["role"]
    elif kind == "unselect_profile":
        del bu["user_sync"]["profile_roles"][change["profile"]]
    elif kind == "set_setting":
        bu["user_sync"][change["setting"]] = change["value"]
    else:
        bu["user_sync"]["mode"] = "managed"
    return out


def full_moves(engine, before_data, after_data):
    """Every move of every user in every business unit, from diagnosing both orgs whole."""
    b, a = build_snapshot(copy.deepcopy(before_data), "before.json"), build_snapshot(after_data, "after.json")
    plan = whatif.plan(b, [])  # only for reading a standing (the links index): no change
    found = {}
    for ui in range(len(b.users)):
        for bi in range(len(b.business_units)):
            sb = plan.standing(engine.diagnose(b.factset(ui, bi, None)), b, ui, bi)
            sa = plan.standing(engine.diagnose(a.factset(ui, bi, None)), a, ui, bi)
            for move, detail in whatif.moves(sb, sa).items():
                codes = detail if move in ("new_causes", "causes_gone") else [None]
                for code in codes:
                    found.setdefault((b.business_units[bi]["id"], move, code), set()).add(b.users[ui]["id"])
    return found


def reported_moves(doc):
    found = {}
    for group in doc["business_units"]:
        for move in whatif.MOVES:
            entries = group[move].items() if move in ("new_causes", "causes_gone") else [(None, group[move])]
            for code, entry in entries:
                assert entry["count"] == len(entry["users"])
                if entry["users"]:
                    found[(group["business_unit"]["id"], move, code)] = {u["id"] for u in entry["users"]}
    return found


@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture], deadline=None)
@given(st.data())
def test_reported_moves_equal_a_full_rediagnosis_of_an_edited_copy(engine, data):
    org = data.draw(orgs())
    steps = [data.draw(changes(org))]
    if data.draw(st.booleans()):  # two changes at once: the second sees the first's org
        steps.append(data.draw(changes(edited_copy(org, steps[0]))))
    after = org
    for step in steps:
        after = edited_copy(after, step)
    doc = api.what_if(build_snapshot(copy.deepcopy(org), "before.json"), steps)
    assert reported_moves(doc) == full_moves(engine, org, after)
    assert doc["diagnoses_compared"] <= len(org["salesforce"]["users"]) * len(org["business_units"])


def test_asmith_assigned_directly_gains_access_and_her_cause_goes():
    doc = api.what_if(str(EXAMPLE), [{"change": "assign", "member": {"type": "user", "name": "asmith@acme.example"},
                                      "business_unit": "Acme North America", "group": "marketing"}], user="asmith@acme.example")
    (na, _eu) = doc["user"]["results"]
    assert na["causes_gone"] == ["MANAGED_NOT_ASSIGNED"] and na["access"] == {"before": False, "after": True}
    group = doc["business_units"][0]
    assert [u["username"] for u in group["gains_access"]["users"]] == ["asmith@acme.example"]
    assert group["gains_access"]["users"][0]["role"] == "Marketing"  # her profile's row in the table
    assert doc["diagnoses_compared"] == 1  # one user, one business unit: nobody else re-diagnosed


def test_a_role_and_subordinates_assignment_names_everyone_it_adds():
    # VP Marketing and subordinates: jdoe (Marketing Manager) already has access; nobody else holds them.
    doc = api.what_if(str(EXAMPLE), [{"change": "assign", "member": {"type": "role_and_subordinates", "name": "VP Sales"},
                                      "business_unit": "Acme North America", "group": "marketing"},
                                     {"change": "unassign", "member": {"type": "role_and_subordinates", "name": "VP Sales"},
                                      "business_unit": "Acme North America", "group": "sales"}])
    group = doc["business_units"][0]
    # crep (Sales Rep, active) keeps access but moves from Sales Users to Marketing Users: Sales -> Marketing.
    assert group["role_changes"]["users"] == [{"id": "0055e000000U004AAA", "username": "crep@acme.example",
                                               "before": "Sales", "after": "Marketing"}]


@pytest.mark.parametrize("change, words", [
    ({"change": "assign", "member": {"type": "role", "name": "VP Sale"}, "business_unit": "Acme North America", "group": "sales"},
     "did you mean: VP Sales"),
    ({"change": "add_member", "member": {"type": "user", "name": "asmiht@acme.example"}, "public_group": "Campaign Team"},
     "did you mean: asmith@acme.example"),
    ({"change": "transfer", "business_unit": "Acme Europa"}, "did you mean: Acme Europe"),
    ({"change": "set_profile", "user": "jdoe@acme.example", "profile": "Marketing Usr"}, "did you mean: Marketing User"),
    ({"change": "unassign", "member": {"type": "public_group", "name": "Campaign Teem"}, "business_unit": "Acme North America",
      "group": "marketing"}, "did you mean: Campaign Team"),
])
def test_a_name_not_in_the_snapshot_is_refused_with_the_closest(change, words):
    with pytest.raises(api.NotFound, match=words) as exc:
        api.what_if(str(EXAMPLE), [change])
    assert str(exc.value).startswith("changes[0]: ")


def test_a_change_that_cannot_apply_says_what_is_there():
    with pytest.raises(api.CannotApply, match="there: role_and_subordinates 00E5e000000ROL3AAA"):
        api.what_if(str(EXAMPLE), [{"change": "unassign", "member": {"type": "role", "name": "VP Sales"},
                                    "business_unit": "Acme North America", "group": "sales"}])


def test_a_misshapen_change_is_bad_input_naming_the_field():
    with pytest.raises(api.BadInput, match=r"changes\[0\].*'asign'.*did you mean 'assign'"):
        api.what_if(str(EXAMPLE), [{"change": "asign"}])


def test_the_snapshot_is_not_modified():
    snap = api.load_snapshot(str(EXAMPLE))
    before = json.dumps(snap.data, sort_keys=True)
    api.what_if(snap, [{"change": "deactivate", "user": "jdoe@acme.example"},
                       {"change": "remove_member", "member": {"type": "public_group", "name": "Field Marketing"},
                        "public_group": "Campaign Team"}])
    assert json.dumps(snap.data, sort_keys=True) == before


ACME_CHANGES = [
    {"change": "assign", "member": {"type": "public_group", "name": "Field Marketing"}, "business_unit": "Acme North America", "group": "sales"},
    {"change": "unassign", "member": {"type": "public_group", "name": "Campaign Team"}, "business_unit": "Acme North America", "group": "marketing"},
    {"change": "assign", "member": {"type": "role_and_internal_subordinates", "name": "VP Marketing"}, "business_unit": "Acme North America", "group": "marketing"},
    {"change": "add_member", "member": {"type": "role", "name": "Sales Rep"}, "public_group": "Field Marketing"},
    {"change": "remove_member", "member": {"type": "role", "name": "Marketing Manager"}, "public_group": "Field Marketing"},
    {"change": "set_role", "user": "asmith@acme.example", "role": "Marketing Manager"},
    {"change": "set_role", "user": "jdoe@acme.example", "role": None},
    {"change": "set_profile", "user": "crep@acme.example", "profile": "Sales Profile"},
    {"change": "activate", "user": "bwong@acme.example"},
    {"change": "deactivate", "user": "jdoe@acme.example"},
    {"change": "select_profile", "business_unit": "Acme Europe", "profile": "Marketing User", "role": "Marketing"},
    {"change": "unselect_profile", "business_unit": "Acme North America", "profile": "Marketing User"},
    {"change": "set_setting", "business_unit": "Acme Europe", "setting": "move_to_recycle_bin_without_profile", "value": False},
    {"change": "transfer", "business_unit": "Acme Europe"},
]


@pytest.mark.parametrize("change", ACME_CHANGES, ids=lambda c: c["change"])
def test_on_the_example_org_every_kind_of_change_reports_what_a_full_rediagnosis_finds(engine, change):
    import yaml
    org = yaml.safe_load(EXAMPLE.read_text())
    doc = api.what_if(build_snapshot(copy.deepcopy(org), "acme.json"), [change])
    assert reported_moves(doc) == full_moves(engine, org, edited_copy(org, change))
