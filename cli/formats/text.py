"""Text for a support engineer's terminal: verdicts first, most important kind first."""
from __future__ import annotations

import io
from typing import Any

from rich.console import Console
from rich.markup import escape

from .summary import bu_label, summary, user_label

KIND_STYLE = {"wait": "bold yellow", "cause": "bold red", "remedy": "bold cyan", "advice": "bold blue",
              "answer": "bold green", "info": "dim"}


def render_text(doc: dict[str, Any], *, color: bool = False, width: int = 100, show_summary: bool | None = None) -> str:
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=color, no_color=not color, width=width, highlight=False,
                      soft_wrap=True, emoji=False)
    results = doc["results"]
    if show_summary or (show_summary is None and len({user_label(r) for r in results}) > 1):
        console.print("[bold]Summary[/bold] (users per conclusion, per business unit)")
        rows = summary(doc)
        if not rows:
            console.print("  nothing concluded")
        for bu, code, n in rows:
            console.print(f"  {escape(bu)}  {code}  {n}")
        console.print()
    for r in results:
        console.print(f"[bold]{escape(user_label(r))}[/bold] · business unit {escape(bu_label(r))}")
        if not r["verdicts"]:
            console.print("  No problem found: no rule of the article applies to these facts.")
        for v in r["verdicts"]:
            style = KIND_STYLE.get(v["kind"], "")
            draft = " (draft rule)" if v.get("rule_status") == "draft" else ""
            console.print(f"  [{style}]{v['kind'].upper():6}[/{style}] [bold]{v['code']}[/bold]{draft}")
            console.print(f"         {escape(v['message'])}")
            for d in v.get("details", []):
                console.print(f"         - {escape(d)}")
            for step in v["remedies"]:
                console.print(f"         → {escape(step)}")
            for w in v.get("warnings", []):
                console.print(f"         ! Also changes: {escape(w)}")
            for c in v["citations"]:
                label = f"{c['source_title']} · {c['section_title'] or c['section']} ({c['basis']})"
                link = f"[link={c['url']}]{escape(label)}[/link]" if color and c.get("url") else escape(label)
                console.print(f"         Source: {link}" + ("" if color or not c.get("url") else f" <{c['url']}>"))
        if r["undetermined"]:
            console.print("  Could not decide (unknown facts):")
            for u in r["undetermined"]:
                console.print(f"    {u['code']} ({u['kind']}) needs: {escape(', '.join(u['missing']))}")
        console.print()
    return buf.getvalue()
