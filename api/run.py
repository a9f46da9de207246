"""A command's run of the pipeline (api/pipeline.py) in as few calls from the CLI as it can be:
`start` does everything before the first diagnosis (the rules, the symptom, the source, the
answers, the selection, the header, the proofs' words); `results` hands back the rows ready to
write, and applies the verdict policy as they pass (api/verdicts.py: what needs action, the
exit code, what the summary counts, which results --only-problems keeps), so the CLI receives
finished values: rendered text or result dicts with their words (api/shown.py), a `Tally`, the
questions as JSON. Nothing here prints or exits: problems are `syncdoctor.api.errors`."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from . import pipeline
from .pipeline import Knowledge, Prepared, Request, Source, check_symptom, knowledge, prepare, questions
from .shown import ResultWords
from .stream import Row, collision
from .verdicts import Summary, Tally, exit_code


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


@dataclass
class Results:
    """The rows a sink writes, as they come (iterate once): all, or with `only_problems` those
    with something to act on. When the last has passed: `action` and `exit_code` (over every
    row), `tally` (the summary of the rows written), `undetermined` (the distinct entries of every
    row), `questions` (what would decide them; `open_questions` in words: where the answer goes,
    the question, why it is needed), `trailer` (the keys after `results`: the
    questions) and `shared` (JSON's shared layout: the shared values the written rows refer to)."""
    rows: Iterator[Row]
    prepared: Prepared
    only_problems: bool = False
    asked: frozenset[tuple[int, str]] = frozenset()
    debug: bool = False  # the questions' reasons with the engine's ids
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

    def __iter__(self) -> Iterator[Row]:
        try:
            for r in self.rows:
                if self._take(r):
                    yield r
        finally:
            close = getattr(self.rows, "close", None)
            if close is not None:
                close()  # a signal or an error while writing: the workers end now, not at exit
        self._finish()

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

    def collect(self) -> "Collected":
        """Every row taken at once (one document: an audit record, --verify-remedies, one user)."""
        every: list[Row] = []
        try:
            for r in self.rows:
                self._take(r)
                every.append(r)
        finally:
            close = getattr(self.rows, "close", None)
            if close is not None:
                close()  # generators all: an error here ends the workers now
        self._finish()
        shown = [r for r in every if r.action] if self.only_problems else every
        return Collected([r.rendered for r in every], [r.rendered for r in shown], [r.words for r in shown])


@dataclass(frozen=True)
class Collected:
    """A run's rows as one document: every result (the audit record's), those the report shows,
    and their words (None: no proofs)."""
    results: list[dict[str, Any]]
    shown: list[dict[str, Any]]
    words: list[ResultWords | None]


def results(prepared: Prepared, *, text: Callable[[dict[str, Any], ResultWords | None], Any] | None = None,
            progress: Callable[[int], None] | None = None, only_problems: bool = False,
            ready: list[Row] | None = None, asked: frozenset[tuple[int, str]] = frozenset(),
            collect: bool = False, debug: bool = False) -> Results:
    """The rows of `prepared` (or those already diagnosed: `ready`, after --ask), each rendered by
    `text` where it is computed (None: the result dict with its words); with `collect`, every
    row taken now, as one document (`Results.collected`)."""
    request = prepared.request
    rows = iter(ready) if ready is not None else pipeline.diagnoses(
        prepared.knowledge, prepared.snapshot, prepared.selection, request.symptom, jobs=request.jobs,
        text=text, words=prepared.words, progress=progress)
    out = Results(rows, prepared, only_problems, asked, debug)
    if collect:
        out.collected = out.collect()
    return out


__all__ = ["Collected", "Results", "results", "start"]
