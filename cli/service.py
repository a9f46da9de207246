"""What the commands share: the pipeline's pieces (syncdoctor/api/pipeline.py) with bad input
reported the CLI's way (located findings on stderr, exit 2). Kept apart from the typer apps so
tests and the scenario runner use the same path."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, TypeVar

import typer

from syncdoctor.api import pipeline
from syncdoctor.api.knowledge import Engine, Ruleset
from syncdoctor.api.snapshots import Snapshot, load_snapshot
from syncdoctor.reading.findings import FindingError

from .common import EXIT_USAGE, report_findings

T = TypeVar("T")


def knowledge(rules_dir: Path | None) -> pipeline.Knowledge:
    """The validated rules, without starting durable-rules (worker processes start it)."""
    return guarded(lambda: pipeline.knowledge(rules_dir))


def ruleset(rules_dir: Path | None) -> Ruleset:
    return knowledge(rules_dir).ruleset


def engine(rules_dir: Path | None) -> Engine:
    k = knowledge(rules_dir)
    return guarded(lambda: k.engine)


def load(path: Path) -> Snapshot:
    return guarded(lambda: load_snapshot(path))


def guarded(fn: Callable[[], T]) -> T:
    """Run `fn`; located findings (bad input: FindingError, or the API's BadInput) are reported
    and exit 2: a user's mistake is never a traceback."""
    try:
        return fn()
    except FindingError as exc:
        report_findings(exc.findings)
        raise typer.Exit(EXIT_USAGE) from None
