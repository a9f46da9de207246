"""Why a question is asked, in the glossary's words (facts/consult.py `Reason.words`): the verdict
code it decides, the rule's title and its sources — never an engine rule id unless --debug; the
JSON `why` keeps the engine's terms."""
from __future__ import annotations

import json
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from syncdoctor.cli import common
from syncdoctor.cli.main import app
from syncdoctor.engine.ruleset import require_ruleset
from syncdoctor.facts import consult
from tests.conftest import EXAMPLE, FIXTURE_RULES, runner
import yaml

RULESET = require_ruleset(FIXTURE_RULES)
RULE_IDS = sorted((r.id for r in RULESET.rules), key=len, reverse=True)


def _engine_ids(text: str) -> list[str]:
    """Rule ids (`managed-not-assigned`) named in a text."""
    return [rid for rid in RULE_IDS if rid in text]


def _unknown_org(drop: list[str]) -> dict:
    """The example org with some of its business units' facts unknown (the questions' topics)."""
    data = yaml.safe_load(EXAMPLE.read_text())
    for bu in data["business_units"]:
        sync = bu.setdefault("user_sync", {})
        for what in drop:
            if what == "user_groups":
                bu.pop("user_groups", None)
            else:
                sync.pop(what, None)
    return data


DROPPABLE = ["mode", "enabled", "last_change_at", "user_groups", "profile_roles", "move_to_recycle_bin_without_profile"]


@settings(max_examples=12, deadline=None)
@given(drop=st.lists(st.sampled_from(DROPPABLE), min_size=1, unique=True), debug=st.booleans())
def test_every_reason_is_said_in_words(tmp_path_factory, drop, debug):
    facts = tmp_path_factory.mktemp("q") / "org.json"
    facts.write_text(json.dumps(_unknown_org(drop)))
    r = runner.invoke(app, ["diagnose", "--facts", str(facts), "--all", "--format", "json", "--layout", "full"])
    assert r.exit_code in (0, 1), r.stderr
    doc = json.loads(r.stdout)
    undetermined = [res["undetermined"] for res in doc["results"]]
    questions = consult.questions_for(undetermined, RULESET) + consult.open_questions(json.loads(facts.read_text()), RULESET)
    for q in questions:
        for reason, said in zip(q.reasons, q.said(debug)):
            assert reason.title in said
            if reason.code:
                assert f"{reason.code} ({reason.kind})" in said
            if debug:
                assert said.endswith(f"[rule {reason.rule}]")
            else:
                assert _engine_ids(said.replace(reason.title, "")) == [], said
    # the JSON keeps the engine's terms
    for q in doc.get("questions") or []:
        assert all(why.startswith("rule ") for why in q["why"])


def test_ask_and_the_question_list_say_it_in_words(tmp_path):
    facts = tmp_path / "org.json"
    facts.write_text(json.dumps(_unknown_org(["mode"])))
    args = ["diagnose", "--facts", str(facts), "--user", "asmith@acme.example", "--business-unit", "Acme North America"]
    for debug in (False, True):
        with mock.patch.object(common, "DEBUG", debug):
            asked = runner.invoke(app, args + ["--ask"], input="\n" * 20)
            listed = runner.invoke(app, args)
        lines = [x for x in asked.stderr.splitlines() if "asked because" in x]
        lines += [x for x in listed.stderr.splitlines() if "needed because" in x]
        assert any("asked because" in x for x in lines) and any("needed because" in x for x in lines), asked.stderr
        for line in lines:
            assert ("[rule " in line) == debug, line
            if not debug:
                assert "asked because rule" not in line and "needed because rule" not in line
