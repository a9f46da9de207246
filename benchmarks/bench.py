"""`make bench`: every figure issue 28 asks for, this code side by side with an older release,
from one run, written to docs/performance.md between the bench markers.

    make bench                                   # before = BEFORE_REF in the Makefile (about 50 minutes on 2 CPUs)
    make bench BEFORE_REF=<commit>               # another release
    .venv/bin/python benchmarks/bench.py --before-ref caac8da --out /tmp/perf.md
    .venv/bin/python benchmarks/bench.py --smoke --before-python .venv/bin/python --out /tmp/perf.md   # the test's

*before* is the release named by `--before-ref`, exported with `git archive` into `.bench/<commit>/`
and installed into its own venv there (once; later runs reuse it), or any install's python given
to `--before-python`. Both installs run as `PYTHON -m syncdoctor.cli.main` on the same synthetic
orgs (`syncdoctor dev generate-org --seed 1`, written by *now*), interleaved run by run so a change
in the machine's load falls on both. Measured, in this order (the cheap parts first):

1. cost against the depth of the role hierarchy and against group fan-in (how many public groups
   reach each user through nesting): `--all --format json --jobs 1` of a 1,000-user org, CPU per user;
2. where a scan worker's time goes, and how many diagnoses share a derivation class (*now* only);
3. agreement: every result of `--all` (derivation classes, status memo) against the
   one-user-at-a-time engine, in one process (*now* only): every user at the small size, the first
   `--agree-users` users at the large one;
4. one user of the large org from a first read (empty snapshot cache) and cached, JSON and YAML;
5. `diagnose --all --format json --jobs N`, 1 and 2 jobs, at each size: wall, users/s, CPU per
   user (the process tree's user + system), peak RSS (process tree), bytes per result, and whether
   every output is byte for byte the first install's; and the time from the small size to the large.

Every measurement is appended to `log.jsonl` in the work folder as it is made, and the tables are
written again after each step: a run stopped half way keeps what it measured. Machines are noisy:
medians, ratios, and the load average at each step are reported."""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_tables import render  # noqa: E402  (benchmarks/ is not a package)
from run import CLI, ROOT, bytecode_env, generate, timed, warm  # noqa: E402

START, END = "<!-- bench: written by benchmarks/bench.py -->", "<!-- end of bench -->"
USER = "user1@synthetic.example"
EXAMPLE = ROOT / "docs" / "examples" / "acme.yaml"


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def install_before(ref: str) -> tuple[str, str]:
    """(python, label) of `ref` exported and installed under .bench/<commit>/ (reused when there)."""
    sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--verify", f"{ref}^{{commit}}"],
                         capture_output=True, text=True)
    if sha.returncode:
        raise SystemExit(f"--before-ref {ref}: not a commit of this repository ({sha.stderr.strip()})")
    commit = sha.stdout.strip()
    home = ROOT / ".bench" / commit
    python = home / ".venv" / "bin" / "python"
    if not (home / ".installed").exists():
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(home)], input=archive, check=True)
        subprocess.run([sys.executable, "-m", "venv", str(home / ".venv")], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-qq", "-e", str(home)], check=True)
        (home / ".installed").write_text(commit + "\n")
    return str(python), f"before ({commit[:7]})"


def now_label() -> str:
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short=7", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return f"now ({head or 'no git'}{' + changes' if dirty else ''})"


class Log:
    """Every measurement as one JSON line, kept as it is made; the tables rewritten after each step."""

    def __init__(self, work: Path, out: Path, meta: dict[str, Any]):
        self.path, self.out, self.meta, self.records = work / "log.jsonl", out, meta, []

    def keep(self, earlier: Path, remeasured: set[str]) -> None:
        """The records of an earlier run (its log.jsonl) for the steps not measured again."""
        kept = [json.loads(line) for line in earlier.read_text(encoding="utf-8").splitlines() if line.strip()]
        kept = [r for r in kept if r["step"] not in remeasured]
        labels = sorted({r["install"] for r in kept if "install" in r})
        for r in kept:  # an install keeps its role (before, now) under this run's label
            if "install" in r:
                r["install"] = next(name for name in self.meta["installs"] if name.split()[0] == r["install"].split()[0])
        self.records = kept + self.records
        self.meta["kept"] = (f"every step but {', '.join(sorted(remeasured))} is from an earlier run ({earlier}; its installs: "
                             f"{'; '.join(labels)}), shown under this run's labels")

    def add(self, **record: Any) -> None:
        record.setdefault("load", load())
        self.records.append(record)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")

    def write(self) -> None:
        text = render(self.meta, self.records)
        page = self.out.read_text(encoding="utf-8") if self.out.exists() else ""
        if START in page and END in page:
            head, rest = page.split(START, 1)
            page = head + START + "\n" + text + "\n" + END + rest.split(END, 1)[1]
        else:
            page = page.rstrip("\n") + ("\n\n" if page else "") + START + "\n" + text + "\n" + END + "\n"
        self.out.write_text(page, encoding="utf-8")


def scan(cli: list[str], org: Path, jobs: int, out: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    cpu: dict[str, float] = {}
    memory: dict[str, int] = {}
    wall, peak, _ = timed(cli + ["diagnose", "--facts", str(org), "--all", "--format", "json", "--jobs", str(jobs),
                                 "--out", str(out)], cpu, env=env, memory=memory)
    data = out.read_bytes()
    out.unlink()
    # The header's `ruleset` line names the knowledge (version, each file's sha256): two releases
    # whose knowledge differs only in words no result uses differ there alone. `results_sha` sets
    # that one line aside; `sha` is every byte.
    results = b"\n".join(b'  "ruleset": (set aside)' if line.startswith(b'  "ruleset": ') else line
                          for line in data.split(b"\n"))
    return {"wall": wall, "peak_kb": peak, "pss_kb": memory["pss"], "cpu": cpu["total"], "parent_cpu": cpu["main"], "sha": hashlib.sha256(data).hexdigest(),
            "results_sha": hashlib.sha256(results).hexdigest(), "bytes": len(data)}


def fan_in(src: Path, dst: Path, groups: int) -> None:
    """`src` with `groups` more public groups that each contain one hub group holding every user,
    each assigned to the first business unit's Marketing Users: every user is reached by that
    many more groups through nesting."""
    data = json.loads(src.read_text(encoding="utf-8"))
    sf = data["salesforce"]
    hub = "00Gfanhub000000AAA"
    sf["public_groups"].append({"id": hub, "name": "Fan-in hub",
                                "members": [{"type": "user", "id": u["id"]} for u in sf["users"]]})
    marketing = data["business_units"][0]["user_groups"]["marketing"]
    for i in range(groups):
        gid = f"00Gfan{i:09d}AAA"
        sf["public_groups"].append({"id": gid, "name": f"Fan-in {i}", "members": [{"type": "public_group", "id": hub}]})
        marketing.append({"type": "public_group", "id": gid})
    dst.write_text(json.dumps(data), encoding="utf-8")


def sweep(log: Log, installs: list[tuple[str, list[str]]], work: Path, users: int, kind: str, points: list[int]) -> None:
    for point in points:
        org = work / f"{kind}-{point}.json"
        if kind == "depth":
            generate(users, org, depth=point)
        else:
            base = work / f"depth-10-{users}.json"
            if not base.exists():
                generate(users, base)
            fan_in(base, org, point)
        for name, cli in installs:
            r = scan(cli, org, 1, work / "sweep.json")
            log.add(step=kind, point=point, users=users, install=name, **r)
        log.write()


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


def breakdown_step(log: Log, org: Path, users: int, n: int) -> None:
    b = breakdown(org, users)
    log.add(step="breakdown", org_users=n, **b)
    log.write()


def agreement(log: Log, org: Path, n: int, users: int | None) -> None:
    """Every result `--all`'s engine writes against the one-user-at-a-time engine's, as JSON."""
    from syncdoctor.engine.classes import ClassEngine
    from syncdoctor.engine.ruleset import require_ruleset
    from syncdoctor.engine.run import Engine
    from syncdoctor.facts.snapshot import load_snapshot
    ruleset = require_ruleset()
    snap = load_snapshot(org)
    bulk, single = ClassEngine(ruleset), Engine(ruleset)
    count = differ = 0
    limit = len(snap.users) if users is None else min(users, len(snap.users))
    t0 = time.perf_counter()
    for u in range(limit):
        for b in range(len(snap.business_units)):
            one = single.diagnose(snap.factset(u, b, None)).to_json()
            many = bulk.diagnose(snap.factset(u, b, None)).to_json()
            count += 1
            differ += one != many
    log.add(step="agreement", org_users=n, users=limit, diagnoses=count, differ=differ,
            seconds=time.perf_counter() - t0)
    log.write()


def single_user(log: Log, installs: list[tuple[str, list[str]]], work: Path, n: int, cold_runs: int, warm_runs: int) -> None:
    orgs = {"JSON": work / f"org-{n}.json", "YAML": work / f"org-{n}.yaml"}
    if not orgs["YAML"].exists():
        generate(n, orgs["YAML"])
    for name, cli in installs:
        env = bytecode_env(work / name.split()[0])
        warm(cli, env)  # this install's bytecode, of every module a diagnosis imports
        for fmt, org in orgs.items():
            cache = work / f"cache-{name.split()[0]}"
            env_c = dict(env, SYNCDOCTOR_CACHE_DIR=str(cache))
            cmd = cli + ["diagnose", "--facts", str(org), "--user", USER, "--format", "json"]
            first = []
            for _ in range(cold_runs):
                shutil.rmtree(cache, ignore_errors=True)
                first.append(timed(cmd, env=env_c)[0])
            cached = [timed(cmd, env=env_c)[0] for _ in range(warm_runs)]
            log.add(step="single", org_users=n, install=name, format=fmt, first=statistics.median(first),
                    cached=statistics.median(cached), runs=[first, cached])
        # the floor: the example snapshot (a few users; too small to be cached), what any command costs
        example = [timed(cli + ["diagnose", "--facts", str(EXAMPLE), "--user", "asmith@acme.example", "--format", "json"],
                         env=env)[0] for _ in range(warm_runs)]
        log.add(step="single", org_users=0, install=name, format="YAML", first=statistics.median(example),
                cached=statistics.median(example), runs=[example])
        log.write()


def scans(log: Log, installs: list[tuple[str, list[str]]], work: Path, n: int, reps: int, jobs_list: list[int]) -> None:
    org = work / f"org-{n}.json"
    for jobs in jobs_list:
        for rep in range(reps):
            for name, cli in installs:
                log.add(step="scan", org_users=n, jobs=jobs, install=name, rep=rep, **scan(cli, org, jobs, work / "scan.json"))
            log.write()


# ----- the tables -----

STEPS = ("depth", "fan_in", "breakdown", "agreement", "single", "scan")


def measure(log: Log, installs: list[tuple[str, list[str]]], work: Path, args: argparse.Namespace, steps: set[str]) -> None:
    """The steps, cheap ones first; each writes the tables again when it ends."""
    small, large = (200, 400) if args.smoke else args.sizes
    for n in (small, large):
        if steps & {"breakdown", "agreement", "single", "scan"}:
            generate(n, work / f"org-{n}.json")
    if "depth" in steps:
        sweep(log, installs, work, 100 if args.smoke else args.sweep_users, "depth", [5, 20] if args.smoke else [5, 10, 20, 40, 80])
    if "fan_in" in steps:
        sweep(log, installs, work, 100 if args.smoke else args.sweep_users, "fan_in", [0, 10] if args.smoke else [0, 10, 50, 200])
    for n in (small, large) if "breakdown" in steps else ():
        breakdown_step(log, work / f"org-{n}.json", 50 if args.smoke else args.breakdown_users, n)
    if "agreement" in steps:
        agreement(log, work / f"org-{small}.json", small, None)
    if "single" in steps:
        single_user(log, installs, work, large, 1 if args.smoke else 3, 1 if args.smoke else 5)
    if "scan" in steps:
        scans(log, installs, work, small, 1 if args.smoke else args.repeats, [1, 2])
        scans(log, installs, work, large, 1, [1, 2])
    if "agreement" in steps:
        agreement(log, work / f"org-{large}.json", large, None if args.smoke else args.agree_users)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before-ref", help="a commit of this repository to measure side by side (installed under .bench/)")
    ap.add_argument("--before-python", help="instead: the python of an older install (its `-m syncdoctor.cli.main`)")
    ap.add_argument("--sizes", type=int, nargs=2, default=[10_000, 100_000], metavar=("SMALL", "LARGE"))
    ap.add_argument("--repeats", type=int, default=3, help="runs per scan figure at the small size (median); 1 at the large")
    ap.add_argument("--sweep-users", type=int, default=1000, help="org size for the depth and fan-in sweeps")
    ap.add_argument("--agree-users", type=int, default=10_000, help="users compared at the large size (all at the small)")
    ap.add_argument("--breakdown-users", type=int, default=1000)
    ap.add_argument("--smoke", action="store_true", help="tiny sizes and one run of each: proves the run works")
    ap.add_argument("--only", nargs="+", choices=STEPS, help="measure only these steps (with --keep: the rest from an earlier run)")
    ap.add_argument("--keep", type=Path, metavar="LOG", help="an earlier run's log.jsonl: its figures of the steps not measured now are kept")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    args = ap.parse_args()
    if args.keep and not args.keep.is_file():
        ap.error(f"--keep {args.keep}: no such log")
    if not args.out.parent.is_dir():  # checked before measuring, not after
        ap.error(f"--out {args.out}: no folder {args.out.parent}")
    if args.before_ref and args.before_python:
        ap.error("--before-ref or --before-python, not both")
    installs: list[tuple[str, list[str]]] = []
    if args.before_ref:
        py, label = install_before(args.before_ref)
        installs.append((label, [py, "-m", "syncdoctor.cli.main"]))
    elif args.before_python:
        installs.append(("before", [args.before_python, "-m", "syncdoctor.cli.main"]))
    installs.append((now_label(), CLI))
    work = Path(tempfile.mkdtemp(prefix="syncdoctor-bench-"))
    os.environ["SYNCDOCTOR_CACHE_DIR"] = str(work / "cache")  # the runs' own snapshot cache, never the user's
    os.environ.pop("SYNCDOCTOR_NO_CACHE", None)
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown CPU")
    meta = {"started": f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M}", "installs": [name for name, _ in installs],
            "command": " ".join(["benchmarks/bench.py", *sys.argv[1:]]),
            "machine": f"{os.cpu_count()} CPUs ({cpu}), {os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') // 2**20:,} MB RAM, "
                       f"Python {platform.python_version()}"}
    log = Log(work, args.out, meta)
    print(f"syncdoctor bench: work folder {work}; log {log.path}", flush=True)
    if args.keep:
        log.keep(args.keep, set(args.only or STEPS))
    measure(log, installs, work, args, set(args.only or STEPS))
    log.write()
    for org in [*work.glob("*.json"), *work.glob("*.yaml")]:
        org.unlink()  # the orgs (100k users: about 100 MB each); the log stays
    print(render(meta, log.records), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
