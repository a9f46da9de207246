"""`diagnose --all` streams every format: each result is written as it comes (memory flat in
the number of users), the summary last, and the bytes do not depend on --jobs or on whether
the document was rendered whole."""
from __future__ import annotations

import json

import pytest

from syncdoctor.api import workers
from syncdoctor.cli import formats
from syncdoctor.api.proof import ProofWords
from syncdoctor.api.shown import result_words
from syncdoctor.api.snapshots import load_snapshot
from syncdoctor.cli.main import app
from syncdoctor.engine.layout import expand
from tests.conftest import EXAMPLE, runner

FORMATS = ["text", "markdown", "html", "json"]


@pytest.fixture(scope="module")
def org(generated_org):
    return generated_org(60, 3)


@pytest.mark.parametrize("fmt", FORMATS)
def test_results_reach_the_file_before_the_scan_ends(org, tmp_path, monkeypatch, fmt):
    """The output file grows while rows are still being computed: nothing waits for the last user
    (rows come back a worker's chunk at a time: 60 users in chunks of 20)."""
    out = tmp_path / "report.out"
    real = workers.results
    sizes: list[int] = []

    def watched(*args, **kwargs):
        for i, batch in enumerate(real(*args, **kwargs)):
            if i == 2:  # the third of three chunks: the first two are written
                sizes.extend(p.stat().st_size for p in tmp_path.glob(".report.out.*"))
            yield batch
    monkeypatch.setattr(workers, "results", watched)
    monkeypatch.setattr(workers, "CHUNK", 20)
    r = runner.invoke(app, ["diagnose", "--facts", str(org), "--all", "--format", fmt, "--out", str(out)])
    assert r.exit_code in (0, 1), r.stderr
    assert sizes and sizes[0] > 0, "nothing was written before the scan ended"
    assert out.stat().st_size > sizes[0]


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_streamed_output_is_the_whole_document_rendered(org, fmt, ruleset):
    """The stream (rendered in worker processes, one result at a time) gives the same bytes
    as rendering the whole JSON document, with one worker or two."""
    whole = runner.invoke(app, ["diagnose", "--facts", str(org), "--all", "--format", "json"])
    doc = expand(json.loads(whole.stdout))  # the shared layout, back to whole results (engine/layout.py)
    snap = load_snapshot(org)
    names = [bu.get("name") or bu["id"] for bu in snap.business_units]
    users = {u["id"]: i for i, u in enumerate(snap.users)}
    bus = {bu["id"]: i for i, bu in enumerate(snap.business_units)}
    proofs = ProofWords(ruleset, business_units=names)
    # each result's words, with the lists its diagnosis had whole (the snapshot's, per user and business unit)
    options: dict = {"words": [result_words(proofs, r, snap.factset(users[r["user"]["id"]], bus[r["business_unit"]["id"]], None).known_lists)
                               for r in doc["results"]]}
    if fmt == "text":  # a scan's text: what needs action or is not decided, the summary last
        options.update(show_summary=True, quiet=True)
    expected = formats.render(fmt, doc, **options)
    for jobs in ("1", "2"):
        r = runner.invoke(app, ["diagnose", "--facts", str(org), "--all", "--format", fmt, "--jobs", jobs])
        assert r.exit_code == whole.exit_code
        assert r.stdout == expected


@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_summary_comes_last_and_counts_every_result(fmt):
    r = runner.invoke(app, ["diagnose", "--facts", str(EXAMPLE), "--all", "--format", fmt])
    text = r.stdout
    last_user = text.rindex("crep@acme.example")
    summary = text.rindex("Summary")
    assert summary > last_user
    doc = expand(json.loads(runner.invoke(app, ["diagnose", "--facts", str(EXAMPLE), "--all", "--format", "json"]).stdout))
    users_with_cause = sum(1 for res in doc["results"] for v in res["verdicts"] if v["code"] == "LEGACY_PROFILE_NOT_SYNCED")
    assert users_with_cause and str(users_with_cause) in text[summary:]


def test_only_problems_keeps_results_to_act_on_and_the_summary_counts_only_those():
    r = runner.invoke(app, ["diagnose", "--facts", str(EXAMPLE), "--all", "--only-problems", "--format", "markdown"])
    assert r.exit_code == 1
    assert "## jdoe@acme.example · Acme North America" not in r.stdout  # nothing to act on there
    assert "## jdoe@acme.example · Acme Europe" in r.stdout


@pytest.mark.parametrize("fmt", ["text", "html"])
def test_with_an_audit_record_the_report_is_the_same(tmp_path, fmt):
    """--audit keeps the results whole (the record is one document) but writes the same report."""
    record = tmp_path / "audit.json"
    plain = runner.invoke(app, ["diagnose", "--facts", str(EXAMPLE), "--all", "--format", fmt, "--only-problems"])
    audited = runner.invoke(app, ["diagnose", "--facts", str(EXAMPLE), "--all", "--format", fmt, "--only-problems",
                                  "--audit", str(record)])
    assert audited.exit_code == plain.exit_code == 1
    assert audited.stdout == plain.stdout
    assert runner.invoke(app, ["audit", "verify", str(record)]).exit_code == 0
