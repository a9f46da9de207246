"""`syncdoctor explain`: why a verdict fired (a proof tree), or why it did not (--why-not)."""
from __future__ import annotations

import io
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.tree import Tree

from syncdoctor.engine.facts import Fact
from syncdoctor.engine.model import Condition, Pattern, Rule
from syncdoctor.engine.run import Diagnosis, Engine
from syncdoctor.engine.status import FIRED, T, F, Evaluator
from syncdoctor.engine.words import plain, plural

from . import service
from .formats.escape import term as escape  # controls made visible, markup escaped
from .common import EXIT_OK, RulesOption, SymptomOption, check_symptom, color_wanted, fail, write_output

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


def _firing_tree(tree: Tree, firing_id: str, d: Diagnosis, eng: Engine, depth: int = 0) -> None:
    firing = next(f for f in d.firings if f.id == firing_id)
    rule = eng.ruleset.rule(firing.rule)
    assert rule is not None
    node = tree.add(_rule_line(rule, eng))
    for alias, fid in firing.matched.items():
        fact = d.facts[fid]
        label = f"{alias}: [italic]{fact.kind}[/italic] {escape(_values(fact))}  ← {escape(_origin(fact))}"
        child = node.add(label)
        if fact.provenance.get("source") == "derived" and depth < 60:
            _firing_tree(child, fact.provenance["firing"], d, eng, depth + 1)
    branch = rule.branches()[firing.branch]
    for p in branch:
        if p.negated:
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


def _why_not(console: Console, rule: Rule, d: Diagnosis, eng: Engine) -> None:
    status = d.statuses[rule.id]
    console.print(f"{rule.id} did not fire: {status.status.replace('_', ' ')}"
                  + (f"; unknown: {escape(', '.join(status.missing))}" if status.missing else ""))
    ev = Evaluator(eng.compiled, list(d.facts.values()), d.factset.known_lists, d.factset.list_paths, d.factset.pool)
    ev.derived_missing = dict(d.derived_missing)
    for b in eng.compiled.branches_of(rule.id):
        if len(rule.branches()) > 1:
            console.print(f"  alternative {b.index + 1}:")
        binding: dict[str, Any] = {}
        rows = []
        for p in b.patterns:
            cands = ev._candidates(p, binding, frozenset())
            best, best_truths = None, []
            for cand in cands:
                if not isinstance(cand, Fact):
                    continue
                truths = [(c, ev._cond(c, cand, binding)) for c in p.conditions]
                score = (sum(t.value == T for _, t in truths), -sum(t.value == F for _, t in truths))
                if best is None or score > best[0]:
                    best, best_truths = (score, cand), truths
            if p.negated:
                matching = [c for c in cands if isinstance(c, Fact) and all(ev._cond(x, c, binding).value == T for x in p.conditions)]
                unknown = [c for c in cands if not isinstance(c, Fact)]
                if matching:
                    rows.append((F, _nothing_shows(p, eng), f"found {matching[0].fid}: {_values(matching[0])}"))
                elif unknown:
                    rows.append(("unknown", _nothing_shows(p, eng), "unknown: " + ", ".join(sorted(unknown[0].missing))))
                else:
                    rows.append((T, _nothing_shows(p, eng), "none found"))
                continue
            if best is None:
                unknown = [c for c in cands if not isinstance(c, Fact)]
                found = ("unknown: " + ", ".join(sorted(unknown[0].missing))) if unknown else "no such fact"
                rows.append(("unknown" if unknown else F, f"a {p.fact} {_describe(p.conditions)}", found))
                continue
            fact = best[1]
            binding[p.alias] = fact
            if not p.conditions:
                rows.append((T, f"a {p.fact}", f"{fact.fid}"))
            for c, t in best_truths:
                found = fact.values.get(c.field, "unknown") if isinstance(c, Condition) else "-"
                if isinstance(c, Condition) and c.field not in fact.values:
                    found = f"unknown ({fact.path_of(c.field)})"
                rows.append((t.value, f"{p.alias}.{c.field if isinstance(c, Condition) else '(any of)'} {_wanted(c)}", f"found {plain(found)}"))
        held = sum(r[0] == T for r in rows)
        console.print(f"  {held} of {len(rows)} conditions hold")
        order = {T: 0, "unknown": 1, F: 2}
        for truth, wanted, found in sorted(rows, key=lambda r: order[r[0]]):
            console.print(f"    {MARK[truth]} {escape(wanted)} — {escape(str(found))}")


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
    rule = eng.ruleset.by_code(target) or eng.ruleset.rule(target)
    if rule is None:
        known = [r.conclude.code for r in eng.ruleset.rules if r.conclude] + [r.id for r in eng.ruleset.rules]
        from syncdoctor.engine.schemas import suggest
        raise fail(f"{target!r} is neither a conclusion code nor a rule id{suggest(target, known)}")
    snapshot = service.load(facts)
    try:
        sel = service.select(snapshot, user, False, business_unit)
    except service.UsageProblem as exc:
        raise fail(str(exc)) from None
    diagnoses = service.run(eng, snapshot, sel, check_symptom(eng.ruleset, symptom))
    buf = io.StringIO()
    color = color_wanted()
    console = Console(file=buf, force_terminal=color, no_color=not color, width=160, highlight=False, emoji=False)
    for d in diagnoses:
        console.print(f"[bold]{escape(d.factset.user_label)}[/bold] · business unit {escape(d.factset.business_unit_label)}")
        firings = [f for f in d.firings if f.rule == rule.id]
        if d.statuses[rule.id].status == FIRED and not why_not:
            head = rule.conclude.code if rule.conclude else f"derived {rule.derive.fact}"  # type: ignore[union-attr]
            verdict = next((v for v in d.verdicts() if v["rule"] == rule.id), None)
            tree = Tree(f"[bold]{head}[/bold]" + (f" ({verdict['kind']}): {escape(verdict['message'])}" if verdict else ""))
            for f in firings:
                _firing_tree(tree, f.id, d, eng)
            console.print(tree)
        elif d.statuses[rule.id].status == FIRED:
            console.print(f"{rule.id} fired here ({plural(len(firings), 'match', 'matches')}); run without --why-not for its proof")
        elif why_not:
            _why_not(console, rule, d, eng)
        else:
            st = d.statuses[rule.id]
            console.print(f"{rule.id} did not fire ({st.status.replace('_', ' ')})"
                          + (f"; it needs: {escape(', '.join(st.missing))}" if st.missing else "") + ". Add --why-not for each condition.")
        console.print()
    write_output(buf.getvalue(), None)
    raise typer.Exit(EXIT_OK)
