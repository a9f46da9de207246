"""The engine alone, before and after, in one run: the first users of an org diagnosed in one
process as a scan worker does (ClassEngine, each result through the JSON shared layout), CPU
time, the installs interleaved run by run (before, now, before, now...) so that a change in the
machine's load falls on both; medians and their ratio.

    .venv/bin/python benchmarks/inprocess.py --org org.json --before /path/to/old/.venv/bin/python

Each install runs as its own process (`PYTHON -c`), so each imports its own syncdoctor. The
first 50 users are diagnosed before the clock starts (pools and indexes built, memo warm)."""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import print_rates  # noqa: E402  (benchmarks/ is not a package)

ROOT = Path(__file__).resolve().parent.parent

CODE = """
import inspect, sys, time
from syncdoctor.cli.formats.jsonfmt import JsonStream
from syncdoctor.engine.classes import ClassEngine
from syncdoctor.engine.layout import rules_table
from syncdoctor.engine.ruleset import require_ruleset
from syncdoctor.facts.snapshot import load_snapshot
users = int(sys.argv[2])
rules = require_ruleset()
engine = ClassEngine(rules)
snap = load_snapshot(sys.argv[1])
stream = JsonStream(layout="shared", rules=rules_table(rules), snapshot={"file": snap.file, "collected_at": None})
if "used" in inspect.signature(JsonStream.result_shared).parameters:  # compacted by the pipeline, then laid out
    from syncdoctor.engine.layout import Compactor
    compactor, lay_out = Compactor({"file": snap.file, "collected_at": None}), stream.result_shared
    shared = lambda r: lay_out(*compactor.compact(r))
else:  # an install from before: the stream compacts
    shared = stream.result_shared
units = range(len(snap.business_units))
for u in range(50):
    for b in units:
        engine.diagnose(snap.factset(u, b, None))
start = time.process_time()
for u in range(50, 50 + users):
    for b in units:
        shared(engine.diagnose(snap.factset(u, b, None)).to_json())
print(users * len(units) / (time.process_time() - start))
"""


def rate(python: str, org: Path, users: int) -> float:
    """Diagnoses per CPU second of one install over `users` users (every business unit)."""
    out = subprocess.run([python, "-c", CODE, str(org), str(users)], capture_output=True, text=True, check=True)
    return float(out.stdout.split()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--org", type=Path, required=True, help="a snapshot (dev generate-org --seed 1)")
    ap.add_argument("--before", required=True, help="python of the older install")
    ap.add_argument("--users", type=int, default=500)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    installs = {"before": args.before, "now": sys.executable}
    rates: dict[str, list[float]] = {name: [] for name in installs}
    for _ in range(args.repeats):
        for name, python in installs.items():
            rates[name].append(rate(python, args.org.resolve(), args.users))
    print_rates(rates, "diagnoses/s", "now", "before")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
