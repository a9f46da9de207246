"""One self-contained HTML file: no scripts or styles fetched from anywhere."""
from __future__ import annotations

from typing import Any

from syncdoctor.api.proof import Line
from syncdoctor.api.shown import ResultWords
from syncdoctor.api.verdicts import Tally

from .escape import html_text as escape, safe_url
from .summary import bu_label, user_label
from .whole import render_stream
from .words import hash_words, no_verdict, remedy_checks, undetermined_intro, undetermined_next

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:70em;color:#222}
.verdict{border-left:4px solid #888;padding:.3em .8em;margin:.8em 0}
.cause{border-color:#c0392b}.wait{border-color:#e1a100}.remedy{border-color:#16a085}
.escalate{border-color:#8e44ad}.advice{border-color:#2c6fbb}.answer{border-color:#27ae60}.info{border-color:#aaa}
details{margin-left:1.2em}li.absent{list-style:circle}summary{cursor:pointer}code{background:#f3f3f3;padding:0 .2em}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em}
"""


def _proof(line: Line) -> str:
    """One rule's firing folded: its title as the summary, then each fact it matched (a derived
    fact unfolds into its own proof) and each negated condition that held."""
    items = []
    for child in line.children:
        cls = "absent" if child.text.startswith("nothing shows") else "fact"
        items.append(f"<li class='{cls}'>{escape(child.text)}" + "".join(_proof(g) for g in child.children) + "</li>")
    return f"<details class='proof'><summary>{escape(line.text)}</summary><ul>{''.join(items)}</ul></details>"


class HtmlStream:
    """One result at a time: the page is written as results come, and the summary table (counts
    only) closes it, so memory does not grow with the number of users."""

    def __init__(self, **_: Any) -> None:
        self.symptom: str | None = None

    def begin(self, header: dict[str, Any]) -> str:
        self.symptom = header.get("symptom")
        rs, snap = header["ruleset"], header["snapshot"]
        return "\n".join([
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>syncdoctor diagnosis</title>",
            f"<style>{_STYLE}</style></head><body>", "<h1>syncdoctor diagnosis</h1>",
            f"<p>Ruleset <code>{escape(rs['name'])}</code> version {escape(rs['version'])}, sha256 of its files <code>{escape(rs['sha256'])}</code>. "
            f"Snapshot <code>{escape(snap['file'])}</code>: {escape(hash_words(snap, short=False))}. "
            "<a href='#summary'>Summary</a> at the end.</p>", ""])

    def joiner(self, first: bool) -> str:
        return ""

    def result(self, r: dict[str, Any], words: ResultWords | None = None) -> str:
        """One result; `words`: its proofs and not-decided facts in words (no proofs without)."""
        out = [f"<section class='result'><h2>{escape(user_label(r))} · {escape(bu_label(r))}</h2>"]
        if not r["verdicts"] and not r["undetermined"]:
            out += [f"<p>{escape(line)}</p>" for line in no_verdict(self.symptom)]
        for i, v in enumerate(r["verdicts"]):
            out.append(f"<div class='verdict {escape(v['kind'])}' data-code='{escape(v['code'])}'><h3>{escape(v['kind'].upper())} "
                       f"<code>{escape(v['code'])}</code></h3><p>{escape(v['message'])}</p>")
            if v.get("details"):
                out.append("<ul>" + "".join(f"<li>{escape(d)}</li>" for d in v["details"]) + "</ul>")
            if v["remedies"]:
                out.append("<ol>" + "".join(f"<li>{escape(s)}" + "".join(f"<br><small>{escape(c)}</small>" for c in remedy_checks(v, n))
                                            + "</li>" for n, s in enumerate(v["remedies"], 1)) + "</ol>")
            if v.get("warnings"):
                out.append("<div class='warnings'><b>Also changes:</b><ul>"
                           + "".join(f"<li>{escape(w)}</li>" for w in v["warnings"]) + "</ul></div>")
            for c in v["citations"]:
                label = f"{escape(c['source_title'])} · {escape(c['section_title'] or c['section'])}"
                url = safe_url(c.get("url") or "")  # http(s) only: never a javascript: link
                basis = f" <span class='basis'>(basis: {escape(c['basis'])})</span>" if c.get("basis") else ""
                out.append((f"<p>Source: <a href='{escape(url)}'>{label}</a>" if url else f"<p>Source: {label}") + basis + "</p>")
            if words is not None:
                out.append("<div class='proofs'><b>Proof</b> (click to unfold)")
                out += [_proof(line) for line in words.proofs[i]]
                out.append("</div>")
            out.append("</div>")
        if r["undetermined"]:
            out.append(f"<p>{escape(undetermined_intro(bool(r['verdicts'])))}</p><ul>")
            for i, u in enumerate(r["undetermined"]):
                missing = "; ".join(words.missing[i] if words else u["missing"])
                out.append(f"<li><code>{escape(u['code'])}</code> ({escape(u['kind'])}) needs {escape(missing)}</li>")
            out.append(f"</ul><p>{escape(undetermined_next())}</p>")
        out.append("</section>")
        return "\n".join(out) + "\n"

    def end(self, summary: Tally, trailer: dict[str, Any]) -> str:
        out = ["<h2>Summary</h2><p>Users per conclusion, per business unit.</p>",
               "<table id='summary'><tr><th>business unit</th><th>kind</th><th>code</th><th>users</th></tr>"]
        out += [f"<tr><td>{escape(bu)}</td><td>{escape(kind)}</td><td><code>{escape(code)}</code></td><td>{n}</td></tr>"
                for bu, kind, code, n in summary.rows]
        out.append("</table>")
        out.append(f"<p id='by-kind'>{escape(summary.by_kind_line)}</p>")
        if not summary.rows:
            out.append("<p>Nothing concluded.</p>")
        out.append("</body></html>\n")
        return "\n".join(out)


def render_html(doc: dict[str, Any], *, words: list[ResultWords] | None = None, tally: Tally | None = None,
                **options: Any) -> str:
    return render_stream(HtmlStream(**options), doc, words, tally)
