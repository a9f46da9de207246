"""Whole-org scans (`diagnose --all`): diagnosed in worker processes (`--jobs N`; durable-rules
holds the GIL, so processes, not threads), which also contains a crash of its C core. As JSON
the results are streamed to the output as they come, one compact object per line inside
`results`, so memory does not grow with the number of users.

Each forked worker builds its own engine on its own durable-rules host (engine/run.py resets
the host after a fork). The output is the same bytes whatever N is (results keep the users'
order)."""
from __future__ import annotations

import contextlib
import json
import multiprocessing
import signal
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Iterator, TextIO

from syncdoctor.engine.model import Ruleset
from syncdoctor.engine.classes import ClassEngine
from syncdoctor.engine.run import Engine
from syncdoctor.facts.snapshot import Snapshot

from . import service
from .formats.escape import json_text  # C1 and bidi controls as \u escapes
from .outputs import reset_signals_in_child

CHUNK = 200  # users per task handed to a worker

_worker: dict[str, Any] = {}


def _work(task: tuple[int, int]) -> list[tuple[str, bool, list[list[dict[str, Any]]]]]:
    """In a worker: diagnose users [start, stop) in every selected business unit."""
    start, stop = task
    # derivations shared per class and statuses per signature (engine/classes.py): same results
    eng: Engine = _worker.get("engine") or _worker.setdefault("engine", ClassEngine(_worker["ruleset"]))
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
        rows.append((json_text(json.dumps(result, sort_keys=True, ensure_ascii=False, separators=(",", ":"))), cause,
                     [result["undetermined"]]))
    return rows


class WorkerCrashed(Exception):
    """A worker process died (durable-rules' C core aborting, say) on one (user, business unit)."""

    def __init__(self, user_index: int, bu_index: int, signal_name: str):
        super().__init__(f"user {user_index}, business unit {bu_index}: {signal_name}")
        self.user_index, self.bu_index, self.signal_name = user_index, bu_index, signal_name


def results(ruleset: Ruleset, snapshot: Snapshot, sel: service.Selection, symptom: str | None,
            jobs: int, progress: Callable[[int], None] | None = None) -> Iterator[tuple[str, bool, list[list[dict[str, Any]]]]]:
    """(result as compact JSON, has a cause, undetermined lists), in user order, computed in
    `jobs` worker processes so that a crash of the C core cannot take the whole scan with it
    unexplained: the chunk that broke a worker is re-run one (user, BU) per process to name
    the input that crashes (WorkerCrashed)."""
    _worker.clear()
    _worker.update(ruleset=ruleset, snapshot=snapshot, users=sel.users, business_units=sel.business_units, symptom=symptom)
    tasks = [(i, min(i + CHUNK, len(sel.users))) for i in range(0, len(sel.users), CHUNK)]
    context = multiprocessing.get_context("fork")
    window = max(2, 2 * jobs)  # tasks in flight: bounds the results waiting to be written
    executor = ProcessPoolExecutor(jobs, mp_context=context, initializer=reset_signals_in_child)
    try:
        pending: deque[tuple[tuple[int, int], Future]] = deque()
        next_task = 0
        while pending or next_task < len(tasks):
            while next_task < len(tasks) and len(pending) < window:
                pending.append((tasks[next_task], executor.submit(_work, tasks[next_task])))
                next_task += 1
            task, future = pending.popleft()
            try:
                rows = future.result()
            except BrokenProcessPool:
                executor.shutdown(wait=False, cancel_futures=True)
                _isolate(task, context)
                raise WorkerCrashed(-1, -1, "a worker died, but no single input crashes alone") from None
            yield from rows
            if progress:
                progress(task[1] - task[0])
    except BaseException:
        _stop_workers(executor)  # a signal, Ctrl-C or an error: no worker may outlive the run
        raise
    finally:
        executor.shutdown(wait=True, cancel_futures=True)


def _stop_workers(executor: ProcessPoolExecutor) -> None:
    """Terminate the pool's processes now (shutdown would wait for their current chunk)."""
    processes = list((getattr(executor, "_processes", None) or {}).values())
    for proc in processes:
        with contextlib.suppress(Exception):
            proc.terminate()
    for proc in processes:
        with contextlib.suppress(Exception):
            proc.join(5)
            if proc.is_alive():
                proc.kill()
    executor.shutdown(wait=False, cancel_futures=True)


def _isolate(task: tuple[int, int], context: Any) -> None:
    """Re-run each (user, BU) of a chunk in its own process; raise for the first that dies."""
    for pos in range(*task):
        for bi in _worker["business_units"]:
            proc = context.Process(target=_one, args=(pos, bi))
            proc.start()
            proc.join()
            if proc.exitcode and proc.exitcode < 0:
                raise WorkerCrashed(_worker["users"][pos], bi, signal.Signals(-proc.exitcode).name)


def _one(pos: int, bi: int) -> None:
    reset_signals_in_child()
    eng = Engine(_worker["ruleset"])
    eng.diagnose(_worker["snapshot"].factset(_worker["users"][pos], bi, _worker["symptom"]))


def write_stream(sink: TextIO, header: dict[str, Any], rows: Iterator[tuple[str, bool, list[list[dict[str, Any]]]]],
                 only_problems: bool, trailer: Callable[[list[list[dict[str, Any]]]], dict[str, Any]]) -> bool:
    """The result document: header keys (sorted), then `results`, one per line, then the keys
    `trailer` computes from the distinct undetermined entries (the questions). Returns whether
    any cause was found."""
    sink.write("{\n")
    for key in sorted(header):
        sink.write(f"  {json.dumps(key)}: {json_text(json.dumps(header[key], sort_keys=True, ensure_ascii=False))},\n")
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
        sink.write(f",\n  {json.dumps(key)}: {json_text(json.dumps(value, sort_keys=True, ensure_ascii=False))}")
    sink.write("\n}\n")
    return any_cause
