"""Whole-org scans (`diagnose --all --format json`): results are streamed to the output as
they are produced, one compact JSON object per line inside `results`, so memory does not grow
with the number of users; `--jobs N` diagnoses in N worker processes (durable-rules holds the
GIL, so processes, not threads).

Workers are forked before this process ever creates a durable-rules host: each worker builds
its own engine. The output is the same bytes whatever N is (results keep the users' order)."""
from __future__ import annotations

import json
import multiprocessing
from pathlib import Path
from typing import Any, Callable, Iterator, TextIO

from syncdoctor.engine.model import Ruleset
from syncdoctor.engine.run import Engine
from syncdoctor.facts.snapshot import Snapshot

from . import service

CHUNK = 200  # users per task handed to a worker

_worker: dict[str, Any] = {}


def _work(task: tuple[int, int]) -> list[tuple[str, bool, list[list[dict[str, Any]]]]]:
    """In a worker: diagnose users [start, stop) in every selected business unit."""
    start, stop = task
    eng: Engine = _worker.get("engine") or _worker.setdefault("engine", Engine(_worker["ruleset"]))
    snapshot: Snapshot = _worker["snapshot"]
    out = []
    for ui in _worker["users"][start:stop]:
        out.extend(_diagnose_user(eng, snapshot, ui, _worker["business_units"], _worker["symptom"]))
    return out


def _diagnose_user(eng: Engine, snapshot: Snapshot, ui: int, bus: list[int], symptom: str | None):
    rows = []
    for bi in bus:
        d = eng.diagnose(snapshot.factset(ui, bi, symptom))
        result = d.to_json()
        cause = any(v["kind"] == "cause" for v in result["verdicts"])
        rows.append((json.dumps(result, sort_keys=True, ensure_ascii=False, separators=(",", ":")), cause,
                     [result["undetermined"]]))
    return rows


def results(ruleset: Ruleset, rules_dir: Path | None, snapshot: Snapshot, sel: service.Selection, symptom: str | None,
            jobs: int, progress: Callable[[int], None] | None = None) -> Iterator[tuple[str, bool, list[list[dict[str, Any]]]]]:
    """(result as compact JSON, has a cause, undetermined lists), in user order."""
    if jobs <= 1:
        eng = service.engine(rules_dir)
        for ui in sel.users:
            yield from _diagnose_user(eng, snapshot, ui, sel.business_units, symptom)
            if progress:
                progress(1)
        return
    _worker.clear()
    _worker.update(ruleset=ruleset, snapshot=snapshot, users=sel.users, business_units=sel.business_units, symptom=symptom)
    tasks = [(i, min(i + CHUNK, len(sel.users))) for i in range(0, len(sel.users), CHUNK)]
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        for (start, stop), rows in zip(tasks, pool.imap(_work, tasks)):
            yield from rows
            if progress:
                progress(stop - start)


def write_stream(sink: TextIO, header: dict[str, Any], rows: Iterator[tuple[str, bool, list[list[dict[str, Any]]]]],
                 only_problems: bool, trailer: Callable[[list[list[dict[str, Any]]]], dict[str, Any]]) -> bool:
    """The result document: header keys (sorted), then `results`, one per line, then the keys
    `trailer` computes from the distinct undetermined entries (the questions). Returns whether
    any cause was found."""
    sink.write("{\n")
    for key in sorted(header):
        sink.write(f"  {json.dumps(key)}: {json.dumps(header[key], sort_keys=True, ensure_ascii=False)},\n")
    sink.write('  "results": [')
    first, any_cause = True, False
    seen: dict[tuple, dict[str, Any]] = {}  # distinct undetermined entries: enough for the questions
    for text, cause, und in rows:
        any_cause |= cause
        for entries in und:
            for u in entries:
                seen.setdefault((u["rule"], tuple(u["missing"])), u)
        if only_problems and not cause:
            continue
        sink.write(("\n    " if first else ",\n    ") + text)
        first = False
    sink.write("\n  ]" if not first else "]")
    for key, value in trailer([list(seen.values())]).items():
        sink.write(f",\n  {json.dumps(key)}: {json.dumps(value, sort_keys=True, ensure_ascii=False)}")
    sink.write("\n}\n")
    return any_cause
