"""The benchmark is not a timed test: CI runs it at 1,000 users only to prove it works."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # the benchmark, run as processes


def test_benchmark_smoke_run_writes_its_tables(tmp_path):
    out = tmp_path / "performance.md"
    out.write_text("# Performance\n\nHand-written analysis that must survive.\n")
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--smoke", "--out", str(out)],
                          capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = out.read_text()
    assert "Hand-written analysis that must survive." in text
    assert next(line for line in text.splitlines() if line.startswith("| 1,000 | ") and line.endswith("× |"))  # engines side by side
    assert "| 2,000 |" in text  # the memory check ran
    row = next(line for line in text.splitlines() if line.startswith("| 1,000-user snapshot |"))
    assert row.count(" s |") == 4  # JSON and YAML latency, first run and cached
    for fmt in ("text", "markdown", "html"):
        assert f"| 1,000 | {fmt} | 1 |" in text  # every format's --all memory
    assert "| 1,000 | text | 2 |" in text


def test_only_the_single_user_part_rewrites_only_its_table(tmp_path):
    out = tmp_path / "performance.md"
    start, end = "<!-- benchmark tables: written by benchmarks/run.py -->", "<!-- end of benchmark tables -->"
    out.write_text(f"{start}\n## Finer tables\n\nMeasured before.\n\n### Single-user diagnosis, process start to output (median)\n\n"
                   f"| old row |\n\n### Whole-org scan\n\n| kept row |\n{end}\n\nAnalysis.\n")
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--only", "single-user", "--sizes", "1000",
                           "--repeats", "1", "--out", str(out)], capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = out.read_text()
    assert "| old row |" not in text and "| 1,000-user snapshot |" in text and "JSON, cached" in text
    assert "Measured before." in text and "### Whole-org scan\n\n| kept row |" in text and text.endswith("Analysis.\n")
    assert text.index("| 1,000-user snapshot |") < text.index("### Whole-org scan")


def test_what_if_benchmark_smoke_run_prints_a_row_per_change():
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "whatif.py"), "--users", "300"],
                          capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| ") and not line.startswith(("| change |", "|---"))]
    assert len(rows) == 6
    assert rows[0].startswith("| assign one user | 1 |")  # one user, one business unit: one diagnosis compared
    assert "a full re-diagnosis of both orgs (600 diagnoses each)" in proc.stdout


def test_make_bench_smoke_run_writes_every_table_and_keeps_the_rest(tmp_path):
    out = tmp_path / "performance.md"
    out.write_text("# Performance\n\nHand-written analysis that must survive.\n")
    cmd = [sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--smoke", "--before-python", sys.executable, "--out", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = out.read_text()
    assert "Hand-written analysis that must survive." in text
    for heading in ("Whole-org scans", "One user, process start", "role hierarchy depth", "fan-in",
                    "Where a scan worker's time goes", "Agreement with the one-user-at-a-time engine", "Against issue 28's targets"):
        assert heading in text, heading
    scans = [line for line in text.splitlines() if line.startswith(("| 200 | ", "| 400 | ")) and "| yes |" in line]
    assert len(scans) == 8, scans  # two sizes, 1 and 2 jobs, two installs: every output the same bytes
    assert "| 0 differ of" in text and "≥ 5,000 users/s |" in text  # the agreement held; the targets are judged
    # a second run replaces the tables, it does not append them
    second = subprocess.run(cmd, capture_output=True, text=True, timeout=900, cwd=ROOT, check=True)
    assert out.read_text().count("### Whole-org scans") == 1
    # one step measured again, the rest kept from the second run's log: every table still there, and said so
    log = re.search(r"log (\S+log\.jsonl)", second.stdout).group(1)
    subprocess.run(cmd + ["--only", "single", "--keep", log], capture_output=True, text=True, timeout=900, cwd=ROOT, check=True)
    text = out.read_text()
    assert "Not all of this run: every step but single is from an earlier run" in text
    assert len([line for line in text.splitlines() if line.startswith(("| 200 | ", "| 400 | ")) and "| yes |" in line]) == 8
