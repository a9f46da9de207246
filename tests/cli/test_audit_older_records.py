"""Records written by older versions replay like with like (api/audit_older.py): a field the
record's version never wrote is not a difference, an id in the spelling the older version wrote
is the same record; and any real change of such a record is still caught.

The older shapes are built from a record of today, as the older code wrote them:
- "2, before absent": record_version 2, no verdict carries `absent` or `remedy_changes` (the
  read branch added `absent` in 51b5a4f, the whatif merge cfe5e0c `remedy_changes`), and every
  whole-id value of a fact in its computed 18-character form (facts/snapshot.py applied
  `to18` to every id it put in a fact until ids were shown as declared);
- "2, before remedy_changes": the same, with `absent` kept;
- "2, ids only": both fields kept, the ids of facts computed;
- "1": the first shape, and no `selection` either (replay says NOT PROVEN, exit 1).
"""
from __future__ import annotations

import copy
import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncdoctor.api.audit_record import load_private_key, seal
from syncdoctor.facts.ids import looks_like_id, to18
from syncdoctor.facts.synthetic import generate
from tests.cli.test_audit_replay_property import edit, key, leaves  # noqa: F401 (key: the signing-key fixture)
from tests.conftest import EXAMPLE, FIXTURE_RULES, runner
from syncdoctor.cli.main import app
from tests.relock import bumped_and_locked

SHAPES = ("2, before absent", "2, before remedy_changes", "2, ids only", "1")


def run(*args: str):
    return runner.invoke(app, list(args))


def older(record: dict[str, Any], shape: str) -> dict[str, Any]:
    """`record` (of today) in an older version's shape (module docstring)."""
    old = copy.deepcopy(record)
    old.pop("signature", None)
    old["record_version"] = 1 if shape == "1" else 2
    if shape == "1":
        old.pop("selection", None)
    dropped = {"2, before absent": ("absent", "remedy_changes"), "1": ("absent", "remedy_changes"),
               "2, before remedy_changes": ("remedy_changes",)}.get(shape, ())
    for r in old["results"]:
        for v in r["verdicts"]:
            for name in dropped:
                v.pop(name, None)
        for f in r["facts"]:
            f["values"] = {k: to18(x) if isinstance(x, str) and looks_like_id(x) else x for k, x in f["values"].items()}
    return seal(old)


_MADE: dict[Any, dict] = {}


def today(tmp_path_factory, source: str) -> dict:
    """A record of today: of the example org (hand-made ids, placeholder suffixes), or of a generated one."""
    if source not in _MADE:
        d = tmp_path_factory.mktemp("rec")
        facts = EXAMPLE if source.startswith("acme") else d / "org.json"
        if not source.startswith("acme"):
            facts.write_text(json.dumps(generate(8, seed=int(source))))
        r = run("diagnose", "--facts", str(facts), "--all", "--format", "json", "--audit", str(d / "rec.json"), *_rules(source))
        assert r.exit_code in (0, 1), r.stderr
        _MADE[source] = json.loads((d / "rec.json").read_text())
    return _MADE[source]


_WITH_CHANGES: list[Path] = []
REMEDY_CHANGE = ("\n    remedy_changes:\n      - remedy: 1\n        change: {change: assign, member: {type: user, name: \"{user.id}\"}, "
                 "business_unit: \"{business_unit.id}\", group: marketing}\ncitations:")


def _rules(source: str) -> list[str]:
    """"acme changes": the fixture rules with MANAGED_NOT_ASSIGNED's first remedy declaring its
    change (docs/authoring.md), so that its verdicts carry `remedy_changes`."""
    if source != "acme changes":
        return []
    if not _WITH_CHANGES:
        rules = Path(tempfile.mkdtemp(prefix="rules-changes-")) / "rules"
        shutil.copytree(FIXTURE_RULES, rules)
        target = rules / "conclude" / "managed-not-assigned.yaml"
        target.write_text(target.read_text().replace("\ncitations:", REMEDY_CHANGE, 1))
        bumped_and_locked(rules)
        _WITH_CHANGES.append(rules)
    return ["--rules", str(_WITH_CHANGES[0])]


@pytest.mark.parametrize("source", ["acme", "acme changes"])
@pytest.mark.parametrize("shape", SHAPES)
def test_an_untouched_older_record_replays_as_the_same(tmp_path_factory, tmp_path, shape, source):
    record = today(tmp_path_factory, source)
    assert record["record_version"] == 3
    old = older(record, shape)
    assert [f["values"] for r in old["results"] for f in r["facts"]] != [f["values"] for r in record["results"] for f in r["facts"]]
    (tmp_path / "old.json").write_text(json.dumps(old))
    r = run("replay", str(tmp_path / "old.json"), *_rules(source))
    assert "verdicts differ" not in r.stdout, r.stdout
    assert r.exit_code == (1 if shape == "1" else 0), r.stdout + r.stderr
    # the output says what was compared like with like
    assert "ids compared as the records they name" in r.stdout
    assert ("not compared: `absent`" in r.stdout) == (shape in ("2, before absent", "1"))
    declares_changes = any("remedy_changes" in v for res in record["results"] for v in res["verdicts"])
    assert declares_changes or source == "acme"
    assert ("not compared: `remedy_changes`" in r.stdout) == (declares_changes and shape != "2, ids only")
    if shape == "1":
        assert "NOT PROVEN" in r.stdout


def test_a_record_of_today_is_compared_whole(tmp_path_factory, tmp_path):
    """Version 3: a verdict without `absent` is a difference (the field is expected), and so is an id
    in its computed form where the snapshot declares another spelling."""
    record = copy.deepcopy(today(tmp_path_factory, "acme"))
    record.pop("signature", None)
    verdict = next(v for r in record["results"] for v in r["verdicts"] if v["absent"])
    del verdict["absent"]
    (tmp_path / "a.json").write_text(json.dumps(seal(record)))
    r = run("replay", str(tmp_path / "a.json"))
    assert r.exit_code == 1 and "absent" in r.stdout and "like with like" not in r.stdout
    record = copy.deepcopy(today(tmp_path_factory, "acme"))
    record.pop("signature", None)
    fact = next(f for r in record["results"] for f in r["facts"] if f["kind"] == "user")
    fact["values"]["id"] = to18(fact["values"]["id"])
    assert fact["values"]["id"].endswith("AAC")
    (tmp_path / "i.json").write_text(json.dumps(seal(record)))
    assert run("replay", str(tmp_path / "i.json")).exit_code == 1


def test_an_id_of_another_record_is_still_a_difference(tmp_path_factory, tmp_path):
    record = older(today(tmp_path_factory, "acme"), "2, before absent")
    fact = next(f for r in record["results"] for f in r["facts"] if f["kind"] == "user")
    other = next(u["id"] for u in yaml_users() if u["id"][:15] != fact["values"]["id"][:15])
    fact["values"]["id"] = to18(other)
    (tmp_path / "o.json").write_text(json.dumps(seal(record)))
    r = run("replay", str(tmp_path / "o.json"))
    assert r.exit_code == 1 and "verdicts differ" in r.stdout


def yaml_users() -> list[dict]:
    import yaml
    return yaml.safe_load(EXAMPLE.read_text())["salesforce"]["users"]


LATER = ("absent", "remedy_changes")


def _removes_a_field_the_version_may_lack(record: dict, where: tuple) -> bool:
    """An edit that takes `absent` or `remedy_changes` out of the only verdicts holding it: the
    record then reads as written before verdicts carried it (only its signature shows the edit)."""
    op, path = where
    if op != "remove" or path[-1] not in LATER:
        return False
    holders = [v for r in record["results"] for v in r["verdicts"] if path[-1] in v]
    return len(holders) == 1


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(source=st.sampled_from(["acme", "1", "2"]), shape=st.sampled_from(SHAPES[:3]), pick=st.integers(0, 10**6))
def test_any_edit_of_an_older_record_is_caught(tmp_path_factory, key, source, shape, pick):
    """Over generated orgs and the example, each older shape: any single-field edit of a result is
    caught by replay; an edit that takes the last verdict's `absent` or `remedy_changes` out is
    caught by the signature (audit verify --public-key), as any edit of an unsigned record can only be."""
    old = older(today(tmp_path_factory, source), shape)
    spots = leaves(old["results"])
    where = spots[pick % len(spots)]
    edited = copy.deepcopy(old)
    edit(edited, where)
    d = tmp_path_factory.mktemp("edit")
    if _removes_a_field_the_version_may_lack(old, where):
        signed = seal(old, load_private_key(key[0]))
        signed["results"] = edited["results"]  # the signature kept: the edit shows
        (d / "s.json").write_text(json.dumps(signed))
        assert run("audit", "verify", str(d / "s.json"), "--public-key", str(key[1])).exit_code == 1
        return
    (d / "e.json").write_text(json.dumps(seal(edited)))
    r = run("replay", str(d / "e.json"))
    assert r.exit_code in (1, 2), (where, r.stdout)


def test_the_shape_builder_writes_computed_ids():
    """The older shape really differs from today's in its ids (else the tests above prove nothing)."""
    values = {"id": "0055e000000U001AAA", "role_id": "00E5e000000ROL1AAA", "name": "x"}
    rec = {"record_version": 3, "results": [{"verdicts": [{"absent": []}], "facts": [{"values": values}]}]}
    old = older(rec, "2, before absent")
    assert old["results"][0]["facts"][0]["values"] == {"id": "0055e000000U001AAC", "role_id": "00E5e000000ROL1EAO", "name": "x"}
    assert old["results"][0]["verdicts"] == [{}] and old["record_version"] == 2
    assert re.fullmatch(r"[0-9a-f]{64}", old["record_sha256"])
