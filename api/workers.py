"""The worker pool of whole-org scans (`diagnose --all --jobs N`, `api.scan(jobs=N)`):
diagnoses in worker processes (durable-rules holds the GIL, so processes, not threads), which
also contains a crash of its C core. Results come back in the users' order, as rows (api/
pipeline.py `Row`), so a sink can stream them (cli/report.py: memory does not grow with the
number of users). Each worker also renders its results with the caller's `render` (a format's
text), so rendering runs in parallel too.

Resources: `results()` owns the worker processes (shut down in its `finally`).

Each forked worker builds its own engine on its own durable-rules host (engine/run.py resets
the host after a fork) and receives its job (the snapshot, the selection, the renderer) through
the fork itself, never pickled. The output is the same bytes whatever N is."""
from __future__ import annotations

import contextlib
import multiprocessing
import signal
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from syncdoctor.engine.classes import ClassEngine
from syncdoctor.engine.model import Ruleset
from syncdoctor.engine.run import Engine
from syncdoctor.facts.snapshot import Snapshot

from .errors import EngineCrashed
from .stream import Render, Row, Selection, diagnosed, rows

CHUNK = 200  # users per task handed to a worker



@dataclass(frozen=True)
class Job:
    """What every worker of one scan diagnoses: handed over by the fork, never pickled."""
    ruleset: Ruleset
    snapshot: Snapshot
    sel: Selection
    symptom: str | None
    render: Render | None


class _Worker:
    """A worker process's own state: its job, and the engine it builds once (in the child)."""
    job: Job | None = None
    engine: Engine | None = None


def _start_worker(job: Job) -> None:
    """A worker's initializer: its signals (reset_signals_in_child), its job, no engine yet."""
    reset_signals_in_child()
    _Worker.job, _Worker.engine = job, None


def _work(task: tuple[int, int]) -> list[Row]:
    """In a worker: its chunk, on the engine it builds once."""
    job = _Worker.job
    assert job is not None
    if _Worker.engine is None:
        # derivations shared per class and statuses per signature (engine/classes.py): same results
        _Worker.engine = ClassEngine(job.ruleset)
    return work(job, _Worker.engine, task)


def work(job: Job, engine: Engine, task: tuple[int, int]) -> list[Row]:
    """What a worker does with a task: users [start, stop) of the job diagnosed in every selected
    business unit, each result rendered with the job's `render`."""
    start, stop = task
    chunk = Selection(job.sel.users[start:stop], job.sel.business_units)
    return list(rows(engine, job.snapshot, chunk, job.symptom, job.render))


class WorkerCrashed(EngineCrashed):
    """A worker process died (durable-rules' C core aborting, say) on one (user, business unit)."""


def results(ruleset: Ruleset, snapshot: Snapshot, sel: Selection, symptom: str | None, jobs: int,
            render: Render | None, progress: Callable[[int], None] | None = None) -> Iterator[list[Row]]:
    """Rows in user order, a worker's chunk at a time (as it comes back, so holding it costs
    nothing more), each result rendered by `render` in the worker (None: the result dict
    itself), computed in `jobs`
    worker processes so that a crash of the C core cannot take the whole scan with it
    unexplained: the chunk that broke a worker is re-run one (user, BU) per process to name
    the input that crashes (WorkerCrashed). Nothing starts before the first row is asked for."""
    job = Job(ruleset, snapshot, sel, symptom, render)
    tasks = [(i, min(i + CHUNK, len(sel.users))) for i in range(0, len(sel.users), CHUNK)]
    context = multiprocessing.get_context("fork")
    window = max(2, 2 * jobs)  # tasks in flight: bounds the results waiting to be written
    executor = ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker, initargs=(job,))
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
                _isolate(job, task, context)
                raise WorkerCrashed(-1, -1, "a worker died, but no single input crashes alone") from None
            yield rows
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
    """Terminate the pool's processes now (shutdown would wait for their current chunk). Every
    live child process of ours is a worker (the pool's, or one it was starting inside `submit`
    when a signal came, before it registered it): end them all, found through the public
    `multiprocessing.active_children()` rather than the executor's private process table."""
    executor.shutdown(wait=False, cancel_futures=True)
    for _ in range(3):
        processes = {p for p in multiprocessing.active_children() if p.is_alive()}
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


def _isolate(job: Job, task: tuple[int, int], context: Any) -> None:
    """Re-run each (user, BU) of a chunk in its own process; raise for the first that dies."""
    for pos in range(*task):
        for bi in job.sel.business_units:
            proc = context.Process(target=_one, args=(job, job.sel.users[pos], bi))
            proc.start()
            proc.join()
            if proc.exitcode and proc.exitcode < 0:
                raise WorkerCrashed(job.sel.users[pos], bi, signal.Signals(-proc.exitcode).name)


def _one(job: Job, ui: int, bi: int) -> None:
    reset_signals_in_child()
    for _ in diagnosed(Engine(job.ruleset), job.snapshot, Selection([ui], [bi]), job.symptom):
        pass


def reset_signals_in_child() -> None:
    """In a forked worker: the parent stops its workers itself; a terminal's Ctrl-C (sent to
    the whole process group) is the parent's to handle."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
