"""The cost of building facts from facts/snapshot-map.yaml: every (user, business unit)'s facts of
a generated org, with the two lookups into the AE users a diagnosis makes, best of 3. Compare two
checkouts by running it with each one's venv: `.venv/bin/python benchmarks/factset.py 3000`."""
import sys, time, json
from syncdoctor.facts.synthetic import generate
from syncdoctor.facts.snapshot import parse_snapshot
n = int(sys.argv[1])
snap = parse_snapshot(json.dumps(generate(n, seed=7)), "g.json", fmt="json")
best = []
for _ in range(3):
    t = time.perf_counter()
    for u in range(len(snap.users)):
        for b in range(len(snap.business_units)):
            fs = snap.factset(u, b, None)
            uid = fs.facts[1].values["id"]
            fs.pool.lookup("ae_user", "salesforce_id", uid)
            fs.pool.lookup("org_ae_user", "email", fs.facts[1].values.get("email"), True)
    best.append(time.perf_counter() - t)
print(n, "users:", round(min(best), 3), "s (best of 3)")
