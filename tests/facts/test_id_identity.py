"""One identity for every Salesforce id (facts/ids.py, facts/references.py), as a property:
any id anywhere in a valid snapshot or answers file, written in another letter case or
shortened from 18 to 15 characters, leaves every verdict, proof and exit code as they were, or
the input is refused (exit 2) as a duplicate, dangling or ambiguous id."""
from __future__ import annotations

import copy
import json
import re
from datetime import datetime, timezone
from unittest import mock

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncdoctor.cli.main import app
from syncdoctor.facts import answers as applying
from syncdoctor.facts.ids import id_paths, id_values, looks_like_id, suffix
from tests.conftest import EXAMPLE, runner

REFUSED = ("duplicate-id", "dangling-reference", "ambiguous-id", "unknown-name", "duplicate-answer")
NA, EU = "0Uv5e0000000001CAA", "0Uv5e0000000002CAA"


def true18(sfid: str) -> str:
    return sfid[:15] + suffix(sfid[:15])


def acme(real_suffixes: bool) -> dict:
    """The example org: its hand-made ids (placeholder suffixes), or every id as Salesforce writes it."""
    data = yaml.safe_load(EXAMPLE.read_text())
    if real_suffixes:
        text = re.sub(r"\b[A-Za-z0-9]{18}\b", lambda m: true18(m.group(0)) if looks_like_id(m.group(0)) else m.group(0),
                      json.dumps(data))
        data = json.loads(text)
    return data


def answers_for(data: dict) -> dict:
    """An answers file naming records by id: a business unit, assignments, an expected access."""
    users = data["salesforce"]["users"]
    groups = data["salesforce"]["public_groups"]
    bu = data["business_units"][1]["id"]
    return {"answers_version": 1, "business_units": {bu: {
        "mode": "managed",
        "user_groups": {"marketing": [{"type": "user", "id": users[3]["id"]}, {"type": "public_group", "id": groups[1]["id"]}],
                        "sales": []},
        "expected_access": {users[1]["id"]: True}}}}


OPS = {"upper": str.upper, "lower": str.lower, "swapcase": str.swapcase, "shorten": lambda s: s[:15]}


def _set(doc: dict, path: list, old: str, new: str) -> None:
    parent = doc
    for p in path[:-1]:
        parent = parent[p]
    last = path[-1]
    if isinstance(parent, dict) and last == old and last in parent and not isinstance(parent.get(last), str):
        parent[new] = parent.pop(old)  # an id-keyed mapping: the key itself is the id
    elif isinstance(parent, dict) and last == old and isinstance(parent.get(last), bool):
        parent[new] = parent.pop(old)
    else:
        parent[last] = new


def occurrences(doc: dict) -> list[tuple[list, str]]:
    return sorted(((path, v) for path, v in id_paths(doc, id_values(doc)) if looks_like_id(v)), key=lambda pv: str(pv[0]))


def run(tmp_path, data: dict, answers: dict | None) -> tuple[int, str, str]:
    """diagnose --all; each run's files at one path (provenance names the file, and facts are hashed with it)."""
    tmp_path = tmp_path.parent / "same"
    tmp_path.mkdir(exist_ok=True)
    facts = tmp_path / "org.json"
    facts.write_text(json.dumps(data))
    args = ["diagnose", "--facts", str(facts), "--all", "--format", "json"]
    if answers is not None:
        ans = tmp_path / "answers.json"
    elif (tmp_path / "answers.json").exists():
        (tmp_path / "answers.json").unlink()
    if answers is not None:
        ans.write_text(json.dumps(answers))
        args += ["--answers", str(ans)]
    with mock.patch.object(applying, "datetime", _Frozen):  # answers are stamped with the time: one time for every run
        r = runner.invoke(app, args)
    out = json.loads(r.stdout) if r.exit_code in (0, 1) else None
    if out is not None:
        out.pop("snapshot", None)  # its hash is of the content, which names records in their declared spelling
        for key in ("generated_at", "created_at"):
            out.pop(key, None)
    return r.exit_code, json.dumps(out, sort_keys=True).replace(str(tmp_path), "<dir>"), r.stderr


class _Frozen(datetime):
    @classmethod
    def now(cls, tz=None):  # type: ignore[override]
        return datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)


def _same_record_text(text: str) -> str:
    """The results with every id written as its record's letters, case ignored, and without the
    facts' digests (they hash the record's id as it is now declared); verdicts, proofs (rule
    firings and which facts they matched), undetermined codes and questions kept."""
    doc = json.loads(text)
    doc.pop("shared", None)
    for res in doc.get("results") or []:
        res.pop("facts", None)
    text = json.dumps(doc, sort_keys=True)
    return _ids_folded(re.sub(r"\b[0-9a-f]{16}\b", "<digest>", text))


def _ids_folded(text: str) -> str:
    return re.sub(r"\b[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?\b", lambda m: m.group(0)[:15].lower(), text)


_BASE: dict = {}


def _baseline(tmp_path_factory, real: bool, with_answers: bool):
    if (real, with_answers) not in _BASE:
        data = acme(real)
        answers = answers_for(data) if with_answers else None
        _BASE[(real, with_answers)] = (data, answers, run(tmp_path_factory.mktemp("base"), data, answers))
    return _BASE[(real, with_answers)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(real=st.booleans(), with_answers=st.booleans(), in_answers=st.booleans(), pick=st.integers(0, 10_000),
       op=st.sampled_from(sorted(OPS)))
def test_any_id_respelled_anywhere_changes_nothing_or_is_refused(tmp_path_factory, real, with_answers, in_answers, pick, op):
    data, answers, (rc0, out0, err0) = _baseline(tmp_path_factory, real, with_answers)
    assert rc0 in (0, 1), err0
    target = answers if (in_answers and answers is not None) else data
    spots = occurrences(target)
    path, old = spots[pick % len(spots)]
    new = OPS[op](old)
    if new == old:
        return
    mutated = copy.deepcopy(target)
    _set(mutated, path, old, new)
    args = (mutated, answers) if target is data else (data, mutated)
    rc, out, err = run(tmp_path_factory.mktemp("mut"), *args)
    if rc == 2:
        assert any(code in err for code in REFUSED), (path, old, new, err)
        return
    assert rc == rc0, (path, old, new, err)
    declaration = target is data and path[-1] == "id" and len(path) in (2, 3, 4) and path[0] in ("business_units", "salesforce", "org")
    if declaration:
        # A record declared in another spelling (real or hand-made): it is shown, and its facts
        # hashed, in that spelling everywhere; the same records, verdicts and proof otherwise.
        assert _same_record_text(out) == _same_record_text(out0), (path, old, new)
    else:  # a reference or an answer respelled: byte for byte the same results
        assert out == out0, (path, old, new)


# -- the reproductions ------------------------------------------------------------------
def test_a_case_changed_nested_group_member_still_assigns(tmp_path):
    data = acme(True)
    groups = data["salesforce"]["public_groups"]
    groups[0]["members"][0]["id"] = groups[0]["members"][0]["id"].swapcase()  # Campaign Team > Field Marketing
    rc, out, err = run(tmp_path, data, None)
    jdoe = [r for r in json.loads(out)["results"] if r["user"]["username"] == "jdoe@acme.example"
            and r["business_unit"]["id"] == true18(NA)]
    assert jdoe and "MANAGED_NOT_ASSIGNED" not in {v["code"] for v in jdoe[0]["verdicts"]}


@pytest.mark.parametrize("real", [True, False])
@pytest.mark.parametrize("op", ["upper", "lower", "swapcase", "shorten"])
def test_one_user_twice_in_two_spellings_is_refused(tmp_path, real, op):
    data = acme(real)
    twin = copy.deepcopy(data["salesforce"]["users"][0])
    twin["id"] = OPS[op](twin["id"])
    twin["username"] = "twin@acme.example"
    data["salesforce"]["users"].append(twin)
    rc, _, err = run(tmp_path, data, None)
    assert rc == 2 and "duplicate-id" in err


def test_expected_access_in_two_spellings_is_refused(tmp_path):
    data = acme(True)
    uid = data["salesforce"]["users"][1]["id"]
    data["business_units"][1]["expected_access"] = {uid: True, uid[:15]: False}
    rc, _, err = run(tmp_path, data, None)
    assert rc == 2 and "duplicate-id" in err and "two answers for one user" in err


def test_an_answer_replaces_the_snapshots_in_another_spelling(tmp_path):
    """The snapshot says no (15-character key), the answers file yes (18): the answer decides,
    and the fact says where it came from."""
    data = acme(True)
    uid = data["salesforce"]["users"][1]["id"]
    data["business_units"][1]["expected_access"] = {uid[:15]: False}
    answers = {"answers_version": 1, "business_units": {EU: {"expected_access": {uid: True}}}}
    rc, out, err = run(tmp_path, data, answers)
    assert rc in (0, 1), err
    doc = json.loads(out)
    users = [f for f in doc["shared"]["facts"].values() if f["kind"] == "user" and f["values"]["id"] == uid
             and "expects_access" in f["values"] and f["provenance"]["path"].startswith("salesforce.users")]
    in_eu = users  # only business unit EU has an answer for them
    assert in_eu and all(f["values"]["expects_access"] is True for f in in_eu), users
    assert all(f["provenance"]["field_origins"]["expects_access"]["source"] == "engineer" for f in in_eu)


def test_an_expected_access_key_no_case_gives_is_located(tmp_path):
    data = acme(True)
    data["business_units"][1]["expected_access"] = {"0055e000000U002ZZZ": True}
    rc, _, err = run(tmp_path, data, None)
    assert rc == 2 and "bad-id" in err and "expected_access" in err


@pytest.mark.parametrize("kind", ["public_group", "role", "role_and_subordinates"])
def test_an_assignment_to_a_record_the_complete_list_lacks_is_dangling(tmp_path, kind):
    data = acme(True)
    prefix = "00G" if kind == "public_group" else "00E"
    data["business_units"][0]["user_groups"]["sales"].append({"type": kind, "id": true18(prefix + "5e000000ZZZ9")})
    rc, _, err = run(tmp_path, data, None)
    assert rc == 2 and "dangling-reference" in err and "user_groups" in err


@pytest.mark.parametrize("kind,sfid", [("user", "0055e000000Q999AAA"), ("public_group", "00G5e000000Q999AAA")])
def test_answers_naming_nobody_by_id_are_refused(tmp_path, kind, sfid):
    data = acme(False)
    answers = {"answers_version": 1, "business_units": {EU: {"mode": "managed", "user_groups": {
        "marketing": [{"type": kind, "id": sfid}], "sales": []}}}}
    rc, _, err = run(tmp_path, data, answers)
    assert rc == 2 and "unknown-name" in err and sfid in err


@pytest.mark.parametrize("real", [True, False])
@given(op=st.sampled_from(sorted(OPS)), pick=st.integers(0, 3))
@settings(max_examples=12, deadline=None)
def test_user_and_business_unit_named_by_any_spelling_of_their_id(real, op, pick):
    """`--user` and `--business-unit` go through the same identity as the snapshot's references."""
    data = acme(real)
    user, bu = data["salesforce"]["users"][pick], data["business_units"][pick % 2]
    import tempfile
    from pathlib import Path
    facts = Path(tempfile.mkdtemp()) / "org.json"
    facts.write_text(json.dumps(data))
    r = runner.invoke(app, ["diagnose", "--facts", str(facts), "--user", OPS[op](user["id"]),
                            "--business-unit", OPS[op](bu["id"]), "--format", "json"])
    assert r.exit_code in (0, 1), r.stderr
    (res,) = json.loads(r.stdout)["results"]
    assert res["user"]["username"] == user["username"] and res["business_unit"]["name"] == bu["name"]


def test_an_account_engagement_user_id_is_not_read_as_a_salesforce_id(tmp_path):
    """`updated_by_id` (issue 22) holds an Account Engagement user id: 18 digits are not a bad Salesforce id."""
    data = acme(True)
    data["account_engagement"]["users"][0]["updated_by_id"] = "123456789012345678"
    rc, out, err = run(tmp_path, data, None)
    assert rc in (0, 1), err
