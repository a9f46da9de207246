"""Child processes of the tests (conftest's cli_process, the robustness tests), bounded by the CPU time they use (and optionally
their memory), not by the wall clock: on a loaded machine a run waits for the CPU without using
it, so a wall-clock limit fails for reasons that are not the code's. The kernel stops a child
past its CPU bound (RLIMIT_CPU), and the bound is checked from the child's own CPU time
(getrusage RUSAGE_CHILDREN, its workers included); the wall clock only guards against a hang
(a process waiting forever uses no CPU)."""
from __future__ import annotations

import resource
import signal
import subprocess
from typing import Any

CPU_SECONDS = 240  # generous: the 50,000-group fan takes about 35-40 s of CPU (idle or loaded alike)
HANG_GUARD = 600  # seconds of wall clock: a hang, not a slow run


def run_bounded(cmd: list[str], *, cpu_seconds: int = CPU_SECONDS, memory: int | None = None,
                **kwargs: Any) -> subprocess.CompletedProcess:
    """`subprocess.run(cmd)` with the child's CPU time bounded (and its address space, given
    `memory` bytes); fails with the CPU time used when the bound is passed."""
    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
        if memory is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    kwargs.setdefault("timeout", HANG_GUARD)
    proc = subprocess.run(cmd, preexec_fn=limits, **kwargs)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    assert proc.returncode != -signal.SIGXCPU and used <= cpu_seconds, (
        f"{' '.join(cmd[:6])}…: {used:.1f} s of CPU, more than the bound of {cpu_seconds} s")
    return proc
