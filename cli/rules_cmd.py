"""`syncdoctor rules …`: tools for knowledge-base authors."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
import yaml

from syncdoctor.api import cases
from syncdoctor.api.knowledge import load_ruleset
from syncdoctor.reading.findings import Severity
from syncdoctor.reading.words import plural

from .common import EXIT_OK, EXIT_USAGE, fail, report_findings
from .outputs import write_output
from .rules_check import check_knowledge, default_docs
from syncdoctor.api.knowledge import LOCK_HEADER, lock_document, lock_refusals
from syncdoctor.reading.findings import FindingError
from .rules_migrate import migrate
from . import rules_read
from .rules_read import DirArg, echo as _echo, rules_dir as _dir

app = typer.Typer(help="Validate, test, document and compare the rules.", no_args_is_help=True)


@app.command("validate")
def validate(directory: DirArg = None,
             fmt: Annotated[str, typer.Option("--format", help="text or json")] = "text") -> None:
    """Check every file of the rules folder and its case files: structure (schema) and meaning
    (facts, citations, symptoms, codes named by cases, versions…). `rules check` does this and more.

    Prints `file:line:col  ID  message` for each finding, causes first. Exit 0 clean, 1 errors, 2 usage.

    Example:

        syncdoctor rules validate rules/
    """
    if fmt not in ("text", "json"):
        raise fail(f"--format must be text or json, not {fmt!r}")
    root = _dir(directory)
    ruleset, findings = load_ruleset(root)
    if ruleset is not None:
        for file in cases.case_files(ruleset.case_paths):
            findings = findings + cases.check_case_file(ruleset, file)[1]
    errors = [f for f in findings if f.severity is Severity.ERROR]
    if fmt == "json":
        write_output(json.dumps({"findings": [f.to_json() for f in findings], "errors": len(errors)},
                                sort_keys=True, indent=2) + "\n", None)
    else:
        for f in findings:
            _echo(str(f))
        if not errors:
            n = len(ruleset.rules) if ruleset else 0
            _echo(f"ok: {plural(n, 'rule')}, {plural(len(findings), 'warning')}")
        else:
            _echo(f"{plural(len(errors), 'error')}, {plural(len(findings) - len(errors), 'warning')}")
    raise typer.Exit(1 if errors else EXIT_OK)


@app.command("lock")
def lock(directory: DirArg = None) -> None:
    """Record the ruleset's version and each rule's version and hashes in the lock file; refuse
    when a rule changed without a version bump, or rules changed without the ruleset's.

    Example:

        syncdoctor rules lock rules/
    """
    root = _dir(directory)
    ruleset, findings = load_ruleset(root, run_checks=False)
    if ruleset is None:
        report_findings(findings)
        raise typer.Exit(1)
    errors = lock_refusals(ruleset)
    if errors:
        report_findings(errors)
        raise typer.Exit(1)
    document = lock_document(ruleset)
    write_output(LOCK_HEADER + yaml.safe_dump(document, sort_keys=True), root / "rules.lock")
    _echo(f"locked {plural(len(document['rules']), 'rule')}")


@app.command("test")
def test(directory: DirArg = None,
         junit: Annotated[Optional[Path], typer.Option("--junit", help="Write a JUnit XML report.", dir_okay=False)] = None,
         verbose: Annotated[bool, typer.Option("--verbose", "-v", help="List passing cases too.")] = False) -> None:
    """Run the scenario cases next to the rules, with rule and article-section coverage.

    Example:

        syncdoctor rules test rules/ --junit cases.xml
    """
    done = cases.run_folder(directory)
    report_findings(done.findings)
    for r in done.results:
        if not r.passed:
            _echo(f"FAIL {r.file}:{r.line}  {r.name}")
            for p in r.problems:
                _echo(f"     {p}")
        elif verbose:
            _echo(f"ok   {r.name}")
    for rid in done.uncovered_rules:
        _echo(f"UNCOVERED rule {rid}: no case makes it fire")
    for s in done.uncovered_sections:
        _echo(f"UNCOVERED section {s}: no rule cites it")
    if junit:
        write_output(junit_report(done.results), junit)
    passed = sum(r.passed for r in done.results)
    _echo(f"{passed} passed, {len(done.results) - passed} failed")
    fired = done.active_rules - len(done.uncovered_rules)
    _echo(f"coverage: {fired}/{done.active_rules} rules fired by a case; "
               f"{'every' if not done.uncovered_sections else 'not every'} section of a cited source is cited")
    raise typer.Exit(EXIT_OK if done.ok else 1)


def junit_report(results: list[cases.CaseResult]) -> str:
    """`rules test --junit`: the cases' results as JUnit XML."""
    from xml.sax.saxutils import escape, quoteattr  # local: about 40 ms to import (python -X importtime), for `rules test --junit` only
    failures = sum(not r.passed for r in results)
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             f'<testsuite name="syncdoctor-rules" tests="{len(results)}" failures="{failures}">']
    for r in results:
        lines.append(f'  <testcase classname={quoteattr(Path(r.file).name)} name={quoteattr(r.name)}>')
        if not r.passed:
            lines.append(f'    <failure message={quoteattr(r.problems[0])}>{escape(chr(10).join(r.problems))}</failure>')
        lines.append("  </testcase>")
    lines.append("</testsuite>")
    return "\n".join(lines) + "\n"


@app.command("check")
def check(directory: DirArg = None,
          docs_file: Annotated[Optional[Path], typer.Option("--docs", help="The knowledge catalogue to compare (default: "
                                                            "docs/knowledge.md next to the rules folder).", dir_okay=False)] = None) -> None:
    """Everything CI checks about the knowledge: files (file:line:col), lock, every case, coverage,
    pins of each message and remedy, and docs/knowledge.md. Green here means green `make test`.

    Fix the first problem first: later ones are often its consequences. Regenerators:
    `syncdoctor rules lock DIR` (the lock), `syncdoctor rules docs DIR --out docs/knowledge.md`.

    Example:

        syncdoctor rules check rules/
    """
    root = _dir(directory)
    report = check_knowledge(root, docs_file if docs_file is not None else default_docs(root))
    for line in report.problems:
        _echo(line)
    for note in report.notes:
        _echo(f"note: {note}")
    _echo(f"cases: {report.passed} of {report.cases} passed" if report.ran_cases else
               "cases: not run (they run once the rules load)")
    _echo("ok: the knowledge passes every check" if not report.problems else plural(len(report.problems), 'problem'))
    raise typer.Exit(EXIT_OK if not report.problems else 1)


@app.command("migrate")
def migrate_cmd(directory: Annotated[Path, typer.Argument(help="A rules folder written in format 1.", file_okay=False)]) -> None:
    """Rewrite a format-1 rules folder in format 2, in place (comments and wording kept).

    Then review what it lists, and run `syncdoctor rules check DIR`.

    Example:

        syncdoctor rules migrate my-rules/
    """

    try:
        done = migrate(directory)
    except FindingError as exc:
        report_findings(exc.findings)
        raise typer.Exit(EXIT_USAGE) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise fail(f"cannot migrate {directory}: {exc}") from None
    for line in done:
        _echo(line)


# Reading the rules (nothing written to them): cli/rules_read.py, registered here in this order.
for _name, _command in (("docs", rules_read.docs), ("list", rules_read.list_rules), ("show", rules_read.show),
                        ("diff", rules_read.diff), ("graph", rules_read.graph_cmd)):
    app.command(_name)(_command)
