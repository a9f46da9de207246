"""A command's run of the pipeline (api/pipeline.py) in one call from the CLI: `diagnose` takes
the whole request (the rules, the source, who, the symptom, the answers, how each result is
rendered and where the progress goes) and hands back `Results`, the one stream of results back:
the rows ready to write, with the verdict policy applied as they pass (api/verdicts.py: what
needs action, the exit code, what the summary counts, which results --only-problems keeps), or,
when the report is one document, that document already made (`Collected`). The CLI receives
finished values: rendered text or result documents with their words (api/shown.py), a `Tally`,
the questions in words. Nothing here prints or exits: problems are `syncdoctor.api.errors`."""
from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from syncdoctor.facts import consult

from . import pipeline
from .errors import EngineCrashed
from .pipeline import Knowledge, Prepared, Request, Source, check_symptom, knowledge, prepare, questions
from .shown import ResultWords
from .stream import LAYOUT, Row, collision, rules_table, shared_document
from .verdicts import Summary, Tally, exit_code

Progress = Callable[[int], Callable[[int], None] | None]  # told the number of users: what hears each done, or None


def diagnose(rules: str | Path | None, source: Path | Callable[[Knowledge, Request], Source], *, user: str | None = None,
             all_users: bool = False, business_unit: str | None = None, symptom: str | None = None,
             answers: Path | None = None, jobs: int | None = None, proofs: bool = False, debug: bool = False,
             render: Callable[..., Any] | None = None, shared: bool = False, only_problems: bool = False,
             verify_remedies: bool = False, ask: consult.Prompter | None = None, progress: Progress | None = None) -> Results:
    """The whole request in one call: `start`, the questions asked with `ask` (a prompter: one
    at a time, diagnosing again after each answer, `consulted`), then the results. With `render`
    (a format's rendering of one result: a scan streamed) each row is rendered where it is
    computed, in the worker processes of `jobs`, and the rows come back as the Results are
    iterated; without, every row is taken now and the report is one document (`Results.collected`:
    the remedies verified with `verify_remedies`). `shared`: JSON's shared layout (engine/layout.py),
    the results compacted below the CLI. `progress` is told the number of users of each round and
    gives back what hears them done. A worker's crash is EngineCrashed with `report` naming the
    input that crashes (a one-user snapshot written for a regression test)."""
    prepared = start(rules, source, user=user, all_users=all_users, business_unit=business_unit, symptom=symptom,
                     answers=answers, jobs=jobs, proofs=proofs, debug=debug)
    asked = set[tuple[int, str]]()
    ready: list[Row] | None = None  # with --ask, the rows of the last round of questions
    if ask is not None:
        prepared, ready = consulted(prepared, asked, ask, progress, debug)
    advance = progress(len(prepared.selection.users)) if progress is not None and ready is None else None
    return results(prepared, text=render, progress=advance, only_problems=only_problems, ready=ready,
                   asked=frozenset(asked), collect=render is None, debug=debug, shared=shared,
                   verify_remedies=verify_remedies)


def start(rules: str | Path | None, source: Path | Callable[[Knowledge, Request], Source], *, user: str | None = None,
          all_users: bool = False, business_unit: str | None = None, symptom: str | None = None,
          answers: Path | None = None, jobs: int | None = None, proofs: bool = False, debug: bool = False) -> Prepared:
    """The rules of `rules` validated, the symptom checked (UnknownChoice), the source read (a
    snapshot file, or what `source` makes of the rules and the request: an org's collection),
    then `pipeline.prepare` of the request (api/pipeline.py `Request` says what each field
    selects): in that order, so the first problem is the one reported."""
    know = knowledge(rules)
    request = Request(user, all_users, business_unit, check_symptom(know.ruleset, symptom), answers, jobs)
    src = Source.file(source) if isinstance(source, Path) else source(know, request)
    return prepare(know, src, request, proofs=proofs, debug=debug)


def consulted(prepared: Prepared, asked: set[tuple[int, str]], prompter: consult.Prompter,
              progress: Progress | None = None, debug: bool = False) -> tuple[Prepared, list[Row]]:
    """--ask: while some question would decide an undetermined verdict, ask the first one (the
    mode before the settings that only one mode reads), apply the answer and diagnose again;
    the request prepared anew with the answers, and the rows of the last round (with their
    proofs in words when the report shows proofs). `asked` gathers the questions asked."""
    know, source, request, snapshot, sel = (prepared.knowledge, prepared.source, prepared.request, prepared.snapshot,
                                            prepared.selection)
    while True:
        words = pipeline.words_for(know, snapshot, debug) if prepared.words is not None else None
        advance = progress(len(sel.users)) if progress is not None else None
        rows = list(pipeline.diagnoses(know, snapshot, sel, request.symptom, progress=advance, words=words))
        pending = questions([u for r in rows for u in r.undetermined], know.ruleset, frozenset(asked))
        if not pending:
            header = pipeline.header(know.ruleset, snapshot, request.symptom)  # of the snapshot the answers made
            if source.file_sha256 is not None:
                header["snapshot"]["file_sha256"] = source.file_sha256
            return dataclasses.replace(prepared, source=source, snapshot=snapshot, selection=sel, header=header,
                                       words=words), rows
        given = consult.ask(pending[:1], source.data, prompter, source.resolve_users, debug=debug)
        asked.add(pending[0].key)
        if given["business_units"]:
            source = source.answered(given, "asked interactively")
            snapshot = source.build()
            sel = pipeline.select_request(snapshot, request)


@dataclass
class Results:
    """The rows a sink writes, as they come, in batches (iterate once): all, or with
    `only_problems` those with something to act on. `header`: the keys the output begins with.
    When the last has passed: `action` and `exit_code` (over every row), `tally` (the summary of
    the rows written), `undetermined` (the distinct entries of every row), `questions` (what
    would decide them; `open_questions` in words: where the answer goes, the question, why it is
    needed), `trailer` (the keys after `results`: the questions) and `shared` (JSON's shared
    layout: the shared values the written rows refer to). `collected`: every row taken at once,
    when the report is one document."""
    rows: Iterator[list[Row]]  # in batches: a worker's chunk of users, a user's business units
    prepared: Prepared
    only_problems: bool = False
    asked: frozenset[tuple[int, str]] = frozenset()
    debug: bool = False  # the questions' reasons with the engine's ids
    shared_layout: bool = False  # JSON's shared layout: the header names it and carries the rules table
    header: dict[str, Any] = field(default_factory=dict, init=False)
    action: bool = field(default=False, init=False)
    exit_code: int = field(default=0, init=False)
    tally: Tally | None = field(default=None, init=False)
    undetermined: dict[tuple, dict[str, Any]] = field(default_factory=dict, init=False)
    questions: list[Any] = field(default_factory=list, init=False)
    open_questions: list[tuple[str, str, list[str]]] = field(default_factory=list, init=False)
    trailer: dict[str, Any] = field(default_factory=dict, init=False)
    shared: dict[tuple[str, str], str] = field(default_factory=dict, init=False)
    collected: "Collected | None" = field(default=None, init=False)
    _summary: Summary = field(default_factory=Summary, init=False, repr=False)
    # JSON's shared layout: every shared value received, and those the written rows refer to
    _texts: dict[tuple[str, str], str] = field(default_factory=dict, init=False, repr=False)
    _used: set[tuple[str, str]] = field(default_factory=set, init=False, repr=False)

    def __post_init__(self) -> None:
        head = self.prepared.header
        self.header = dict(head, layout=LAYOUT, rules=rules_table(self.prepared.ruleset)) if self.shared_layout else head

    def __iter__(self) -> Iterator[list[Row]]:
        """The rows to write, a batch at a time (as they come back from a worker: one crossing
        per batch, not per row)."""
        try:
            for batch in self.rows:
                kept = [r for r in batch if self._take(r)]
                if kept:
                    yield kept
        except EngineCrashed as exc:
            raise self._described(exc)
        finally:
            self._close()
        self._finish()

    def _close(self) -> None:
        close = getattr(self.rows, "close", None)
        if close is not None:
            close()  # a signal or an error while writing: the workers end now, not at exit

    def _described(self, exc: EngineCrashed) -> EngineCrashed:
        p = self.prepared
        exc.report = crash_report(exc, p.snapshot, p.ruleset, p.request.symptom)
        return exc

    def _take(self, r: Row) -> bool:
        """Count one row; whether it is written."""
        self.action |= r.action
        for u in r.undetermined:
            self.undetermined.setdefault((u["rule"], tuple(u["missing"])), u)
        for ref, text in (r.texts or {}).items():
            if self._texts.setdefault(ref, text) != text:  # two workers, two values, one key
                raise collision(*ref)
        if self.only_problems and not r.action:
            return False
        self._summary.add(r.pairs, bool(r.undetermined))
        self._used.update(r.refs)
        return True

    def _finish(self) -> None:
        prepared = self.prepared
        self.exit_code, self.tally = exit_code(self.action), self._summary.tally()
        self.questions = questions(list(self.undetermined.values()), prepared.ruleset, self.asked)
        asked = [q.to_json(prepared.snapshot.data) for q in self.questions]
        self.trailer = {"questions": asked}
        self.open_questions = [(j["answers_path"], j["question"], q.said(self.debug)) for q, j in zip(self.questions, asked)]
        self.shared = {ref: self._texts[ref] for ref in self._used}

    def collect(self, verify_remedies: bool = False) -> "Collected":
        """Every row taken at once, as one document (an audit record, --verify-remedies, one
        user): the remedies verified with `verify_remedies`, then the record's document (every
        result) and the report's (the results shown, in the shared layout when asked for)."""
        every: list[Row] = []
        try:
            for batch in self.rows:
                for r in batch:
                    self._take(r)
                every.extend(batch)
        except EngineCrashed as exc:
            raise self._described(exc)
        finally:
            self._close()  # generators all: an error here ends the workers now
        self._finish()
        prepared = self.prepared
        results = [r.rendered for r in every]
        if verify_remedies:
            from .remedies import verify  # local: api/remedies.py loads the what-if machinery (about 25 ms, python -X importtime); only --verify-remedies and remedy checks pay it
            verify(prepared.knowledge.engine, prepared.snapshot, results, prepared.request.symptom)
        shown = [r for r in every if r.action] if self.only_problems else every
        record = dict(prepared.header, results=results, **self.trailer)
        report = dict(record, results=[r.rendered for r in shown])
        if self.shared_layout:
            report = shared_document(report, self.header["rules"])
        return Collected(record, report, [r.words for r in shown])


@dataclass(frozen=True)
class Collected:
    """A run's rows as one document: the audit record's (every result) and the report's (the
    results it shows, in its layout), and the words of those shown (None: no proofs)."""
    record: dict[str, Any]
    report: dict[str, Any]
    words: list[ResultWords | None]


def results(prepared: Prepared, *, text: Callable[..., Any] | None = None,
            progress: Callable[[int], None] | None = None, only_problems: bool = False,
            ready: list[Row] | None = None, asked: frozenset[tuple[int, str]] = frozenset(),
            collect: bool = False, debug: bool = False, shared: bool = False, verify_remedies: bool = False) -> Results:
    """The rows of `prepared` (or those already diagnosed: `ready`, after --ask), each rendered by
    `text` where it is computed (None: the result dict with its words; `shared`: the compact
    result and the shared values it uses, JSON's shared layout); with `collect`, every row taken
    now, as one document (`Results.collected`)."""
    request = prepared.request
    rows = iter([ready]) if ready is not None else pipeline.batches(
        prepared.knowledge, prepared.snapshot, prepared.selection, request.symptom, jobs=request.jobs,
        text=text, words=prepared.words, progress=progress,
        shared=prepared.header["snapshot"] if shared and text is not None else None)
    out = Results(rows, prepared, only_problems, asked, debug, shared)
    if collect:
        out.collected = out.collect(verify_remedies)
    return out


def crash_report(exc: EngineCrashed, snapshot: Any, ruleset: Any, symptom: str | None) -> str:
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
            f"with ruleset {ruleset.name} {ruleset.version} ({ruleset.sha256[:12]}), symptom {symptom or 'none'}; "
            f"a snapshot with just that input: {path} (make it a regression test)")


__all__ = ["Collected", "Results", "consulted", "diagnose", "results", "start"]
