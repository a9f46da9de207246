"""A verdict about the user alone (its rule reads nothing of a business unit: INTEGRATION_USER)
is the same in every business unit: a scan's summary counts each user once for it, in one row
for every business unit, while per-business-unit conclusions are counted per business unit."""
from __future__ import annotations

import json
import shutil

from hypothesis import given
from hypothesis import strategies as st

from syncdoctor.api.verdicts import EVERY_BUSINESS_UNIT, Summary, summary_pairs
from syncdoctor.cli.main import app
from syncdoctor.engine.ruleset import require_ruleset
from tests.conftest import EXAMPLE, FIXTURE_RULES, runner
from tests.relock import bumped_and_locked

BUS = ["BU A", "BU B", "BU C"]
results = st.lists(st.tuples(st.sampled_from(["u1", "u2", "u3", "u4"]), st.sampled_from(BUS),
                             st.lists(st.sampled_from(["WIDE", "LOCAL", "OTHER"]), unique=True)),
                   unique_by=lambda r: (r[0], r[1]))


@given(rows=results)
def test_user_wide_verdicts_are_counted_once_per_user(rows):
    summary = Summary()
    for user, bu, codes in rows:
        verdicts = [dict(code=c, kind="info", **({"scope": "user"} if c == "WIDE" else {})) for c in codes]
        summary.add(summary_pairs({"user": {"id": user}, "business_unit": {"name": bu}, "verdicts": verdicts}))
    counted = {(bu, code): n for bu, _, code, n in summary.rows()}
    wide_users = {u for u, _, codes in rows if "WIDE" in codes}
    assert counted.get((EVERY_BUSINESS_UNIT, "WIDE"), 0) == len(wide_users)
    assert not any(code == "WIDE" and bu != EVERY_BUSINESS_UNIT for bu, code in counted)
    for bu in BUS:  # per business unit: one per result
        assert counted.get((bu, "LOCAL"), 0) == sum(1 for _, b, codes in rows if b == bu and "LOCAL" in codes)
    assert summary.results == len(rows)


WIDE_RULE = """# yaml-language-server: $schema=../../engine/schema/rule.schema.json
format: 2
id: inactive-user-note
version: 1
title: The user is inactive
status: stable
when:
  - fact: user
    where:
      - {field: is_active, equals: false}
then:
  conclude:
    code: INACTIVE_USER_NOTE
    kind: info
    message: "{user.username} is inactive."
citations:
  - source: kb-000384042
    section: description
    basis: article
"""


def test_a_scan_summary_names_the_user_once(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(FIXTURE_RULES, rules)
    (rules / "conclude" / "inactive-user-note.yaml").write_text(WIDE_RULE)
    bumped_and_locked(rules)
    assert "INACTIVE_USER_NOTE" in require_ruleset(rules).user_wide
    assert not require_ruleset(FIXTURE_RULES).user_wide & {"MANAGED_NOT_ASSIGNED", "USER_INACTIVE"}
    r = runner.invoke(app, ["diagnose", "--facts", str(EXAMPLE), "--all", "--rules", str(rules)])
    rows = [x for x in r.stdout.split("Summary (users per conclusion")[1].splitlines() if "INACTIVE_USER_NOTE" in x]
    assert len(rows) == 1 and rows[0].split() == ["(every", "business", "unit)", "info", "INACTIVE_USER_NOTE", "1"], rows
    doc = json.loads(runner.invoke(app, ["diagnose", "--facts", str(EXAMPLE), "--all", "--rules", str(rules),
                                         "--format", "json", "--layout", "full"]).stdout)
    notes = [v for res in doc["results"] for v in res["verdicts"] if v["code"] == "INACTIVE_USER_NOTE"]
    assert len(notes) == 2 and all(v["scope"] == "user" for v in notes)  # one user, two business units
