"""Inputs that ended in exit 4 (an internal error) and now get a clear answer: `--ask` numbers
in any script or size, minutes ago reaching before year 1 or below year 1000, a `sources` key
with a huge list index under `--audit`, and `rules docs` with terminal escapes in a rule."""
from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from syncdoctor.cli.main import app
from syncdoctor.facts import consult
from tests.conftest import EXAMPLE, runner

NA, EU = "0Uv5e0000000001CAA", "0Uv5e0000000002CAA"


class Scripted:
    """A Prompter answering from a list; what it was told is kept."""

    def __init__(self, answers: list[str]):
        self.answers, self.said = list(answers), []

    def prompter(self) -> consult.Prompter:
        return consult.Prompter(echo=self.said.append, choose=lambda q, options: self.answers.pop(0),
                                text=lambda q: self.answers.pop(0))


@settings(max_examples=60, deadline=None)
@given(raw=st.text(max_size=16) | st.sampled_from(["²", "٣", "99999999999999", "-1", "1e3", "52560001", " 7 ", "０"]))
def test_minutes_ago_at_the_prompt_is_a_bounded_whole_number_or_asked_again(raw):
    s = Scripted([raw, "15"])
    got = consult._ask_one("last_change", {}, s.prompter(), None)
    expect = int(raw.strip()) if raw.strip().isascii() and raw.strip().isdigit() and int(raw.strip()) <= 52_560_000 else None
    if not raw.strip():
        assert got is None
    elif expect is not None:
        assert got == expect
    else:
        assert got == 15 and "52,560,000" in s.said[-1]


@settings(max_examples=40, deadline=None)
@given(raw=st.text(max_size=10) | st.sampled_from(["²", "1,²", "99999999999999", "0", "3", "1, 2"]))
def test_profile_numbers_at_the_prompt(raw):
    data = yaml.safe_load(EXAMPLE.read_text())
    s = Scripted([raw, "none"] + ["Marketing"] * 5)
    got = consult._ask_one("profile_roles", data, s.prompter(), None)
    assert got is None or isinstance(got, dict)


@pytest.mark.parametrize("collected_at,minutes,ok", [
    ("0001-01-01T00:10:00Z", 11, False), ("0001-01-01T00:10:00Z", 10, True), ("1001-01-01T00:00:00Z", 52_560_000, True),
    ("2026-11-28T10:00:00Z", 52_560_000, True)])
def test_minutes_ago_reaching_before_year_1_or_below_1000(tmp_path, collected_at, minutes, ok):
    data = yaml.safe_load(EXAMPLE.read_text())
    data["collected_at"] = collected_at
    facts, answers = tmp_path / "org.json", tmp_path / "a.json"
    facts.write_text(json.dumps(data))
    answers.write_text(json.dumps({"answers_version": 1, "business_units": {EU: {"last_change_minutes_ago": minutes}}}))
    r = runner.invoke(app, ["diagnose", "--facts", str(facts), "--user", "jdoe@acme.example", "--answers", str(answers),
                            "--format", "json"])
    if ok:
        assert r.exit_code in (0, 1), r.stderr
    else:
        assert r.exit_code == 2 and "before year 1" in r.stderr and "last_change_minutes_ago" in r.stderr


def test_iso_years_are_four_digits():
    assert consult._iso(datetime(999, 1, 2, 3, 4, 5, tzinfo=timezone.utc)) == "0999-01-02T03:04:05Z"


@pytest.mark.parametrize("index", ["9" * 5000, "0" * 4999 + "1", "12345678901234567890"])
def test_a_huge_list_index_in_sources_under_audit(tmp_path, index):
    data = yaml.safe_load(EXAMPLE.read_text())
    data["sources"] = {f"salesforce.users[{index}].email": {"source": "api"}, "salesforce.users[1]": {"source": "api"}}
    facts = tmp_path / "org.json"
    facts.write_text(json.dumps(data))
    r = runner.invoke(app, ["diagnose", "--facts", str(facts), "--user", "asmith@acme.example", "--audit",
                            str(tmp_path / "rec.json"), "--format", "json"])
    assert r.exit_code in (0, 1, 2), r.stderr
    if r.exit_code != 2:
        assert runner.invoke(app, ["replay", str(tmp_path / "rec.json")]).exit_code == 0


@pytest.mark.parametrize("payload", ["\x1b]52;c;ZXZpbA==\x07", "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",
                                     "\x1b[2J\x1b[H", "\x9b31m", "\u202eevil"])
def test_rules_docs_never_sends_control_sequences(tmp_path, payload):
    rules = tmp_path / "rules"
    shutil.copytree(EXAMPLE.parent.parent.parent / "rules", rules)
    rule = sorted((rules / "conclude").glob("*.yaml"))[0]
    text = rule.read_text()
    escaped = payload.encode("unicode_escape").decode().replace('"', '\\"')
    rule.write_text(text.replace("\ntitle: ", f'\ntitle: "T{escaped}" # ', 1))  # the rest of the old title: a comment
    r = runner.invoke(app, ["rules", "docs", str(rules)])
    out = r.stdout
    assert r.exit_code == 0, r.stderr
    assert not any(ch in out for ch in "\x1b\x07\x9b\u202e"), repr(out[:200])
    assert "\\x1b" in out or "\\x9b" in out or "\\u202e" in out
