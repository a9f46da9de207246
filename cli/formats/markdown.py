"""Markdown (CommonMark with GFM tables). Every interpolated value passes through `md` or
`md_code` (formats/escape.py): org data cannot forge a heading, a table row, a link, an image
or raw HTML."""
from __future__ import annotations

from typing import Any

from .escape import md, md_code, safe_url
from .summary import bu_label, summary, user_label


def _source(c: dict[str, Any]) -> str:
    label = md(f"{c['source_title']} · {c['section_title'] or c['section']}")
    url = safe_url(c.get("url") or "")
    basis = f" (basis: {md(c['basis'])})" if c.get("basis") else ""
    return (f"Source: [{label}]({url})" if url else f"Source: {label}") + basis


def render_markdown(doc: dict[str, Any], **_: Any) -> str:
    rs = doc["ruleset"]
    lines = ["# syncdoctor diagnosis", "", f"Ruleset {md_code(rs['name'])} {md(rs['version'])} (sha256 {md_code(rs['sha256'][:16])}…), "
             f"snapshot {md_code(doc['snapshot']['file'])} (sha256 {md_code(doc['snapshot']['sha256'][:16])}…).", ""]
    rows = summary(doc)
    if rows:
        lines += ["| business unit | code | users |", "|---|---|---|"]
        lines += [f"| {md(bu)} | {md(code)} | {n} |" for bu, code, n in rows]
        lines.append("")
    for r in doc["results"]:
        lines += [f"## {md(user_label(r))} · {md(bu_label(r))}", ""]
        if not r["verdicts"]:
            lines += ["No conclusion.", ""]
        for v in r["verdicts"]:
            lines += [f"### {md(v['kind'].upper())} {md_code(v['code'])}", "", md(v["message"]), ""]
            lines += [f"- {md(d)}" for d in v.get("details", [])]
            if v["remedies"]:
                lines += ["", "Remedy:", ""] + [f"1. {md(s)}" for s in v["remedies"]]
            if v.get("warnings"):
                lines += ["", "Warning — what the remedy also changes:", ""] + [f"- {md(w)}" for w in v["warnings"]]
            lines += [""] + [_source(c) for c in v["citations"]] + [""]
        if r["undetermined"]:
            lines += ["Could not decide:", ""]
            lines += [f"- {md_code(u['code'])} needs {', '.join(md_code(m) for m in u['missing'])}" for u in r["undetermined"]]
            lines.append("")
    return "\n".join(lines) + "\n"
