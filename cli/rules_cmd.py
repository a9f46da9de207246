"""`syncdoctor rules …`: tools for knowledge-base authors."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
import yaml

from syncdoctor.api.knowledge import default_rules_dir, Engine, load_ruleset, require_ruleset
from syncdoctor.reading.findings import Severity
from syncdoctor.reading.words import plural, suggest

from . import scenarios
from .common import EXIT_OK, EXIT_USAGE, did_you_mean, fail, report_findings
from .formats.escape import json_text, visible
from .knowledge_docs import catalogue, graph, plain_conditions
from .outputs import write_output
from .rules_check import check_knowledge, default_docs
from syncdoctor.api.knowledge import LOCK_HEADER, lock_document, lock_refusals
from syncdoctor.reading.findings import FindingError
from .rules_migrate import migrate
from . import rules_diff
from . import graph_picture


def _echo(text: object = "", nl: bool = True) -> None:
    """A line for the terminal: a rules folder (titles, messages, case names, its own path) may
    come from anyone, so no control or bidi character in it reaches the terminal raw."""
    typer.echo(visible(text, keep_newlines=True), nl=nl)


app = typer.Typer(help="Validate, test, document and compare the rules.", no_args_is_help=True)

DirArg = Annotated[Optional[Path], typer.Argument(help="Rules directory (default: the shipped rules).")]


def _dir(d: Optional[Path]) -> Path:
    return d if d is not None else default_rules_dir()


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
        for file in scenarios.case_files(ruleset.case_paths):
            findings = findings + scenarios.check_case_file(ruleset, file)[1]
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
    root = _dir(directory)
    ruleset = require_ruleset(root)
    eng = Engine(ruleset)
    files = scenarios.case_files(ruleset.case_paths)
    results, findings = scenarios.run_cases(eng, files)
    report_findings(findings)
    for r in results:
        if not r.passed:
            _echo(f"FAIL {r.file}:{r.line}  {r.name}")
            for p in r.problems:
                _echo(f"     {p}")
        elif verbose:
            _echo(f"ok   {r.name}")
    rules_gap, sections_gap = scenarios.coverage(eng, results)
    for rid in rules_gap:
        _echo(f"UNCOVERED rule {rid}: no case makes it fire")
    for s in sections_gap:
        _echo(f"UNCOVERED section {s}: no rule cites it")
    if junit:
        write_output(scenarios.junit(results), junit)
    passed = sum(r.passed for r in results)
    _echo(f"{passed} passed, {len(results) - passed} failed")
    fired = len(ruleset.active_rules) - len(rules_gap)
    _echo(f"coverage: {fired}/{len(ruleset.active_rules)} rules fired by a case; "
               f"{'every' if not sections_gap else 'not every'} section of a cited source is cited")
    ok = passed == len(results) and not findings and not rules_gap and not sections_gap and results
    raise typer.Exit(EXIT_OK if ok else 1)


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


@app.command("docs")
def docs(directory: DirArg = None,
         out: Annotated[Optional[Path], typer.Option("--out", help="Write to this file.", dir_okay=False)] = None) -> None:
    """Write the Markdown catalogue of every rule, in plain words, with citations.

    Example:

        syncdoctor rules docs --out docs/knowledge.md
    """
    # A rule's title or remedy is the knowledge author's text: shown, never sent as control
    # sequences (OSC 52, OSC 8, a screen clear), to a terminal or to a file a terminal prints.
    write_output(visible(knowledge_text(_dir(directory)), keep_newlines=True), out)


def knowledge_text(root: Path) -> str:
    """docs/knowledge.md for the rules in `root`, with the cases that cover each rule."""
    ruleset = require_ruleset(root)
    results, _ = scenarios.run_cases(Engine(ruleset), scenarios.case_files(ruleset.case_paths))
    return catalogue(ruleset, scenarios.covering_cases(results))


@app.command("list")
def list_rules(directory: DirArg = None) -> None:
    """List the rules: id, version, status, what each concludes or derives.

    Example:

        syncdoctor rules list
    """
    rs = require_ruleset(_dir(directory))
    for r in rs.rules:
        what = f"concludes {r.conclude.code}" if r.conclude else f"derives {r.derive.fact}"  # type: ignore[union-attr]
        _echo(f"{r.id:45} v{r.version:<3} {r.status:10} {what}")


@app.command("show")
def show(rule_id: Annotated[str, typer.Argument(help="A rule id or conclusion code.")], directory: DirArg = None) -> None:
    """Show one rule: where it is written, its conditions, citations and the cases that cover it.

    Example:

        syncdoctor rules show managed-not-assigned
    """
    root = _dir(directory)
    rs = require_ruleset(root)
    rule = rs.rule(rule_id) or rs.by_code(rule_id)
    if rule is None:
        known = [r.id for r in rs.rules] + [r.conclude.code for r in rs.rules if r.conclude]
        raise fail(f"no rule {rule_id!r}{suggest(rule_id, known)}")
    _echo(f"{rule.id} v{rule.version} ({rule.status}) — {rule.title}")
    _echo(f"  written at {rule.span}")
    _echo("  when:")
    for c in plain_conditions(rule):
        _echo(f"    - {c}")
    if rule.conclude:
        c = rule.conclude
        _echo(f"  concludes {c.code} ({c.kind}): {' '.join(rs.expand(c.message).split())}")
        for text in c.remedies:
            _echo(f"    → {rs.expand(text)}")
        for text in c.warnings:
            _echo(f"    ! also changes: {rs.expand(text)}")
    else:
        _echo(f"  derives {rule.derive.fact}")  # type: ignore[union-attr]
    for cite in rule.citations:
        _echo(f"  cites {rs.citation_label(cite)} (basis: {cite.basis})" + (f": “{cite.quote}”" if cite.quote else ""))
    eng = Engine(rs)
    results, _ = scenarios.run_cases(eng, scenarios.case_files(rs.case_paths))
    covering = [r for r in results if rule.id in r.fired_rules]
    _echo(f"  covered by {plural(len(covering), 'case')}:")
    for r in covering:
        _echo(f"    - {r.name} ({Path(r.file).name}:{r.line})")


@app.command("diff")
def diff(old: Annotated[Path, typer.Argument(help="The rules directory before the change.", file_okay=False)],
         new: Annotated[Path, typer.Argument(help="The rules directory after the change.", file_okay=False)],
         fmt: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
         exit_code: Annotated[bool, typer.Option("--exit-code", help="Exit 1 when anything differs (like git diff).")] = False) -> None:
    """Rules added, removed and changed (and whether each changed rule's version was bumped),
    and the verdict changes this causes across the new rules' scenario cases.

    Example:

        syncdoctor rules diff ../rules-v1/ rules/
    """
    if fmt not in ("text", "json"):
        raise fail(f"--format is text or json, not {fmt!r}")
    rulesets = []
    for root in (old, new):
        ruleset, findings = load_ruleset(root, lock_is_advice=True)
        if ruleset is None:
            report_findings(findings)
            raise typer.Exit(EXIT_USAGE)
        rulesets.append(ruleset)
    doc = rules_diff.diff_document(rulesets[0], rulesets[1], new)
    if fmt == "json":  # C0 escaped by json, C1 and bidi by json_text (visible's \x is not JSON)
        typer.echo(json_text(rules_diff.render_json(doc)), nl=False)
    else:
        _echo(rules_diff.render_text(doc), nl=False)
    r = doc["rules"]
    differs = bool(r["added"] or r["removed"] or r["changed"] or doc["verdict_changes"])
    raise typer.Exit(1 if exit_code and differs else EXIT_OK)


@app.command("graph")
def graph_cmd(directory: DirArg = None,
              fmt: Annotated[str, typer.Option("--format", help="html (a page any browser opens), svg (the picture "
                                                            "alone), mermaid or dot (sources for those tools)")] = "mermaid") -> None:
    """Which rules consume and produce which facts: a picture (html, svg) or Mermaid or Graphviz DOT source.

    Example:

        syncdoctor rules graph rules/ --format html > rules.html    # then open rules.html in a browser
    """
    choices = ("html", "svg", "mermaid", "dot")
    if fmt not in choices:
        raise fail(f"--format must be one of {', '.join(choices)}, not {fmt!r}{did_you_mean(fmt, choices)}")
    ruleset = require_ruleset(_dir(directory))
    if fmt in ("html", "svg"):
        write_output(graph_picture.page(ruleset) if fmt == "html" else graph_picture.svg(ruleset), None)
        return
    write_output(graph(ruleset, fmt), None)

