"""syncdoctor's Python API: what the CLI does, for a notebook or a script (docs/api.md).

    import syncdoctor.api as api
    snap = api.load_snapshot("docs/examples/acme.yaml")
    for result in api.diagnose(snap, "asmith@acme.example"):
        print(result["business_unit"]["name"], [v["code"] for v in result["verdicts"]])

Results are the dicts `syncdoctor diagnose --format json` writes under `results`. Every problem
with the input is an exception of `syncdoctor.api.errors` (SyncdoctorError and its kinds) with
a message naming what was wrong; nothing prints, nothing exits. The CLI runs the same pipeline
(syncdoctor/api/pipeline.py)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator, Mapping

from syncdoctor.engine import layout
from syncdoctor.facts.snapshot import Snapshot, build_snapshot
from syncdoctor.reading.findings import FindingError

from . import pipeline
from .errors import (BadArgument, BadInput, CannotApply, EngineCrashed, InternalError, LayoutError, NotFound, SyncdoctorError, UnknownChoice,
                     UnknownSymptom, contained)
from .explain import Explanation, explain_diagnosis, find_rule
from .pipeline import Knowledge, Request
from .stream import Row
from . import changes as ch

__all__ = ["BadArgument", "BadInput", "EngineCrashed", "InternalError", "Explanation", "NotFound", "Snapshot", "SyncdoctorError", "UnknownChoice",
           "UnknownSymptom", "load_snapshot", "diagnose", "scan", "explain", "document", "expand", "LayoutError", "what_if", "CannotApply"]

MAX_JOBS = 64  # as `diagnose --jobs`
SnapshotLike = Snapshot | str | os.PathLike | Mapping[str, Any]
RulesDir = str | os.PathLike | None


@contained
def load_snapshot(source: str | os.PathLike | Mapping[str, Any], *, name: str = "<data>") -> Snapshot:
    """A validated facts snapshot, from a file (YAML or JSON) or from data already parsed (a
    dict, cited in results as `name`). BadInput lists each problem by file and line (or field)."""
    if isinstance(source, Mapping):
        data = dict(source)
        return pipeline.checked(lambda: build_snapshot(data, name))
    if not isinstance(source, (str, os.PathLike)):
        raise BadArgument(f"a snapshot is a file path or a dict, not {type(source).__name__}")
    return pipeline.Source.file(Path(source)).build()


@contained
def diagnose(snapshot: SnapshotLike, user: str, *, business_unit: str | None = None, symptom: str | None = None,
             rules: RulesDir = None) -> list[dict[str, Any]]:
    """The results for one user (username, email or id): one per business unit, or for the one
    named (id or name). NotFound names the closest users (or every candidate, when ambiguous);
    UnknownSymptom (an UnknownChoice) names the closest symptom."""
    _text("user", user)
    if not user:
        raise NotFound("say which user: a username, an email or an id")
    return list(_results(snapshot, Request(user=user, business_unit=business_unit, symptom=symptom), rules))


@contained
def scan(snapshot: SnapshotLike, *, business_unit: str | None = None, symptom: str | None = None,
         jobs: int | None = None, rules: RulesDir = None) -> Iterator[dict[str, Any]]:
    """Every user's results (users × business units, in the snapshot's order), as they come: in
    this process, or in `jobs` worker processes (what `diagnose --all --jobs N` does; a crash of
    the rules engine there is EngineCrashed naming the input). Close the iterator (or finish it)
    to end the workers."""
    if jobs is not None and (not isinstance(jobs, int) or isinstance(jobs, bool) or not 1 <= jobs <= MAX_JOBS):
        raise BadArgument(f"jobs is None (in this process) or a number of worker processes from 1 to {MAX_JOBS}, not {jobs!r}")
    return _results(snapshot, Request(all_users=True, business_unit=business_unit, symptom=symptom, jobs=jobs), rules)


@contained
def document(snapshot: SnapshotLike, results: list[dict[str, Any]], *, symptom: str | None = None,
             rules: RulesDir = None) -> dict[str, Any]:
    """The whole result document `diagnose --format json` writes around `results` (tool, ruleset,
    snapshot, symptom, results, questions)."""
    if not isinstance(results, list) or not all(isinstance(r, dict) and isinstance(r.get("undetermined"), list)
                                                for r in results):
        raise BadArgument("results is the list diagnose() or scan() returns (dicts, each with its 'undetermined' list)")
    snap, know = _as_snapshot(snapshot), _knowledge(rules)
    symptom = _symptom(know, symptom)
    questions = pipeline.questions([u for r in results for u in r["undetermined"]], know.ruleset)
    return dict(pipeline.header(know.ruleset, snap, symptom), results=results,
                questions=[q.to_json(snap.data) for q in questions])


@contained
def explain(snapshot: SnapshotLike, target: str, user: str, *, business_unit: str | None = None,
            symptom: str | None = None, rules: RulesDir = None) -> list[Explanation]:
    """What `syncdoctor explain` computes for a conclusion code or rule id, one Explanation per
    business unit: the rule's status there, its proof down to the input facts when it fired, and
    (`why_not()`) each condition's outcome on the facts considered. UnknownChoice names the
    closest code or rule."""
    _text("target", target)
    _text("user", user)
    know = _knowledge(rules)
    rule = find_rule(know.ruleset, target)
    snap = _as_snapshot(snapshot)
    sym = _symptom(know, symptom)
    sel = pipeline.select(snap, user, False, business_unit)
    eng = know.engine
    diagnoses = pipeline.diagnosed(eng, snap, sel, sym)
    return [explain_diagnosis(eng, d, rule) for d in pipeline.checked(lambda: list(diagnoses))]


@contained
def what_if(snapshot: SnapshotLike, changes: list[Mapping[str, Any]] | str | os.PathLike, *, user: str | None = None,
            business_unit: str | None = None, symptom: str | None = None, rules: RulesDir = None) -> dict[str, Any]:
    """What `syncdoctor what-if` reports: the changes (a list of changes as a changes file holds
    them, or the path of such a file; docs/whatif.md) applied to the snapshot in memory, and for
    each business unit (or the one named) who gains or loses access, whose role changes, who goes
    to the recycle bin, who gets a new cause or loses one; with `user`, that user's verdicts before
    and after. A name the snapshot lacks is NotFound naming the closest; a change that cannot apply
    (an unknown list, an assignment that is not there) is CannotApply."""
    from . import whatif  # local: api/whatif.py costs about 70 ms to import (python -X importtime); only what_if pays it
    _text("user", user, optional=True)
    _text("business_unit", business_unit, optional=True)
    _text("symptom", symptom, optional=True)
    if isinstance(changes, (str, os.PathLike)):
        specs = ch.load_changes(Path(changes))
    elif isinstance(changes, list) and all(isinstance(c, Mapping) for c in changes):
        plain = [dict(c) for c in changes]
        ch.check_specs(plain)
        specs = [(c, f"changes[{i}]") for i, c in enumerate(plain)]
    else:
        raise BadArgument(f"changes is a list of changes (dicts) or a changes file's path, not {type(changes).__name__}")
    know = _knowledge(rules)
    snap = _as_snapshot(snapshot)
    sym = _symptom(know, symptom)
    sel = pipeline.select(snap, user, user is None, business_unit)
    plan = whatif.plan(snap, specs)
    return pipeline.checked(lambda: whatif.report(whatif.engine_for(know.ruleset), plan, sel.business_units, sym,
                                                  sel.users[0] if user is not None else None))


@contained
def expand(doc: dict[str, Any]) -> dict[str, Any]:
    """A document `diagnose --all --format json` wrote (the shared layout, docs/results.md) with
    whole results, each trace reduced to its proof; any other result document as it is.
    LayoutError names a reference that does not resolve."""
    if not isinstance(doc, dict):
        raise BadArgument(f"a result document is a dict, not {type(doc).__name__}")
    try:
        return layout.expand(doc)
    except layout.LayoutError as exc:
        raise LayoutError(str(exc)) from None
    except (TypeError, AttributeError, KeyError, IndexError, ValueError) as exc:
        raise LayoutError(f"not a result document as docs/results.md describes ({type(exc).__name__}: {str(exc)[:300]})") from exc


def _results(snapshot: SnapshotLike, request: Request, rules: RulesDir) -> Iterator[dict[str, Any]]:
    _text("business_unit", request.business_unit, optional=True)
    _text("symptom", request.symptom, optional=True)
    know = _knowledge(rules)
    snap = _as_snapshot(snapshot)
    sym = _symptom(know, request.symptom)
    sel = pipeline.select_request(snap, request)
    return _dicts(pipeline.diagnoses(know, snap, sel, sym, jobs=request.jobs))


def _text(name: str, value: Any, optional: bool = False) -> None:
    if (value is None and optional) or isinstance(value, str):
        if isinstance(value, str) and optional and not value.strip():
            raise BadArgument(f"{name} is None or a non-empty text, not {value!r}")
        return
    raise BadArgument(f"{name} is {'None or ' if optional else ''}text, not {type(value).__name__}")


def _dicts(rows: Iterator[Row]) -> Iterator[dict[str, Any]]:
    try:
        for r in rows:
            yield r.rendered
    except BadInput:
        raise
    except FindingError as exc:  # a diagnosis too large for one session (engine/run.py): bad input
        raise BadInput.of(exc) from None
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()  # the caller stopped early: the workers end now


def _knowledge(rules: RulesDir) -> Knowledge:
    return pipeline.knowledge(rules)


def _as_snapshot(snapshot: SnapshotLike) -> Snapshot:
    return snapshot if isinstance(snapshot, Snapshot) else load_snapshot(snapshot)


def _symptom(know: Knowledge, symptom: str | None) -> str | None:
    return pipeline.check_symptom(know.ruleset, symptom)
