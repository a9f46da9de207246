"""A ruleset's version changes when its rules change (docs/authoring.md, "Versions"): any edit to a
rule file -- its conditions, what it derives or concludes, its words, its citations -- is refused
by `rules lock` and reported by `rules check`, at the rule's `version:` line and at ruleset.yaml's,
until both versions are bumped; the lock file is never rewritten by a refused lock."""
from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from syncdoctor.engine.ruleset import LOCK_CODES, load_ruleset
from tests.conftest import FIXTURE_RULES, cli

RULE_FILES = sorted(p.relative_to(FIXTURE_RULES).as_posix() for d in ("derive", "conclude")
                    for p in (FIXTURE_RULES / d).glob("*.yaml"))
HEADER = "# yaml-language-server: $schema=../../engine/schema/rule.schema.json\n"


def _leaves(node, path=()):
    """Every scalar of a rule document but its identity (`id`, `version`, `format`)."""
    if isinstance(node, dict):
        for k, v in node.items():
            if path or k not in ("id", "version", "format"):
                yield from _leaves(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _leaves(v, (*path, i))
    else:
        yield path


def _set(doc, path, value):
    for step in path[:-1]:
        doc = doc[step]
    doc[path[-1]] = value


def _get(doc, path):
    for step in path:
        doc = doc[step]
    return doc


def _changed(value, extra: str):
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    return f"{value}{extra}"


def _version_line(path: Path) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if re.match(r"version: ", line))


def _bump(path: Path, pattern: str, new) -> None:
    path.write_text(re.sub(pattern, new, path.read_text(), count=1, flags=re.M))


def _lock(rules: Path):
    return cli("rules", "lock", rules)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.filter_too_much])
@given(data=st.data())
def test_any_edit_of_a_rule_is_refused_until_both_versions_are_bumped(tmp_path, data):
    rules = Path(tempfile.mkdtemp(dir=tmp_path)) / "rules"
    shutil.copytree(FIXTURE_RULES, rules)
    name = data.draw(st.sampled_from(RULE_FILES), label="rule file")
    target = rules / name
    doc = yaml.safe_load(target.read_text())
    where = data.draw(st.sampled_from(list(_leaves(doc))), label="field")
    extra = data.draw(st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=8))
    _set(doc, where, _changed(_get(doc, where), extra))
    target.write_text(HEADER + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    ruleset, _ = load_ruleset(rules, run_checks=False)
    lock_before = (rules / "rules.lock").read_bytes()
    r = _lock(rules)
    assert r.exit_code == 1 and (rules / "rules.lock").read_bytes() == lock_before
    if ruleset is None:
        return  # the edit broke the file's schema: that finding is what the lock reports
    said = r.stdout + r.stderr
    assert f"{target}:{_version_line(target)}:1  version-not-bumped" in said, said
    assert f"{rules / 'ruleset.yaml'}:{_version_line(rules / 'ruleset.yaml')}:1  ruleset-version-not-bumped" in said, said
    _, findings = load_ruleset(rules)
    if not [f for f in findings if f.id not in LOCK_CODES and f.severity.value == "error"]:  # else: the cause first
        assert {f.id for f in findings} >= {"version-not-bumped", "ruleset-version-not-bumped"}
    # the rule bumped: still refused, for the ruleset alone
    _bump(target, r"^version: (\d+)$", lambda m: f"version: {int(m.group(1)) + 1}")
    r = _lock(rules)
    assert r.exit_code == 1 and "ruleset-version-not-bumped" in r.stderr and " version-not-bumped" not in r.stderr
    # both bumped: locked, and the lock then agrees with the rules
    _bump(rules / "ruleset.yaml", r"^version: 1\.0\.0$", "version: 1.0.1")
    assert _lock(rules).exit_code == 0
    _, findings = load_ruleset(rules)
    assert not [str(f) for f in findings if f.id in LOCK_CODES]


def test_a_rule_added_or_removed_asks_for_the_rulesets_version(tmp_path):
    for edit in ("add", "remove"):
        rules = tmp_path / edit
        shutil.copytree(FIXTURE_RULES, rules)
        source = rules / RULE_FILES[-1]
        if edit == "add":
            text = source.read_text()
            rule_id = re.search(r"^id: (\S+)$", text, re.M).group(1)
            code = re.search(r"code: (\S+)", text)
            text = text.replace(f"id: {rule_id}", f"id: {rule_id}-copy")
            (rules / "conclude" / "copy.yaml").write_text(text.replace(code.group(0), f"code: {code.group(1)}_COPY")
                                                          if code else text)
        else:
            source.unlink()
        r = _lock(rules)
        assert r.exit_code == 1 and "ruleset-version-not-bumped" in r.stderr, r.stderr
        _bump(rules / "ruleset.yaml", r"^version: 1\.0\.0$", "version: 1.1.0")
        assert _lock(rules).exit_code == 0


def test_going_back_or_forgetting_to_relock_the_ruleset_version_is_named(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(FIXTURE_RULES, rules)
    _bump(rules / "ruleset.yaml", r"^version: 1\.0\.0$", "version: 1.0.1")
    _, findings = load_ruleset(rules)
    assert [f.id for f in findings if f.id in LOCK_CODES] == ["lock-stale"]
    _bump(rules / "ruleset.yaml", r"^version: 1\.0\.1$", "version: 0.9.0")
    _, findings = load_ruleset(rules)
    assert [f.id for f in findings if f.id in LOCK_CODES] == ["ruleset-version-not-bumped"]


def test_a_lock_written_before_it_recorded_content_is_compared_on_logic_only(tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(FIXTURE_RULES, rules)
    lock = yaml.safe_load((rules / "rules.lock").read_text())
    lock.pop("ruleset_version")
    for entry in lock["rules"].values():
        entry.pop("content_sha256")
    (rules / "rules.lock").write_text(yaml.safe_dump(lock))
    target = rules / "conclude" / "user-inactive.yaml"
    target.write_text(target.read_text().replace("title: The ", "title: Now the ", 1))
    _, findings = load_ruleset(rules)
    assert not [f for f in findings if f.id in LOCK_CODES]
    assert _lock(rules).exit_code == 0
    assert "content_sha256" in (rules / "rules.lock").read_text()
