"""Text for a support engineer's terminal: verdicts first, most important kind first. Rendered
one result at a time (TextStream), so `diagnose --all` streams it: the summary comes last."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from rich.console import Console

from syncdoctor.api.proof import Line
from syncdoctor.api.shown import ResultWords
from syncdoctor.api.verdicts import ACTIONABLE, Tally

from .escape import safe_url, term, visible
from .summary import bu_label, user_label
from .whole import render_stream, walk
from .words import no_verdict, remedy_checks, undetermined_intro, undetermined_next

KIND_STYLE = {"wait": "bold yellow", "cause": "bold red", "escalate": "bold magenta", "remedy": "bold cyan",
              "advice": "bold blue", "answer": "bold green", "info": "dim"}


@lru_cache(maxsize=4)
def _console(color: bool, width: int) -> Console:
    """One console per setting, reused for every result (capture() gives each its own text)."""
    return Console(force_terminal=color, no_color=not color, width=width, highlight=False,
                   soft_wrap=True, emoji=False)


class TextStream:
    """begin / one result at a time / end: the same text whether streamed or rendered whole."""

    def __init__(self, *, color: bool = False, width: int = 100, show_summary: bool = True,
                 quiet: bool = False, **_: Any) -> None:
        """`quiet` (a scan's default): list only what needs action and what is not decided,
        count the rest in the summary."""
        self.color, self.width, self.show_summary = color, width, show_summary
        self.quiet = quiet
        self.symptom: str | None = None

    def begin(self, header: dict[str, Any]) -> str:
        self.symptom = header.get("symptom")
        return ""

    def joiner(self, first: bool) -> str:
        return ""

    def result(self, r: dict[str, Any], words: ResultWords | None = None) -> str:
        """One result; `words`: its proofs and not-decided facts in words (api/shown.py; no proofs
        without)."""
        listed = [i for i, v in enumerate(r["verdicts"]) if not self.quiet or v["kind"] in ACTIONABLE]
        shown = [r["verdicts"][i] for i in listed]
        if self.quiet and not shown and not r["undetermined"]:
            return ""  # informational only: counted in the summary, listed with --all-verdicts
        console = _console(self.color, self.width)
        with console.capture() as cap:
            console.print(f"[bold]{term(user_label(r))}[/bold] · business unit {term(bu_label(r))}")
            if not r["verdicts"] and not r["undetermined"]:
                for line in no_verdict(self.symptom):
                    console.print(f"  {term(line)}")
            for i in listed:
                self._verdict(console, r["verdicts"][i], words.proofs[i] if words else None)
            hidden = [v for v in r["verdicts"] if v not in shown]
            if hidden:
                console.print(f"  also {', '.join(term(v['kind']) + ' ' + term(v['code']) for v in hidden)} "
                              "(informational: --all-verdicts lists them)")
            if r["undetermined"]:
                console.print(f"  {term(undetermined_intro(bool(r['verdicts'])))}")
                for i, u in enumerate(r["undetermined"]):
                    missing = words.missing[i] if words else u["missing"]
                    console.print(f"    {term(u['code'])} ({term(u['kind'])}) needs: {term('; '.join(missing))}")
                console.print(f"  {term(undetermined_next())}")
            console.print()
        return cap.get()

    def _verdict(self, console: Console, v: dict[str, Any], proof: tuple[Line, ...] | None) -> None:
        style = KIND_STYLE.get(v["kind"], "")
        draft = " (draft rule)" if v.get("rule_status") == "draft" else ""
        console.print(f"  [{style}]{term(v['kind'].upper()):6}[/{style}] [bold]{term(v['code'])}[/bold]{draft}")
        console.print(f"         {term(v['message'])}")
        for d in v.get("details", []):
            console.print(f"         - {term(d)}")
        for n, step in enumerate(v["remedies"], 1):
            console.print(f"         → {term(step)}")
            for line in remedy_checks(v, n):
                console.print(f"           ✓ {term(line)}" if line.startswith("verified") else f"           · {term(line)}")
        for w in v.get("warnings", []):
            console.print(f"         ! Also changes: {term(w)}")
        for c in v["citations"]:
            label = f"{c['source_title']} · {c['section_title'] or c['section']} ({c['basis']})"
            url = safe_url(c.get("url") or "")  # an http(s) URL without spaces or brackets, or no link
            link = f"[link={url}]{term(label)}[/link]" if self.color and url else term(label)
            console.print(f"         Source: {link}" + ("" if self.color or not url else f" <{term(url)}>"))
        if proof is not None:
            # plain lines (no markup to parse: controls made visible), the costliest part of a result
            lines = [f"         {'  ' * depth}{'✓ ' if depth else ''}{visible(text)}" for depth, text in walk(proof)]
            console.out("\n".join(["         Proof:", *lines]), highlight=False)

    def end(self, summary: Tally, trailer: dict[str, Any]) -> str:
        if not self.show_summary:
            return ""
        console = _console(self.color, self.width)
        with console.capture() as cap:
            console.print("[bold]Summary[/bold] (users per conclusion, per business unit)")
            rows = summary.rows
            if not rows:
                console.print("  nothing concluded")
            for bu, kind, code, n in rows:
                console.print(f"  {term(bu)}  {term(kind)}  {term(code)}  {n}")
            console.print(f"  {term(summary.by_kind_line)}")
            if self.quiet and summary.quiet:
                console.print(f"  {term(summary.quiet_line)}")
        return cap.get()


def render_text(doc: dict[str, Any], *, show_summary: bool | None = None, words: list[ResultWords] | None = None,
                tally: Tally | None = None, **options: Any) -> str:
    if show_summary is None:
        show_summary = len({user_label(r) for r in doc["results"]}) > 1
    return render_stream(TextStream(show_summary=show_summary, **options), doc, words, tally)
