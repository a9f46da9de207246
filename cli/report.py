"""`diagnose`'s run of the pipeline (syncdoctor/api/pipeline.py), with the CLI's ends: the
questions asked interactively (--ask), the progress bar, and the sinks — the report in any
format (streamed as results come, or rendered whole), the audit record, and the questions still
open (on stderr). One path for one user and for a whole org, from a file or from an org."""
from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, TextIO

from rich.progress import Progress

from syncdoctor.api import pipeline
from syncdoctor.api import run as runs
from syncdoctor.api.errors import EngineCrashed, NotFound
from syncdoctor.api.pipeline import Prepared, Request, Source
from syncdoctor.api.stream import Row, rules_table, Selection
from syncdoctor.api.knowledge import Ruleset
from syncdoctor.api.snapshots import consult, Snapshot

from . import common, formats, org, service
from .audit import audit_record
from .common import EXIT_INTERNAL, Format, color_wanted, err_console, fail
from .outputs import open_output, write_output

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

PROGRESS_FROM = 200  # users: a bar below that would only flicker


@dataclass(frozen=True)
class Report:
    """Where the results go: the report (format, file or stdout, only what needs action) and
    the audit record (file, signing key)."""
    fmt: Format = Format.text
    out: Path | None = None
    only_problems: bool = False
    audit: Path | None = None
    audit_key: Ed25519PrivateKey | None = None
    shared: bool = False  # JSON in the shared layout (engine/layout.py, docs/results.md)
    all_verdicts: bool = False  # a scan's text lists informational results too
    verify_remedies: bool = False  # each declared remedy change applied and checked (api/remedies.py)
    rules: Path | None = None  # the rules the remedies are verified with

    def engine(self) -> Any:
        return service.engine(self.rules)


def run(prepared: Prepared, report: Report, ask: bool = False) -> int:
    """Diagnose what `prepared` (api/run.py `start`) selects and write every sink; returns the
    exit code (1 when some result has something to act on). Bad input exits 2 (typer.Exit), a
    worker's crash 4."""
    request, asked = prepared.request, set[tuple[int, str]]()
    ready: list[Row] | None = None  # with --ask, the results of the last round of questions
    if ask:
        prepared, ready = _consult(prepared, asked)
    # Streamed, whatever the format (memory flat in the number of users), unless the report must
    # be one document: with an audit record (one document over every result), or after --ask.
    streamed = request.all_users and not ask and report.audit is None and not report.verify_remedies
    options: dict[str, Any] = {"color": color_wanted() and report.out is None} if report.fmt is Format.text else {}
    if report.fmt is Format.text and request.all_users:
        options.update(show_summary=True, quiet=not report.all_verdicts)
    if report.shared:
        options.update(shared_layout(prepared.ruleset, prepared.header["snapshot"]))
    try:
        with _progress(len(prepared.selection.users), ready is None) as advance:
            sink_format = formats.stream(report.fmt.value, **options) if streamed else None
            results = runs.results(prepared, text=_renderer(sink_format, report.shared), progress=advance,
                                   only_problems=report.only_problems, ready=ready, asked=frozenset(asked),
                                   collect=sink_format is None, debug=common.DEBUG)
            if sink_format is not None:
                with open_output(report.out) as sink:
                    write_stream(sink, sink_format, prepared.header, results)
            else:
                _whole(report, options, prepared, results)
    except EngineCrashed as exc:  # api/workers.py's WorkerCrashed
        raise fail(_crash_report(exc, prepared.snapshot, prepared.ruleset, request.symptom), EXIT_INTERNAL) from None
    org.report_questions(results.open_questions)
    return results.exit_code


def _prepare(source: Source, request: Request) -> tuple[Snapshot, Selection]:
    snapshot = service.guarded(source.build)
    try:
        return snapshot, pipeline.select_request(snapshot, request)
    except NotFound as exc:
        raise fail(str(exc)) from None


def _consult(prepared: Prepared, asked: set[tuple[int, str]]) -> tuple[Prepared, list[Row]]:
    """--ask: while some question would decide an undetermined verdict, ask the first one (the
    mode before the settings that only one mode reads), apply the answer and diagnose again
    (the rows of the last round with their proofs in words, when the report shows proofs)."""
    know, source, request, snapshot, sel = (prepared.knowledge, prepared.source, prepared.request, prepared.snapshot,
                                            prepared.selection)
    while True:
        words = pipeline.words_for(know.ruleset, snapshot, common.DEBUG) if prepared.words is not None else None
        with _progress(len(sel.users), request.all_users) as advance:
            rows = list(pipeline.diagnoses(know, snapshot, sel, request.symptom, progress=advance, words=words))
        pending = pipeline.questions([u for r in rows for u in r.undetermined], know.ruleset, frozenset(asked))
        if not pending:
            header = pipeline.header(know.ruleset, snapshot, request.symptom)  # of the snapshot the answers made
            if source.file_sha256 is not None:
                header["snapshot"]["file_sha256"] = source.file_sha256
            return dataclasses.replace(prepared, source=source, snapshot=snapshot, selection=sel, header=header,
                                       words=words), rows
        given = consult.ask(pending[:1], source.data, org.prompter(), source.resolve_users, debug=common.DEBUG)
        asked.add(pending[0].key)
        if given["business_units"]:
            answered = source
            source = service.guarded(lambda: answered.answered(given, "asked interactively"))
            snapshot, sel = _prepare(source, request)


def _whole(report: Report, options: dict[str, Any], prepared: Prepared, results: runs.Results) -> None:
    """The report rendered as one document, after the audit record is written."""
    every = results.collected
    assert every is not None
    if report.verify_remedies:
        from syncdoctor.api.remedies import verify  # local: api/remedies.py loads the what-if machinery (about 25 ms, python -X importtime); only --verify-remedies and remedy checks pay it
        verify(report.engine(), prepared.snapshot, every.results, prepared.request.symptom)
    doc = dict(prepared.header, results=every.results, **results.trailer)
    if report.audit is not None:
        snapshot, source = prepared.snapshot, prepared.source
        if source.file_sha256 is not None:  # the file as read, before any answers were applied
            snapshot.file_sha256 = source.file_sha256
        record = audit_record(doc, snapshot, report.audit_key, prepared.request.selection_record())
        write_output(formats.render("json", record), report.audit, private=True)
    doc["results"] = every.shown
    words = every.words if report.fmt is not Format.json else None
    write_output(formats.render(report.fmt.value, doc, words=words, tally=results.tally, **options), report.out)


def shared_layout(ruleset: Ruleset, snapshot_header: dict[str, Any]) -> dict[str, Any]:
    """Format options for JSON in the shared layout (engine/layout.py)."""
    return {"layout": "shared", "rules": rules_table(ruleset), "snapshot": snapshot_header}


def _renderer(sink_format: formats.Stream | None, shared: bool) -> Callable[..., Any] | None:
    """What a worker renders each result with: the stream's text, in the shared layout with the
    shared values it refers to (cli/formats/jsonfmt.py); None: the result dict itself."""
    if sink_format is None:
        return None
    return sink_format.result_shared if shared else sink_format.result  # type: ignore[attr-defined]


def write_stream(sink: TextIO, stream: formats.Stream, header: dict[str, Any], results: runs.Results) -> None:
    """The whole output, written as rows come: the stream's beginning, each row the pipeline
    keeps (all, or with --only-problems those with something to act on), then its end, with the
    summary and the keys after the results (the questions; in JSON's shared layout the shared
    values the written rows refer to), which the pipeline has counted by then (api/run.py)."""
    sink.write(stream.begin(header))
    first = True
    for r in results:
        sink.write(stream.joiner(first) + r.rendered)
        first = False
    tail = {"shared": results.shared, **results.trailer} if getattr(stream, "layout", "full") == "shared" else results.trailer
    assert results.tally is not None
    sink.write(stream.end(results.tally, tail))


@contextlib.contextmanager
def _progress(users: int, wanted: bool = True) -> Iterator[Callable[[int], None] | None]:
    """A transient bar on stderr for long runs; yields what advances it by a number of users
    (None: no bar, nothing to tell)."""
    disabled = not wanted or users <= PROGRESS_FROM
    with Progress(console=err_console(), transient=True, disable=disabled) as progress:
        task = progress.add_task("diagnosing", total=users)
        yield None if disabled else lambda n: progress.advance(task, n)


def _crash_report(exc: EngineCrashed, snapshot: Snapshot, ruleset: Ruleset, sym: str | None) -> str:
    """Name the input that crashed a worker, and keep it as a one-user snapshot for a regression test."""
    if exc.user_index < 0:
        return f"a worker process died ({exc.signal_name}) with ruleset {ruleset.name} {ruleset.version}"
    u = snapshot.users[exc.user_index]
    bu = snapshot.business_units[exc.bu_index]
    data = json.loads(json.dumps(snapshot.data))
    data["salesforce"]["users"] = [u]
    data["business_units"] = [bu]
    fd, path = tempfile.mkstemp(prefix="syncdoctor-crash-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
    return (f"the rules engine crashed ({exc.signal_name}) diagnosing user {u.get('username') or u['id']} "
            f"(salesforce.users[{exc.user_index}]) in business unit {bu.get('name') or bu['id']} "
            f"with ruleset {ruleset.name} {ruleset.version} ({ruleset.sha256[:12]}), symptom {sym or 'none'}; "
            f"a snapshot with just that input: {path} (make it a regression test)")
