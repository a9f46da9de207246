"""`syncdoctor diagnose`: the support engineer's main command."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import Progress

from . import service
from .common import (EXIT_CAUSE, EXIT_CODES_HELP, EXIT_OK, Format, RulesOption, Symptom, color_wanted,
                     err_console, fail, write_output)
from .formats import render


def diagnose(
    facts: Annotated[Path, typer.Option("--facts", help="Facts snapshot file (YAML or JSON).", dir_okay=False)],
    user: Annotated[Optional[str], typer.Option("--user", help="The Salesforce user: username, email or id.")] = None,
    all_users: Annotated[bool, typer.Option("--all", help="Diagnose every user of the snapshot.")] = False,
    symptom: Annotated[Optional[Symptom], typer.Option("--symptom", help="What the customer reports.")] = None,
    business_unit: Annotated[Optional[str], typer.Option("--business-unit", help="Only this business unit (id or name).")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.text,
    out: Annotated[Optional[Path], typer.Option("--out", help="Write the report to this file instead of stdout.", dir_okay=False)] = None,
    only_problems: Annotated[bool, typer.Option("--only-problems", help="With --all: keep only users with a cause.")] = False,
    audit: Annotated[Optional[Path], typer.Option("--audit", help="Also write an audit record (JSON) to this file.", dir_okay=False)] = None,
    rules: RulesOption = None,
) -> None:
    """Diagnose why a user does or does not sync, with the cause, the remedy and the article section.

    Example:

        syncdoctor diagnose --facts org.yaml --user jdoe@acme.example --symptom not-syncing
    """
    if user and all_users:
        raise fail("give either --user or --all, not both")
    eng = service.engine(rules)
    snapshot = service.load(facts)
    try:
        sel = service.select(snapshot, user, all_users, business_unit)
    except service.UsageProblem as exc:
        raise fail(str(exc)) from None
    sym = symptom.value if symptom else None
    if all_users and len(sel.users) > 200:
        with Progress(console=err_console(), transient=True) as progress:
            task = progress.add_task("diagnosing", total=len(sel.users))
            diagnoses = service.run(eng, snapshot, sel, sym, lambda n: progress.advance(task, n))
    else:
        diagnoses = service.run(eng, snapshot, sel, sym)
    doc = service.result_document(eng, snapshot, diagnoses, sym)
    if audit is not None:
        from .audit import audit_record
        write_output(service_json(audit_record(doc, snapshot)), audit)
    if only_problems:
        doc["results"] = [r for r in doc["results"] if any(v["kind"] == "cause" for v in r["verdicts"])]
    options = {"color": color_wanted() and out is None} if fmt is Format.text else {}
    if fmt is Format.text and all_users:
        options["show_summary"] = True
    write_output(render(fmt.value, doc, **options), out)
    raise typer.Exit(EXIT_CAUSE if service.has_cause(doc) else EXIT_OK)


def service_json(doc: dict) -> str:
    from .formats.jsonfmt import render_json
    return render_json(doc)


diagnose.__doc__ = (diagnose.__doc__ or "") + "\n\n    " + EXIT_CODES_HELP
