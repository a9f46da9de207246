"""The robustness tests' bound is on CPU time (tests/limits.py): it bites on a child
that computes past it, and not on one that only waits (a loaded machine makes runs wait)."""
from __future__ import annotations

import sys

import pytest

from tests.limits import run_bounded


def test_a_child_past_its_cpu_bound_fails_naming_the_cpu_time():
    with pytest.raises(AssertionError, match=r"s of CPU, more than the bound of 1 s"):
        run_bounded([sys.executable, "-c", "while True: pass"], cpu_seconds=1, capture_output=True)


def test_waiting_is_not_cpu_time():
    proc = run_bounded([sys.executable, "-c", "import time; time.sleep(2.5)"], cpu_seconds=1, capture_output=True)
    assert proc.returncode == 0
