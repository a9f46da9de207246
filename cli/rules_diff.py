"""`syncdoctor rules diff OLD NEW`: what changed between two versions of the rules, and what
that change does to the verdicts of the scenario cases."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from syncdoctor.api.knowledge import Engine, Rule, Ruleset

from syncdoctor.api import cases


def _wording(rule: Rule) -> Any:
    c = rule.conclude
    return [rule.title, rule.status, rule.description, [[x.source, x.section, x.basis, x.quote, x.note] for x in rule.citations],
            [c.message, c.detail, list(c.remedies), list(c.warnings)] if c else None]


def _rel(rule: Rule, ruleset: Ruleset) -> str:
    try:
        return Path(rule.file).resolve().relative_to(Path(ruleset.root).resolve()).as_posix()
    except ValueError:
        return rule.file


def rule_changes(old: Ruleset, new: Ruleset) -> dict[str, Any]:
    before = {r.id: r for r in old.rules}
    after = {r.id: r for r in new.rules}
    changed = []
    for rid in sorted(set(before) & set(after)):
        a, b = before[rid], after[rid]
        logic, wording = a.logic_hash != b.logic_hash, _wording(a) != _wording(b)
        if not (logic or wording or a.version != b.version):
            continue
        changed.append({"rule": rid, "old_version": a.version, "new_version": b.version,
                        "logic_changed": logic, "wording_changed": wording,
                        "version_bumped": b.version > a.version,
                        "file": _rel(b, new)})
    return {
        "added": [{"rule": rid, "version": after[rid].version, "file": _rel(after[rid], new)} for rid in sorted(set(after) - set(before))],
        "removed": [{"rule": rid, "version": before[rid].version} for rid in sorted(set(before) - set(after))],
        "changed": changed,
    }


def verdict_changes(old: Ruleset, new: Ruleset, new_root: Path) -> tuple[list[dict[str, Any]], int]:
    """Every scenario case of the new rules, run by both versions: the cases whose concluded or
    undetermined codes differ. Returns (differences, cases compared)."""
    files = cases.case_files(new.case_paths)
    runs = []
    for ruleset in (old, new):
        # The new cases may name codes the old rules lack (or the reverse): run them all the same.
        results, _ = cases.run_cases(Engine(ruleset), files, strict=False)
        runs.append({(Path(r.file).name, r.name): r for r in results})
    out = []
    for key in sorted(set(runs[0]) & set(runs[1])):
        a, b = runs[0][key].output, runs[1][key].output
        if not a or not b:
            continue
        ca, cb = {v["code"] for v in a["verdicts"]}, {v["code"] for v in b["verdicts"]}
        ua, ub = {u["code"] for u in a["undetermined"]}, {u["code"] for u in b["undetermined"]}
        if ca != cb or ua != ub:
            out.append({"case": key[1], "file": key[0],
                        "concluded_now": sorted(cb - ca), "no_longer_concluded": sorted(ca - cb),
                        "undetermined_now": sorted(ub - ua), "no_longer_undetermined": sorted(ua - ub)})
    return out, len(set(runs[0]) & set(runs[1]))


def diff_document(old: Ruleset, new: Ruleset, new_root: Path) -> dict[str, Any]:
    verdicts, compared = verdict_changes(old, new, new_root)
    return {"old": {"name": old.name, "version": old.version, "sha256": old.sha256},
            "new": {"name": new.name, "version": new.version, "sha256": new.sha256},
            "rules": rule_changes(old, new), "cases_compared": compared, "verdict_changes": verdicts}


def render_text(doc: dict[str, Any]) -> str:
    lines = [f"rules {doc['old']['name']} {doc['old']['version']} ({doc['old']['sha256'][:12]}) → "
             f"{doc['new']['version']} ({doc['new']['sha256'][:12]})"]
    r = doc["rules"]
    for a in r["added"]:
        lines.append(f"  + {a['rule']} v{a['version']} (added)")
    for a in r["removed"]:
        lines.append(f"  - {a['rule']} v{a['version']} (removed)")
    for c in r["changed"]:
        what = ", ".join(w for w, on in (("logic", c["logic_changed"]), ("wording", c["wording_changed"])) if on) or "version only"
        bump = f"v{c['old_version']} → v{c['new_version']}" if c["version_bumped"] else \
            f"v{c['new_version']}, VERSION NOT BUMPED" if c["logic_changed"] else f"v{c['new_version']}"
        lines.append(f"  ~ {c['rule']} ({what}; {bump})")
    if not (r["added"] or r["removed"] or r["changed"]):
        lines.append("  no rule changed")
    lines.append(f"verdicts across {doc['cases_compared']} scenario cases:")
    for v in doc["verdict_changes"]:
        parts = [f"+{x}" for x in v["concluded_now"]] + [f"-{x}" for x in v["no_longer_concluded"]]
        parts += [f"?+{x}" for x in v["undetermined_now"]] + [f"?-{x}" for x in v["no_longer_undetermined"]]
        lines.append(f"  {v['file']} · {v['case']}: {' '.join(parts)}")
    if not doc["verdict_changes"]:
        lines.append("  no verdict changes")
    lines.append("(+ now concluded, - no longer concluded, ?+ now undetermined, ?- no longer undetermined)"
                 if doc["verdict_changes"] else "")
    return "\n".join(line for line in lines if line) + "\n"


def render_json(doc: dict[str, Any]) -> str:
    return json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
