"""What a diagnosis fires, rule by rule, and how much of it derives facts that depend on the org
alone (role ancestry, group reach): the share "org-level derivations once per org" (issue 28)
would take out of every diagnosis's durable-rules session, as the depth of the role hierarchy grows.

    .venv/bin/python benchmarks/firings.py --users 300                 # generated orgs, depths 5 10 20 40 80
    .venv/bin/python benchmarks/firings.py --org org-10k.json org-100k.json --users 300   # orgs of your own

Counts only (firings, derived facts per diagnosis, the one-user-at-a-time engine over the first
users of each business unit): no time is measured, so the figures do not depend on the machine."""
from __future__ import annotations

import argparse
import collections
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import generate  # noqa: E402  (benchmarks/ is not a package)

ORG_LEVEL = ("role_ancestor", "group_reach")  # derived kinds whose facts follow from the org, given where a user starts


def count(org: Path, users: int) -> tuple[int, collections.Counter, collections.Counter, int]:
    from syncdoctor.engine.ruleset import require_ruleset
    from syncdoctor.engine.run import Engine
    from syncdoctor.facts.snapshot import load_snapshot
    snap = load_snapshot(org)
    engine = Engine(require_ruleset())
    by_rule: collections.Counter = collections.Counter()
    by_kind: collections.Counter = collections.Counter()
    diagnoses = facts = 0
    for u in range(min(users, len(snap.users))):
        for b in range(len(snap.business_units)):
            d = engine.diagnose(snap.factset(u, b, None))
            diagnoses += 1
            facts += len(d.facts)
            for f in d.firings:
                by_rule[f.rule] += 1
                by_kind[d.facts[f.produced].kind if f.produced else "(conclusion)"] += 1
    return diagnoses, by_rule, by_kind, facts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--org", type=Path, nargs="+", help="snapshots (default: generated orgs of 10,000 users, one per depth)")
    ap.add_argument("--users", type=int, default=300, help="users diagnosed (each in every business unit)")
    ap.add_argument("--depths", type=int, nargs="+", default=[5, 10, 20, 40, 80])
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="syncdoctor-firings-"))
    orgs = [(org.name, org) for org in args.org or []]
    for depth in ([] if args.org else args.depths):
        orgs.append((str(depth), work / f"depth-{depth}.json"))
        generate(10_000, orgs[-1][1], depth)
    print("| org (role depth of the spine) | diagnoses | facts per diagnosis | firings per diagnosis | of which role ancestry and group reach | share |")
    print("|---|---|---|---|---|---|")
    last = None
    for label, org in orgs:
        n, by_rule, by_kind, facts = count(org, args.users)
        total = sum(by_kind.values())
        org_level = sum(c for k, c in by_kind.items() if k in ORG_LEVEL)
        print(f"| {label} | {n:,} | {facts / n:.1f} | {total / n:.1f} | {org_level / n:.1f} | {org_level / total:.0%} |")
        last = (n, by_rule)
    if last:
        n, by_rule = last
        print("\nFirings per diagnosis by rule (the last org):\n\n| rule | per diagnosis |\n|---|---|")
        for rule, c in by_rule.most_common():
            print(f"| {rule} | {c / n:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
