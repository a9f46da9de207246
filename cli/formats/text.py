"""Text for a support engineer's terminal: verdicts first, most important kind first."""
from __future__ import annotations

import io
from typing import Any

from rich.console import Console
from .escape import safe_url, term
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
            console.print(f"  {term(bu)}  {term(code)}  {n}")
        console.print()
    for r in results:
        console.print(f"[bold]{term(user_label(r))}[/bold] · business unit {term(bu_label(r))}")
        if not r["verdicts"]:
            console.print("  No problem found: no rule of the article applies to these facts.")
        for v in r["verdicts"]:
            style = KIND_STYLE.get(v["kind"], "")
            draft = " (draft rule)" if v.get("rule_status") == "draft" else ""
            console.print(f"  [{style}]{term(v['kind'].upper()):6}[/{style}] [bold]{term(v['code'])}[/bold]{draft}")
            console.print(f"         {term(v['message'])}")
            for d in v.get("details", []):
                console.print(f"         - {term(d)}")
            for step in v["remedies"]:
                console.print(f"         → {term(step)}")
            for w in v.get("warnings", []):
                console.print(f"         ! Also changes: {term(w)}")
            for c in v["citations"]:
                label = f"{c['source_title']} · {c['section_title'] or c['section']} ({c['basis']})"
                url = safe_url(c.get("url") or "")  # an http(s) URL without spaces or brackets, or no link
                link = f"[link={url}]{term(label)}[/link]" if color and url else term(label)
                console.print(f"         Source: {link}" + ("" if color or not url else f" <{term(url)}>"))
        if r["undetermined"]:
            console.print("  Could not decide (unknown facts):")
            for u in r["undetermined"]:
                console.print(f"    {term(u['code'])} ({term(u['kind'])}) needs: {term(', '.join(u['missing']))}")
        console.print()
    return buf.getvalue()
