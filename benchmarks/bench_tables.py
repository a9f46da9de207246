"""The tables of `make bench` (benchmarks/bench.py): its records (one dict per measurement, as
log.jsonl keeps them) rendered as the Markdown written to docs/performance.md, the targets
judged against issue 28's figures."""
from __future__ import annotations

import statistics
from datetime import datetime, timezone
from typing import Any

TARGETS = {"users/s, 2 jobs": 5000, "users/s, 1 job": 2500, "peak RSS MB": 1536, "linear": 11.0,
           "first JSON": 1.0, "first YAML": 2.0, "cached": 0.5}


def _median(rows: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def _group(records: list[dict[str, Any]], step: str, *keys: str) -> dict[tuple, list[dict[str, Any]]]:
    out: dict[tuple, list[dict[str, Any]]] = {}
    for r in records:
        if r["step"] == step:
            out.setdefault(tuple(r[k] for k in keys), []).append(r)
    return out


def render(meta: dict[str, Any], records: list[dict[str, Any]]) -> str:
    installs = meta["installs"]
    lines = [f"## `make bench`: {meta['started']} to {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
             "",
             f"{meta['machine']}. Command: `{meta['command']}`. Installs: " +
             "; ".join(f"*{name}*" for name in installs) + ". Synthetic orgs from `syncdoctor dev generate-org --seed 1` "
             "(two business units: every user is diagnosed twice). The installs run interleaved; *load*: the "
             "machine's load average (1, 5, 15 min) when the row's last run ended." +
             (f" Not all of this run: {meta['kept']}."
              if meta.get("kept") else ""),
             ""]
    lines += _scan_tables(records, installs)
    lines += _single_table(records, installs)
    lines += _sweep_table(records, installs, "depth", "role hierarchy depth (spine)")
    lines += _sweep_table(records, installs, "fan_in", "public groups reaching every user (fan-in)")
    lines += _breakdown_table(records)
    lines += _agreement_table(records)
    lines += _targets_table(records, installs)
    return "\n".join(lines).rstrip("\n") + "\n"


def _scan_tables(records: list[dict[str, Any]], installs: list[str]) -> list[str]:
    groups = _group(records, "scan", "org_users", "jobs", "install")
    if not groups:
        return []
    first = {(n, j): ({r["sha"] for r in groups.get((n, j, installs[0]), [])},
                      {r.get("results_sha") for r in groups.get((n, j, installs[0]), [])}) for n, j, _ in groups}
    rows = []
    for (n, jobs, name), runs in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], installs.index(kv[0][2]))):
        wall, cpu = _median(runs, "wall"), _median(runs, "cpu")
        whole, results = first[(n, jobs)]
        if {r["sha"] for r in runs} == whole and len(whole) == 1:
            same = "yes"
        elif {r.get("results_sha") for r in runs} == results and len(results) == 1:
            same = "results: yes; knowledge line differs"
        else:
            same = "**no**"
        rows.append(f"| {n:,} | {jobs} | {name} | {len(runs)} | {wall:.1f} s | {n / wall:,.0f} | {1000 * cpu / n:.2f} ms "
                    f"| {max(r['peak_kb'] for r in runs) / 1024:,.0f} MB | {max(r.get('pss_kb', 0) for r in runs) / 1024:,.0f} MB "
                    f"| {runs[0]['bytes'] / (2 * n) / 1024:.2f} KB | {_median(runs, 'parent_cpu') / cpu:.0%} "
                    f"| {same} | {runs[-1]['load']} |")
    lines = ["### Whole-org scans: `diagnose --all --format json --jobs N`", "",
             "End to end, process start to exit, the shared layout (the default with `--all`). *runs*: how many "
             "(the median is shown); *CPU per user*: user + system seconds of the whole process tree over users; "
             "*peak RSS*: the sum of the processes' resident memory, which counts twice the pages a forked worker still shares "
             "with its parent; *peak PSS*: each shared page split over the processes sharing it (sampled every half second; "
             "reading it costs about 14 ms per GB, a few per cent of a CPU at 100k users, charged to both installs alike), "
             "what the tree really holds. *bytes per result*: the output's size over the results, its header (the rules "
             "table, about 60 KB) included. *parent's CPU*: the main process's share of the tree's CPU (reading the "
             "snapshot, handing out work, writing the output); the rest is the workers'. *same bytes*: every run's output has the sha256 of the first install's; where only the header's `ruleset` line "
             "differs (the knowledge's version and files' sha256: two releases whose knowledge changed only in words no "
             "result uses), *results: yes* says every other byte is the same.", "",
             "| users | jobs | install | runs | wall | users/s | CPU per user | peak RSS (process tree) | peak PSS (process tree) | bytes per result | parent's CPU | same bytes | load |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|", *rows, ""]
    sizes = sorted({n for n, _, _ in groups})
    if len(sizes) >= 2:
        small, large = sizes[0], sizes[-1]
        lin = []
        for name in installs:
            for jobs in sorted({j for _, j, _ in groups}):
                a, b = groups.get((small, jobs, name)), groups.get((large, jobs, name))
                if a and b:
                    lin.append(f"| {name} | {jobs} | {_median(b, 'wall') / _median(a, 'wall'):.1f}× "
                               f"| {_median(b, 'cpu') / _median(a, 'cpu'):.1f}× |")
        if lin:
            lines += [f"Time from {small:,} to {large:,} users ({large // small}× the users; linear is {large // small}×):", "",
                      "| install | jobs | wall | CPU |", "|---|---|---|---|", *lin, ""]
    return lines


def _single_table(records: list[dict[str, Any]], installs: list[str]) -> list[str]:
    groups = _group(records, "single", "org_users", "install", "format")
    if not groups:
        return []
    rows = []
    for n in sorted({k[0] for k in groups}):
        for name in installs:
            cells = []
            for fmt in ("JSON", "YAML"):
                r = groups.get((n, name, fmt))
                cells += [f"{r[0]['first']:.2f} s", f"{r[0]['cached']:.2f} s"] if r else ["", ""]
            if n == 0:  # the example: no cache below 1 MB, both columns the same runs
                cells = ["", "", cells[2], ""]
            rows.append(f"| {f'{n:,}' if n else 'the example (docs/examples/acme.yaml)'} | {name} | " + " | ".join(cells) + " |")
    return ["### One user, process start to output (median)", "",
            "`diagnose --user user1@synthetic.example --format json` (the example: `--user asmith@acme.example`, what any "
            "command costs before the snapshot's size counts). *First read*: the snapshot cache is empty, so "
            "the file is parsed and validated; *cached*: the runs after it (the validated snapshot found under the "
            "file's sha256, facts/cache.py). Python's bytecode is kept between runs, as after `pip install`.", "",
            "| users in org | install | JSON, first read | JSON, cached | YAML, first read | YAML, cached |",
            "|---|---|---|---|---|---|", *rows, ""]


def _sweep_table(records: list[dict[str, Any]], installs: list[str], step: str, what: str) -> list[str]:
    groups = _group(records, step, "point", "install")
    if not groups:
        return []
    points = sorted({p for p, _ in groups})
    users = next(iter(groups.values()))[0]["users"]
    rows = []
    for p in points:
        cells = [f"{1000 * groups[(p, name)][0]['cpu'] / users:.2f} ms" if (p, name) in groups else "" for name in installs]
        ratio = same = ""
        if len(installs) == 2 and all((p, name) in groups for name in installs):
            a, b = groups[(p, installs[0])][0], groups[(p, installs[1])][0]
            ratio = f"{a['cpu'] / b['cpu']:.2f}×"
            same = "yes" if a["sha"] == b["sha"] else "results: yes" if a.get("results_sha") == b.get("results_sha") else "**no**"
        rows.append(f"| {p} | " + " | ".join(cells) + f" | {ratio} | {same} |")
    return [f"### Cost against {what}", "",
            f"`--all --format json --jobs 1` of a {users:,}-user org, CPU per user (one run each).", "",
            f"| {step.replace('_', '-')} | " + " | ".join(installs) + " | before / now | same results |",
            "|---|" + "---|" * len(installs) + "---|---|", *rows, ""]


def _breakdown_table(records: list[dict[str, Any]]) -> list[str]:
    rows = []
    for r in records:
        if r["step"] != "breakdown":
            continue
        total = r["total"]
        named = ("parse", "facts", "classes", "sessions", "status", "output")
        other = total - sum(r.get(k, 0.0) for k in named)
        cells = " | ".join(f"{r.get(k, 0.0) / total:.0%}" for k in named)
        rows.append(f"| {r['org_users']:,} | {r['results']:,.0f} | {cells} | {other / total:.0%} "
                    f"| {r['results'] / total:,.0f} | {r['shared classes']:.0%} |")
    if not rows:
        return []
    return ["### Where a scan worker's time goes (*now*, one process, wall)", "",
            "Exclusive time per part over the first users of the org (`breakdown`): *facts* the "
            "business unit's fact pools and each diagnosis's own facts; *classes* derivation class keys; *sessions* "
            "durable-rules asserting facts and running every firing's callback; *status* the three-valued status pass "
            "with the agreement check; *output* result dicts, the shared layout and JSON text. *Sharing*: the "
            "diagnoses that started from another diagnosis's derivation class.", "",
            "| users in org | diagnoses | parse | facts | classes | sessions | status | output | other | diagnoses/s | sharing |",
            "|---|---|---|---|---|---|---|---|---|---|---|", *rows, ""]


def _agreement_table(records: list[dict[str, Any]]) -> list[str]:
    rows = [f"| {r['org_users']:,} | {r['users']:,} | {r['diagnoses']:,} | {r['differ']:,} | {r['seconds']:.0f} s |"
            for r in records if r["step"] == "agreement"]
    if not rows:
        return []
    return ["### Agreement with the one-user-at-a-time engine (*now*)", "",
            "Each diagnosis made by `--all`'s engine (derivation classes, status memo) and by the one-user-at-a-time "
            "engine, their results compared as JSON (verdicts, undetermined facts, whole proofs).", "",
            "| users in org | users compared | diagnoses | results that differ | time |", "|---|---|---|---|---|", *rows, ""]


def _runs(rows: list[dict[str, Any]]) -> str:
    """How many runs a judgement rests on and the load when the last ended: the targets are for
    an idle machine and the median of repeated runs, which one run under load is not."""
    return f"median of {len(rows)} runs" if len(rows) > 1 else f"1 run, load {rows[-1]['load']}"


def _targets_table(records: list[dict[str, Any]], installs: list[str]) -> list[str]:
    now = installs[-1]
    scans_ = _group(records, "scan", "org_users", "jobs", "install")
    single = _group(records, "single", "org_users", "install", "format")
    if not scans_ and not single:
        return []
    rows = []
    sizes = sorted({n for n, _, _ in scans_})
    if sizes:
        n = sizes[-1]
        for jobs, key in ((2, "users/s, 2 jobs"), (1, "users/s, 1 job")):
            r = scans_.get((n, jobs, now))
            if r:
                rate = n / _median(r, "wall")
                rows.append(f"| `--all` at {n:,} users, {jobs} job{'s' * (jobs > 1)}: ≥ {TARGETS[key]:,} users/s "
                            f"| {rate:,.0f} users/s ({_runs(r)}) "
                            f"| {'yes' if rate >= TARGETS[key] else f'**no**: {TARGETS[key] / rate:.0f}× short'} |")
        for key, what in (("peak_kb", "peak RSS (process tree, shared pages counted twice)"), ("pss_kb", "peak PSS (process tree)")):
            peak = max((max(x.get(key, 0) for x in r) for (m, _, name), r in scans_.items() if m == n and name == now), default=0)
            if peak:
                rows.append(f"| {what} at {n:,} users < 1.5 GB | {peak / 1024:,.0f} MB "
                            f"| {'yes' if peak / 1024 < TARGETS['peak RSS MB'] else '**no**'} |")
        if len(sizes) >= 2:
            for jobs in (1, 2):
                a, b = scans_.get((sizes[0], jobs, now)), scans_.get((n, jobs, now))
                if a and b:
                    ratio = _median(b, "wall") / _median(a, "wall")
                    bound = TARGETS["linear"] * (n / sizes[0]) / 10
                    rows.append(f"| linear: {sizes[0]:,} → {n:,} users ≤ {bound:g}× the time, {jobs} job{'s' * (jobs > 1)} "
                                f"| {ratio:.1f}× ({_runs(a)}; {_runs(b)}) | {'yes' if ratio <= bound else '**no**'} |")
    for (n, name, fmt), r in sorted(single.items()):
        if name != now or n == 0:
            continue
        bound = TARGETS["first JSON" if fmt == "JSON" else "first YAML"]
        rows.append(f"| one user at {n:,}, {fmt}, first read < {bound:.0f} s | {r[0]['first']:.2f} s "
                    f"| {'yes' if r[0]['first'] < bound else '**no**'} |")
        rows.append(f"| one user at {n:,}, {fmt}, cached < 0.5 s | {r[0]['cached']:.2f} s "
                    f"| {'yes' if r[0]['cached'] < TARGETS['cached'] else '**no**'} |")
    for r in records:
        if r["step"] == "agreement":
            rows.append(f"| results identical to the one-user-at-a-time engine ({r['org_users']:,}-user org, "
                        f"{r['users']:,} users) | {r['differ']} differ of {r['diagnoses']:,} | {'yes' if not r['differ'] else '**no**'} |")
    return [f"### Against issue 28's targets (*{now}*, this run)", "", "| target | measured | met? |", "|---|---|---|", *rows, ""]
