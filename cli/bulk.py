"""Whole-org scans (`diagnose --all`): diagnosed in worker processes (`--jobs N`; durable-rules
holds the GIL, so processes, not threads), which also contains a crash of its C core. In every
format the results are streamed to the output as they come (JSON: one compact object per line
inside `results`; text, markdown, HTML: one section per result, the summary last), so memory
does not grow with the number of users. Each worker also renders its results in the output
format, so rendering runs in parallel with `--jobs N` too.

Resources: `results()` owns the worker processes (shut down in its `finally`); the output file
is owned by `common.open_output` (a temporary file renamed into place only on success).

Each forked worker builds its own engine on its own durable-rules host (engine/run.py resets
the host after a fork). The output is the same bytes whatever N is (results keep the users'
order)."""
from __future__ import annotations

import contextlib
import multiprocessing
import signal
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Iterator, TextIO

from syncdoctor.api.errors import EngineCrashed
from syncdoctor.api.pipeline import Row, Selection, row
from syncdoctor.engine.layout import collision
from syncdoctor.engine.model import Ruleset
from syncdoctor.engine.classes import ClassEngine
from syncdoctor.engine.run import Engine
from syncdoctor.facts.snapshot import Snapshot

from .formats import Stream
from .formats.words import Summary
from .outputs import reset_signals_in_child

# a result rendered: its text, or (text, shared refs, shared texts) in JSON's shared layout
Render = Callable[[dict[str, Any]], Any]
CHUNK = 200  # users per task handed to a worker

_worker: dict[str, Any] = {}


def _work(task: tuple[int, int]) -> list[Row]:
    """In a worker: diagnose users [start, stop) in every selected business unit."""
    start, stop = task
    # derivations shared per class and statuses per signature (engine/classes.py): same results
    eng: Engine = _worker.get("engine") or _worker.setdefault("engine", ClassEngine(_worker["ruleset"]))
    snapshot: Snapshot = _worker["snapshot"]
    out = []
    for ui in _worker["users"][start:stop]:
        out.extend(_diagnose_user(eng, snapshot, ui, _worker["business_units"], _worker["symptom"]))
    return out


def _diagnose_user(eng: Engine, snapshot: Snapshot, ui: int, bus: list[int], symptom: str | None) -> list[Row]:
    render: Render | None = _worker["render"]
    return [row(eng.diagnose(snapshot.factset(ui, bi, symptom)).to_json(), render) for bi in bus]


class WorkerCrashed(EngineCrashed):
    """A worker process died (durable-rules' C core aborting, say) on one (user, business unit)."""


def results(ruleset: Ruleset, snapshot: Snapshot, sel: Selection, symptom: str | None, jobs: int,
            render: Render | None, progress: Callable[[int], None] | None = None) -> Iterator[Row]:
    """Rows in user order, each result rendered by `render` in the worker (None: the result
    dict itself), computed in `jobs`
    worker processes so that a crash of the C core cannot take the whole scan with it
    unexplained: the chunk that broke a worker is re-run one (user, BU) per process to name
    the input that crashes (WorkerCrashed). Nothing starts before the first row is asked for."""
    _worker.clear()
    _worker.update(ruleset=ruleset, snapshot=snapshot, users=sel.users, business_units=sel.business_units, symptom=symptom,
                   render=render)
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
        # A signal, Ctrl-C or an error, here or in the consumer (which then closes this generator:
        # GeneratorExit): no worker may outlive the run, and nothing waits on the broken pool.
        _stop_workers(executor)
        raise
    else:
        executor.shutdown(wait=True, cancel_futures=True)


def _stop_workers(executor: ProcessPoolExecutor) -> None:
    """Terminate the pool's processes now (shutdown would wait for their current chunk). A signal
    can arrive while the pool is starting a worker (inside `submit`), before the pool has
    registered it: every live child process of ours is a worker, so end those too."""
    executor.shutdown(wait=False, cancel_futures=True)
    for _ in range(3):
        processes = set((getattr(executor, "_processes", None) or {}).values()) | set(multiprocessing.active_children())
        processes = {p for p in processes if p.is_alive()}
        if not processes:
            return
        for proc in processes:
            with contextlib.suppress(Exception):
                proc.terminate()
        for proc in processes:
            with contextlib.suppress(Exception):
                proc.join(5)
                if proc.is_alive():
                    proc.kill()
                    proc.join(1)


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


def write_stream(sink: TextIO, stream: Stream, header: dict[str, Any], rows: Iterator[Row], only_problems: bool,
                 trailer: Callable[[list[dict[str, Any]]], dict[str, Any]]) -> bool:
    """The whole output, written as rows come: the stream's beginning, each row (all, or with
    --only-problems those with something to act on), then its end, with the summary counts and
    the keys `trailer` computes from the distinct undetermined entries (the questions). Returns
    whether any result has something to act on."""
    sink.write(stream.begin(header))
    any_action, summary = False, Summary()
    seen: dict[tuple, dict[str, Any]] = {}  # distinct undetermined entries: enough for the questions
    shared_texts: dict[tuple[str, str], str] = {}  # JSON's shared layout: every shared value received
    used: set[tuple[str, str]] = set()  # ... and those the written results refer to
    try:
        for r in rows:
            any_action |= r.action
            for u in r.undetermined:
                seen.setdefault((u["rule"], tuple(u["missing"])), u)
            for ref, text in (r.texts or {}).items():
                if shared_texts.setdefault(ref, text) != text:  # two workers, two values, one key
                    raise collision(*ref)
            if only_problems and not r.action:
                continue
            sink.write(stream.joiner(summary.results == 0) + r.rendered)
            summary.add(r.pairs, bool(r.undetermined))
            used.update(r.refs)
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()  # a signal or an error while writing: the workers end now, not at exit
    tail = trailer(list(seen.values()))
    if getattr(stream, "layout", "full") == "shared":
        tail = {"shared": {ref: shared_texts[ref] for ref in used}, **tail}
    sink.write(stream.end(summary, tail))
    return any_action
