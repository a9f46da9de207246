"""The benchmark is not a timed test: CI runs it at 1,000 users only to prove it works."""
from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_benchmark_smoke_run_writes_its_tables(tmp_path):
    out = tmp_path / "performance.md"
    out.write_text("# Performance\n\nHand-written analysis that must survive.\n")
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--smoke", "--out", str(out)],
                          capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = out.read_text()
    assert "Hand-written analysis that must survive." in text
    assert "| 1,000 | 1 |" in text and "| 1,000 | 2 |" in text and "engine/reference =" in text
    assert "| 2,000 |" in text  # the memory check ran
    assert "| 1,000-user snapshot |" in text and "×) |" in text  # JSON and YAML latency
    for fmt in ("text", "markdown", "html"):
        assert f"| 1,000 | {fmt} | 1 |" in text  # every format's --all memory
    assert "| 1,000 | text | 2 |" in text


def test_scan_benchmark_smoke_run_writes_its_tables(tmp_path):
    out = tmp_path / "performance.md"
    out.write_text("# Performance\n\nHand-written analysis that must survive.\n")
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "scan.py"), "--sizes", "300", "--repeats", "1",
                           "--breakdown-users", "50", "--out", str(out)], capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = out.read_text()
    assert "Hand-written analysis that must survive." in text
    for install in ("now, `--layout full`", "now, shared layout"):
        assert f"| 300 | 1 | {install} |" in text and f"| 300 | 2 | {install} |" in text
    assert "| 300 (100 results) |" in text and "results/s |" in text
    # run again: the tables are replaced, not appended
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "scan.py"), "--sizes", "300", "--repeats", "1",
                    "--breakdown-users", "50", "--out", str(out)], capture_output=True, text=True, timeout=900, cwd=ROOT, check=True)
    assert out.read_text().count("## Whole-org scans before and after") == 1
