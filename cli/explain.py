"""`syncdoctor explain`: why a verdict fired (a proof tree), or why it did not (--why-not)."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.tree import Tree

from syncdoctor.api.errors import NotFound, UnknownChoice, UnknownSymptom
from syncdoctor.api.explained import Told, explained
from syncdoctor.api.proof import Line

from . import common, service
from .common import EXIT_OK, RulesOption, SymptomOption, color_wanted, fail
from .formats.escape import term as escape  # controls made visible, markup escaped
from .outputs import write_output

MARK = {"true": "✓", "false": "✗", "unknown": "?"}  # a condition's truth (api/explained.py)


def _tree(tree: Tree, line: Line) -> None:
    node = tree.add(escape(line.text))
    for child in line.children:
        _tree(node, child)


def _print(console: Console, told: Told) -> None:
    """One business unit's part, laid out: its proof trees, or its sentence and conditions."""
    console.print(f"[bold]{escape(told.user)}[/bold] · business unit {escape(told.business_unit)}")
    if told.head:
        verdict = f" ({escape(told.verdict[0])}): {escape(told.verdict[1])}" if told.verdict else ""
        tree = Tree(f"[bold]{escape(told.head)}[/bold]" + verdict)
        for line in told.proofs:
            _tree(tree, line)
        console.print(tree)
    else:
        console.print(escape(told.said))
    for branch in told.branches:
        if branch.number is not None:
            console.print(f"  alternative {branch.number}:")
        console.print(f"  {branch.held} of {len(branch.conditions)} conditions hold")
        for truth, wanted, found in branch.conditions:
            console.print(f"    {MARK[truth]} {escape(wanted)} — {escape(found)}")
    console.print()


def explain(
    target: Annotated[str, typer.Argument(help="A conclusion code (MANAGED_NOT_ASSIGNED) or a rule id.")],
    facts: Annotated[Path, typer.Option("--facts", help="Facts snapshot file.", dir_okay=False)],
    user: Annotated[str, typer.Option("--user", help="The Salesforce user: username, email or id.")],
    symptom: SymptomOption = None,
    business_unit: Annotated[Optional[str], typer.Option("--business-unit", help="Only this business unit.")] = None,
    why_not: Annotated[bool, typer.Option("--why-not", help="Explain why the rule did not fire.")] = False,
    rules: RulesOption = None,
) -> None:
    """Explain a verdict as a proof tree down to the input facts, or why it did not fire.

    Example:

        syncdoctor explain DELETE_MANAGED_STILL_ASSIGNED --facts org.yaml --user jdoe@acme.example --symptom cannot-delete
    """
    try:  # the rules, the rule, the snapshot, who, the symptom, the diagnoses, their words: one call (api/explained.py)
        told = service.guarded(lambda: explained(rules, facts, target, user, business_unit=business_unit, symptom=symptom,
                                                 why_not=why_not, debug=common.DEBUG))
    except UnknownSymptom as exc:
        raise fail(f"--symptom {exc}") from None
    except (UnknownChoice, NotFound) as exc:
        raise fail(str(exc)) from None
    buf = io.StringIO()
    color = color_wanted()
    console = Console(file=buf, force_terminal=color, no_color=not color, width=160, highlight=False, emoji=False)
    for part in told:
        _print(console, part)
    write_output(buf.getvalue(), None)
    raise typer.Exit(EXIT_OK)
