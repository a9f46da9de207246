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
from syncdoctor.api.explain import Explanation, Proof, explain_diagnosis, find_rule
from syncdoctor.engine.facts import Fact
from syncdoctor.engine.model import Condition, Pattern, Rule
from syncdoctor.engine.run import Engine
from syncdoctor.engine.status import FIRED, F, Outcome, T
from syncdoctor.reading.words import plain, plural

from . import service
from .common import EXIT_OK, RulesOption, SymptomOption, check_symptom, color_wanted, fail
from .formats.escape import term as escape  # controls made visible, markup escaped
from .outputs import write_output

MARK = {T: "✓", F: "✗", "unknown": "?"}


def _rel(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return path


def _values(fact: Fact) -> str:
    return ", ".join(f"{k}={v!r}" if isinstance(v, str) else f"{k}={plain(v)}" for k, v in fact.values.items())


def _source_words(origin: dict[str, Any]) -> str:
    at = f" at {origin['at']}" if origin.get("at") else ""
    if origin.get("source") == "engineer":
        return f"stated by the engineer ({origin.get('via', 'answer')}{at})"
    where = {"salesforce": "Salesforce", "account_engagement": "Account Engagement"}.get(origin.get("source", ""), origin.get("source", ""))
    return f"read from {where} ({origin.get('via', '')}{at})"


def _origin(fact: Fact) -> str:
    p = fact.provenance
    if p.get("source") == "derived":
        return f"derived by rule {p['rule']} v{p['rule_version']}"
    if p.get("source") == "snapshot":
        text = f"snapshot {p.get('file')} at {p.get('path')}" + (f", collected {p['collected_at']}" if p.get("collected_at") else "")
        if p.get("origin"):
            text += f"; {_source_words(p['origin'])}"
        for name, origin in (p.get("field_origins") or {}).items():
            text += f"; {name} {_source_words(origin)}"
        return text
    return f"{p.get('source')} {p.get('path', '')}".strip()


def _rule_line(rule: Rule, eng: Engine) -> str:
    cites = "; ".join(eng.ruleset.citation_label(c) for c in rule.citations)
    return f"rule [bold]{rule.id}[/bold] v{rule.version} ({escape(_rel(rule.span.file))}:{rule.span.line}) cites {escape(cites)}"


def _proof_tree(tree: Tree, proof: Proof, eng: Engine) -> None:
    node = tree.add(_rule_line(proof.rule, eng))
    for m in proof.matched:
        label = f"{m.alias}: [italic]{m.fact.kind}[/italic] {escape(_values(m.fact))}  ← {escape(_origin(m.fact))}"
        child = node.add(label)
        if m.proof is not None:
            _proof_tree(child, m.proof, eng)
    for p in proof.absent:
        node.add(escape(_absent(p, eng)))


def _absent(p: Pattern, eng: Engine) -> str:
    """A negated condition that held, in plain words: what was looked for and why its absence
    is known (unknown is never false: the rule fires only when the lists that would show it
    are complete)."""
    return f"and {_nothing_shows(p, eng)}: the snapshot's lists that would show it are complete"


def _nothing_shows(p: Pattern, eng: Engine) -> str:
    """'nothing shows that <the fact's description> (where ...)', from the vocabulary."""
    fd = eng.ruleset.vocabulary.facts.get(p.fact)
    what = fd.description.rstrip(".") if fd else f"a {p.fact} fact"
    where = _describe(p.conditions)
    return f"nothing shows that {what[:1].lower() + what[1:]}{' (' + where + ')' if where else ''}"


def _why_not(console: Console, x: Explanation, eng: Engine) -> None:
    console.print(f"{x.rule.id} did not fire: {x.status.replace('_', ' ')}"
                  + (f"; unknown: {escape(', '.join(x.missing))}" if x.missing else ""))
    for branch in x.why_not():
        if len(x.rule.branches()) > 1:
            console.print(f"  alternative {branch.index + 1}:")
        rows = [_outcome_row(o, eng) for o in branch.outcomes]
        held = sum(r[0] == T for r in rows)
        console.print(f"  {held} of {len(rows)} conditions hold")
        order = {T: 0, "unknown": 1, F: 2}
        for truth, wanted, found in sorted(rows, key=lambda r: order[r[0]]):
            console.print(f"    {MARK[truth]} {escape(wanted)} — {escape(str(found))}")


def _outcome_row(o: Outcome, eng: Engine) -> tuple[str, str, str]:
    """(truth, what the condition wants, what was found) in plain words."""
    p, c, fact = o.pattern, o.condition, o.fact
    unknown = "unknown: " + ", ".join(o.missing)
    if p.negated:
        found = f"found {fact.fid}: {_values(fact)}" if fact is not None else unknown if o.truth == "unknown" else "none found"
        return o.truth, _nothing_shows(p, eng), found
    if fact is None:
        return o.truth, f"a {p.fact} {_describe(p.conditions)}", unknown if o.truth == "unknown" else "no such fact"
    if c is None:
        return o.truth, f"a {p.fact}", f"{fact.fid}"
    if not isinstance(c, Condition):
        return o.truth, f"{p.alias}.(any of) {_wanted(c)}", f"found {plain('-')}"
    value = fact.values[c.field] if c.field in fact.values else f"unknown ({fact.path_of(c.field)})"
    return o.truth, f"{p.alias}.{c.field} {_wanted(c)}", f"found {plain(value)}"


def _wanted(c: Any) -> str:
    if not isinstance(c, Condition):
        return "(one of several conditions)"
    if c.op in ("same_as", "differs_from"):
        case = " (ignoring case)" if c.ignore_case else ""
        return f"{c.op.replace('_', ' ')} {c.value[0]}.{c.value[1]}{case}"
    if c.op == "one_of":
        return "one of " + ", ".join(map(str, c.value))
    if c.op in ("is_unknown", "is_known"):
        return c.op.replace("_", " ")
    return f"{c.op.replace('_', ' ')} {plain(c.value)}"


def _describe(conds: Any) -> str:
    parts = [f"{c.field} {_wanted(c)}" for c in conds if isinstance(c, Condition)]
    return ("where " + " and ".join(parts)) if parts else ""


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
    buf = io.StringIO()
    color = color_wanted()
    console = Console(file=buf, force_terminal=color, no_color=not color, width=160, highlight=False, emoji=False)
    for x in (explain_diagnosis(eng, d, rule) for d in diagnoses):
        console.print(f"[bold]{escape(x.diagnosis.factset.user_label)}[/bold] · business unit {escape(x.diagnosis.factset.business_unit_label)}")
        if x.status == FIRED and not why_not:
            head = rule.conclude.code if rule.conclude else f"derived {rule.derive.fact}"  # type: ignore[union-attr]
            verdict = x.verdict
            tree = Tree(f"[bold]{head}[/bold]" + (f" ({verdict['kind']}): {escape(verdict['message'])}" if verdict else ""))
            for proof in x.proofs():
                _proof_tree(tree, proof, eng)
            console.print(tree)
        elif x.status == FIRED:
            console.print(f"{rule.id} fired here ({plural(len(x.firings), 'match', 'matches')}); run without --why-not for its proof")
        elif why_not:
            _why_not(console, x, eng)
        else:
            console.print(f"{rule.id} did not fire ({x.status.replace('_', ' ')})"
                          + (f"; it needs: {escape(', '.join(x.missing))}" if x.missing else "") + ". Add --why-not for each condition.")
        console.print()
    write_output(buf.getvalue(), None)
    raise typer.Exit(EXIT_OK)
