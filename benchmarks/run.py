"""The finer tables of docs/performance.md, beside `make bench` (benchmarks/bench.py, which
measures issue 28's figures side by side with a release): one run on one machine, written between
this script's markers.

    .venv/bin/python benchmarks/run.py                 # 1k, 10k, 100k users
    .venv/bin/python benchmarks/run.py --sizes 1000 10000
    .venv/bin/python benchmarks/run.py --smoke --out /tmp/perf.md   # what CI runs (1k users)

Measures, on synthetic orgs from `syncdoctor dev generate-org`:
- single-user CLI latency, process start to output (median of several runs), from the same
  synthetic org written as JSON and as YAML, at every size, on a first run (empty snapshot cache)
  and cached (`--only single-user` runs just this part and rewrites just its table);
- `diagnose --all` in the other formats (text with 1 and 2 workers, markdown, HTML): every
  format streams, so peak RSS should stay flat as the org grows;
- in one process on the same diagnoses: the one-user-at-a-time engine, the status memo and the
  derivation classes (what `--all` runs), side by side;
- peak RSS over many diagnoses in one process.
Machines are noisy: every figure is a median, and ratios matter more than absolutes."""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "syncdoctor.cli.main"]


def print_rates(rates: dict[str, list[float]], unit: str, top: str, bottom: str) -> None:
    """Each series' median and runs, then the ratio of two medians (`top` / `bottom`)."""
    for name, got in rates.items():
        print(f"{name}: median {statistics.median(got):,.0f} {unit} (runs: {', '.join(f'{r:,.0f}' for r in got)})")
    print(f"{top} / {bottom}: {statistics.median(rates[top]) / statistics.median(rates[bottom]):.2f}")


def tree_rss_kb(pid: int, field: str = "VmRSS:", file: str = "status") -> int:
    """Resident memory of a process and all its descendants, from /proc. Summed RSS counts twice
    the pages a forked worker still shares with its parent; `tree_pss_kb` splits them instead."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/{file}") as fh:
                for line in fh:
                    if line.startswith(field):
                        total += int(line.split()[1])
        except OSError:
            pass
        stack.extend(children.get(p, []))
    return total


def tree_pss_kb(pid: int) -> int:
    """Proportional memory (PSS) of a process tree: each shared page counted once over the
    processes that share it, so the sum is what the tree really holds."""
    return tree_rss_kb(pid, "Pss:", "smaps_rollup")


def own_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) of one process alone, not its children, from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def timed(cmd: list[str], cpu: dict[str, float] | None = None, env: dict[str, str] | None = None,
          memory: dict[str, int] | None = None) -> tuple[float, int, int]:
    """Wall seconds, peak RSS (KB) of the process tree, exit code. A run that fails (anything
    but 0 or 1, "a cause was found") stops the benchmark: its time would mean nothing.
    `cpu`, when given, receives the CPU seconds of the main process alone ("main") and of the
    whole tree ("total"): their ratio says how much of the work the worker processes carry,
    which other load on the machine does not change (wall time it does). `memory`, when given,
    receives the peak PSS of the tree ("pss", KB), sampled every half second (reading it walks
    the page tables)."""
    peak, main_cpu, pss = [0], [0.0], [0]
    start = time.perf_counter()
    errors = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=errors, cwd=ROOT, env=env)
    done = threading.Event()

    def sample() -> None:
        ticks = 0
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss_kb(proc.pid))
            if memory is not None and ticks % 10 == 0:
                pss[0] = max(pss[0], tree_pss_kb(proc.pid))
            ticks += 1
            main_cpu[0] = max(main_cpu[0], own_cpu_seconds(proc.pid))
            done.wait(0.05)
    t = threading.Thread(target=sample, daemon=True)
    t.start()
    _, status, usage = os.wait4(proc.pid, 0)  # the tree's CPU: the workers were reaped by the main process
    code = proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    done.set()
    t.join()
    if cpu is not None:
        cpu.update(main=main_cpu[0], total=usage.ru_utime + usage.ru_stime)
    if memory is not None:
        memory["pss"] = pss[0]
    if code not in (0, 1):
        errors.seek(0)
        raise SystemExit(f"benchmark run failed (exit {code}): {' '.join(cmd)}\n{errors.read().decode(errors='replace')[-2000:]}")
    return wall, peak[0], code


def generate(users: int, path: Path, depth: int = 10) -> None:
    """A synthetic org; the extension of `path` (.json or .yaml) picks the format."""
    subprocess.run(CLI + ["dev", "generate-org", "--users", str(users), "--seed", "1", "--depth", str(depth),
                          "--out", str(path)], check=True, cwd=ROOT)


def side_by_side(path: Path, limit: int) -> dict[str, float]:
    """Diagnoses/s (CPU time of this process) of each engine on the same factsets, interleaved
    three times (median): one session and a full status pass per diagnosis (`Engine`, before
    issue 17), statuses memoised per signature (`MemoEngine`), derivations shared per class on
    top of that (`ClassEngine`, what `--all` runs)."""
    from syncdoctor.engine.classes import ClassEngine
    from syncdoctor.engine.memo import MemoEngine
    from syncdoctor.engine.ruleset import require_ruleset
    from syncdoctor.engine.run import Engine
    from syncdoctor.facts.snapshot import load_snapshot
    ruleset = require_ruleset()
    snap = load_snapshot(path)
    factsets = [snap.factset(u, b, None) for u in range(min(limit, len(snap.users))) for b in range(len(snap.business_units))]
    engines = {"Engine": Engine(ruleset), "MemoEngine": MemoEngine(ruleset), "ClassEngine": ClassEngine(ruleset)}
    rates: dict[str, list[float]] = {k: [] for k in engines}
    for _ in range(3):
        for name, eng in engines.items():
            t = time.process_time()
            for fs in factsets:
                eng.diagnose(fs)
            rates[name].append(len(factsets) / (time.process_time() - t))
    return {k: statistics.median(v) for k, v in rates.items()}


def single_user(snap: Path, cache_dir: Path, cold_reps: int, warm_reps: int) -> tuple[float, float]:
    """Median wall seconds of one user's diagnosis from process start: the first run (an empty
    snapshot cache, so the file is parsed and validated) and the runs after it (a cache hit)."""
    cmd = CLI + ["diagnose", "--facts", str(snap), "--user", "user1@synthetic.example", "--format", "json"]
    env = bytecode_env(cache_dir.parent)
    cold = []
    for _ in range(cold_reps):
        shutil.rmtree(cache_dir, ignore_errors=True)
        cold.append(timed(cmd, env=env)[0])
    warm = [timed(cmd, env=env)[0] for _ in range(warm_reps)]
    return statistics.median(cold), statistics.median(warm)


def bytecode_env(work: Path) -> dict[str, str]:
    """The environment of an installed tool: Python's compiled bytecode is kept (in the work
    folder, not the source tree) even where PYTHONDONTWRITEBYTECODE is set, as `pip install`
    compiles it; without it every run compiles syncdoctor's modules again (about 0.07 s)."""
    env = dict(os.environ, PYTHONPYCACHEPREFIX=str(work / "pycache"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    warm(CLI, env)
    return env


def warm(cli: list[str], env: dict[str, str]) -> None:
    """Write the bytecode of every module a diagnosis imports (`--help` alone leaves the engine,
    the pipeline and durable-rules' wrapper out: the first timed run would compile them, about
    0.15 s). The example is small, so the snapshot cache is not touched."""
    example = ROOT / "docs" / "examples" / "acme.yaml"
    proc = subprocess.run(cli + ["diagnose", "--facts", str(example), "--user", "asmith@acme.example", "--format", "json"],
                          env=env, cwd=ROOT, capture_output=True)
    if proc.returncode not in (0, 1):  # 1: a cause found, the example working
        raise SystemExit(f"warming {' '.join(cli)} failed (exit {proc.returncode}): {proc.stderr.decode(errors='replace')[-2000:]}")


def single_user_table(latency: list[str], only: str = "") -> list[str]:
    return [
        "### Single-user diagnosis, process start to output (median)",
        "",
        "The same synthetic org written as JSON and as YAML (`dev generate-org --out org.json / org.yaml`). "
        "*First run*: the snapshot cache is empty, so the file is parsed and validated (and, from 1 MB, kept in the "
        "cache); *cached*: the runs after it, which find the validated snapshot under the file's sha256 "
        "(facts/cache.py; smaller files are not cached, so both columns measure the same thing). Python's bytecode "
        "is kept between runs, as after `pip install`.",
        *([f"This table alone was measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by "
           f"`.venv/bin/python benchmarks/run.py {only}` (the other tables are from the run named above)."] if only else []),
        "",
        "| snapshot | JSON, first run | JSON, cached | YAML, first run | YAML, cached |",
        "|---|---|---|---|---|",
        *latency,
        "",
    ]


def write_section(path: Path, heading: str, lines: list[str]) -> None:
    """Replace one section (from `heading` to the next `### `) inside the generated block."""
    old = path.read_text()
    start = old.index(heading, old.index(START))
    end = old.find("\n### ", start + len(heading))
    end = old.index(END, start) if end < 0 or end > old.index(END, start) else end + 1
    path.write_text(old[:start] + "\n".join(lines) + "\n" + old[end:])


def hwm_kb() -> int:
    """Peak RSS of this process image (VmHWM). Not ru_maxrss: Linux carries that across exec,
    so a child would report its parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def memory_over(path: Path, total: int) -> tuple[int, int, float]:
    """Peak RSS (KB) after a tenth of `total` diagnoses and after all of them, in one process."""
    from syncdoctor.engine.ruleset import require_ruleset
    from syncdoctor.engine.run import Engine
    from syncdoctor.facts.snapshot import load_snapshot
    snap = load_snapshot(path)
    eng = Engine(require_ruleset())
    factsets = [snap.factset(u, b, None) for u in range(min(500, len(snap.users))) for b in range(len(snap.business_units))]
    start = time.perf_counter()
    early = 0
    for i in range(total):
        eng.diagnose(factsets[i % len(factsets)])
        if i + 1 == total // 10:
            early = hwm_kb()
    return early, hwm_kb(), total / (time.perf_counter() - start)


def main() -> int:
    if sys.argv[1:2] == ["--memory-child"]:
        print(json.dumps(memory_over(Path(sys.argv[2]), int(sys.argv[3]))))
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--repeats", type=int, default=5, help="runs per latency figure (median)")
    ap.add_argument("--smoke", action="store_true", help="CI: 1k users, few repeats, no depth sweep")
    ap.add_argument("--only", choices=["single-user"], help="run only this part and rewrite only its table")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    ap.add_argument("--memory", type=int, default=100_000, help="diagnoses in one process for the memory check (0: skip)")
    args = ap.parse_args()
    if args.smoke:
        args.sizes, args.repeats, args.memory = [1000], 2, 2000
    work = Path(tempfile.mkdtemp(prefix="syncdoctor-bench-"))
    latency: list[str] = []
    side_rows: list[str] = []

    example = ROOT / "docs" / "examples" / "acme.yaml"
    cache_dir = work / "cache"
    os.environ["SYNCDOCTOR_CACHE_DIR"] = str(cache_dir)  # the runs' own snapshot cache, never the user's
    os.environ.pop("SYNCDOCTOR_NO_CACHE", None)
    installed = bytecode_env(work)
    runs = [timed(CLI + ["diagnose", "--facts", str(example), "--user", "asmith@acme.example", "--format", "json"],
                  env=installed)[0] for _ in range(args.repeats)]
    latency.append(f"| example snapshot (docs/examples/acme.yaml) | | | {statistics.median(runs):.2f} s | |")

    format_rows: list[str] = []
    for n in args.sizes:
        org = work / f"org-{n}.json"
        generate(n, org)
        yaml_org = work / f"org-{n}.yaml"
        generate(n, yaml_org)
        cells = []
        for snap in (org, yaml_org):
            cold_reps = 1 if n >= 100000 and snap is yaml_org else args.repeats
            cold, warm = single_user(snap, cache_dir, cold_reps, args.repeats)
            cells += [f"{cold:.2f} s", f"{warm:.2f} s"]
        latency.append(f"| {n:,}-user snapshot | " + " | ".join(cells) + " |")
        if args.only == "single-user":
            continue
        for fmt, jobs in (("text", 1), ("text", 2), ("markdown", 1), ("html", 1)):
            cpu: dict[str, float] = {}
            wall, peak, _ = timed(CLI + ["diagnose", "--facts", str(org), "--all", "--format", fmt, "--jobs", str(jobs),
                                         "--out", str(work / f"result.{fmt}")], cpu)
            share = cpu["main"] / cpu["total"] if cpu["total"] else 0
            format_rows.append(f"| {n:,} | {fmt} | {jobs} | {wall:.1f} s | {n / wall:,.0f} | {peak / 1024:,.0f} MB | {share:.0%} |")
        rates = side_by_side(org, min(n, 1000))
        side_rows.append(f"| {n:,} | " + " | ".join(f"{rates[k]:,.0f}" for k in ("Engine", "MemoEngine", "ClassEngine"))
                         + f" | {rates['ClassEngine'] / rates['Engine']:.2f}× |")

    if args.only == "single-user":
        write_section(args.out, "### Single-user diagnosis", single_user_table(latency, " ".join(sys.argv[1:])))
        print("\n".join(single_user_table(latency, " ".join(sys.argv[1:]))))
        shutil.rmtree(work, ignore_errors=True)  # the orgs (100k users: 106 MB) and their cache
        return 0

    text = _tables_text(latency, format_rows, side_rows, _memory_rows(args.memory, work / f"org-{args.sizes[0]}.json"))
    write_between_markers(args.out, text)
    print(text)
    return 0


def _memory_rows(diagnoses: int, org: Path) -> list[str]:
    """Peak RSS over `diagnoses` in a fresh process (nothing else this benchmark loaded counts)."""
    memory_rows: list[str] = []
    if diagnoses:
        proc = subprocess.run([sys.executable, __file__, "--memory-child", str(org), str(diagnoses)],
                              capture_output=True, text=True, check=True, cwd=ROOT)
        early, late, rate = json.loads(proc.stdout)
        memory_rows.append(f"| {diagnoses // 10:,} | {early / 1024:,.0f} MB |")
        memory_rows.append(f"| {diagnoses:,} | {late / 1024:,.0f} MB ({rate:,.0f} diagnoses/s) |")
    return memory_rows


def _tables_text(latency: list[str], format_rows: list[str], side_rows: list[str], memory_rows: list[str]) -> str:
    """The section benchmarks/run.py writes into docs/performance.md."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown CPU")
    mem = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")), "0")
    command = "benchmarks/run.py " + " ".join(sys.argv[1:])
    return "\n".join([
        "## Finer tables (`benchmarks/run.py`)",
        "",
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {os.cpu_count()} CPUs ({cpu}), "
        f"{int(mem) // 1024:,} MB RAM, Python {platform.python_version()}. Command: `.venv/bin/python {command.strip()}` "
        "Synthetic orgs from `syncdoctor dev generate-org --seed 1` (two business units: every user is "
        "diagnosed twice).",
        "",
        *single_user_table(latency),
        "### Whole-org scan in the other formats: `diagnose --all --format F --jobs N` (one run each)",
        "",
        "Every format streams (one result at a time, the summary last), so peak RSS should not grow with the org. "
        "The worker processes diagnose and render; the last column is the main process's share of the CPU time "
        "(reading the snapshot, writing the output): the rest is what `--jobs N` spreads over N processes.",
        "",
        "| users | format | jobs | wall | users/s | peak RSS (process tree) | main process share of CPU |",
        "|---|---|---|---|---|---|---|",
        *format_rows,
        "",
        "### Engines side by side (issue 17; one process, the same diagnoses, CPU time, median of 3 interleaved runs)",
        "",
        "Diagnoses/s over the first 1,000 users (2 business units). `Engine`: one durable-rules session and a full "
        "status pass per diagnosis (before). `MemoEngine`: statuses memoised per signature. `ClassEngine`: that, and "
        "derivations shared per derivation class (what `--all` runs now).",
        "",
        "| users in org | Engine (before) | MemoEngine | ClassEngine (now) | now/before |",
        "|---|---|---|---|---|",
        *side_rows,
        "",
        *(["### Memory over many diagnoses in one process (peak RSS)", "",
           "| diagnoses | peak RSS |", "|---|---|", *memory_rows, ""] if memory_rows else []),
    ])


START, END = "<!-- benchmark tables: written by benchmarks/run.py -->", "<!-- end of benchmark tables -->"


def write_between_markers(path: Path, tables: str) -> None:
    """Replace the tables between the markers; the hand-written analysis around them stays."""
    old = path.read_text() if path.exists() else ""
    block = f"{START}\n{tables}\n{END}"
    if START in old and END in old:
        new = old[: old.index(START)] + block + old[old.index(END) + len(END):]
    else:
        new = block + "\n" + old
    path.write_text(new if new.endswith("\n") else new + "\n")

if __name__ == "__main__":
    sys.exit(main())
