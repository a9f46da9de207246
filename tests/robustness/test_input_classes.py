"""Every class of careless or hostile input of issue #15 gets exit 2 and a located message
(never a traceback, a silent wrong verdict or an internal error), each through the real
console script with the memory ceiling of test_hostile_input. docs/reliability.md lists them."""
from __future__ import annotations

import json
import time

import pytest

from tests.robustness.test_hostile_input import VALID, run_cli, variant

LEGACY_YAML = """\
snapshot_version: 1
collected_at: "2026-11-28T10:00:00Z"
business_units:
  - id: 0Uv5e000000BU01AAA
    name: BU
    user_sync:
      enabled: true
      mode: legacy
      profile_roles:
        {key}: Marketing
      move_to_recycle_bin_without_profile: true
salesforce:
  users:
    - {{id: 0055e000000U001AAA, username: u@x.example, is_active: true, profile: {profile}, role_id: null}}
  roles: []
  public_groups: []
"""


def diagnose(tmp_path, name: str, content: bytes | str, *extra: str):
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    proc = run_cli("diagnose", "--facts", str(path), "--user", "u@x.example", "--debug", *extra)
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")


def refused(tmp_path, name: str, content: bytes | str, *expected: str) -> str:
    rc, _, err = diagnose(tmp_path, name, content)
    assert rc == 2, err[-2000:]
    assert "Traceback" not in err and "internal error" not in err
    for text in expected:
        assert text in err, err[-2000:]
    assert len(err) < 20_000
    return err


def doc_with(**changes) -> dict:
    return json.loads(variant(**changes))


# -- typos are refused, not silently unknown ----------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("mistake,where,suggestion", [
    ({"business_units__0__user_group": {"marketing": [], "sales": []}}, "business_units[0]", "user_groups"),
    ({"salesforce__users": [{"id": "0055e000000U001AAA", "username": "u@x.example", "is_actve": False}]},
     "salesforce.users[0]", "is_active"),
    ({"salesforce__userz": []}, "salesforce", "users"),
    ({"org": {"nmae": "Acme"}}, "org", "name"),
    ({"business_units__0__user_sync__mdoe": "legacy"}, "business_units[0].user_sync", "mode"),
])
def test_unknown_keys_are_refused_with_path_and_suggestion(tmp_path, mistake, where, suggestion):
    err = refused(tmp_path, "typo.json", variant(**mistake), where, f"did you mean '{suggestion}'")
    assert "unknown key" in err


@pytest.mark.slow
def test_extension_keys_are_kept_for_other_tools(tmp_path):
    doc = doc_with(**{"x-collector": {"version": 3}, "salesforce__x-note": "from a script"})
    doc["salesforce"]["users"][0]["x-source"] = "hr"
    rc, _, err = diagnose(tmp_path, "ext.json", json.dumps(doc))
    assert rc in (0, 1), err


@pytest.mark.slow
def test_json_duplicate_keys_are_refused_where_they_are(tmp_path):
    text = json.dumps(VALID, indent=1).replace('"is_active": true', '"is_active": true,\n"is_active": false')
    line = next(i for i, s in enumerate(text.splitlines(), 1) if s.startswith('"is_active": false'))
    err = refused(tmp_path, "dup.json", text, f"dup.json:{line}:1", "duplicate key 'is_active'")
    assert "USER_INACTIVE" not in err


@pytest.mark.slow
def test_json_with_a_byte_order_mark_is_read_like_yaml_with_one(tmp_path):
    rc, out, err = diagnose(tmp_path, "bom.json", b"\xef\xbb\xbf" + json.dumps(VALID).encode())
    assert rc in (0, 1), err
    rc, out, err = diagnose(tmp_path, "bom.yaml", b"\xef\xbb\xbf" + json.dumps(VALID).encode())
    assert rc in (0, 1), err


# -- YAML 1.1 traps: plain scalars are the text as written ---------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("word", ["On", "off", "Yes", "NO", "y", "010", "1_000", "59:59:59", "2026-11-28", "0x1F", ".inf"])
def test_yaml_profile_names_are_text_as_written(tmp_path, word):
    """A profile called `On` (or `010`, `1_000`…) is selected when the table lists `On:` unquoted."""
    rc, out, err = diagnose(tmp_path, "p.yaml", LEGACY_YAML.format(key=word, profile=word))
    assert rc == 0 and "LEGACY_PROFILE_NOT_SYNCED" not in out, out + err


def test_yaml_values_keep_their_spelling():
    from syncdoctor.reading.loader import parse_yaml, parse_yaml_fast
    text = "a: 010\nb: 1_000\nc: 59:59\nd: On\ne: ~\nf: 12\ng: -1.5e3\nh: True\n010: x\nnull: y\ntrue: z\n"
    expected = {"a": "010", "b": "1_000", "c": "59:59", "d": "On", "e": None, "f": 12, "g": -1500.0, "h": True,
                "010": "x", "null": "y", "true": "z"}
    assert parse_yaml(text, "t.yaml") == expected
    assert parse_yaml_fast(text, "t.yaml") == expected


# -- values beyond what the platform allows ------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("field,length", [("username", 5_000_000), ("email", 81), ("username", 200)])
def test_usernames_and_emails_longer_than_salesforce_allows(tmp_path, field, length):
    doc = doc_with(salesforce__users=[{"id": "0055e000000U001AAA", "username": "u@x.example", field: "a" * length}])
    if field == "username":
        doc["salesforce"]["users"][0]["email"] = "u@x.example"
    refused(tmp_path, "long.json", json.dumps(doc), "at most 80 characters", f"salesforce.users[0].{field}")


@pytest.mark.slow
@pytest.mark.parametrize("stamp", ["2026-13-45T99:99Z", "2026-02-30T10:00:00Z", "2026-11-28T24:00Z", "2026-11-28T10:00:60+01:00"])
def test_impossible_dates_are_refused(tmp_path, stamp):
    refused(tmp_path, "d.json", variant(collected_at=stamp), "collected_at", "real date and time")
    doc = doc_with()
    doc["business_units"][0]["user_sync"]["last_change_at"] = stamp
    refused(tmp_path, "d2.yaml", json.dumps(doc), "d2.yaml:1:", "last_change_at")


# -- values that used to crash (exit 4) ----------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("ending", ["\n", "\r\n", "\u2028", " "])
def test_an_id_with_trailing_whitespace_is_refused(tmp_path, ending):
    refused(tmp_path, "nl.json", variant(salesforce__users=[{"id": "0055e000000U002AAA" + ending}]), "15 or 18 letters")


@pytest.mark.slow
@pytest.mark.parametrize("name,content,expected", [
    ("huge int yaml", b"snapshot_version: 1" + b"0" * 5000 + b"\n", "huge.yaml:1:19"),
    ("huge int in a list", b"snapshot_version: 1\norg: {name: [1, 2, " + b"9" * 7000 + b"]}\n", "huge.yaml:2:20"),
    ("huge float yaml", b"snapshot_version: 1\norg: {is_sandbox: 1e999}\n", "too large"),
    ("lone surrogate json", b'{"snapshot_version": 1, "org": {"name": "\\ud800"}}', "surrogate"),
    ("lone low surrogate yaml", b'snapshot_version: 1\norg: {name: "ab\\udc00"}\n', "surrogate"),
    ("huge int json", b'{"snapshot_version": 1, "org": {"name": ' + b"7" * 6000 + b"}}", "at most 4,300"),
    ("huge float json", b'{"snapshot_version": 1, "org": {"name": 1e400}}', "too large"),
])
def test_numbers_and_text_python_cannot_hold_are_refused(tmp_path, name, content, expected):
    refused(tmp_path, "huge.json" if content.startswith(b"{") else "huge.yaml", content, expected)


@pytest.mark.slow
def test_answers_file_hazards(tmp_path):
    example = tmp_path / "s.json"
    example.write_text(json.dumps(VALID))
    cases = [
        ("a.yaml", "answers_version: 1\nbusiness_units:\n  0Uv5e000000BU01AAA:\n    last_change_minutes_ago: 1.0e+300\n", "100 years"),
        ("b.yaml", "answers_version: 1\nbusiness_units:\n  0Uv5e000000BU01AAA:\n    last_change_at: 2026-13-45T99:99Z\n", "real date"),
        ("c.json", '{"answers_version": 1, "business_units": {"0Uv5e000000BU01AAA": {"mode": "legacy", "mode": "managed"}}}',
         "c.json:1:"),
        ("d.yaml", "answers_version: 1\nbusiness_units:\n  0Uv5e000000BU01AAA:\n    user_groups: {marketing: [{type: user, id: \"0055e000000U001AAA\\n\"}], sales: []}\n",
         "d.yaml:4:"),
    ]
    for name, text, expected in cases:
        (tmp_path / name).write_text(text)
        proc = run_cli("diagnose", "--facts", str(example), "--user", "u@x.example", "--answers", str(tmp_path / name), "--debug")
        err = proc.stderr.decode()
        assert proc.returncode == 2 and expected in err and "Traceback" not in err, (name, err[-1500:])


# -- syntax errors in plain words ----------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("text,where,words", [
    ("snapshot_version: 1\norg:\n  name: a\n   is_sandbox: true\n", ":4:", "a ':' where a value was expected"),
    ("snapshot_version: 1\norg:\n    name: a\n  is_sandbox: true\n", ":4:3", "indentation"),
    ("snapshot_version: 1\norg:\n\tname: a\n", ":3:1", "tab character"),
    ("snapshot_version: 1\norg: {name: \"Acme}\n", ":2:13", "quote"),
    ("snapshot_version: 1\norg\n  name: a\n", ":3:", "without ':'"),
])
def test_yaml_syntax_errors_in_plain_words(tmp_path, text, where, words):
    err = refused(tmp_path, "s.yaml", text, where, words)
    assert "<block end>" not in err and "expected <" not in err


# -- bounds --------------------------------------------------------------------------------------
@pytest.mark.slow
def test_findings_are_capped_per_file(tmp_path):
    users = [{"id": "0055e000000U001AAA", "username": "u@x.example", "is_active": "yes"}] * 20_000
    start = time.monotonic()
    err = refused(tmp_path, "many.json", variant(salesforce__users=users), "more findings in this file")
    assert time.monotonic() - start < 30
    assert len(err.splitlines()) <= 60


def _roles(n: int, cycle: bool = False) -> dict:
    def rid(i: int) -> str:
        return f"00E5e{i:010d}AAA"
    roles = [{"id": rid(i), "name": f"Role {i}", "parent_id": rid(i - 1) if i else (rid(n - 1) if cycle else None),
              "portal_type": "None"} for i in range(n)]
    return doc_with(salesforce__roles=roles,
                    salesforce__users=[{"id": "0055e000000U001AAA", "username": "u@x.example", "is_active": True, "role_id": rid(n - 1)}],
                    business_units__0__user_groups={"marketing": [{"type": "role_and_subordinates", "id": rid(0)}], "sales": []})


@pytest.mark.slow
def test_a_deep_role_hierarchy_is_diagnosed_in_linear_memory(tmp_path):
    """8,000 roles took 2.3 GB (every derived path held the whole chain): now well under the ceiling."""
    start = time.monotonic()
    rc, out, err = diagnose(tmp_path, "roles.json", json.dumps(_roles(8000)), "--format", "json")
    assert rc == 0, err[-2000:]
    assert time.monotonic() - start < 60
    assert len(out) < 40_000_000
    paths = [f["values"].get("path", "") for f in json.loads(out)["results"][0]["facts"]]
    assert max(len(p) for p in paths) <= 600 and any("…" in p for p in paths)


def test_a_long_role_cycle_is_found_in_one_pass():
    from syncdoctor.facts.references import _on_cycles
    n = 200_000
    parent = {f"r{i}": f"r{i - 1}" for i in range(1, n)}
    parent["r0"] = f"r{n - 1}"
    parent.update({f"t{i}": f"t{i - 1}" if i else "" for i in range(n)})  # a chain beside it: no cycle
    start = time.monotonic()
    cyclic = _on_cycles(parent)
    assert time.monotonic() - start < 5
    assert cyclic == {f"r{i}" for i in range(n)}


@pytest.mark.slow
def test_a_role_cycle_among_16000_roles_is_refused_quickly(tmp_path):
    start = time.monotonic()
    refused(tmp_path, "cyc.json", json.dumps(_roles(16_000, cycle=True)), "role-cycle", "more findings in this file")
    assert time.monotonic() - start < 20


def _groups(shape: str, n: int) -> dict:
    def gid(i: int) -> str:
        return f"00G5e{i:010d}AAA"
    user = {"type": "user", "id": "0055e000000U001AAA"}
    if shape == "fan":  # one base group nested in n public groups
        groups = [{"id": gid(0), "name": "Base", "members": [user]}]
        groups += [{"id": gid(i), "name": f"Outer {i}", "members": [{"type": "public_group", "id": gid(0)}]} for i in range(1, n + 1)]
        assigned = gid(n)
    elif shape == "clique":  # n groups that all nest each other
        groups = [{"id": gid(i), "name": f"G{i}", "members": [{"type": "public_group", "id": gid(j)} for j in range(n) if j != i]}
                  for i in range(n)]
        groups[0]["members"].append(user)
        assigned = gid(n - 1)
    else:  # a chain of n nested groups
        groups = [{"id": gid(i), "name": f"Group {i}", "members": [{"type": "public_group", "id": gid(i - 1)}] if i else [user]}
                  for i in range(n)]
        assigned = gid(n - 1)
    return doc_with(salesforce__public_groups=groups,
                    business_units__0__user_groups={"marketing": [{"type": "public_group", "id": assigned}], "sales": []})


@pytest.mark.slow
@pytest.mark.parametrize("shape,n", [("fan", 50_000), ("clique", 100), ("chain", 4000)])
def test_large_group_hierarchies_are_diagnosable(tmp_path, shape, n):
    """durable-rules took distinct facts for "already observed" (32-bit hashes) in these shapes,
    and nested paths grew with the square of the depth; each is now diagnosed: assigned, so no cause."""
    rc, out, err = diagnose(tmp_path, f"{shape}.json", json.dumps(_groups(shape, n)), "--format", "json")
    assert rc == 0, err[-2000:]
    (result,) = json.loads(out)["results"]
    assert result["verdicts"] == []  # assigned through the nesting: nothing to act on
    assert "MANAGED_NOT_ASSIGNED" not in {u["code"] for u in result["undetermined"]}


@pytest.mark.slow
def test_a_session_beyond_the_engine_memory_gets_a_message_not_a_crash(tmp_path):
    """80,000 groups around one base group need 160,000 facts in one session: durable-rules
    ended in a segmentation fault under the ceiling; now it stops first, with the limit named."""
    err = refused(tmp_path, "fan80.json", json.dumps(_groups("fan", 80_000)), "too-large", "110,000 facts")
    assert "u@x.example" in err


def test_message_ids_have_distinct_hashes_within_a_session():
    """The workaround itself: ids whose durable-rules hashes collide get another spelling."""
    from syncdoctor.engine.facts import FactSet
    from syncdoctor.engine.session import Session, fnv1a32
    session = Session("s1", FactSet([], set(), {}, user_label="", business_unit_label="", user_ref={},
                                     business_unit_ref={}, pool=None))
    ids = [session.mid(f"d{i}") for i in range(200_000)]
    assert len({fnv1a32(i) for i in ids}) == len(ids) == len(set(ids))
    assert fnv1a32("a") == 0xE40C292C  # the published FNV-1a test vector: the same hash as the C core


BAD_YAML = ["a: &x 1\nb: *x\n", "a: !!python/object:os.system x\n", "a: 1" + "0" * 5000 + "\n", "a: 1\na: 2\n",
            "a:\n  b: 1\n c: 2\n", "a: \"abc\nb: 1\n", "a:\n\tb: 1\n", "a: [1, 2\nb: 3\n", "a: b: c\n", "a: " + "[" * 2000 + "\n",
            "a: 1e999\n", "? [x]\n: 1\n", "a: !!int abc\n"]


@pytest.mark.parametrize("text", BAD_YAML, ids=range(len(BAD_YAML)))
def test_large_yaml_files_are_explained_from_libyaml_marks(monkeypatch, text):
    """Beyond REREAD_LIMIT the pure-Python parser is not run (gigabytes); libyaml's own marks
    still give the line, the same kind of finding, and plain words."""
    from syncdoctor.reading import yamlload
    from syncdoctor.reading.findings import FindingError
    with pytest.raises(FindingError) as located:
        yamlload.parse_yaml(text, "t.yaml")
    monkeypatch.setattr(yamlload, "REREAD_LIMIT", 0)
    with pytest.raises(FindingError) as fast:
        yamlload.parse_yaml_fast(text, "t.yaml")
    (a,), (b,) = located.value.findings, fast.value.findings
    assert b.id == a.id and "<" not in b.message
    assert b.span.line == a.span.line or b.id in ("yaml-alias", "too-deep")  # at the anchor; the located one has no line


def test_fast_and_located_yaml_agree_on_a_generated_org():
    import yaml as pyyaml

    from syncdoctor.facts.synthetic import generate
    from syncdoctor.reading.loader import parse_yaml, parse_yaml_fast
    doc = json.loads(json.dumps(generate(300, seed=5)))  # distinct objects: safe_dump writes no anchors
    text = pyyaml.safe_dump(doc, sort_keys=False)
    assert parse_yaml_fast(text, "o.yaml") == parse_yaml(text, "o.yaml") == doc


def test_a_no_from_the_fast_validator_is_never_taken_for_a_yes(monkeypatch):
    """When jsonschema-rs says "invalid" and the explaining validator finds nothing, the file is
    still refused, with a message (an id with a newline once slipped through exactly so)."""
    from syncdoctor.reading import schemas

    class No:
        def is_valid(self, data):
            return False

    monkeypatch.setattr(schemas, "fast_validator", lambda name: No())
    (finding,) = schemas.check("snapshot", json.loads(json.dumps(VALID)), "s.json")
    assert "disagree" in finding.message


def test_findings_beyond_the_cap_are_counted_in_bounded_time():
    from syncdoctor.reading import schemas
    doc = doc_with(salesforce__users=[{"id": "0055e000000U001AAA", "is_active": "no"}] * 30_000)
    start = time.monotonic()
    findings = schemas.check("snapshot", doc, "s.json")
    assert time.monotonic() - start < 20
    assert len(findings) == 51 and findings[-1].id == "more-findings" and "over 5,000" in findings[-1].message
    findings = schemas.check("snapshot", doc_with(salesforce__users=[{"id": "0055e000000U001AAA", "is_active": 1}] * 60), "s.json")
    assert findings[-1].message.startswith("and 10 more findings")


def test_an_internal_disagreement_is_a_message_not_megabytes():
    from syncdoctor.engine.run import _few
    text = _few({(("inner", "d1"), ("member", f"o{i}")) for i in range(50_000)})
    assert len(text) < 500 and "49,995 more" in text and "50,000 in all" in text


@pytest.mark.slow
def test_json_findings_name_their_line(tmp_path):
    text = '{"snapshot_version": 1,\n "salesforce": {"users": [\n  {"id": "0055e000000U001AAA",\n   "is_actve": true}]}}'
    refused(tmp_path, "l.json", text, "l.json:3:3", "did you mean 'is_active'")
    example = tmp_path / "s.json"
    example.write_text(json.dumps(VALID))
    (tmp_path / "a.json").write_text('{"answers_version": 1,\n "business_units": {"0Uv5e000000BU01AAA": {\n  "mode": "legasy"}}}')
    proc = run_cli("diagnose", "--facts", str(example), "--user", "u@x.example", "--answers", str(tmp_path / "a.json"))
    assert proc.returncode == 2 and b"a.json:3:" in proc.stderr, proc.stderr
