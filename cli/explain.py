"""`syncdoctor explain`: why a verdict fired (a proof tree), or why it did not (--why-not)."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.tree import Tree

from syncdoctor.api import pipeline
from syncdoctor.api.errors import NotFound, UnknownChoice
from syncdoctor.api.explain import Explanation, explain_diagnosis, find_rule
from syncdoctor.api.knowledge import Condition, F, FIRED, Outcome, Rule, T
from syncdoctor.api.proof import Line, ProofWords
from syncdoctor.reading.words import plural

from . import common, service
from .common import EXIT_OK, RulesOption, SymptomOption, check_symptom, color_wanted, fail
from .formats.escape import term as escape  # controls made visible, markup escaped
from .outputs import write_output

MARK = {T: "✓", F: "✗", "unknown": "?"}


def _tree(tree: Tree, line: Line) -> None:
    node = tree.add(escape(line.text))
    for child in line.children:
        _tree(node, child)


def _proofs(console: Console, x: Explanation, words: ProofWords) -> None:
    """The proof tree of each firing of the rule, in the words of the reports' proofs."""
    rule, verdict = x.rule, x.verdict
    head = rule.conclude.code if rule.conclude else f"{words.kind_words(rule.derive.fact)} (derived)"  # type: ignore[union-attr]
    tree = Tree(f"[bold]{escape(head)}[/bold]" + (f" ({escape(verdict['kind'])}): {escape(verdict['message'])}" if verdict else ""))
    result = x.diagnosis.to_json()
    firings = {f["id"]: f for f in result["trace"]}
    facts = {f["id"]: f for f in result["facts"]}
    for firing in x.firings:
        _tree(tree, words.firing(firings[firing.id], firings, facts, 0, x.diagnosis.factset.known_lists))
    console.print(tree)


def _name(rule: Rule, words: ProofWords) -> str:
    code = f"{rule.conclude.code} " if rule.conclude else ""
    return f"{code}({rule.title})" + (f" [rule {rule.id}]" if words.debug else "")


def _why_not(console: Console, x: Explanation, words: ProofWords) -> None:
    missing = "; ".join(words.missing(m) for m in x.missing)
    state = "is not decided" if x.status == "undetermined" else "does not apply"
    console.print(escape(f"{_name(x.rule, words)} {state} here" + (f": it needs {missing}" if missing else "")))
    for branch in x.why_not():
        if len(x.rule.branches()) > 1:
            console.print(f"  alternative {branch.index + 1}:")
        aliases = {o.pattern.alias: o.pattern.fact for o in branch.outcomes}
        rows = [_outcome_row(o, words, aliases, x.diagnosis.factset.known_lists) for o in branch.outcomes]
        held = sum(r[0] == T for r in rows)
        console.print(f"  {held} of {len(rows)} conditions hold")
        order = {T: 0, "unknown": 1, F: 2}
        for truth, wanted, found in sorted(rows, key=lambda r: order[r[0]]):
            console.print(f"    {MARK[truth]} {escape(wanted)} — {escape(found)}")


def _outcome_row(o: Outcome, words: ProofWords, aliases: dict[str, str], whole: set[str]) -> tuple[str, str, str]:
    """(truth, what the condition wants, what was found) in the reports' plain words (`whole`:
    the lists the diagnosis had whole, the only ones a held negation names)."""
    p, c, fact = o.pattern, o.condition, o.fact
    unknown = "not known: needs " + "; ".join(words.missing(m) for m in o.missing)
    found_fact = f"found {words.fact(fact.kind, dict(fact.values), fact.fid)}" if fact is not None else ""
    if p.negated:
        return o.truth, words.absent(p, aliases, held=o.truth == T, whole=whole), found_fact or (unknown if o.truth == "unknown" else "none found")
    conds = "; ".join(words.wanted(p.fact, x, aliases) for x in p.conditions)
    if fact is None:
        return o.truth, f"{words.kind_words(p.fact)}{' (' + conds + ')' if conds else ''}", \
            unknown if o.truth == "unknown" else "none found"
    if c is None:
        return o.truth, words.kind_words(p.fact), found_fact
    wanted = f"{words.kind_words(p.fact)}: {words.wanted(p.fact, c, aliases)}"
    if not isinstance(c, Condition):
        return o.truth, wanted, found_fact if o.truth != "unknown" else unknown
    if c.field not in fact.values:
        return o.truth, wanted, "not known: needs " + words.missing(fact.path_of(c.field))
    value = words.value(fact.kind, c.field, fact.values[c.field]) + (f" [{fact.fid}.{c.field}]" if words.debug else "")
    return o.truth, wanted, f"found {value}"


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
    eng = service.engine(rules)
    words = ProofWords(eng.ruleset, debug=common.DEBUG)
    try:
        rule = find_rule(eng.ruleset, target)
    except UnknownChoice as exc:
        raise fail(str(exc)) from None
    snapshot = service.load(facts)
    try:
        sel = pipeline.select(snapshot, user, False, business_unit)
    except NotFound as exc:
        raise fail(str(exc)) from None
    diagnoses = pipeline.diagnosed(eng, snapshot, sel, check_symptom(eng.ruleset, symptom))
    words.business_units = [bu.get("name") or bu["id"] for bu in snapshot.business_units]
    buf = io.StringIO()
    color = color_wanted()
    console = Console(file=buf, force_terminal=color, no_color=not color, width=160, highlight=False, emoji=False)
    for x in (explain_diagnosis(eng, d, rule) for d in diagnoses):
        console.print(f"[bold]{escape(x.diagnosis.factset.user_label)}[/bold] · business unit {escape(x.diagnosis.factset.business_unit_label)}")
        if x.status == FIRED and not why_not:
            _proofs(console, x, words)
        elif x.status == FIRED:
            console.print(escape(f"{_name(rule, words)} applies here ({plural(len(x.firings), 'match', 'matches')}); "
                                 "run without --why-not for its proof"))
        elif why_not:
            _why_not(console, x, words)
        else:
            missing = "; ".join(words.missing(m) for m in x.missing)
            state = "is not decided" if x.status == "undetermined" else "does not apply"
            console.print(escape(f"{_name(rule, words)} {state} here" + (f": it needs {missing}" if missing else "")
                                 + ". Add --why-not for each condition."))
        console.print()
    write_output(buf.getvalue(), None)
    raise typer.Exit(EXIT_OK)
