"""Whole-org scans before and after, from one run: written to docs/performance.md between the
scan markers (benchmarks/run.py writes the other tables).

    .venv/bin/python benchmarks/scan.py --before /path/to/older/checkout/.venv/bin/python
    .venv/bin/python benchmarks/scan.py --sizes 10000     # no "before" column without --before

Measures, on synthetic orgs from `syncdoctor dev generate-org --seed 1` (two business units):
- `diagnose --all --format json --jobs N` end to end, for the older install given by --before
  (run as `PYTHON -m syncdoctor.cli.main`) and for this one, interleaved run by run: wall,
  users/s, CPU per user (the process tree's user + system time), peak RSS of the process tree,
  output bytes per result, and whether every output is byte for byte the first install's
  (`--full-layout` adds this code writing every result whole);
- where one process's time goes over the first users of the org (what a scan worker does),
  by exclusive time in each part (a part's time excludes the parts it calls): parse, fact pools
  and per-user facts, derivation class keys, durable-rules sessions (asserting, and the Python
  callbacks of every firing), the three-valued status pass with the agreement check, and output
  (result dict, shared layout, JSON text); and the share of diagnoses that started from a
  derivation class.
Machines are noisy: read ratios, and medians where several runs were made."""
from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import CLI, ROOT, generate, timed  # noqa: E402  (benchmarks/ is not a package)

START, END = "<!-- scan tables: written by benchmarks/scan.py -->", "<!-- end of scan tables -->"


class Parts:
    """Exclusive wall time per labelled function: time spent in a nested labelled call counts
    for the inner label only."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._stack: list[list[float]] = []

    def wrap(self, owner: Any, attr: str, label: str) -> None:
        original = getattr(owner, attr)

        def timed_call(*args: Any, **kwargs: Any) -> Any:
            self._stack.append([time.perf_counter(), 0.0])
            try:
                return original(*args, **kwargs)
            finally:
                start, inner = self._stack.pop()
                spent = time.perf_counter() - start
                self.seconds[label] = self.seconds.get(label, 0.0) + spent - inner
                if self._stack:
                    self._stack[-1][1] += spent
        setattr(owner, attr, timed_call)


def breakdown(path: Path, limit: int) -> dict[str, float]:
    """Seconds per part for the first `limit` users in every business unit, as a scan worker runs them."""
    from syncdoctor.cli.formats.jsonfmt import JsonStream
    from syncdoctor.engine import classes, memo, run, status
    from syncdoctor.engine.layout import Compactor
    from syncdoctor.engine.ruleset import require_ruleset
    from syncdoctor.facts import snapshot as snapshot_mod
    parts = Parts()
    parts.wrap(snapshot_mod, "load_snapshot", "parse")
    parts.wrap(snapshot_mod.Snapshot, "factset", "facts")
    parts.wrap(classes.ClassEngine, "_class_key", "classes")
    parts.wrap(run.Engine, "_assert_all", "sessions")
    for owner, attr in ((status.Evaluator, "rule_status"), (status.Evaluator, "add_fact"), (run.Engine, "_evaluator"),
                        (run.Engine, "_complete_kinds"), (run.Engine, "_agree"), (memo.MemoEvaluator, "evaluate_branch")):
        parts.wrap(owner, attr, "status")
    parts.wrap(run.Diagnosis, "to_json", "output")
    parts.wrap(Compactor, "compact", "output")
    parts.wrap(JsonStream, "result_shared", "output")
    parts.wrap(classes.ClassEngine, "diagnose", "other engine work")
    ruleset = require_ruleset()
    eng = classes.ClassEngine(ruleset)
    t0 = time.perf_counter()
    snap = snapshot_mod.load_snapshot(path)
    stream = JsonStream(layout="shared")
    compactor = Compactor({"file": snap.file, "collected_at": snap.data.get("collected_at")})
    count = 0
    for u in range(min(limit, len(snap.users))):
        for b in range(len(snap.business_units)):
            stream.result_shared(*compactor.compact(eng.diagnose(snap.factset(u, b, None)).to_json()))
            count += 1
    total = time.perf_counter() - t0
    out = dict(parts.seconds)
    out["total"], out["results"] = total, count
    out["shared classes"] = eng.shared / max(1, count)
    return out


def scan_rows(org: Path, n: int, installs: list[tuple[str, list[str], list[str]]], reps: int,
              jobs_list: tuple[int, ...] = (1, 2)) -> list[str]:
    """`diagnose --all --format json --jobs N` for every install, the installs interleaved run by
    run (install A, B, A, B...: a change in the machine's load falls on both), medians; each
    output's sha256 compared with the first install's (the outputs must be the same bytes)."""
    rows = []
    results = 2 * n
    for jobs in jobs_list:
        runs: dict[str, list[tuple[float, int, float]]] = {name: [] for name, _, _ in installs}
        digests: dict[str, set[str]] = {name: set() for name, _, _ in installs}
        sizes: dict[str, int] = {}
        for _ in range(reps):
            for name, cli, extra in installs:
                out = org.parent / "result.json"
                cpu: dict[str, float] = {}
                wall, peak, _ = timed(cli + ["diagnose", "--facts", str(org), "--all", "--format", "json", "--jobs", str(jobs),
                                             "--out", str(out), *extra], cpu)
                runs[name].append((wall, peak, cpu["total"]))
                digests[name].add(hashlib.sha256(out.read_bytes()).hexdigest())
                sizes[name] = out.stat().st_size
                out.unlink()
        first = installs[0][0]
        for name, _, _ in installs:
            wall = statistics.median(r[0] for r in runs[name])
            cpu_s = statistics.median(r[2] for r in runs[name])
            peak = max(r[1] for r in runs[name])
            same = "yes" if digests[name] == digests[first] and len(digests[name]) == 1 else "**no**"
            rows.append(f"| {n:,} | {jobs} | {name} | {wall:.1f} s | {n / wall:,.0f} | {1000 * cpu_s / n:.2f} ms "
                        f"| {peak / 1024:,.0f} MB | {sizes[name] / results / 1024:.2f} KB | {same} |")
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    ap.add_argument("--before", help="python of an older install to measure side by side (its `-m syncdoctor.cli.main`)")
    ap.add_argument("--breakdown-users", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=3, help="runs per scan figure below 100k users (median)")
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="--jobs values to measure")
    ap.add_argument("--full-layout", action="store_true", help="also measure this code writing every result whole")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    args = ap.parse_args()
    if not args.out.parent.is_dir():  # checked before an hour of measuring, not after
        ap.error(f"--out {args.out}: no folder {args.out.parent}")
    work = Path(tempfile.mkdtemp(prefix="syncdoctor-scan-"))
    installs = ([("before", [args.before, "-m", "syncdoctor.cli.main"], [])] if args.before else []) + [
        ("now", CLI, [])] + ([("now, `--layout full`", CLI, ["--layout", "full"])] if args.full_layout else [])
    rows, split_rows = [], []
    for n in args.sizes:
        org = work / f"org-{n}.json"
        generate(n, org)
        rows += scan_rows(org, n, installs, 1 if n >= 100000 else args.repeats, tuple(args.jobs))
        b = breakdown(org, args.breakdown_users)
        total = b["total"]
        named = ("parse", "facts", "classes", "sessions", "status", "output")
        other = total - sum(b.get(k, 0.0) for k in named)
        cells = " | ".join(f"{b.get(k, 0.0):.2f} s ({b.get(k, 0.0) / total:.0%})" for k in named)
        split_rows.append(f"| {n:,} ({b['results']:,.0f} results) | {cells} | {other:.2f} s ({other / total:.0%}) "
                          f"| {b['results'] / total:,.0f} results/s | {b['shared classes']:.0%} |")
    stamp = f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC"
    text = "\n".join([
        f"## Whole-org scans before and after (`benchmarks/scan.py`, {stamp})",
        "",
        "`diagnose --all --format json --jobs N` end to end (process start to exit), the shared layout (the default "
        "with `--all`). " + ("*before*: the install given to `--before`; " if args.before else "")
        + "*now*: this code. The installs run interleaved (before, now, before, now...), one run each at 100k users, "
        f"median of {args.repeats} below. *CPU per user*: user + system seconds of the whole process tree over users. "
        "*Same bytes*: every run's output has the sha256 of the first install's.",
        "",
        "| users | jobs | install | wall | users/s | CPU per user | peak RSS (process tree) | bytes per result | same bytes |",
        "|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        f"## Where a scan worker's time goes (first {args.breakdown_users:,} users of each org, ClassEngine, one process)",
        "",
        "Exclusive wall time per part (a part's time excludes the parts it calls). *facts*: the business unit's fact "
        "pools (built on first use) and each diagnosis's own facts; *classes*: derivation class keys; *sessions*: "
        "durable-rules asserting facts and running every firing's Python callback; *status*: the three-valued status "
        "pass, memoised, with the agreement check; *output*: result dicts, the shared layout and JSON text.",
        "",
        "| users in org | parse | facts | classes | sessions | status | output | other | rate | diagnoses sharing a derivation class |",
        "|---|---|---|---|---|---|---|---|---|---|",
        *split_rows,
    ])
    print(text, flush=True)  # first: the figures survive whatever happens to --out
    page = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
    if START in page and END in page:
        head, rest = page.split(START, 1)
        page = head + START + "\n" + text + "\n" + END + rest.split(END, 1)[1]
    else:
        page = page.rstrip("\n") + "\n\n" + START + "\n" + text + "\n" + END + "\n"
    args.out.write_text(page, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
