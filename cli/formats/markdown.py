from __future__ import annotations

from typing import Any

from .summary import bu_label, summary, user_label


def render_markdown(doc: dict[str, Any], **_: Any) -> str:
    rs = doc["ruleset"]
    lines = ["# syncdoctor diagnosis", "", f"Ruleset `{rs['name']}` {rs['version']} (sha256 `{rs['sha256'][:16]}…`), "
             f"snapshot `{doc['snapshot']['file']}` (sha256 `{doc['snapshot']['sha256'][:16]}…`).", ""]
    rows = summary(doc)
    if rows:
        lines += ["| business unit | code | users |", "|---|---|---|"]
        lines += [f"| {bu} | `{code}` | {n} |" for bu, code, n in rows]
        lines.append("")
    for r in doc["results"]:
        lines += [f"## {user_label(r)} · {bu_label(r)}", ""]
        if not r["verdicts"]:
            lines += ["No conclusion.", ""]
        for v in r["verdicts"]:
            lines += [f"### {v['kind'].upper()} `{v['code']}`", "", v["message"], ""]
            lines += [f"- {d}" for d in v.get("details", [])]
            if v["remedies"]:
                lines += ["", "Remedy:", ""] + [f"1. {s}" for s in v["remedies"]]
            if v.get("warnings"):
                lines += ["", "Warning — what the remedy also changes:", ""] + [f"- {w}" for w in v["warnings"]]
            lines += [""] + [f"Source: [{c['source_title']} · {c['section_title']}]({c['url']}) (basis: {c['basis']})"
                             for c in v["citations"]] + [""]
        if r["undetermined"]:
            lines += ["Could not decide:", ""]
            lines += [f"- `{u['code']}` needs {', '.join(f'`{m}`' for m in u['missing'])}" for u in r["undetermined"]]
            lines.append("")
    return "\n".join(lines) + "\n"
