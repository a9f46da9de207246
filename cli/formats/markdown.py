"""Markdown (CommonMark with GFM tables), one result at a time (MarkdownStream): the summary
table comes last. Every interpolated value passes through `md` or `md_code` (formats/escape.py):
org data cannot forge a heading, a table row, a link, an image or raw HTML."""
from __future__ import annotations

from typing import Any

from syncdoctor.api.shown import ResultWords
from syncdoctor.api.verdicts import Tally

from .escape import md, md_code, safe_url
from .summary import bu_label, user_label
from .whole import render_stream, walk
from .words import hash_words, no_verdict, remedy_checks, undetermined_intro, undetermined_next


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
                          f"Ruleset {md_code(rs['name'])} {md(rs['version'])} (sha256 of its files {md_code(rs['sha256'][:16])}…), "
                          f"snapshot {md_code(snap['file'])} ({md(hash_words(snap))}).", "", ""])

    def joiner(self, first: bool) -> str:
        return ""

    def result(self, r: dict[str, Any], words: ResultWords | None = None) -> str:
        """One result; `words`: its proofs and not-decided facts in words (no proofs without)."""
        lines = [f"## {md(user_label(r))} · {md(bu_label(r))}", ""]
        if not r["verdicts"] and not r["undetermined"]:
            said = [md(line) for line in no_verdict(self.symptom)]
            lines += [*said[:1], "", *said[1:], ""]
        for i, v in enumerate(r["verdicts"]):
            lines += [f"### {md(v['kind'].upper())} {md_code(v['code'])}", "", md(v["message"]), ""]
            lines += [f"- {md(d)}" for d in v.get("details", [])]
            if v["remedies"]:
                lines += ["", "Remedy:", ""]
                for n, step in enumerate(v["remedies"], 1):
                    lines += [f"1. {md(step)}"] + [f"   - {md(line)}" for line in remedy_checks(v, n)]
            if v.get("warnings"):
                lines += ["", "Warning — what the remedy also changes:", ""] + [f"- {md(w)}" for w in v["warnings"]]
            lines += [""] + [_source(c) for c in v["citations"]] + [""]
            if words is not None:
                lines += ["Proof:", ""] + [f"{'  ' * depth}- {md(text)}" for depth, text in walk(words.proofs[i])] + [""]
        if r["undetermined"]:
            lines += [md(undetermined_intro(bool(r["verdicts"]))), ""]
            for i, u in enumerate(r["undetermined"]):
                missing = words.missing[i] if words else u["missing"]
                lines.append(f"- {md_code(u['code'])} ({md(u['kind'])}) needs {'; '.join(md(m) for m in missing)}")
            lines += ["", md(undetermined_next()), ""]
        return "\n".join(lines) + "\n"

    def end(self, summary: Tally, trailer: dict[str, Any]) -> str:
        rows = summary.rows
        lines = ["## Summary", "", "Users per conclusion, per business unit.", ""]
        if rows:
            lines += ["| business unit | kind | code | users |", "|---|---|---|---|"]
            lines += [f"| {md(bu)} | {md(kind)} | {md(code)} | {n} |" for bu, kind, code, n in rows]
        else:
            lines.append("Nothing concluded.")
        lines += ["", md(summary.by_kind_line)]
        return "\n".join(lines) + "\n"


def render_markdown(doc: dict[str, Any], *, words: list[ResultWords] | None = None, tally: Tally | None = None,
                    **options: Any) -> str:
    return render_stream(MarkdownStream(**options), doc, words, tally)
