"""How many diagnoses of an org could share one durable-rules run and one status pass, if users
were grouped by what the rules' joins find rather than by who they are (issue 28):

    .venv/bin/python benchmarks/classes.py --org org.json --users 3000

For every rule (derive and conclude) the fields of a diagnosis's own facts (user, business unit,
context) are read from the compiled conditions: a field joined with equality to a pool kind
(`ae_user.salesforce_id same_as user.id`, casefolded where the join ignores case) counts by the
pool facts that lookup finds; any other use (a constant test, an inequality, a derived value or
text) counts by value. *lenient* also lets a field used only in derived texts count by presence
and a field compared only with thresholds count by the tests' outcomes: what sharing would reach
if derived texts were written per user. Prints the classes, and per field how many distinct
parts it takes over the users of the first business unit (what makes users unique).

*renamed* (issue 28, step 1 of the 2026-12-07 round) keys each diagnosis by its whole
neighbourhood up to renaming: every fact the session starts with (its own facts and the pool
facts its joins demand), where the user's identity values (id, email, username, names) and those
of the Account Engagement users its joins find (their fact ids, `ae_id`) are replaced by
placeholders, in values and inside texts; a value equal to an identity value without case is
that placeholder plus whether the case matches (so `same_as`/`differs_from` keep their outcome);
a field some rule compares with a threshold counts by the tests' outcomes. Then drops one part
of the neighbourhood at a time to show what keeps users apart."""
from __future__ import annotations

import argparse
import collections
import operator
from pathlib import Path
from typing import Any

from syncdoctor.engine.compile import compile_ruleset
from syncdoctor.engine.diagnosis import PLACEHOLDER
from syncdoctor.engine.model import AnyOf
from syncdoctor.engine.ruleset import require_ruleset
from syncdoctor.engine.run import Engine
from syncdoctor.engine.session import Session
from syncdoctor.facts.snapshot import load_snapshot

ORDER = {"less_than", "at_most", "greater_than", "at_least", "is_known", "is_unknown"}


def field_uses(compiled: Any, own: set[str], pooled: set[str]) -> dict[tuple[str, str], set]:
    """(own kind, field) -> its uses: ("join", pool kind, pool field, casefolded), ("text",),
    ("test", op, value) or ("value",)."""
    uses: dict[tuple[str, str], set] = collections.defaultdict(set)
    for b in compiled.branches:
        kinds = {p.alias: p.fact for p in b.patterns}

        def walk(kind: str, conds: Any, top: bool) -> None:
            for c in conds:
                if isinstance(c, AnyOf):
                    walk(kind, c.conditions, False)
                elif c.ref is not None and c.ref[0] in kinds:
                    other = kinds[c.ref[0]]
                    if c.indexed_join and top and other in own and kind in pooled:
                        uses[(other, c.ref[1])].add(("join", kind, c.field, c.ignore_case))
                    elif c.indexed_join and top and kind in own and other in pooled:
                        uses[(kind, c.field)].add(("join", other, c.ref[1], c.ignore_case))
                    else:
                        uses[(other, c.ref[1])].add(("value",))
                        uses[(kind, c.field)].add(("value",))
                else:
                    uses[(kind, c.field)].add(("test", c.op, str(c.value)))
        for p in b.patterns:
            walk(p.fact, p.conditions, True)
        if b.rule.derive is not None:
            for _, spec in b.rule.derive.set:
                if isinstance(spec, tuple) and spec[1] in kinds:
                    uses[(kinds[spec[1]], spec[2])].add(("value",))
                elif isinstance(spec, str):
                    for m in PLACEHOLDER.finditer(spec):
                        if m.group(1) in kinds:
                            uses[(kinds[m.group(1)], m.group(2))].add(("text",))
    return {k: v for k, v in uses.items() if k[0] in own}


def part(fs: Any, fact: Any, name: str, uses: set, lenient: bool) -> Any:
    if name not in fact.values:
        return "absent"
    v = fact.values[name]
    joins = sorted(u[1:] for u in uses if u[0] == "join")
    rest = {u for u in uses if u[0] != "join"}
    if joins and not rest and isinstance(v, str):
        return tuple(tuple(g.fid for g in fs.pool.lookup(kind, field, v, fold)) for kind, field, fold in joins)
    if lenient and rest <= {("text",)} | {u for u in rest if u[0] == "test" and u[1] in ORDER}:
        tests = sorted(u for u in rest if u[0] == "test")
        found = tuple(tuple(g.fid for g in fs.pool.lookup(kind, field, v, fold)) for kind, field, fold in joins)
        return (type(v).__name__, found, tuple(_holds(op, v, float(c)) for _, op, c in tests if op not in ("is_known", "is_unknown")))
    return (type(v).__name__, v)


def _holds(op: str, v: Any, c: float) -> bool:
    return {"less_than": v < c, "at_most": v <= c, "greater_than": v > c, "at_least": v >= c}[op]


IDENTITY_FIELDS = ("id", "email", "username", "first_name", "last_name", "name")
IDENTITY_POOLS = ("ae_user", "org_ae_user")  # found by the user's id, email and username
THRESHOLDS = {"less_than": operator.lt, "at_most": operator.le, "greater_than": operator.gt, "at_least": operator.ge}
ORG_PART = ("role", "assignment", "group_member")


def thresholds(compiled: Any) -> dict[tuple[str, str], list]:
    """(kind, field) -> the threshold tests some rule makes on it, as (operator, constant)."""
    tests: dict[tuple[str, str], list] = collections.defaultdict(list)

    def walk(kind: str, conds: Any) -> None:
        for c in conds:
            if isinstance(c, AnyOf):
                walk(kind, c.conditions)
            elif c.op in THRESHOLDS:
                tests[(kind, c.field)].append((THRESHOLDS[c.op], c.value))
    for b in compiled.branches:
        for p in b.patterns:
            walk(p.fact, p.conditions)
    return tests


def renamed_key(engine: Engine, fs: Any, tests: dict) -> tuple:
    """The session's starting facts with identity values as placeholders (module docstring)."""
    initial = engine._initial_facts(Session("key", fs), fs)
    own = {f.fid for f in fs.facts}
    user = next(f for f in fs.facts if f.kind == "user")
    found = sorted((f for f in initial if f.fid not in own and f.kind in IDENTITY_POOLS),
                   key=lambda f: (f.kind, str(f.values.get("ae_id", "")), f.fid))
    # placeholders numbered by where the value comes from (not by the value: that is the user's)
    ids = [user.values[n] for n in IDENTITY_FIELDS if isinstance(user.values.get(n), str)]
    ids += [f.values["ae_id"] for f in found if isinstance(f.values.get("ae_id"), str)]
    ordered = list(dict.fromkeys(ids))
    folded: dict[str, int] = {}
    for i, v in enumerate(ordered):
        folded.setdefault(v.casefold(), i)
    longest_first = sorted(range(len(ordered)), key=lambda i: -len(ordered[i]))
    fids = {f.fid: f"P{i}" for i, f in enumerate(found)}

    def value(kind: str, name: str, v: Any) -> Any:
        if (kind, name) in tests and isinstance(v, (int, float)) and not isinstance(v, bool):
            return ("outcome", tuple(op(v, c) for op, c in tests[(kind, name)]))
        if not isinstance(v, str):
            return (type(v).__name__, v)
        i = folded.get(v.casefold())
        if i is not None:
            return ("identity", i, v == ordered[i])
        for j in longest_first:
            v = v.replace(ordered[j], f"<identity {j}>")
        return v
    return tuple(sorted((f.kind, fids.get(f.fid, f.fid), tuple(sorted((n, value(f.kind, n, v)) for n, v in f.values.items())))
                        for f in initial))


def renamed(snap: Any, users: int) -> None:
    engine = Engine(require_ruleset())
    tests = thresholds(engine.compiled)
    keys = [(b, renamed_key(engine, snap.factset(u, b, None), tests))
            for u in range(users) for b in range(len(snap.business_units))]
    total = len(keys)
    counts = collections.Counter(keys)
    print(f"renamed: {len(counts):,} classes for {total:,} diagnoses ({len(counts) / total:.1%} of diagnoses; "
          f"{sum(1 for n in counts.values() if n == 1):,} alone; the largest has {max(counts.values()):,})")
    kinds = sorted({k[0] for _, key in keys for k in key})
    for name, keep in [(f"without {k}", lambda x, k=k: x[0] != k) for k in kinds] + [
            ("without the role and group part (as if derived once per org)", lambda x: x[0] not in ORG_PART),
            ("the role and group part alone", lambda x: x[0] in ORG_PART)]:
        n = len({(b, tuple(x for x in key if keep(x))) for b, key in keys})
        print(f"   {name}: {n:,} classes ({n / total:.1%})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--org", type=Path, required=True)
    ap.add_argument("--users", type=int, default=3000)
    ap.add_argument("--renamed", action="store_true", help="classes up to renaming (module docstring)")
    args = ap.parse_args()
    rules = require_ruleset()
    compiled = compile_ruleset(rules, lambda branch: (lambda c: None))
    snap = load_snapshot(args.org)
    first = snap.factset(0, 0, None)
    uses = field_uses(compiled, {f.kind for f in first.facts}, set(first.pool.sources))
    users = min(args.users, len(snap.users))
    if args.renamed:
        renamed(snap, users)
        return 0
    for lenient in (False, True):
        classes: collections.Counter = collections.Counter()
        distinct: dict[tuple[str, str], set] = collections.defaultdict(set)
        for u in range(users):
            for b in range(len(snap.business_units)):
                fs = snap.factset(u, b, None)
                key = tuple((f.fid, n, part(fs, f, n, uses[(f.kind, n)], lenient))
                            for f in fs.facts for n in sorted({n for k, n in uses if k == f.kind}))
                classes[(b, key)] += 1
                if b == 0:
                    for fid, n, p in key:
                        distinct[(fid, n)].add(p)
        total = users * len(snap.business_units)
        print(f"{'lenient' if lenient else 'strict'}: {len(classes):,} classes for {total:,} diagnoses "
              f"({1 - len(classes) / total:.0%} of diagnoses could reuse another's run)")
        print("   distinct parts per field (first business unit): " + ", ".join(
            f"{fid}.{n} {len(s):,}" for (fid, n), s in sorted(distinct.items()) if len(s) > 1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
