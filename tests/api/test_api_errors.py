"""Every public function of syncdoctor.api raises only SyncdoctorError and its kinds, whatever it
is given: wrong types, malformed snapshots and result documents (generated), text with lone
surrogates, ids no casing gives."""
from __future__ import annotations

import copy
import json

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import syncdoctor.api as api
from tests.conftest import EXAMPLE

ACME = yaml.safe_load(EXAMPLE.read_text())
junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | st.sampled_from(
        ["\ud800", "0055e000000U002ZZZ", "jdoe@acme.example", "0Uv5e0000000001CAA", "MANAGED_NOT_ASSIGNED", "", "x" * 300]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8) | st.sampled_from(
        ["results", "layout", "shared", "facts", "undetermined", "verdicts", "user", "id"]), inner, max_size=4),
    max_leaves=12)


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, path + (i,))


def mutated(doc: dict, pick: int, replacement) -> dict:
    """`doc` with the value at one of its paths replaced (or, for the root, the document itself)."""
    paths = list(_paths(doc))[1:]
    out = copy.deepcopy(doc)
    path = paths[pick % len(paths)]
    parent = out
    for p in path[:-1]:
        parent = parent[p]
    parent[path[-1]] = replacement
    return out


@pytest.fixture(scope="module")
def snap():
    return api.load_snapshot(EXAMPLE)


@pytest.fixture(scope="module")
def scanned(snap):
    results = list(api.scan(snap))
    return results, api.document(snap, results)


def only_ours(call) -> None:
    try:
        out = call()
        if hasattr(out, "__next__"):
            list(out)
    except api.SyncdoctorError:
        pass


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(value=junk)
def test_wrong_types_anywhere(snap, value):
    only_ours(lambda: api.load_snapshot(value))
    only_ours(lambda: api.diagnose(snap, value))
    only_ours(lambda: api.diagnose(value, "jdoe@acme.example"))
    only_ours(lambda: api.diagnose(snap, "jdoe@acme.example", business_unit=value))
    only_ours(lambda: api.diagnose(snap, "jdoe@acme.example", symptom=value))
    only_ours(lambda: api.scan(snap, jobs=value))
    only_ours(lambda: api.scan(snap, business_unit=value))
    only_ours(lambda: api.explain(snap, value, "jdoe@acme.example"))
    only_ours(lambda: api.explain(snap, "MANAGED_NOT_ASSIGNED", value))
    only_ours(lambda: api.document(snap, value))
    only_ours(lambda: api.document(value, []))
    only_ours(lambda: api.expand(value))


@SETTINGS
@given(pick=st.integers(0, 10**6), value=junk)
def test_malformed_snapshots(pick, value):
    only_ours(lambda: api.diagnose(mutated(ACME, pick, value), "jdoe@acme.example"))


@SETTINGS
@given(pick=st.integers(0, 10**6), value=junk)
def test_malformed_result_documents(snap, scanned, pick, value):
    results, doc = scanned
    only_ours(lambda: api.expand(mutated(doc, pick, value)))
    only_ours(lambda: api.document(snap, mutated({"r": results}, pick, value)["r"]))


@pytest.mark.parametrize("call", [
    lambda s: api.expand([]), lambda s: api.expand({"layout": "shared/1", "results": 3}),
    lambda s: api.load_snapshot({"snapshot_version": 1, "org": {"name": "\ud800"}}),
    lambda s: api.explain(s, 3, "jdoe@acme.example"), lambda s: api.document(s, [{}]),
    lambda s: api.diagnose(s, "0055e000000U002ZZZ"),
    lambda s: api.load_snapshot({1: 2}),
])
def test_the_issues_calls(snap, call):
    with pytest.raises(api.SyncdoctorError):
        call(snap)


def test_an_internal_fault_is_ours_too_and_keeps_its_cause(snap, monkeypatch):
    from syncdoctor.api import pipeline
    monkeypatch.setattr(pipeline, "select", lambda *a, **k: (_ for _ in ()).throw(ZeroDivisionError("boom")))
    with pytest.raises(api.InternalError) as exc:
        api.explain(snap, "MANAGED_NOT_ASSIGNED", "jdoe@acme.example")
    assert isinstance(exc.value.__cause__, ZeroDivisionError)
    json.dumps(str(exc.value))
