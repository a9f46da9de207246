"""`syncdoctor explain` below the CLI: one call (`explained`) takes the request down (the rules,
the rule or code, the snapshot, who, the symptom) and hands back, per business unit, what is told
there as finished values: the proof tree in the reports' plain words (api/proof.py), or the
rule's state in a sentence, or (--why-not) each condition's outcome as (truth, what it wants,
what was found). The CLI (cli/explain.py) only lays these out; nothing here prints or exits."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from syncdoctor.engine.conditions import T
from syncdoctor.engine.model import Condition, Rule
from syncdoctor.engine.status import FIRED, Outcome
from syncdoctor.reading.words import plural

from .explain import Explanation, explain_diagnosis, find_rule
from .pipeline import Source, check_symptom, knowledge, select
from .proof import Line, ProofWords
from .stream import diagnosed

ORDER = {T: 0, "unknown": 1}  # a branch's conditions: those that hold, the unknown, then those that fail


@dataclass(frozen=True)
class Branch:
    """One alternative of a rule that did not fire: its number (None when the rule has one),
    how many conditions hold, and each condition as (truth, what it wants, what was found), in
    the order told (holding, unknown, failing)."""
    number: int | None
    held: int
    conditions: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class Told:
    """What explain tells of one business unit: the user's and the business unit's labels, then
    either the proof (`head`, the verdict's kind and message when it concluded one, one tree of
    lines per firing), or a sentence (`said`), with --why-not each branch's conditions."""
    user: str
    business_unit: str
    head: str = ""
    verdict: tuple[str, str] | None = None
    proofs: tuple[Line, ...] = ()
    said: str = ""
    branches: tuple[Branch, ...] = ()


def explained(rules: str | Path | None, facts: Path, target: str, user: str, *, business_unit: str | None = None,
              symptom: str | None = None, why_not: bool = False, debug: bool = False) -> list[Told]:
    """What `syncdoctor explain` prints, per business unit, as finished values. Problems in the
    order they are met: the rules (BadInput), the rule or code (UnknownChoice), the snapshot
    (BadInput), the user and business unit (NotFound), the symptom (UnknownSymptom)."""
    know = knowledge(rules)
    eng = know.engine
    rule = find_rule(know.ruleset, target)
    snapshot = Source.file(facts).build()
    sel = select(snapshot, user, False, business_unit)
    words = know.words([bu.get("name") or bu["id"] for bu in snapshot.business_units], debug)
    return [_told(explain_diagnosis(eng, d, rule), words, why_not)
            for d in diagnosed(eng, snapshot, sel, check_symptom(know.ruleset, symptom))]


def _told(x: Explanation, words: ProofWords, why_not: bool) -> Told:
    fs = x.diagnosis.factset
    if x.status == FIRED and not why_not:
        return _proofs(x, words)
    if x.status == FIRED:
        return Told(fs.user_label, fs.business_unit_label, said=(
            f"{_name(x.rule, words)} applies here ({plural(len(x.firings), 'match', 'matches')}); "
            "run without --why-not for its proof"))
    missing = "; ".join(words.missing(m) for m in x.missing)
    state = "is not decided" if x.status == "undetermined" else "does not apply"
    said = f"{_name(x.rule, words)} {state} here" + (f": it needs {missing}" if missing else "")
    if not why_not:
        return Told(fs.user_label, fs.business_unit_label, said=said + ". Add --why-not for each condition.")
    return Told(fs.user_label, fs.business_unit_label, said=said, branches=tuple(_branches(x, words)))


def _proofs(x: Explanation, words: ProofWords) -> Told:
    """The proof tree of each firing of the rule, in the words of the reports' proofs."""
    rule, verdict = x.rule, x.verdict
    head = rule.conclude.code if rule.conclude else f"{words.kind_words(rule.derive.fact)} (derived)"  # type: ignore[union-attr]
    result = x.diagnosis.to_json()
    firings = {f["id"]: f for f in result["trace"]}
    facts = {f["id"]: f for f in result["facts"]}
    whole = x.diagnosis.factset.known_lists
    fs = x.diagnosis.factset
    return Told(fs.user_label, fs.business_unit_label, head=head,
                verdict=(verdict["kind"], verdict["message"]) if verdict else None,
                proofs=tuple(words.firing(firings[f.id], firings, facts, 0, whole) for f in x.firings))


def _name(rule: Rule, words: ProofWords) -> str:
    code = f"{rule.conclude.code} " if rule.conclude else ""
    return f"{code}({rule.title})" + (f" [rule {rule.id}]" if words.debug else "")


def _branches(x: Explanation, words: ProofWords) -> list[Branch]:
    several = len(x.rule.branches()) > 1
    out = []
    for branch in x.why_not():
        aliases = {o.pattern.alias: o.pattern.fact for o in branch.outcomes}
        rows = [_outcome_row(o, words, aliases, x.diagnosis.factset.known_lists) for o in branch.outcomes]
        out.append(Branch(branch.index + 1 if several else None, sum(r[0] == T for r in rows),
                          tuple(sorted(rows, key=lambda r: ORDER.get(r[0], 2)))))
    return out


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


__all__ = ["Branch", "Told", "explained"]
