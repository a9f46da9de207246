"""engine/durable_private.py `Driver` runs durable-rules' sessions through its C functions, as the
binding's `Host` does: the same firings in the same order, the same refusals, on every diagnosis."""
from __future__ import annotations

import json

import pytest
from durable.engine import MessageNotHandledException, MessageObservedException
from hypothesis import given, settings, strategies as st

from syncdoctor.engine import durable_private
from syncdoctor.engine.classes import ClassEngine
from syncdoctor.engine.ruleset import require_ruleset
from syncdoctor.engine.run import Engine
from syncdoctor.facts.snapshot import parse_snapshot
from tests.conftest import ROOT
from tests.engine.test_shared_work import orgs_with_ae_users


class _ThroughHost:
    """The binding's own path (Host.assert_facts and its per-action Closure), as a Driver."""

    def __init__(self, host, name):
        self.host, self.name = host, name

    def assert_facts(self, facts):
        self.host.assert_facts(self.name, facts)

    def assert_fact(self, fact):
        self.host.assert_fact(self.name, fact)

    def delete_state(self, sid):
        self.host.delete_state(self.name, sid)


@pytest.fixture(scope="module", params=["fixture", "knowledge_v2"])
def pair(request):
    """The fixture knowledge, and the frozen knowledge v2 (identity joins on ids and casefolded
    emails): tests never read the shipped rules (tests/cli/test_rules_check.py)."""
    rules = require_ruleset() if request.param == "fixture" else require_ruleset(ROOT / "tests" / "fixtures" / "knowledge_v2")
    lean, binding = Engine(rules), Engine(rules)
    name = binding.compiled.name
    binding._drivers[name] = _ThroughHost(binding._host, name)
    return lean, binding, ClassEngine(rules)


def _doc(d) -> str:
    return json.dumps(d.to_json(), sort_keys=True)


@given(orgs_with_ae_users(), st.sampled_from([None, "not-syncing", "in-recycle-bin", "cannot-delete"]))
@settings(max_examples=30, deadline=None)
def test_the_driver_fires_what_the_host_fires_in_the_same_order(pair, data, symptom):
    """Whole results (the trace's order and ids included), and what a
    scan runs (ClassEngine: the status memo and its shortcuts) gives the same bytes, twice (the
    second pass finds every memo entry)."""
    lean, binding, scan = pair
    snap = parse_snapshot(json.dumps(data), "test.json", fmt="json")
    pairs = [(u, b) for u in range(len(snap.users)) for b in range(2)]
    alone = [_doc(binding.diagnose(snap.factset(u, b, symptom))) for u, b in pairs]
    for eng in (lean, scan, scan):  # the scan engine twice: the second pass finds every memo entry
        assert [_doc(eng.diagnose(snap.factset(u, b, symptom))) for u, b in pairs] == alone


def test_the_driver_chains_actions_and_refuses_as_the_host_does():
    seen: list[tuple[str, str]] = []
    host = durable_private.SynchronousHost()

    def derive(c):
        seen.append(("derive", durable_private.matched_id(c, "a", "_fid")))
        c.assert_fact({"sid": c.s.sid, "t": "y", "_fid": "d1", "id": "d1"})

    def conclude(c):
        seen.append(("conclude", durable_private.matched_id(c, "b", "_fid")))

    host.register_rulesets({"dp_driver": {"r1": {"all": [{"a": {"t": "x"}}], "run": derive},
                                          "r2": {"all": [{"b": {"t": "y"}}], "run": conclude}}})
    driver = durable_private.Driver(host, "dp_driver")
    driver.assert_facts([{"sid": "1", "t": "x", "_fid": "f1", "id": "f1"}])
    assert seen == [("derive", "f1"), ("conclude", "d1")]
    with pytest.raises(MessageObservedException):
        driver.assert_fact({"sid": "1", "t": "x", "_fid": "f1", "id": "f1"})
    with pytest.raises(MessageNotHandledException):
        driver.assert_fact({"sid": "1", "t": "nobody-reads-this", "id": "z"})
    driver.delete_state("1")


@pytest.mark.parametrize("lost", ["derivation", "conclusion"])
def test_a_firing_durable_rules_lost_is_still_caught(lost):
    """The agreement check sees a wrong durable-rules result through the lean driver: one rule's
    action made to do nothing (its firing never recorded) fails the diagnosis, in the engine
    that scans run (ClassEngine), not only in Engine."""
    from syncdoctor.engine.run import EngineError
    from syncdoctor.facts.snapshot import load_snapshot
    from tests.conftest import EXAMPLE
    rules = require_ruleset()
    snap = load_snapshot(EXAMPLE)
    whole = ClassEngine(rules)
    fs, firing = next((fs, f) for fs in (snap.factset(u, b, None) for u in range(len(snap.users))
                                         for b in range(len(snap.business_units)))
                      for f in whole.diagnose(fs).firings if (f.code is None) == (lost == "derivation"))
    eng = ClassEngine(rules)
    driver = eng._drivers[eng.compiled.name]
    branch = next(b for b in eng.compiled.branches if b.rule.id == firing.rule and b.index == firing.branch)
    driver.actions[branch.name] = lambda c: None
    with pytest.raises(EngineError, match="disagree"):
        eng.diagnose(fs)
