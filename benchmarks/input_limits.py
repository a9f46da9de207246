"""How long and how much memory loading a snapshot takes, per format and size: the measurements
behind the size limits in reading/loader.py (SNAPSHOT_LIMITS) and docs/reliability.md.

    .venv/bin/python -m benchmarks.input_limits [USERS ...]     # default: 1000 10000 50000

For each size it writes a synthetic org (`dev generate-org`) as JSON and as YAML, then in a
fresh process per measurement: loads it (parse + validate + org facts) and diagnoses one user
through the console script. Prints a Markdown table: bytes, seconds, peak RSS (VmHWM).
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

_CHILD = """
import sys, time
from pathlib import Path
t = time.perf_counter()
from syncdoctor.facts.snapshot import load_snapshot
snap = load_snapshot(sys.argv[1])
elapsed = time.perf_counter() - t
hwm = next(int(l.split()[1]) for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("VmHWM:"))
print(f"{elapsed:.2f} {hwm} {snap.users[0].get('username')}")
"""


def _hwm_of(cmd: list[str]) -> tuple[float, int, str]:
    """Run ``cmd`` under /usr/bin/time: wall seconds and peak RSS in KB of the child."""
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    return elapsed, int(proc.stderr.strip().splitlines()[-1]), proc.stdout


def measure(users: int, folder: Path) -> list[str]:
    rows = []
    js = folder / f"org{users}.json"
    subprocess.run([sys.executable, "-m", "syncdoctor.cli.main", "dev", "generate-org", "--users", str(users),
                    "--seed", "1", "--out", str(js)], check=True, capture_output=True)
    ym = folder / f"org{users}.yaml"
    ym.write_text(yaml.safe_dump(yaml.safe_load(js.read_text()), sort_keys=False, allow_unicode=True))
    for path in (js, ym):
        load = subprocess.run([sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True, check=True)
        seconds, hwm, user = load.stdout.split()
        wall, peak, _ = _hwm_of([sys.executable, "-m", "syncdoctor.cli.main", "diagnose", "--facts", str(path), "--user", user])
        rows.append(f"| {users:,} | {path.suffix[1:]} | {path.stat().st_size / 1e6:.1f} MB | {float(seconds):.2f} s | "
                    f"{int(hwm) / 1024:.0f} MB | {wall:.2f} s | {peak / 1024:.0f} MB |")
    return rows


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [1000, 10000, 50000]
    print("| users | format | file | load (parse, validate, org facts) | load peak RSS | diagnose one user (CLI) | its peak RSS |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for users in sizes:
            for row in measure(users, Path(tmp)):
                print(row, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
