"""facts/snapshot-map.yaml is the one place that says which snapshot path becomes which input
fact: generated snapshots (every field present, null or absent, independently) give exactly
the facts the hand-written mapping it replaced gave (`expected_facts` below restates it, field
by field), and the map agrees with the vocabulary and the snapshot schema (facts/map_check.py)."""
from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from syncdoctor.facts import kinds
from syncdoctor.facts.ids import key, looks_like_id
from syncdoctor.facts.snapshot import parse_snapshot
from syncdoctor.reading.findings import FindingError

BUS = ["0Uv5e000000BU01AAA", "0Uv5e000000BU02AAA"]
USERS = ["0055e000000U001AAA", "0055e000000U002AAA", "0055e000000U003AAA"]
ROLES = ["00E5e000000ROL1AAA", "00E5e000000ROL2AAA"]
GROUPS = ["00G5e000000GRP1AAA"]
ABSENT = object()
STAMPS = ["2026-11-28T09:30:00Z", "2026-11-01T00:00:00Z", "not a time"]


def _maybe(draw, record: dict[str, Any], name: str, values: st.SearchStrategy) -> None:
    """Set `name` to a drawn value, to null, or leave it out."""
    choice = draw(st.sampled_from(["value", "null", "absent"]))
    if choice == "value":
        record[name] = draw(values)
    elif choice == "null":
        record[name] = None


@st.composite
def snapshots(draw) -> dict[str, Any]:
    member = st.fixed_dictionaries({"type": st.sampled_from(["user", "role", "role_and_subordinates"]),
                                    "id": st.sampled_from(ROLES)}).map(lambda m: m if m["type"] != "user" else {**m, "id": USERS[0]})
    text = st.sampled_from(["a@x.example", "b@x.example", "b2bmaintegration@00d5e0000000abcdea.ext"])
    users = []
    for uid in USERS[:draw(st.integers(1, 3))]:
        u = {"id": draw(st.sampled_from([uid, uid[:15]]))}
        for name, values in (("username", text), ("email", text), ("is_active", st.booleans()), ("profile", st.sampled_from(["P1", "P2"])),
                             ("role_id", st.sampled_from(ROLES)), ("last_modified_at", st.sampled_from(STAMPS[:2])),
                             ("user_type", st.sampled_from(["Standard", "CsnOnly", "PowerPartner", "Guest", "Other"])),
                             ("license", st.sampled_from(["Salesforce", "Identity", "Chatter Free"]))):
            _maybe(draw, u, name, values)
        users.append(u)
    bus = []
    for bid in BUS[:draw(st.integers(1, 2))]:
        sync: dict[str, Any] = {}
        for name, values in (("enabled", st.booleans()), ("mode", st.sampled_from(["legacy", "managed"])),
                             ("last_change_at", st.sampled_from(STAMPS[:2])), ("move_to_recycle_bin_without_profile", st.booleans()),
                             ("update_role_on_profile_change", st.booleans()), ("skip_matching_email", st.booleans()),
                             ("profile_roles", st.dictionaries(st.sampled_from(["P1", "P2"]), st.sampled_from(["Sales", "Marketing"])))):
            _maybe(draw, sync, name, values)
        bu: dict[str, Any] = {"id": bid}
        _maybe(draw, bu, "name", st.sampled_from(["North", "South"]))
        _maybe(draw, bu, "user_sync", st.just(sync))
        _maybe(draw, bu, "user_groups", st.fixed_dictionaries({"marketing": st.one_of(st.none(), st.lists(member, max_size=2)),
                                                              "sales": st.one_of(st.none(), st.lists(member, max_size=2))}))
        _maybe(draw, bu, "expected_access", st.dictionaries(st.sampled_from([USERS[0], USERS[0][:15], USERS[1]]),
                                                            st.one_of(st.none(), st.booleans()), max_size=2))
        bus.append(bu)
    roles = [{"id": ROLES[0], "name": "Top", "parent_id": None}, {"id": ROLES[1], "parent_id": ROLES[0], "portal_type": "None"}]
    groups = [{"id": GROUPS[0], "name": draw(st.sampled_from(["Team", None])), "members": draw(st.lists(member, max_size=2))}]
    ae = []
    for i in range(draw(st.integers(0, 3))):
        a: dict[str, Any] = {"id": draw(st.sampled_from([i + 1, f"{i + 1}", None]))}
        for name, values in (("business_unit_id", st.sampled_from(BUS + ["0Uv5e000000BU09AAA"])), ("email", text), ("username", text),
                             ("salesforce_id", st.sampled_from(USERS + [USERS[0][:15]])), ("role", st.sampled_from(["Sales", "Marketing"])),
                             ("in_recycle_bin", st.booleans()), ("updated_at", st.sampled_from(STAMPS[:2]))):
            _maybe(draw, a, name, values)
        ae.append(a)
    data: dict[str, Any] = {"snapshot_version": 1, "business_units": bus,
                            "salesforce": {"users": users, "roles": roles, "public_groups": groups}}
    _maybe(draw, data, "collected_at", st.just("2026-11-28T10:00:00Z"))
    if draw(st.booleans()):
        data["account_engagement"] = {"users": ae}
        if draw(st.booleans()):
            data["account_engagement"]["collected_business_units"] = BUS[:1]
    if draw(st.booleans()):  # where the collectors and answers write sources: lists and settings
        data["sources"] = {"salesforce.users": {"source": "salesforce"}, "account_engagement.users": {"source": "account_engagement"},
                           "business_units[0].user_sync.mode": {"source": "engineer", "via": "answers"}}
    return data


# -- the mapping as facts/snapshot.py wrote it by hand, before facts/snapshot-map.yaml ---------
def _minutes(data: dict[str, Any], value: Any) -> int | None:
    from syncdoctor.facts.transforms import minutes_between, timestamp
    return minutes_between(timestamp(data.get("collected_at")), timestamp(value))


def _id(v: Any) -> Any:
    """An id as its record is declared (references are respelled when the snapshot is read; the
    expectations read the snapshot's data as read). The hand-written mapping computed to18 here."""
    return v or None


def _present(record: dict[str, Any], name: str, null: bool) -> bool | None:
    return None if name not in record else (record[name] is None) == null


def _user_kind(u: dict[str, Any]) -> str | None:
    k = kinds.kind(u)
    if k == "of unknown type":
        return None
    return {"standard": "standard", "Identity licence": "identity", "Chatter (Chatter Free)": "chatter",
            "guest": "guest"}.get(k, "portal" if "portal" in k else "other")


def expected_user(data: dict[str, Any], ui: int, bi: int) -> tuple[dict[str, Any], dict[str, str]]:
    u, bu = data["salesforce"]["users"][ui], data["business_units"][bi]
    up, bp = f"salesforce.users[{ui}]", f"business_units[{bi}]"
    stamp = f"{up}.last_modified_at" if data.get("collected_at") else "collected_at"
    values = {"id": _id(u["id"]), "username": u.get("username"), "email": u.get("email"), "is_active": u.get("is_active"),
              "profile": u.get("profile"), "has_role": _present(u, "role_id", False), "role_id": _id(u.get("role_id")),
              "modified_minutes_ago": _minutes(data, u.get("last_modified_at")), "is_integration_user": kinds.integration_user(u),
              "user_type": u.get("user_type"), "license": u.get("license"), "user_kind": _user_kind(u),
              "expects_access": next((v for k, v in (bu.get("expected_access") or {}).items()
                                      if looks_like_id(k) and key(k) == key(u["id"])), None)}
    paths = {"has_role": f"{up}.role_id", "modified_minutes_ago": stamp, "expects_access": f"{bp}.expected_access.{u['id']}",
             "is_integration_user": f"{up}.username", "user_kind": f"{up}.user_type"}
    return values, paths


def _collected(data: dict[str, Any], bu: dict[str, Any]) -> bool:
    ae = data.get("account_engagement") or {}
    covered = ae.get("collected_business_units")
    if isinstance(covered, list) and key(bu["id"]) not in {key(c) for c in covered}:
        return False
    return isinstance(ae.get("users"), list)


def expected_business_unit(data: dict[str, Any], bi: int) -> tuple[dict[str, Any], dict[str, str]]:
    bu, bp = data["business_units"][bi], f"business_units[{bi}]"
    sync = bu.get("user_sync") or {}
    values = {"id": _id(bu["id"]), "name": bu.get("name"), "sync_enabled": sync.get("enabled"), "mode": sync.get("mode"),
              **{k: sync.get(k) for k in ("move_to_recycle_bin_without_profile", "update_role_on_profile_change", "skip_matching_email")},
              "changed_minutes_ago": _minutes(data, sync.get("last_change_at")), "ae_users_collected": _collected(data, bu),
              "profile_table_collected": isinstance(sync.get("profile_roles"), dict)}
    paths = {"sync_enabled": f"{bp}.user_sync.enabled", "mode": f"{bp}.user_sync.mode",
             "changed_minutes_ago": f"{bp}.user_sync.last_change_at" if data.get("collected_at") else "collected_at",
             "ae_users_collected": "account_engagement.users", "profile_table_collected": f"{bp}.user_sync.profile_roles",
             **{k: f"{bp}.user_sync.{k}" for k in ("move_to_recycle_bin_without_profile", "update_role_on_profile_change", "skip_matching_email")}}
    return values, paths


def expected_ae(data: dict[str, Any], a: dict[str, Any], with_bu: bool) -> dict[str, Any]:
    users = {key(u["id"]): u for u in data["salesforce"]["users"]}
    linked = users.get(key(a["salesforce_id"])) if isinstance(a.get("salesforce_id"), str) else None
    words = None
    if "salesforce_id" in a:
        state = {True: "active", False: "inactive"}.get((linked or {}).get("is_active"), "active or not: unknown")
        words = ("linked to no Salesforce user" if a["salesforce_id"] is None else
                 f"linked to Salesforce user {a['salesforce_id']} (not in the snapshot)" if linked is None else
                 f"linked to Salesforce user {linked.get('username') or linked['id']} ({state})")
    values = {"ae_id": None if a.get("id") is None else str(a["id"]), "email": a.get("email"), "username": a.get("username"),
              "salesforce_id": _id(a.get("salesforce_id")), "has_salesforce_id": _present(a, "salesforce_id", False),
              "role": a.get("role"), "in_recycle_bin": a.get("in_recycle_bin"), "updated_minutes_ago": _minutes(data, a.get("updated_at")),
              "linked_username": (linked or {}).get("username"), "linked_user_active": (linked or {}).get("is_active"), "link_words": words}
    if with_bu:
        bin_ = a.get("in_recycle_bin")
        holder = ("recycle_bin" if bin_ is True else None if bin_ is not False or "salesforce_id" not in a
                  else "unmapped" if a["salesforce_id"] is None else "synced_user")
        labels = {key(b["id"]): f"{b.get('name')} ({b['id']})" if b.get("name") else b["id"] for b in data["business_units"]}
        bid = a.get("business_unit_id")
        values |= {"holder": holder, "bin_words": {True: "in the recycle bin", False: "not in the recycle bin"}.get(bin_),
                   "business_unit_id": _id(bid), "business_unit_label": labels.get(key(bid), f"{bid} (not in the snapshot)") if isinstance(bid, str) else None}
    return values


def _known(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(snapshots(), st.sampled_from([None, "not-syncing"]))
def test_generated_snapshots_give_the_facts_the_hand_written_mapping_gave(data, symptom):
    text = json.dumps(data)
    try:
        snap = parse_snapshot(text, "gen.json", fmt="json")
    except FindingError:
        assume(False)  # an invalid combination the schema refuses: nothing to map
    data = json.loads(json.dumps(snap.data))  # as read: every reference in its record's declared spelling
    for ui in range(len(data["salesforce"]["users"])):
        for bi in range(len(data["business_units"])):
            fs = snap.factset(ui, bi, symptom)
            context, user, bu = fs.facts
            assert (context.fid, context.values, context.provenance) == ("f1", {"symptom": symptom or "none"},
                                                                          {"source": "command line", "path": "--symptom"})
            for fact, (values, paths), base in ((user, expected_user(data, ui, bi), f"salesforce.users[{ui}]"),
                                                (bu, expected_business_unit(data, bi), f"business_units[{bi}]")):
                assert fact.values == _known(values)
                assert fact.provenance["path"] == base
                assert {n: fact.path_of(n) for n in values} == {n: paths.get(n, f"{base}.{n}") for n in values}
            _check_pool(data, snap, fs.pool, bi)


def _check_pool(data: dict[str, Any], snap: Any, pool: Any, bi: int) -> None:
    bu, bp = data["business_units"][bi], f"business_units[{bi}]"
    ae = (data.get("account_engagement") or {}).get("users") or []
    table = (bu.get("user_sync") or {}).get("profile_roles")
    rows = [(f"{bp}.user_sync.profile_roles.{p}", {"profile": p, "role": r}) for p, r in (table or {}).items()] if isinstance(table, dict) else []
    assert [(f.provenance["path"], f.values, f.path_of("role")) for f in pool.of_kind("profile_mapping")] == [(p, v, p) for p, v in rows]
    groups = bu.get("user_groups") or {}
    want = [(f"{bp}.user_groups.{g}[{j}]", {"group": g, "type": m["type"], "target": _id(m["id"])})
            for g in ("marketing", "sales") for j, m in enumerate(groups.get(g) or [])]
    assert [(f.provenance["path"], f.values) for f in pool.of_kind("assignment")] == want
    mine = [j for j, a in enumerate(ae) if a.get("business_unit_id") and key(a["business_unit_id"]) == key(bu["id"])]
    assert [f.values for f in pool.of_kind("ae_user")] == [_known(expected_ae(data, ae[j], False)) for j in mine]
    assert [f.values for f in pool.of_kind("org_ae_user")] == [_known(expected_ae(data, a, True)) for a in ae]
    for f, j in zip(pool.of_kind("org_ae_user"), range(len(ae))):
        at = f"account_engagement.users[{j}]"
        assert (f.path_of("holder"), f.path_of("updated_minutes_ago"), f.path_of("ae_id")) == (
            f"{at}.in_recycle_bin", f"{at}.updated_at" if data.get("collected_at") else "collected_at", f"{at}.id")
    roles = data["salesforce"]["roles"]
    assert [f.values for f in pool.of_kind("role")] == [_known({"role_id": _id(r["id"]), "name": r.get("name"),
                                                                  "is_top": _present(r, "parent_id", True), "parent_id": _id(r.get("parent_id")),
                                                                  "portal_type": r.get("portal_type")}) for r in roles]
    members = [(g, m) for g in data["salesforce"]["public_groups"] for m in g["members"]]
    assert [f.values for f in pool.of_kind("group_member")] == [
        _known({"group_id": _id(g["id"]), "group_name": g.get("name"), "member_type": m["type"], "member_id": _id(m["id"])})
        for g, m in members]
    assert all(f.path_of("group_name") == "salesforce.public_groups[0].name" for f in pool.of_kind("group_member"))


# -- rules check: the map against the vocabulary and the snapshot schema ---------------------
from functools import lru_cache  # noqa: E402
from pathlib import Path  # noqa: E402

import tempfile  # noqa: E402

from syncdoctor.engine.model import FactDef, FieldDef, Vocabulary  # noqa: E402
from syncdoctor.engine.ruleset import require_ruleset  # noqa: E402
from syncdoctor.facts.map_check import map_findings  # noqa: E402
from syncdoctor.facts.mapping import MAP_FILE, snapshot_map  # noqa: E402
from syncdoctor.reading.findings import Span  # noqa: E402

MAP_LINES = MAP_FILE.read_text(encoding="utf-8").splitlines(keepends=True)
FIELD_LINES = [(i, line.split(":")[0].strip()) for i, line in enumerate(MAP_LINES) if line.startswith("      ") and "{from:" in line]


@lru_cache(maxsize=1)
def _vocabulary() -> Vocabulary:
    """A vocabulary that declares exactly what the map provides, written to a file of its own
    (the tests never read the shipped knowledge: tests/test_cases.py's `rules check` compares
    the map with it), with the fixture rules' lists."""
    lines, facts = ["facts:"], {}
    path = Path(tempfile.mkdtemp(prefix="syncdoctor-vocab-")) / "vocabulary.yaml"
    for kind, km in snapshot_map().items():
        lines += [f"  {kind}:", "    fields:"]
        span = Span(str(path), len(lines) - 1, 3)
        lines += [f"      {f.name}: {{type: string}}" for f in km.fields]
        facts[kind] = FactDef(kind, "", "input", "many", {f.name: FieldDef(f.name, "string", "") for f in km.fields}, span=span)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Vocabulary(require_ruleset().vocabulary.lists, facts)


def _findings(tmp: Path, lines: list[str]) -> list:
    path = tmp / "snapshot-map.yaml"
    path.write_text("".join(lines), encoding="utf-8")
    return map_findings(_vocabulary(), path)


def test_a_map_and_a_vocabulary_that_agree_have_no_finding():
    assert map_findings(_vocabulary()) == []


@given(st.sampled_from(FIELD_LINES))
def test_a_field_nothing_maps_is_named_at_its_vocabulary_line(tmp_path_factory, entry):
    i, name = entry
    found = [f for f in _findings(tmp_path_factory.mktemp("map"), MAP_LINES[:i] + MAP_LINES[i + 1:]) if f.id == "input-field-unread"]
    assert found and all(f"maps {name!r}" in f.message for f in found)
    vocab_lines = Path(found[0].span.file).read_text(encoding="utf-8").splitlines()
    assert vocab_lines[found[0].span.line - 1].strip().startswith(f"{name}:")  # the field's own line


@given(st.sampled_from(FIELD_LINES))
def test_a_mapped_field_the_vocabulary_lacks_is_named_at_its_map_line(tmp_path_factory, entry):
    i, name = entry
    lines = list(MAP_LINES)
    lines[i] = lines[i].replace(f"{name}:", f"{name}_renamed:", 1)
    found = _findings(tmp_path_factory.mktemp("map"), lines)
    unknown = [f for f in found if f.id == "snapshot-map-unknown"]
    assert unknown and unknown[0].span.line == i + 1 and f"{name}_renamed" in unknown[0].message
    assert any(f.id == "input-field-unread" for f in found)  # and the field it should have been is unmapped


@given(st.sampled_from([(i, n) for i, n in FIELD_LINES if not any(f"{{from: {c}" in MAP_LINES[i] for c in (".", "$", '"'))]))
def test_a_path_the_snapshot_schema_refuses_is_named_at_its_map_line(tmp_path_factory, entry):
    i, name = entry
    lines = list(MAP_LINES)
    lines[i] = lines[i].replace("{from: ", "{from: not_in_the_format_", 1)
    found = [f for f in _findings(tmp_path_factory.mktemp("map"), lines) if f.id == "snapshot-map-path"]
    assert [f.span.line for f in found] == [i + 1] * len(found) and found
    assert "not_in_the_format_" in found[0].message and "snapshot.schema.json" in found[0].message


def test_an_unknown_transform_is_named_with_the_choices(tmp_path):
    i, name = next((i, n) for i, n in FIELD_LINES if "transform: record_id" in MAP_LINES[i])
    lines = list(MAP_LINES)
    lines[i] = lines[i].replace("transform: record_id", "transform: record_ix")
    found = [f for f in _findings(tmp_path, lines) if f.id == "snapshot-map-transform"]
    assert found and found[0].span.line == i + 1 and "'record_ix'" in found[0].message and "record_id" in found[0].message
