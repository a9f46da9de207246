"""What the agreement check costs a scan worker (issue 28: "the agreement check per class"): the
same diagnoses by `--all`'s engine with the check (what ships: every diagnosis's durable-rules
firings compared with the status pass's matches) and without it, CPU time, interleaved, medians.

    .venv/bin/python benchmarks/agreement.py --org org.json --users 400 --repeats 5

Each run builds both engines afresh and warms them on the first 50 users (pools, indexes, the
status memo) before the clock starts, so no run sees a user its engine has already diagnosed."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import print_rates  # noqa: E402  (benchmarks/ is not a package)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--org", type=Path, required=True, help="a snapshot (dev generate-org --seed 1)")
    ap.add_argument("--users", type=int, default=400)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    from syncdoctor.engine.classes import ClassEngine
    from syncdoctor.engine.ruleset import require_ruleset
    from syncdoctor.facts.snapshot import load_snapshot
    snap, rules = load_snapshot(args.org), require_ruleset()
    pairs = [(u, b) for u in range(min(args.users + 50, len(snap.users))) for b in range(len(snap.business_units))]
    warm, timed = pairs[:50 * len(snap.business_units)], pairs[50 * len(snap.business_units):]
    if not timed:
        ap.error(f"--org {args.org}: {len(snap.users)} users; the first 50 only warm the engines, so it needs more")
    rates: dict[str, list[float]] = {"with the check": [], "without": []}
    for _ in range(args.repeats):
        # fresh engines each time: a scan worker diagnoses each user once, so its classes and
        # status memo hold the users before, never the same user again
        for name, check in (("with the check", True), ("without", False)):
            engine = ClassEngine(rules, check_agreement=check)
            for u, b in warm:
                engine.diagnose(snap.factset(u, b, None))
            start = time.process_time()
            for u, b in timed:
                engine.diagnose(snap.factset(u, b, None))
            rates[name].append(len(timed) / (time.process_time() - start))
    print_rates(rates, "diagnoses per CPU second", "without", "with the check")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
