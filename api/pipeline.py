"""The diagnose pipeline, one path for the CLI and the API: a source (a snapshot file, or data
collected from an org) → answers applied → a selection (users × business units) → a stream of
results (api/stream.py; in this process, or in worker processes: api/workers.py) → sinks. The
sinks (a report in any format, an audit record, the questions) are the CLI's (cli/report.py);
`syncdoctor.api` hands the stream to the caller.

Nothing here prints or exits: problems are `syncdoctor.api.errors` exceptions."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

from syncdoctor.engine.classes import ClassEngine
from syncdoctor.engine.model import Ruleset
from syncdoctor.engine.ruleset import default_rules_dir, require_ruleset
from syncdoctor.engine.run import Engine
from syncdoctor.facts import consult
from syncdoctor.facts.lookup import LookupProblem, UserLookup
from syncdoctor.facts.snapshot import Snapshot, build_snapshot, load_snapshot
from syncdoctor.reading.findings import FindingError
from syncdoctor.reading.words import closest

from . import workers
from .errors import BadInput, NotFound, UnknownSymptom
from .proof import ProofWords
from .shown import ResultWords, proof_words
from .stream import Compactor, Render, Row, Selection, diagnosed, rows

TOOL_VERSION = "0.1.0"
T = TypeVar("T")


def checked(fn: Callable[[], T]) -> T:
    """Run `fn`; a located finding (bad input) becomes BadInput."""
    try:
        return fn()
    except FindingError as exc:
        raise BadInput.of(exc) from None


# -- the rules --------------------------------------------------------------------------------
@lru_cache(maxsize=8)
def _ruleset_for(root: str, stamp: tuple) -> Ruleset:
    return require_ruleset(root or None)


@lru_cache(maxsize=8)
def _engine_for(root: str, stamp: tuple, scan: bool) -> Engine:
    # a scan shares derivations per class and statuses per signature (engine/classes.py): the
    # same results as one diagnosis at a time, the engine every worker process of a scan runs
    return (ClassEngine if scan else Engine)(_ruleset_for(root, stamp))


@lru_cache(maxsize=8)
def _words_for(root: str, stamp: tuple, debug: bool) -> ProofWords:
    return ProofWords(_ruleset_for(root, stamp), debug=debug)


def _stamp(root: str) -> tuple:
    """What says a rules folder changed since it was loaded (each file's path, size and mtime):
    a process that loads the rules again after an edit gets the edited rules, not a stale copy."""
    folder = Path(root) if root else default_rules_dir()
    entries = []
    try:
        for path in folder.rglob("*"):
            if path.is_file():
                st = path.stat()
                entries.append((str(path.relative_to(folder)), st.st_size, st.st_mtime_ns))
    except OSError:
        return ()  # unreadable: loading reports it
    return tuple(sorted(entries))


@dataclass(frozen=True)
class Knowledge:
    """The rules a run uses (a rules folder; "" for the default: $SYNCDOCTOR_RULES, else the
    shipped rules), validated once per process. durable-rules starts only when a diagnosis runs
    in this process: worker processes start their own."""
    root: str = ""

    @property
    def ruleset(self) -> Ruleset:
        return checked(lambda: _ruleset_for(self.root, _stamp(self.root)))

    @property
    def engine(self) -> Engine:
        """The engine of one diagnosis at a time (a user, explain)."""
        return checked(lambda: _engine_for(self.root, _stamp(self.root), False))

    def words(self, business_units: list[str], debug: bool = False) -> ProofWords:
        """The proofs' words over these rules, naming business units (by snapshot index) as
        `business_units` says; the rules' own words (titles, citations, the lists behind a kind)
        computed once per process and rules folder (`debug`: with the engine's ids)."""
        return proof_words(checked(lambda: _words_for(self.root, _stamp(self.root), debug)), business_units)

    @property
    def scan_engine(self) -> Engine:
        """The engine of a whole-org scan in this process: what each worker process runs."""
        return checked(lambda: _engine_for(self.root, _stamp(self.root), True))


def knowledge(rules_dir: str | Path | None = None) -> Knowledge:
    """The rules of `rules_dir`, validated now (BadInput names each problem)."""
    k = Knowledge(str(rules_dir) if rules_dir else "")
    k.ruleset  # noqa: B018 - validate before any work
    return k


def check_symptom(ruleset: Ruleset, symptom: str | None) -> str | None:
    """The symptom as the rules spell it (letter case does not matter); otherwise UnknownChoice
    naming the closest and the choices."""
    if symptom is None or symptom in ruleset.symptom_ids:
        return symptom
    same = [s for s in ruleset.symptom_ids if s.lower() == symptom.lower()]
    if same:
        return same[0]
    best = closest(symptom, ruleset.symptom_ids)
    hint = f"; did you mean {best!r}?" if best else ""
    raise UnknownSymptom(f"{symptom!r} is not a symptom of these rules{hint} (choose one of: {', '.join(ruleset.symptom_ids)})")


# -- the source -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Source:
    """Where the facts come from: snapshot data and the name results cite for it. `snapshot` is
    the data already validated (a file as read); answers make a new Source without it."""
    data: dict[str, Any]
    name: str
    snapshot: Snapshot | None = None
    resolve_users: consult.Resolver | None = None  # an org's: users named in answers are looked up
    file_sha256: str | None = None  # of the file as read, before any answers (audit records)

    @classmethod
    def file(cls, path: str | Path) -> "Source":
        snap = checked(lambda: load_snapshot(path))
        return cls(snap.data, snap.file, snap, None, snap.file_sha256)

    def answered(self, answers: dict[str, Any], via: str, file: str = "") -> "Source":
        data = checked(lambda: consult.apply_answers(self.data, answers, via, file=file, resolve_users=self.resolve_users))
        return dataclasses.replace(self, data=data, snapshot=None)

    def with_answers_file(self, path: Path) -> "Source":
        doc, afile = checked(lambda: consult.load_answers(path))
        return self.answered(doc, f"answers file {afile}", afile)

    def build(self) -> Snapshot:
        return self.snapshot if self.snapshot is not None else checked(lambda: build_snapshot(self.data, self.name))


# -- the request and the selection -------------------------------------------------------------
@dataclass(frozen=True)
class Request:
    """What to diagnose: a user (username, email or id) or every user, in one business unit (id
    or name) or all, for a symptom; with answers from a file; `jobs` worker processes (None:
    in this process)."""
    user: str | None = None
    all_users: bool = False
    business_unit: str | None = None
    symptom: str | None = None
    answers: Path | None = None
    jobs: int | None = None

    def selection_record(self) -> dict[str, Any]:
        """What the command line selected, as an audit record keeps it (replay selects again)."""
        return {"user": self.user, "all_users": self.all_users, "business_unit": self.business_unit}


def select(snapshot: Snapshot, user: str | None, all_users: bool, business_unit: str | None) -> Selection:
    """The (users, business units) a request names; an unknown or ambiguous name is NotFound
    naming the candidates or the closest matches (facts/lookup.py)."""
    if business_unit is not None and not business_unit.strip():
        raise NotFound("the business unit named is empty: name one by id or name, or none for every business unit")
    try:
        users, bus = snapshot.select(user, all_users, business_unit)
    except UserLookup as exc:
        why = (snapshot.data.get("incomplete_reasons") or {}).get("salesforce.users")
        hint = f"; the snapshot's user list may be incomplete: {why}" if why else ""
        raise NotFound(f"{exc}{hint}") from None
    except LookupProblem as exc:
        raise NotFound(str(exc)) from None
    if not bus:
        raise NotFound(f"{snapshot.file} lists no business units (business_units is absent or empty)")
    if users is None:
        raise NotFound("say which user: --user USERNAME|EMAIL|ID, or --all")
    return Selection(users, bus)


def select_request(snapshot: Snapshot, request: Request) -> Selection:
    return select(snapshot, request.user, request.all_users, request.business_unit)


@dataclass(frozen=True)
class Prepared:
    """A request made ready to run: its rules, its source (answers applied), the snapshot, who
    is diagnosed, and the result document's header."""
    ruleset: Ruleset
    source: Source
    snapshot: Snapshot
    selection: Selection
    header: dict[str, Any]
    words: ProofWords | None  # the proofs' plain words, when the report shows proofs
    knowledge: Knowledge
    request: Request


def prepare(know: Knowledge, source: Source, request: Request, *, proofs: bool = False, debug: bool = False) -> Prepared:
    """Everything before the first diagnosis, in one call: the answers file applied, the snapshot
    built, the selection made (NotFound naming the closest), the header written (with the file's
    own hash when the source is a file), and with `proofs` the words the proofs are told in
    (`debug`: with the engine's ids and field names)."""
    if request.answers is not None:
        source = source.with_answers_file(request.answers)
    snapshot = source.build()
    sel = select_request(snapshot, request)
    ruleset = know.ruleset
    head = header(ruleset, snapshot, request.symptom)
    if source.file_sha256 is not None:  # what `sha256sum FILE` prints, beside the content's hash
        head["snapshot"]["file_sha256"] = source.file_sha256
    return Prepared(ruleset, source, snapshot, sel, head, words_for(know, snapshot, debug) if proofs else None, know,
                    request)


def words_for(know: Knowledge, snapshot: Snapshot, debug: bool = False) -> ProofWords:
    """The proofs' words, naming each business unit of `snapshot` by its name, else its id."""
    return know.words([bu.get("name") or bu["id"] for bu in snapshot.business_units], debug)


# -- the stream of results ----------------------------------------------------------------------
def diagnoses(know: Knowledge, snapshot: Snapshot, sel: Selection, symptom: str | None, *, jobs: int | None = None,
              words: ProofWords | None = None, progress: Callable[[int], None] | None = None) -> Iterator[Row]:
    """A row per (user, business unit), in the users' order: `batches`, one row at a time
    (closing this ends the workers now)."""
    every = batches(know, snapshot, sel, symptom, jobs=jobs, words=words, progress=progress)
    try:
        for batch in every:
            yield from batch
    finally:
        close = getattr(every, "close", None)
        if close is not None:
            close()


def batches(know: Knowledge, snapshot: Snapshot, sel: Selection, symptom: str | None, *, jobs: int | None = None,
            text: Callable[..., Any] | None = None, words: ProofWords | None = None,
            progress: Callable[[int], None] | None = None, shared: dict[str, Any] | None = None) -> Iterator[list[Row]]:
    """The rows of every (user, business unit), in the users' order, in batches: a worker's chunk
    of users with `jobs` (api/workers.py: a crash of the C core is EngineCrashed naming its
    input), else a user's business units. Each result's proofs are put in `words` (none
    without) and, with `text`, rendered where it was computed (api/stream.py `Render`). A
    selection of many users runs the scan engine, as the workers do. `progress` hears the number
    of users done. `shared`: the snapshot's header, each result compacted into JSON's shared
    layout before `text` (engine/layout.py). Nothing runs before the first batch is asked for."""
    compactor = Compactor(shared) if shared is not None else None
    render = Render(text, words, compactor) if text is not None or words is not None else None
    if jobs:
        return workers.results(know.ruleset, snapshot, sel, symptom, jobs, render, progress)
    eng = know.scan_engine if len(sel.users) > 1 else know.engine
    return _in_process(eng, snapshot, sel, symptom, render, progress)


def _in_process(eng: Engine, snapshot: Snapshot, sel: Selection, symptom: str | None,
                render: Render | None, progress: Callable[[int], None] | None) -> Iterator[list[Row]]:
    for ui in sel.users:
        yield list(rows(eng, snapshot, Selection([ui], sel.business_units), symptom, render))
        if progress:
            progress(1)


# -- what surrounds the results ----------------------------------------------------------------
def ruleset_info(ruleset: Ruleset) -> dict[str, Any]:
    return {"name": ruleset.name, "version": ruleset.version, "sha256": ruleset.sha256,
            "files": dict(sorted(ruleset.file_hashes.items()))}


def header(ruleset: Ruleset, snapshot: Snapshot, symptom: str | None) -> dict[str, Any]:
    """The result document's keys before `results` (the questions come after)."""
    snap = {"file": snapshot.file, "sha256": snapshot.sha256, "collected_at": snapshot.data.get("collected_at")}
    if getattr(snapshot, "file_sha256", None):  # what `sha256sum FILE` prints; `sha256` is of the parsed content
        snap["file_sha256"] = snapshot.file_sha256
    return {
        "tool": {"name": "syncdoctor", "version": TOOL_VERSION},
        "ruleset": ruleset_info(ruleset),
        "snapshot": snap,
        "symptom": symptom,
    }


def questions(undetermined: list[dict[str, Any]], ruleset: Ruleset,
              asked: frozenset[tuple[int, str]] = frozenset()) -> list[consult.Question]:
    """The questions whose answers would decide an undetermined entry (results' `undetermined`
    lists, concatenated), except those already asked. None without an undetermined entry."""
    if not undetermined:
        return []
    return [q for q in consult.questions_for([undetermined], ruleset) if q.key not in asked]
