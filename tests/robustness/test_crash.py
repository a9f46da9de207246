"""Crash containment: when the C core kills a worker, the scan names the user, business unit
and ruleset it was working on, and keeps that input as a snapshot for a regression test.

The crash is real (a segmentation fault in the worker process); only its trigger is injected,
since the compiler keeps durable-rules away from every crash the project knows of."""
from __future__ import annotations

import json
import sys

import pytest

from tests.conftest import EXAMPLE, ROOT
from tests.limits import run_bounded

pytestmark = pytest.mark.slow  # a crashing C core in worker processes

SCRIPT = """
import ctypes, sys
from syncdoctor.engine import run
original = run.Engine.diagnose
def crashing(self, factset):
    if factset.user_ref.get("username") == "bwong@acme.example" and factset.business_unit_ref["id"].startswith("0Uv5e0000000002"):
        ctypes.string_at(0)  # a real segmentation fault, as the C core's would be
    return original(self, factset)
run.Engine.diagnose = crashing
from syncdoctor.cli.main import run as main
sys.argv = ["syncdoctor"] + sys.argv[1:]
main()
"""


def test_a_worker_crash_names_its_input(tmp_path):
    out = tmp_path / "report.json"
    out.write_text("previous\n")
    proc = run_bounded([sys.executable, "-c", SCRIPT, "diagnose", "--facts", str(EXAMPLE), "--all", "--format", "json",
                        "--jobs", "2", "--out", str(out)], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 4, proc.stderr
    assert "crashed (SIGSEGV) diagnosing user bwong@acme.example" in proc.stderr
    assert "with ruleset user-sync" in proc.stderr and "Traceback" not in proc.stderr
    assert out.read_text() == "previous\n"  # the report being written is not half-replaced
    saved = proc.stderr.split("a snapshot with just that input: ")[1].split(" ")[0]
    data = json.loads(open(saved).read())
    assert [u["username"] for u in data["salesforce"]["users"]] == ["bwong@acme.example"]
    assert [bu["id"][:15] for bu in data["business_units"]] == ["0Uv5e0000000002"]
