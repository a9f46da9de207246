"""The shared result layout (engine/layout.py): a scan's output in proportion to its answers,
from which every result's proof still resolves to the input facts it rests on."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings, strategies as st

from syncdoctor.cli.main import app
from syncdoctor.engine.layout import LAYOUT, Compactor, LayoutError, expand, proof_ids, proof_of, rules_table
from syncdoctor.engine.run import EngineError
from syncdoctor.facts.snapshot import parse_snapshot
from syncdoctor.facts.synthetic import generate
from tests.conftest import EXAMPLE, runner
from tests.engine.test_shared_work import orgs



def _shared_doc(ruleset, snap, results: list[dict]) -> dict:
    """What `diagnose --all --format json` writes, built here from whole results."""
    header = {"snapshot": {"file": snap.file, "collected_at": snap.data.get("collected_at")}}
    compactor, compact, shared = Compactor(header["snapshot"]), [], {"facts": {}, "rule_status": {}}
    for r in results:
        c, used = compactor.compact(r)
        compact.append(c)
        for table, values in used.items():
            shared[table].update(values)
    # through JSON text, as a reader gets it
    return json.loads(json.dumps(dict(header, layout=LAYOUT, rules=rules_table(ruleset), results=compact, shared=shared)))


@settings(max_examples=40, deadline=None)
@given(orgs(), st.sampled_from([None, "not-syncing", "in-recycle-bin"]))
def test_expanding_the_shared_layout_gives_back_each_proof(engine, ruleset, data, symptom):
    snap = parse_snapshot(json.dumps(data), "test.json", fmt="json")
    whole = [engine.diagnose(snap.factset(u, b, symptom)).to_json() for u in range(len(snap.users)) for b in range(2)]
    whole = json.loads(json.dumps(whole))
    back = expand(_shared_doc(ruleset, snap, whole))["results"]
    assert back == [proof_of(r) for r in whole]


def test_every_verdict_rests_on_its_proof_down_to_input_facts(engine, ruleset):
    snap = parse_snapshot(json.dumps(generate(300, seed=3)), "org.json", fmt="json")
    whole = [engine.diagnose(snap.factset(u, b, None)).to_json() for u in range(0, 300, 7) for b in range(2)]
    back = expand(_shared_doc(ruleset, snap, whole))["results"]
    assert any(r["verdicts"] for r in back)
    for r in back:
        firings = {f["id"]: f for f in r["trace"]}
        facts = {f["id"]: f for f in r["facts"]}
        for v in r["verdicts"]:
            assert v["citations"] and all(e in firings for e in v["evidence"])
        for f in r["trace"]:
            assert all(p in firings for p in f["parents"])
            for fid in f["matched"].values():
                fact = facts[fid]
                if fact["provenance"]["source"] == "derived":  # produced by a firing of the proof
                    assert firings[fact["provenance"]["firing"]]["derived"] == fid
                else:
                    assert fact["provenance"]["source"] in ("snapshot", "command line", "answers", "engineer")


def test_the_proof_leaves_out_firings_no_verdict_rests_on(engine):
    snap = parse_snapshot(json.dumps(generate(200, seed=5)), "org.json", fmt="json")
    results = [engine.diagnose(snap.factset(u, b, None)).to_json() for u in range(200) for b in range(2)]
    pruned = [r for r in results if len(proof_ids(r)) < len(r["trace"])]
    assert pruned, "no result had a firing outside its proof: the test proves nothing"
    for r in pruned:
        kept = proof_ids(r)
        for f in r["trace"]:
            if f["id"] not in kept:
                assert not f.get("concluded"), "a conclusion left out of the proof"


def test_a_dangling_reference_is_named():
    doc = {"layout": LAYOUT, "rules": {}, "shared": {"facts": {}, "rule_status": {}},
           "results": [{"user": {}, "business_unit": {}, "verdicts": [], "undetermined": [], "rule_status": "0" * 16,
                        "firings": 0, "proof": [], "facts": {}}]}
    with pytest.raises(LayoutError, match=r"results\[0\]: rule status table '0{16}'"):
        expand(doc)


def _scan(*args: str) -> dict:
    r = runner.invoke(app, ["diagnose", "--facts", str(EXAMPLE), "--all", "--format", "json", *args])
    assert r.exit_code == 1, r.output
    return json.loads(r.stdout)


def test_the_scan_writes_each_shared_value_once_and_only_those_its_results_use():
    for args in ((), ("--only-problems",)):
        doc = _scan(*args)
        assert doc["layout"] == LAYOUT
        used_facts = {k for r in doc["results"] for k in r["facts"].values()}
        used_statuses = {r["rule_status"] for r in doc["results"]}
        assert set(doc["shared"]["facts"]) == used_facts
        assert set(doc["shared"]["rule_status"]) == used_statuses
        for r in doc["results"]:  # nothing a rule repeats is written per result
            assert all("citations" not in v for v in r["verdicts"])
        expand(doc)  # every reference resolves


def test_the_scan_bytes_do_not_depend_on_jobs(generated_org):
    path = generated_org(450, 2)
    outs = [runner.invoke(app, ["diagnose", "--facts", str(path), "--all", "--format", "json", "--jobs", j]).stdout
            for j in ("1", "2")]
    assert outs[0] == outs[1]
    doc = json.loads(outs[0])
    assert len(doc["results"]) == 900 and doc["shared"]["facts"]


def test_layout_full_writes_whole_results_and_shared_expands_to_their_proofs():
    full = _scan("--layout", "full")
    assert "layout" not in full and all("trace" in r and "citations" in r["verdicts"][0] for r in full["results"] if r["verdicts"])
    shared = expand(_scan())
    assert shared["results"] == [proof_of(r) for r in full["results"]]
    assert shared["questions"] == full["questions"]


def test_layout_is_refused_outside_json():
    r = runner.invoke(app, ["diagnose", "--facts", str(EXAMPLE), "--all", "--layout", "full"])
    assert r.exit_code == 2 and "--format json" in r.output


def test_with_an_audit_record_the_scan_writes_the_same_document(tmp_path):
    """--audit keeps every result whole for the record; the output is still the shared layout."""
    streamed = _scan()
    with_audit = _scan("--audit", str(tmp_path / "record.json"))
    assert with_audit == streamed
    record = json.loads((tmp_path / "record.json").read_text())
    assert all("trace" in r for r in record["results"])  # the record: whole results


def test_one_user_is_whole_unless_the_shared_layout_is_asked_for():
    args = ["diagnose", "--facts", str(EXAMPLE), "--user", "asmith@acme.example", "--format", "json"]
    whole = json.loads(runner.invoke(app, args).stdout)
    shared = json.loads(runner.invoke(app, args + ["--layout", "shared"]).stdout)
    assert "layout" not in whole and shared["layout"] == LAYOUT
    assert expand(shared)["results"] == [proof_of(r) for r in whole["results"]]


def test_a_snapshot_without_collected_at_expands_to_the_same_facts(tmp_path):
    """Snapshot facts then have no `collected_at` and the header says null: nothing is hoisted
    for it, and nothing is added back."""
    text = EXAMPLE.read_text()
    assert "\ncollected_at:" in text
    path = tmp_path / "no-date.yaml"
    path.write_text("\n".join(line for line in text.splitlines() if not line.startswith("collected_at:")) + "\n")
    args = ["diagnose", "--facts", str(path), "--all", "--format", "json"]
    full = json.loads(runner.invoke(app, args + ["--layout", "full"]).stdout)
    shared = json.loads(runner.invoke(app, args).stdout)
    assert shared["snapshot"]["collected_at"] is None
    assert expand(shared)["results"] == [proof_of(r) for r in full["results"]]


@pytest.mark.parametrize("edit, message", [
    (lambda r: r["proof"][0]["matched"].update(user="f99"), "fact id matched by firing"),
    (lambda r: r["proof"][-1].update(parents=["r999"]), "parent firing of"),
    (lambda r: r["verdicts"][0].update(evidence=["r998"]), "evidence of"),
    (lambda r: r.pop("proof"), "is not shaped as the shared/1 layout says"),
    (lambda r: r.update(facts=[]), "is not in the result"),
    (lambda r: r.update(proof=[{"id": "r1"}]), "is not shaped as the shared/1 layout says"),
])
def test_a_reference_inside_a_result_that_does_not_resolve_is_named(edit, message):
    doc = _scan()
    r = next(r for r in doc["results"] if r["verdicts"] and r["proof"])
    edit(r)
    with pytest.raises(LayoutError, match=message):
        expand(doc)


@pytest.mark.parametrize("doc", [[1], {"layout": LAYOUT, "results": "x", "rules": {}, "shared": {}},
                                 {"layout": LAYOUT, "results": [], "rules": {}, "shared": {"facts": []}}])
def test_a_document_not_shaped_as_the_layout_is_named(doc):
    with pytest.raises(LayoutError):
        expand(doc)


def test_two_values_under_one_key_are_refused_not_written(monkeypatch):
    """A 64-bit key collision (forced here) would make a reference resolve to the wrong fact:
    the scan stops with an internal error (exit 4) naming it, in the workers and in the
    whole-document path alike."""
    from syncdoctor.engine import layout
    monkeypatch.setattr(layout, "content_key", lambda value: "0" * 16)
    for extra in ([], ["--audit", "/dev/null"]):
        r = runner.invoke(app, ["diagnose", "--facts", str(EXAMPLE), "--all", "--format", "json", *extra])
        # the console entry point (cli/main.py) reports an EngineError as "internal error", exit 4
        assert isinstance(r.exception, EngineError) and "hash collision" in str(r.exception)
