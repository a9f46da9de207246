"""Generated and mutated input (hypothesis): diagnose never crashes and is deterministic, the
verdicts obey metamorphic laws, and half-typed rule files always get findings, never a
traceback. Profiles: `ci` (default, quick) and `thorough` (HYPOTHESIS_PROFILE=thorough)."""
from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncdoctor.engine.ruleset import default_rules_dir, load_ruleset
from syncdoctor.facts.snapshot import parse_snapshot
from syncdoctor.reading.findings import FindingError
from tests.engine.test_engine import snapshots

SFID = re.compile(r"^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$")
junk = st.one_of(st.none(), st.booleans(), st.integers(-5, 10**6), st.text(max_size=20),
                 st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))


def paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from paths(v, prefix + (i,))


def get(node, path):
    for k in path:
        node = node[k]
    return node


def run_all(engine, snap):
    out = []
    for u in range(len(snap.users)):
        for b in range(len(snap.business_units)):
            d = engine.diagnose(snap.factset(u, b, None))
            out.append(d.to_json())
    return json.dumps(out, sort_keys=True)


@st.composite
def near_valid(draw):
    data = draw(snapshots())
    candidates = [p for p in paths(data) if p]
    path = draw(st.sampled_from(candidates))
    parent, key = get(data, path[:-1]), path[-1]
    kind = draw(st.sampled_from(["replace", "delete", "duplicate"]))
    if kind == "replace":
        parent[key] = draw(junk)
    elif kind == "delete" and isinstance(parent, dict):
        del parent[key]
    elif isinstance(parent, list):
        parent.append(json.loads(json.dumps(parent[key])))
    return data


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(near_valid())
def test_near_valid_snapshots_never_crash_and_are_deterministic(engine, data):
    try:
        snap = parse_snapshot(json.dumps(data), "near.json", fmt="json")
    except FindingError as exc:
        assert exc.findings and all(f.span.file == "near.json" for f in exc.findings)
        return
    first = run_all(engine, snap)  # EngineError (engine and evaluator disagree) fails the test
    again = run_all(engine, parse_snapshot(json.dumps(data), "near.json", fmt="json"))
    assert first == again


def verdicts(engine, data, user="u@x.example"):
    snap = parse_snapshot(json.dumps(data), "m.json", fmt="json")
    u = snap.find_user(user)
    out = []
    for b in range(len(snap.business_units)):
        doc = engine.diagnose(snap.factset(u, b, "cannot-delete")).to_json()
        out.append(({v["code"] for v in doc["verdicts"]}, {x["code"]: sorted(x["missing"]) for x in doc["undetermined"]}))
    return out


@given(snapshots())
def test_an_unrelated_user_changes_no_one_elses_verdicts(engine, data):
    before = verdicts(engine, data)
    data["salesforce"]["users"].append({"id": "0055e000000U777AAA", "username": "new@x.example", "is_active": True,
                                        "profile": "P1", "role_id": None})
    assert verdicts(engine, data) == before


def _rename(value):
    swap = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210")
    if isinstance(value, dict):
        return {k: _rename(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rename(v) for v in value]
    if isinstance(value, str) and SFID.match(value):
        return value[:5] + value[5:15].translate(swap) + value[15:]
    return value


@given(snapshots())
def test_renaming_ids_consistently_changes_no_verdict(engine, data):
    before = [(codes, set(missing)) for codes, missing in verdicts(engine, data)]
    after = [(codes, set(missing)) for codes, missing in verdicts(engine, _rename(data))]
    assert after == before


@st.composite
def with_unknown(draw):
    data = draw(snapshots())
    user, bu = data["salesforce"]["users"][0], data["business_units"][0]
    choices = [(user, k) for k in ("is_active", "profile", "role_id") if k in user]
    choices += [(bu["user_sync"], k) for k, v in bu["user_sync"].items() if v is not None]
    choices += [(bu, "user_groups")] if bu.get("user_groups") is not None else []
    choices += [(data["salesforce"], k) for k in ("roles", "public_groups") if data["salesforce"].get(k) is not None]
    if not choices:
        return data, None
    node, key = draw(st.sampled_from(choices))
    after = json.loads(json.dumps(data))
    target = get(after, _path_of(data, node)) if node is not data else after
    del target[key]
    if key == "roles" and after["salesforce"]["users"][0].get("role_id"):
        return data, None  # a role id that points nowhere would be bad input, not unknown
    return data, after


def _path_of(root, node, prefix=()):
    if root is node:
        return prefix
    items = root.items() if isinstance(root, dict) else enumerate(root) if isinstance(root, list) else []
    for k, v in items:
        found = _path_of(v, node, prefix + (k,))
        if found is not None:
            return found
    return None


@given(with_unknown())
def test_turning_a_fact_unknown_only_moves_verdicts_to_undetermined(engine, ruleset, pair):
    before_data, after_data = pair
    if after_data is None:
        return
    tests_unknown = {r.conclude.code for r in ruleset.active_rules if r.conclude and
                     any(getattr(c, "op", "") in ("is_unknown", "is_known") for b in r.branches() for p in b for c in p.conditions)}
    for (old, _), (new, und) in zip(verdicts(engine, before_data), verdicts(engine, after_data)):
        assert new - tests_unknown <= old, f"new verdicts {new - old} from less knowledge"
        assert (old - new) - tests_unknown <= set(und), f"{old - new} vanished instead of becoming undetermined"


RULE_FILES = sorted(p.relative_to(default_rules_dir()).as_posix() for p in default_rules_dir().rglob("*.yaml")
                    if "cases" not in p.parts)


@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(RULE_FILES), st.sampled_from(["drop-line", "insert", "truncate", "replace-char", "indent"]),
       st.integers(0, 10**6), st.text(alphabet=" :-[]{}!&*#'\"\t\nabc12", max_size=12))
def test_mutated_rule_files_always_get_findings_never_a_traceback(name, how, where, text):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "rules"
        shutil.copytree(default_rules_dir(), root, ignore=shutil.ignore_patterns("__pycache__", "cases"))
        path = root / name
        src = path.read_text()
        lines = src.splitlines(keepends=True)
        i = where % max(1, len(lines))
        if how == "drop-line":
            del lines[i]
        elif how == "insert":
            lines.insert(i, text + "\n")
        elif how == "indent":
            lines[i] = "  " + lines[i]
        mutated = "".join(lines)
        if how == "truncate":
            mutated = src[: where % max(1, len(src))]
        elif how == "replace-char" and src:
            j = where % len(src)
            mutated = src[:j] + (text[:1] or "#") + src[j + 1:]
        path.write_text(mutated)
        ruleset, findings = load_ruleset(root)  # must return, whatever the file says
        if ruleset is None:
            assert findings and all(f.span.file and f.message for f in findings)
