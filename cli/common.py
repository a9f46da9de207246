"""Options and helpers shared by the command modules."""
from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Iterable, Optional

import typer
from rich.console import Console

from syncdoctor.reading.findings import Finding
from syncdoctor.api.knowledge import default_rules_dir
from syncdoctor.reading.loader import load_file
from syncdoctor.api.errors import UnknownChoice
from syncdoctor.api.pipeline import check_symptom as known_symptom
from syncdoctor.reading.words import closest
from .formats.escape import term
from .formats.escape import visible

# `syncdoctor --debug`: tracebacks, and the engine's ids and field names in explain and in proofs.
DEBUG = False

if TYPE_CHECKING:
    from syncdoctor.api.knowledge import Ruleset

EXIT_OK, EXIT_CAUSE, EXIT_USAGE, EXIT_COLLECT, EXIT_INTERNAL = 0, 1, 2, 3, 4

EXIT_CODES_HELP = ("Exit codes: 0 ran, nothing to act on; 1 something to act on (diagnose: a cause, an escalation or a remedy; "
                   "audit verify: the record was altered or not trusted; replay: the result differs); 2 bad input or usage; "
                   "3 collection failed; 4 internal error; 130/143/129 stopped by Ctrl-C/SIGTERM/SIGHUP.")

RulesOption = Annotated[Optional[Path], typer.Option("--rules", help="Rules directory (default: the rules shipped with syncdoctor).",
                                                     file_okay=False)]


def shipped_symptoms() -> list[tuple[str, str]]:
    """(id, title) of the symptoms in the shipped rules (rules/symptoms.yaml), for --help and
    completion. The choices a run accepts come from the rules it loads (check_symptom)."""
    try:
        data = load_file(default_rules_dir() / "symptoms.yaml")
        return [(str(s["id"]), str(s.get("title", ""))) for s in data["symptoms"]]
    except Exception:  # noqa: BLE001 - help text must never fail; loading the rules reports the problem
        return []


def _complete_symptom(incomplete: str) -> list[tuple[str, str]]:
    return [(i, t) for i, t in shipped_symptoms() if i.startswith(incomplete)]


SymptomOption = Annotated[Optional[str], typer.Option(
    "--symptom", autocompletion=_complete_symptom,
    help="What the customer reports, one of the symptoms of the rules: "
         + ("; ".join(f"{i} ({t})" for i, t in shipped_symptoms()) or "see rules/symptoms.yaml") + ".")]


def check_symptom(ruleset: "Ruleset", symptom: Optional[str]) -> Optional[str]:
    """The symptom when the rules know it; otherwise a usage error naming the choices."""
    try:
        return known_symptom(ruleset, symptom)
    except UnknownChoice as exc:
        raise fail(f"--symptom {exc}") from None


class Format(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"
    html = "html"


def did_you_mean(value: str, choices: Iterable[object]) -> str:
    """'; did you mean X?' naming the closest choice, or ''. For any option or prompt with a
    closed list of answers, wherever the list comes from."""
    best = closest(value, choices)
    return f"; did you mean {best!r}?" if best else ""


def err_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)  # ":name:" in org data stays text


def color_wanted(stream: object = None) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def fail(message: str, code: int = EXIT_USAGE) -> "typer.Exit":
    """Print `error: message` on stderr; return the Exit to raise. Messages carry input (names,
    paths, server answers): its markup is escaped and its control characters made visible, line
    breaks too (an error is one line; a file or org name's line break is the name's)."""
    err_console().print(f"[bold red]error:[/bold red] {term(message)}", markup=True, highlight=False)
    return typer.Exit(code)


def report_findings(findings: list[Finding]) -> None:
    console = err_console()
    for f in sorted(findings, key=Finding.sort_key):
        console.print(visible(f), markup=False, highlight=False)

