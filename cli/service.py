"""What the commands share: loading rules and snapshots, running diagnoses, building results.
Kept apart from the typer apps so tests and the scenario runner use the same path."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, TypeVar

from syncdoctor.engine.findings import FindingError
from syncdoctor.engine.model import Ruleset
from syncdoctor.engine.ruleset import require_ruleset
from syncdoctor.engine.run import Diagnosis, Engine
from syncdoctor.facts.lookup import LookupProblem
from syncdoctor.facts.snapshot import Snapshot, load_snapshot

TOOL_VERSION = "0.1.0"
T = TypeVar("T")


class UsageProblem(Exception):
    """Bad input that is not a file problem: an unknown user or business unit, say."""


@lru_cache(maxsize=8)
def _ruleset_for(root: str) -> Ruleset:
    return require_ruleset(root or None)


@lru_cache(maxsize=8)
def _engine_for(root: str) -> Engine:
    return Engine(_ruleset_for(root))


def ruleset(rules_dir: Path | None) -> Ruleset:
    """The validated ruleset, without starting durable-rules (worker processes start it)."""
    return guarded(lambda: _ruleset_for(str(rules_dir) if rules_dir else ""))


def engine(rules_dir: Path | None) -> Engine:
    try:
        return _engine_for(str(rules_dir) if rules_dir else "")
    except FindingError as exc:
        _bad_input(exc)
        raise


def ruleset_info(ruleset: Ruleset) -> dict[str, Any]:
    return {"name": ruleset.name, "version": ruleset.version, "sha256": ruleset.sha256,
            "files": dict(sorted(ruleset.file_hashes.items()))}


@dataclass
class Selection:
    users: list[int]
    business_units: list[int]


def select(snapshot: Snapshot, user: str | None, all_users: bool, business_unit: str | None) -> Selection:
    """The (users, business units) a command names; an unknown or ambiguous name is a
    UsageProblem naming the candidates or the closest matches (facts/lookup.py)."""
    try:
        bus = [snapshot.find_business_unit(business_unit)] if business_unit else list(range(len(snapshot.business_units)))
        if not bus:
            raise UsageProblem(f"{snapshot.file} lists no business units (business_units is absent or empty)")
        if all_users:
            return Selection(list(range(len(snapshot.users))), bus)
        if not user:
            raise UsageProblem("say which user: --user USERNAME|EMAIL|ID, or --all")
        try:
            return Selection([snapshot.find_user(user)], bus)
        except LookupProblem as exc:
            why = (snapshot.data.get("incomplete_reasons") or {}).get("salesforce.users")
            hint = f"; the snapshot's user list may be incomplete: {why}" if why else ""
            raise UsageProblem(f"{exc}{hint}") from None
    except LookupProblem as exc:
        raise UsageProblem(str(exc)) from None


def run(eng: Engine, snapshot: Snapshot, sel: Selection, symptom: str | None,
        progress: Callable[[int], None] | None = None) -> list[Diagnosis]:
    out = []
    for ui in sel.users:
        for bi in sel.business_units:
            out.append(eng.diagnose(snapshot.factset(ui, bi, symptom)))
        if progress:
            progress(1)
    return out


def result_document(eng: Engine | Ruleset, snapshot: Snapshot, diagnoses: Iterable[Diagnosis], symptom: str | None) -> dict[str, Any]:
    rs = eng.ruleset if isinstance(eng, Engine) else eng
    return {
        "tool": {"name": "syncdoctor", "version": TOOL_VERSION},
        "ruleset": ruleset_info(rs),
        "snapshot": {"file": snapshot.file, "sha256": snapshot.sha256, "collected_at": snapshot.data.get("collected_at")},
        "symptom": symptom,
        "results": [d.to_json() for d in diagnoses],
    }


def load(path: Path) -> Snapshot:
    try:
        return load_snapshot(path)
    except FindingError as exc:
        _bad_input(exc)
        raise


def guarded(fn: Callable[[], T]) -> T:
    """Run `fn`; located findings (bad input) are reported and exit 2."""
    try:
        return fn()
    except FindingError as exc:
        _bad_input(exc)
        raise


def _bad_input(exc: FindingError) -> None:
    """Report located findings on stderr and exit 2: a user's mistake is never a traceback."""
    import typer

    from .common import EXIT_USAGE, report_findings
    report_findings(exc.findings)
    raise typer.Exit(EXIT_USAGE) from None


def has_action(doc: dict[str, Any]) -> bool:
    """Some result has a verdict to act on (a cause or a remedy): `diagnose` then exits 1."""
    from .formats.words import needs_action
    return any(needs_action(r) for r in doc["results"])

