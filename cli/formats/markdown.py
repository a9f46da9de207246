"""Markdown (CommonMark with GFM tables), one result at a time (MarkdownStream): the summary
table comes last. Every interpolated value passes through `md` or `md_code` (formats/escape.py):
org data cannot forge a heading, a table row, a link, an image or raw HTML."""
from __future__ import annotations

from typing import Any

from syncdoctor.api.verdicts import Summary

from .escape import md, md_code, safe_url
from .summary import bu_label, user_label
from .whole import render_stream
from .words import no_verdict, remedy_checks, undetermined_intro, undetermined_item, undetermined_next


def _source(c: dict[str, Any]) -> str:
    label = md(f"{c['source_title']} · {c['section_title'] or c['section']}")
    url = safe_url(c.get("url") or "")
    basis = f" (basis: {md(c['basis'])})" if c.get("basis") else ""
    return (f"Source: [{label}]({url})" if url else f"Source: {label}") + basis


class MarkdownStream:
    def __init__(self, **_: Any) -> None:
        self.symptom: str | None = None

    def begin(self, header: dict[str, Any]) -> str:
        self.symptom = header.get("symptom")
        rs, snap = header["ruleset"], header["snapshot"]
        return "\n".join(["# syncdoctor diagnosis", "",
                          f"Ruleset {md_code(rs['name'])} {md(rs['version'])} (sha256 {md_code(rs['sha256'][:16])}…), "
                          f"snapshot {md_code(snap['file'])} (sha256 {md_code(snap['sha256'][:16])}…).", "", ""])

    def joiner(self, first: bool) -> str:
        return ""

    def result(self, r: dict[str, Any]) -> str:
        lines = [f"## {md(user_label(r))} · {md(bu_label(r))}", ""]
        if not r["verdicts"] and not r["undetermined"]:
            said = [md(line) for line in no_verdict(self.symptom)]
            lines += [*said[:1], "", *said[1:], ""]
        for v in r["verdicts"]:
            lines += [f"### {md(v['kind'].upper())} {md_code(v['code'])}", "", md(v["message"]), ""]
            lines += [f"- {md(d)}" for d in v.get("details", [])]
            if v["remedies"]:
                lines += ["", "Remedy:", ""]
                for n, step in enumerate(v["remedies"], 1):
                    lines += [f"1. {md(step)}"] + [f"   - {md(line)}" for line in remedy_checks(v, n)]
            if v.get("warnings"):
                lines += ["", "Warning — what the remedy also changes:", ""] + [f"- {md(w)}" for w in v["warnings"]]
            lines += [""] + [_source(c) for c in v["citations"]] + [""]
        if r["undetermined"]:
            lines += [md(undetermined_intro(bool(r["verdicts"]))), ""]
            for u in r["undetermined"]:
                code, kind, _ = undetermined_item(u)
                lines.append(f"- {md_code(code)} ({md(kind)}) needs {', '.join(md_code(m) for m in u['missing'])}")
            lines += ["", md(undetermined_next()), ""]
        return "\n".join(lines) + "\n"

    def end(self, summary: Summary, trailer: dict[str, Any]) -> str:
        rows = summary.rows()
        lines = ["## Summary", "", "Users per conclusion, per business unit.", ""]
        if rows:
            lines += ["| business unit | code | users |", "|---|---|---|"]
            lines += [f"| {md(bu)} | {md(code)} | {n} |" for bu, code, n in rows]
        else:
            lines.append("Nothing concluded.")
        return "\n".join(lines) + "\n"


def render_markdown(doc: dict[str, Any], **_: Any) -> str:
    return render_stream(MarkdownStream(), doc)
