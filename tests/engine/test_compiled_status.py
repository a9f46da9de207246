"""The status pass runs each branch as compiled at compile time (engine/conditions.py,
engine/program.py), and the memo stops keying branches whose signatures never repeat
(engine/memo.py, UNSHARED_AFTER). Both must leave every result as it was."""
from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import given, settings, strategies as st

from syncdoctor.engine import memo as memo_mod
from syncdoctor.engine.classes import ClassEngine
from syncdoctor.engine.diagnosis import PLACEHOLDER, render
from syncdoctor.engine.conditions import FALSE, TRUE, F, T, Truth, U, Unknown, compile_condition
from syncdoctor.engine.facts import Fact
from syncdoctor.engine.model import AnyOf, Condition
from syncdoctor.engine.ruleset import require_ruleset
from syncdoctor.engine.run import Engine, EngineError
from syncdoctor.facts.snapshot import parse_snapshot
from tests.conftest import ROOT
from tests.engine.test_shared_work import orgs_with_ae_users

# -- the specification of one condition, written plainly (what the compiled closures must give) --


def _spec_same(a: Any, b: Any) -> bool:
    """Equal and of one type, except that an integer and a float compare as numbers (a boolean is neither)."""
    numbers = (int, float)
    return a == b and (type(a) is type(b) or (type(a) in numbers and type(b) in numbers))


def _spec(c: Any, fact: Fact, binding: dict) -> Truth:
    """Three-valued truth of a condition: absent is unknown (with its place), never false."""
    if isinstance(c, AnyOf):
        parts = [_spec(x, fact, binding) for x in c.conditions]
        if any(p.value == T for p in parts):
            return TRUE
        unknown = [p for p in parts if p.value == U]
        return Truth(U, frozenset().union(*(p.missing for p in unknown))) if unknown else FALSE
    if c.op == "is_unknown":
        return FALSE if c.field in fact.values else TRUE
    if c.op == "is_known":
        return TRUE if c.field in fact.values else FALSE
    if c.field not in fact.values:
        return Truth(U, frozenset({fact.path_of(c.field)}))
    v = fact.values[c.field]
    low = (lambda x: x.casefold() if isinstance(x, str) else x) if c.ignore_case else (lambda x: x)
    if c.op in ("same_as", "differs_from"):
        other = binding.get(c.value[0])
        if isinstance(other, Unknown):
            return Truth(U, other.missing)
        if other is None:
            return Truth(U)
        if c.value[1] not in other.values:
            return Truth(U, frozenset({other.path_of(c.value[1])}))
        return TRUE if _spec_same(low(v), low(other.values[c.value[1]])) == (c.op == "same_as") else FALSE
    if c.op in ("equals", "not_equals"):
        return TRUE if _spec_same(low(v), low(c.value)) == (c.op == "equals") else FALSE
    if c.op == "one_of":
        return TRUE if any(_spec_same(low(v), low(x)) for x in c.value) else FALSE
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return FALSE
    return TRUE if {"less_than": v < c.value, "at_most": v <= c.value, "greater_than": v > c.value,
                    "at_least": v >= c.value}[c.op] else FALSE


VALUES = st.sampled_from(["a", "A", "ä", "Ä", "ß", "SS", "", "1", 0, 1, -2, 1.0, 1.5, True, False])
FIELDS = st.sampled_from(["x", "y"])


@st.composite
def conditions(draw, depth: int = 0) -> Any:
    if depth < 2 and draw(st.integers(0, 4)) == 0:
        return AnyOf(tuple(draw(st.lists(conditions(depth + 1), min_size=1, max_size=3))))
    op = draw(st.sampled_from(["equals", "not_equals", "one_of", "less_than", "at_most", "greater_than", "at_least",
                               "same_as", "differs_from", "is_unknown", "is_known"]))
    if op in ("same_as", "differs_from"):
        value: Any = (draw(st.sampled_from(["other", "unbound"])), draw(FIELDS))
    elif op == "one_of":
        value = draw(st.lists(VALUES, max_size=3))
    elif op in ("less_than", "at_most", "greater_than", "at_least"):
        value = draw(st.integers(-2, 2))
    else:
        value = draw(VALUES)
    return Condition(draw(FIELDS), op, value, ignore_case=draw(st.booleans()) and op in (
        "equals", "not_equals", "one_of", "same_as", "differs_from"))


def _facts(draw_values: dict, kind: str, fid: str) -> Fact:
    return Fact(fid, kind, draw_values, {"path": f"{kind}[{fid}]"})


RECORDS = st.fixed_dictionaries({}, optional={"x": VALUES, "y": VALUES})


@given(conditions(), RECORDS, st.one_of(st.none(), st.just("unknown"), RECORDS))
@settings(max_examples=1500, deadline=None)
def test_a_compiled_condition_says_what_the_three_valued_semantics_say(cond, values, other):
    """Every operator, with and without `ignore_case`, on present and absent fields of every
    type, joined to a bound fact, to a fact that may exist (Unknown) and to nothing."""
    fact = _facts(values, "k", "f1")
    binding: dict[str, Any] = {}
    if other == "unknown":
        binding["other"] = Unknown(frozenset({"somewhere.list"}))
    elif other is not None:
        binding["other"] = _facts(other, "j", "o1")
    assert compile_condition(cond)(fact, binding) == _spec(cond, fact, binding)


# -- whole results ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def v2_engines():
    """Knowledge v2 (identity joins: every user's collision branches have a signature of their own)."""
    rules = require_ruleset(ROOT / "tests" / "fixtures" / "knowledge_v2")
    return Engine(rules), ClassEngine(rules)


def _doc(d) -> str:
    return json.dumps(d.to_json(), sort_keys=True)


@given(orgs_with_ae_users(), st.sampled_from([None, "not-syncing", "in-recycle-bin", "cannot-delete"]))
@settings(max_examples=40, deadline=None)
def test_branches_taken_off_the_memo_give_what_one_at_a_time_gives(monkeypatch_module, v2_engines, data, symptom):
    """With UNSHARED_AFTER at 2, branches leave the memo after two diagnoses: whole results
    (verdicts, undetermined lists and their missing places, statuses, trace) stay what the
    engine without a memo gives, before and after they leave it."""
    engine, scan = v2_engines
    snap = parse_snapshot(json.dumps(data), "test.json", fmt="json")
    factsets = [snap.factset(u, b, symptom) for u in range(len(snap.users)) for b in range(2)]
    alone = [_doc(engine.diagnose(fs)) for fs in factsets]
    for _ in range(2):
        assert [_doc(scan.diagnose(fs)) for fs in factsets] == alone
    assert scan.memo.unshared, "no branch left the memo: the test exercised nothing"


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(memo_mod, "UNSHARED_AFTER", 2)
        yield mp


def test_a_wrong_compiled_condition_is_caught_by_the_agreement_check():
    """The compiled status pass is still checked against durable-rules: one condition's closure
    made to say true whatever the fact fails a diagnosis whose derivation it decides."""
    from syncdoctor.facts.snapshot import load_snapshot
    from tests.conftest import EXAMPLE
    rules = require_ruleset()
    snap = load_snapshot(EXAMPLE)
    factsets = [snap.factset(u, b, None) for u in range(len(snap.users)) for b in range(len(snap.business_units))]
    engine = Engine(rules)
    caught = 0
    for name, prog in list(engine.compiled.programs.items()):
        for i, p in enumerate(prog.patterns):
            if p.negated or not p.conditions:
                continue
            wrong = dataclasses.replace(p, conditions=tuple((c, lambda fact, binding: TRUE) for c, _ in p.conditions))
            engine.compiled.programs[name] = dataclasses.replace(prog, patterns=prog.patterns[:i] + (wrong,) + prog.patterns[i + 1:])
            try:
                for fs in factsets:
                    engine.diagnose(fs)
            except EngineError as exc:
                assert "disagree" in str(exc)
                caught += 1
            finally:
                engine.compiled.programs[name] = prog
            break
    assert caught > 0


# -- templates, split once ------------------------------------------------------------------


def _spec_render(template: str, binding: dict, shown: dict | None) -> str:
    def sub(m):
        fact = binding.get(m.group(1))
        if fact is None or m.group(2) not in fact.values:
            return "(unknown)"
        value = fact.values[m.group(2)]
        if isinstance(value, bool):
            return str(value).lower()
        words = shown.get((fact.kind, m.group(2))) if shown else None
        return words.get(value, str(value)) if words and isinstance(value, str) else str(value)
    return PLACEHOLDER.sub(sub, template)


TEMPLATES = st.lists(st.sampled_from(["{u.x}", "{u.y}", "{g.x}", "{nobody.x}", "{U.x}", "{u.}", "{", "}", "{{u.x}}",
                                      "text ", "é", "{u.x", "."]), max_size=8).map("".join)


@given(TEMPLATES, RECORDS, st.booleans())
@settings(max_examples=500, deadline=None)
def test_a_template_split_once_renders_what_the_placeholder_pattern_renders(template, values, words):
    binding = {"u": Fact("f1", "k", values, {}), "g": Fact("f2", "j", {"x": "a"}, {})}
    shown = {("k", "x"): {"a": "the A", "ß": "sharp s"}} if words else None
    assert render(template, binding, shown) == _spec_render(template, binding, shown)
