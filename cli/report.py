"""`diagnose`'s sinks around its one call into the pipeline (api/run.py `diagnose`): the report
in any format (streamed as results come, or rendered whole), the audit record, the questions
still open (on stderr), and the CLI's ends the pipeline is handed: the prompter of --ask and the
progress bar. One path for one user and for a whole org, from a file or from an org."""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, TextIO

from rich.progress import Progress

from syncdoctor.api import run as runs
from syncdoctor.api.errors import EngineCrashed, NotFound, UnknownChoice

from . import formats, org, service
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


def run(report: Report, ask: bool, all_users: bool, call: Callable[..., runs.Results]) -> int:
    """Diagnose with `call` (api/run.py `diagnose` with the request's own arguments: the one
    call into the pipeline) and write every sink; returns the exit code (1 when some result has
    something to act on). Bad input exits 2 (typer.Exit), a worker's crash 4."""
    # Streamed, whatever the format (memory flat in the number of users), unless the report must
    # be one document: with an audit record (one document over every result), or after --ask.
    streamed = all_users and not ask and report.audit is None and not report.verify_remedies
    options: dict[str, Any] = {"color": color_wanted() and report.out is None} if report.fmt is Format.text else {}
    if report.fmt is Format.text and all_users:
        options.update(show_summary=True, quiet=not report.all_verdicts)
    if report.shared:
        options.update(layout="shared")
    sink_format = formats.stream(report.fmt.value, **options) if streamed else None
    try:
        with _progress() as bar:
            try:  # the rules, the symptom, the source, the answers, the selection, the results: one call
                results = service.guarded(lambda: call(
                    render=_renderer(sink_format, report.shared), shared=report.shared, only_problems=report.only_problems,
                    verify_remedies=report.verify_remedies, ask=org.prompter() if ask else None,
                    progress=bar if all_users else None))
            except UnknownChoice as exc:
                raise fail(f"--symptom {exc}") from None
            except NotFound as exc:
                raise fail(str(exc)) from None
            if sink_format is not None:
                with open_output(report.out) as sink:
                    write_stream(sink, sink_format, results)
            else:
                _whole(report, options, results)
    except EngineCrashed as exc:  # api/workers.py's WorkerCrashed, named by api/run.py
        raise fail(getattr(exc, "report", None) or str(exc), EXIT_INTERNAL) from None
    org.report_questions(results.open_questions)
    return results.exit_code


def _whole(report: Report, options: dict[str, Any], results: runs.Results) -> None:
    """The report rendered as one document, after the audit record is written."""
    every, prepared = results.collected, results.prepared
    assert every is not None
    if report.audit is not None:
        snapshot, source = prepared.snapshot, prepared.source
        if source.file_sha256 is not None:  # the file as read, before any answers were applied
            snapshot.file_sha256 = source.file_sha256
        record = audit_record(every.record, snapshot, report.audit_key, prepared.request.selection_record())
        write_output(formats.render("json", record), report.audit, private=True)
    words = every.words if report.fmt is not Format.json else None
    write_output(formats.render(report.fmt.value, every.report, words=words, tally=results.tally, **options), report.out)


def _renderer(sink_format: formats.Stream | None, shared: bool) -> Callable[..., Any] | None:
    """What a worker renders each result with: the stream's text, in the shared layout with the
    shared values it refers to (cli/formats/jsonfmt.py); None: the result dict itself."""
    if sink_format is None:
        return None
    return sink_format.result_shared if shared else sink_format.result  # type: ignore[attr-defined]


def write_stream(sink: TextIO, stream: formats.Stream, results: runs.Results) -> None:
    """The whole output, written as rows come: the stream's beginning, each row the pipeline
    keeps (all, or with --only-problems those with something to act on), then its end, with the
    summary and the keys after the results (the questions; in JSON's shared layout the shared
    values the written rows refer to), which the pipeline has counted by then (api/run.py)."""
    sink.write(stream.begin(results.header))
    first = True
    for batch in results:
        for r in batch:
            sink.write(stream.joiner(first) + r.rendered)
            first = False
    tail = {"shared": results.shared, **results.trailer} if getattr(stream, "layout", "full") == "shared" else results.trailer
    assert results.tally is not None
    sink.write(stream.end(results.tally, tail))


@contextlib.contextmanager
def _progress() -> Iterator[Callable[[int], Callable[[int], None] | None]]:
    """Yields what the run tells the number of users of each round (api/run.py `Progress`): a
    transient bar on stderr for long runs, and what advances it by a number of users (None: no
    bar, nothing to tell)."""
    with contextlib.ExitStack() as stack:
        def start(users: int) -> Callable[[int], None] | None:
            stack.close()
            if users <= PROGRESS_FROM:  # a bar below that would only flicker
                return None
            progress = stack.enter_context(Progress(console=err_console(), transient=True))
            task = progress.add_task("diagnosing", total=users)
            done = 0

            def advance(n: int) -> None:
                nonlocal done
                done += n
                progress.advance(task, n)
                if done >= users:  # the round is over: no bar left redrawing over --ask's next prompt
                    stack.close()
            return advance
        yield start
