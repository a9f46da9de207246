"""Markdown, one result at a time (MarkdownStream): the summary table comes last."""
from __future__ import annotations

from typing import Any

from .summary import bu_label, user_label
from .words import Summary, no_verdict, undetermined_intro, undetermined_item, undetermined_next


class MarkdownStream:
    def __init__(self, **_: Any) -> None:
        self.symptom: str | None = None

    def begin(self, header: dict[str, Any]) -> str:
        self.symptom = header.get("symptom")
        rs, snap = header["ruleset"], header["snapshot"]
        return "\n".join(["# syncdoctor diagnosis", "", f"Ruleset `{rs['name']}` {rs['version']} (sha256 `{rs['sha256'][:16]}…`), "
                          f"snapshot `{snap['file']}` (sha256 `{snap['sha256'][:16]}…`).", "", ""])

    def joiner(self, first: bool) -> str:
        return ""

    def result(self, r: dict[str, Any]) -> str:
        lines = [f"## {user_label(r)} · {bu_label(r)}", ""]
        if not r["verdicts"] and not r["undetermined"]:
            lines += [*no_verdict(self.symptom)[:1], "", *no_verdict(self.symptom)[1:], ""]
        for v in r["verdicts"]:
            lines += [f"### {v['kind'].upper()} `{v['code']}`", "", v["message"], ""]
            lines += [f"- {d}" for d in v.get("details", [])]
            if v["remedies"]:
                lines += ["", "Remedy:", ""] + [f"1. {s}" for s in v["remedies"]]
            lines += [""] + [f"Source: [KB {c['article']} · {c['section_title']}]({c['url']})" for c in v["citations"]] + [""]
        if r["undetermined"]:
            lines += [undetermined_intro(bool(r["verdicts"])), ""]
            for u in r["undetermined"]:
                code, kind, _ = undetermined_item(u)
                lines.append(f"- `{code}` ({kind}) needs {', '.join(f'`{m}`' for m in u['missing'])}")
            lines += ["", undetermined_next(), ""]
        return "\n".join(lines) + "\n"

    def end(self, summary: Summary, trailer: dict[str, Any]) -> str:
        rows = summary.rows()
        lines = ["## Summary", "", "Users per conclusion, per business unit.", ""]
        if rows:
            lines += ["| business unit | code | users |", "|---|---|---|"]
            lines += [f"| {bu} | `{code}` | {n} |" for bu, code, n in rows]
        else:
            lines.append("Nothing concluded.")
        return "\n".join(lines) + "\n"


def render_markdown(doc: dict[str, Any], **_: Any) -> str:
    from . import render_stream
    return render_stream(MarkdownStream(), doc)
