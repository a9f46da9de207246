"""`syncdoctor rules docs|list|show|diff|graph`: the rules read, in words or in a picture, and
two rules folders compared; nothing is written to the rules (cli/rules_cmd.py registers these
beside the commands that check and lock them)."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from syncdoctor.api.knowledge import Engine, default_rules_dir, load_ruleset, require_ruleset
from syncdoctor.reading.words import plural, suggest

from syncdoctor.api import cases

from . import graph_picture, rules_diff
from .common import EXIT_OK, EXIT_USAGE, did_you_mean, fail, report_findings
from .formats.escape import json_text, visible
from .knowledge_docs import catalogue, graph, plain_conditions
from .outputs import write_output

DirArg = Annotated[Optional[Path], typer.Argument(help="Rules directory (default: the shipped rules).")]


def echo(text: object = "", nl: bool = True) -> None:
    """A line for the terminal: a rules folder (titles, messages, case names, its own path) may
    come from anyone, so no control or bidi character in it reaches the terminal raw."""
    typer.echo(visible(text, keep_newlines=True), nl=nl)


def rules_dir(d: Optional[Path]) -> Path:
    return d if d is not None else default_rules_dir()


def docs(directory: DirArg = None,
         out: Annotated[Optional[Path], typer.Option("--out", help="Write to this file.", dir_okay=False)] = None) -> None:
    """Write the Markdown catalogue of every rule, in plain words, with citations.

    Example:

        syncdoctor rules docs --out docs/knowledge.md
    """
    # A rule's title or remedy is the knowledge author's text: shown, never sent as control
    # sequences (OSC 52, OSC 8, a screen clear), to a terminal or to a file a terminal prints.
    write_output(visible(knowledge_text(rules_dir(directory)), keep_newlines=True), out)


def knowledge_text(root: Path) -> str:
    """docs/knowledge.md for the rules in `root`, with the cases that cover each rule."""
    ruleset = require_ruleset(root)
    results, _ = cases.run_cases(Engine(ruleset), cases.case_files(ruleset.case_paths))
    return catalogue(ruleset, cases.covering_cases(results))


def list_rules(directory: DirArg = None) -> None:
    """List the rules: id, version, status, what each concludes or derives.

    Example:

        syncdoctor rules list
    """
    rs = require_ruleset(rules_dir(directory))
    for r in rs.rules:
        what = f"concludes {r.conclude.code}" if r.conclude else f"derives {r.derive.fact}"  # type: ignore[union-attr]
        echo(f"{r.id:45} v{r.version:<3} {r.status:10} {what}")


def show(rule_id: Annotated[str, typer.Argument(help="A rule id or conclusion code.")], directory: DirArg = None) -> None:
    """Show one rule: where it is written, its conditions, citations and the cases that cover it.

    Example:

        syncdoctor rules show managed-not-assigned
    """
    root = rules_dir(directory)
    rs = require_ruleset(root)
    rule = rs.rule(rule_id) or rs.by_code(rule_id)
    if rule is None:
        known = [r.id for r in rs.rules] + [r.conclude.code for r in rs.rules if r.conclude]
        raise fail(f"no rule {rule_id!r}{suggest(rule_id, known)}")
    echo(f"{rule.id} v{rule.version} ({rule.status}) — {rule.title}")
    echo(f"  written at {rule.span}")
    echo("  when:")
    for c in plain_conditions(rule):
        echo(f"    - {c}")
    if rule.conclude:
        c = rule.conclude
        echo(f"  concludes {c.code} ({c.kind}): {' '.join(rs.expand(c.message).split())}")
        for text in c.remedies:
            echo(f"    → {rs.expand(text)}")
        for text in c.warnings:
            echo(f"    ! also changes: {rs.expand(text)}")
    else:
        echo(f"  derives {rule.derive.fact}")  # type: ignore[union-attr]
    for cite in rule.citations:
        echo(f"  cites {rs.citation_label(cite)} (basis: {cite.basis})" + (f": “{cite.quote}”" if cite.quote else ""))
    eng = Engine(rs)
    results, _ = cases.run_cases(eng, cases.case_files(rs.case_paths))
    covering = [r for r in results if rule.id in r.fired_rules]
    echo(f"  covered by {plural(len(covering), 'case')}:")
    for r in covering:
        echo(f"    - {r.name} ({Path(r.file).name}:{r.line})")


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
        echo(rules_diff.render_text(doc), nl=False)
    r = doc["rules"]
    differs = bool(r["added"] or r["removed"] or r["changed"] or doc["verdict_changes"])
    raise typer.Exit(1 if exit_code and differs else EXIT_OK)


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
    ruleset = require_ruleset(rules_dir(directory))
    if fmt in ("html", "svg"):
        write_output(graph_picture.page(ruleset) if fmt == "html" else graph_picture.svg(ruleset), None)
        return
    write_output(graph(ruleset, fmt), None)
