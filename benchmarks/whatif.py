"""What-if on a large org: how many diagnoses each kind of change re-runs, and how long it takes
(docs/performance.md, "What-if"). Rerunnable:

    .venv/bin/python benchmarks/whatif.py                 # 100,000 users, seed 1
    .venv/bin/python benchmarks/whatif.py --users 10000 --whole-business-unit

For each change: `syncdoctor what-if` end to end (a new process, the snapshot read from the
snapshot cache as a second command would), and in one process `syncdoctor.api.what_if` on a
snapshot already loaded, with the number of (user, business unit) diagnoses compared. The cost
of re-diagnosing the whole org, which a what-if avoids, is estimated from the same process's
marginal cost of a compared diagnosis (two diagnoses: before and after; the largest change's time
less the smallest's, over the difference in diagnoses). Prints a markdown table."""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import CLI, generate, timed  # noqa: E402  (benchmarks/ is not a package)

MANAGED, LEGACY = "Synthetic Managed", "Synthetic Legacy"


def _roles_by_reach(snap: object) -> list[tuple[int, str]]:
    """(users reached, role name) of role-and-subordinates assignments, for picking sizes."""
    from syncdoctor.api.reach import Graph
    from syncdoctor.facts.ids import key
    g = Graph(snap.data)  # type: ignore[attr-defined]
    roles = snap.data["salesforce"]["roles"]  # type: ignore[attr-defined]
    return sorted((len(g.reach("role_and_subordinates", key(r["id"]))), r["name"]) for r in roles)


def _pick(sized: list[tuple[int, str]], target: int) -> tuple[int, str]:
    return min(sized, key=lambda s: (abs(s[0] - target), s[1]))


def changes(snap: object, whole_bu: bool) -> list[tuple[str, list[str], list[dict]]]:
    """(label, CLI options, API changes) per measured change."""
    sized = _roles_by_reach(snap)
    (n_small, small), (n_big, big) = _pick(sized, 100), _pick(sized, 2000)
    u = "user42@synthetic.example"
    out = [
        ("assign one user", ["--assign", f"user:{u} -> {MANAGED}/Marketing Users"],
         [{"change": "assign", "member": {"type": "user", "name": u}, "business_unit": MANAGED, "group": "marketing"}]),
        ("change a user's profile", ["--set-profile", f"{u} -> Sales Profile"],
         [{"change": "set_profile", "user": u, "profile": "Sales Profile"}]),
        ("deactivate a user", ["--deactivate", u], [{"change": "deactivate", "user": u}]),
        ("add a user to a nested public group", ["--add-member", f"user:{u} -> Group 7"],
         [{"change": "add_member", "member": {"type": "user", "name": u}, "public_group": "Group 7"}]),
        (f"assign a role and subordinates ({n_small} users)",
         ["--assign", f"role-and-subordinates:{small} -> {MANAGED}/Sales Users"],
         [{"change": "assign", "member": {"type": "role_and_subordinates", "name": small}, "business_unit": MANAGED, "group": "sales"}]),
        (f"assign a role and subordinates ({n_big} users)",
         ["--assign", f"role-and-subordinates:{big} -> {MANAGED}/Sales Users"],
         [{"change": "assign", "member": {"type": "role_and_subordinates", "name": big}, "business_unit": MANAGED, "group": "sales"}]),
    ]
    if whole_bu:
        out.append(("uncheck a profile (a fifth of the users)", ["--unselect-profile", f"Sales Profile -> {LEGACY}"],
                    [{"change": "unselect_profile", "profile": "Sales Profile", "business_unit": LEGACY}]))
        out.append(("turn a legacy setting off (the whole business unit)",
                    ["--setting", f"move-to-recycle-bin-without-profile=off -> {LEGACY}"],
                    [{"change": "set_setting", "setting": "move_to_recycle_bin_without_profile", "value": False,
                      "business_unit": LEGACY}]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--users", type=int, default=100_000)
    ap.add_argument("--whole-business-unit", action="store_true", help="also the changes that touch a fifth of the users (a profile) and every user of a business unit (a setting)")
    args = ap.parse_args()
    import syncdoctor.api as api
    with tempfile.TemporaryDirectory() as tmp:
        org = Path(tmp) / f"org-{args.users}.json"
        generate(args.users, org)
        start = time.perf_counter()
        snap = api.load_snapshot(org)  # also fills the snapshot cache for the CLI runs below
        load_s = time.perf_counter() - start
        rows, rate = [], []
        for label, options, specs in changes(snap, args.whole_business_unit):
            wall, rss_kb, _ = timed(CLI + ["what-if", "--facts", str(org), "--format", "json", *options])
            start = time.perf_counter()
            doc = api.what_if(snap, specs)
            in_proc = time.perf_counter() - start
            n = doc["diagnoses_compared"]
            rate.append((n, in_proc))
            moved = sum(g[m]["count"] for g in doc["business_units"] for m in ("gains_access", "loses_access", "role_changes"))
            rows.append((label, n, moved, wall, rss_kb / 1024, in_proc))
    (n_most, s_most), (n_least, s_least) = max(rate), min(rate)
    per = (s_most - s_least) / (n_most - n_least) if n_most > n_least else 0.0  # the marginal cost, fixed costs apart
    pairs = args.users * len(snap.business_units)
    print(f"Org: {args.users:,} users, {len(snap.business_units)} business units (`dev generate-org --seed 1`); "
          f"snapshot loaded in process in {load_s:.1f} s.\n")
    print("| change | diagnoses compared | users gaining, losing access or changing role | `what-if` end to end | peak RSS | in process (API) |")
    print("|---|---|---|---|---|---|")
    for label, n, moved, wall, rss, in_proc in rows:
        print(f"| {label} | {n:,} | {moved:,} | {wall:.1f} s | {rss:,.0f} MB | {in_proc:.2f} s |")
    print(f"\nCost of one more compared diagnosis (before and after), in process, from the largest and smallest change: "
          f"{per * 1000:.1f} ms; at that rate a full re-diagnosis of both orgs ({pairs:,} diagnoses each) would take "
          f"about {per * pairs / 60:.0f} minutes.")


if __name__ == "__main__":
    main()
