"""Three-valued evaluation of the compiled conditions: fired, not applicable, undetermined.

This is a second, small evaluator of exactly the branches the compiler gave durable-rules.
Run over the facts of a finished session (inputs and everything derived), it must find the
same matches durable-rules fired; where it finds none, it says whether a condition is known
false (not applicable) or depends on unknown facts (undetermined, with the paths that would
decide it). Unknown is never false: an absent value, an absent list, or a derived fact whose
producing rules are undetermined all make a condition unknown.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from .compile import Branch, CompiledRuleset
from .facts import MISSING, Fact, FactPool, indexed_lookup
from .model import JOINS, AnyOf, Condition, Pattern

T, F, U = "true", "false", "unknown"

FIRED, NOT_APPLICABLE, UNDETERMINED = "fired", "not_applicable", "undetermined"


@dataclass(frozen=True)
class Truth:
    value: str
    missing: frozenset[str] = frozenset()


TRUE = Truth(T)
FALSE = Truth(F)


def t_and(a: Truth, b: Truth) -> Truth:
    if a.value == F or b.value == F:
        return FALSE
    if a.value == U or b.value == U:
        return Truth(U, a.missing | b.missing)
    return TRUE


def t_or(items: Iterable[Truth]) -> Truth:
    missing: set[str] = set()
    unknown = False
    for t in items:
        if t.value == T:
            return TRUE
        if t.value == U:
            unknown = True
            missing |= t.missing
    return Truth(U, frozenset(missing)) if unknown else FALSE


def t_not(a: Truth) -> Truth:
    return {T: FALSE, F: TRUE}.get(a.value) or a


class _Unknown:
    """A fact that may exist but is not in the data (the list it belongs to is incomplete)."""

    def __init__(self, missing: frozenset[str]):
        self.missing = missing


@dataclass
class BranchStatus:
    branch: Branch
    status: str
    matches: list[dict[str, str]] = field(default_factory=list)  # alias -> fid
    missing: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Outcome:
    """One condition of a rule's branch, as `Evaluator.explain_rule` weighed it. `condition` is
    None for the pattern as a whole (a fact of that kind exists; for a negated pattern, none
    does); `fact` is the fact considered (the closest candidate, or for a negated pattern the
    fact that shows it); `missing` names the snapshot paths that would decide an unknown."""
    pattern: Pattern
    condition: Condition | AnyOf | None
    truth: str
    fact: Fact | None = None
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class BranchOutcomes:
    index: int  # the branch (an `any:` alternative) of the rule
    outcomes: list[Outcome]


@dataclass
class RuleStatus:
    rule_id: str
    status: str
    missing: tuple[str, ...] = ()
    branches: list[BranchStatus] = field(default_factory=list)


class Evaluator:
    def __init__(self, compiled: CompiledRuleset, facts: list[Fact], known_lists: set[str],
                 list_paths: dict[str, str], pool: FactPool | None = None):
        self.compiled = compiled
        # The shared pool the engine drew facts from: a pattern with no usable join value (no
        # join, or joined to an unknown) must see every pool fact, as if all were asserted.
        self.pool = pool
        self.vocab = compiled.ruleset.vocabulary
        self.by_kind: dict[str, list[Fact]] = {}
        for f in facts:
            self.by_kind.setdefault(f.kind, []).append(f)
        self.known_lists = known_lists
        self.list_paths = list_paths
        self.derived_missing: dict[str, frozenset[str] | None] = {}  # kind -> None when complete
        self._index: dict[tuple[str, str], dict[Any, list[Fact]]] = {}
        self._statuses: dict[str, RuleStatus] = {}
        self._missing_cache: dict[str, frozenset[str]] = {}

    def add_fact(self, fact: Fact) -> None:
        self.by_kind.setdefault(fact.kind, []).append(fact)
        self._index = {k: v for k, v in self._index.items() if k[0] != fact.kind}

    # -- completeness ------------------------------------------------------------------
    def list_missing(self, kind: str) -> frozenset[str]:
        """Paths whose absence makes the facts of ``kind`` possibly incomplete (empty: complete)."""
        cached = self._missing_cache.get(kind)
        if cached is None:
            cached = self._missing_cache[kind] = self._list_missing(kind)
        return cached

    def _list_missing(self, kind: str) -> frozenset[str]:
        fdef = self.vocab.facts[kind]
        if fdef.origin == "derived":
            missing = self.derived_missing.get(kind)
            return missing or frozenset()
        out = {self.list_paths.get(name, name) for name in fdef.complete_when if name not in self.known_lists}
        return frozenset(out)

    def set_derived_status(self, kind: str, missing: frozenset[str] | None) -> None:
        self.derived_missing[kind] = missing
        self._missing_cache.pop(kind, None)

    # -- evaluation ----------------------------------------------------------------------
    def _candidates(self, p: Pattern, binding: dict[str, Any], own: frozenset[str]) -> list[Any]:
        fdef = self.vocab.facts[p.fact]
        facts: list[Fact] | None = None
        # A join whose other side is a known value: the facts with that value (the engine has
        # demanded every pool fact with it), plus, for a field that may be unknown, those lacking it.
        for c in p.conditions:
            if isinstance(c, Condition) and c.indexed_join:
                other = binding.get(c.value[0])
                if isinstance(other, Fact) and c.value[1] in other.values:
                    value = other.values[c.value[1]]
                    facts = self._lookup(p.fact, c.field, value, c.ignore_case)
                    if not fdef.fields[c.field].always_known:
                        facts = facts + self._lookup(p.fact, c.field, MISSING)
                    break
        if facts is None:
            pooled = self.pool.of_kind(p.fact) if self.pool is not None else []
            facts = pooled or self.by_kind.get(p.fact, [])
        out: list[Any] = list(facts)
        if p.fact not in own:
            missing = self.list_missing(p.fact)
            if missing:
                out.append(_Unknown(missing))
        return out

    def _lookup(self, kind: str, name: str, value: Any, fold: bool = False) -> list[Fact]:
        if self.pool is not None and kind in self.pool.by_kind:
            # Exactly the facts the engine demanded for this value (Engine._demanded).
            return self.pool.lookup(kind, name, value, fold)
        return indexed_lookup(self._index, self.by_kind, kind, name, value, fold)

    def _cond(self, c: Condition | AnyOf, fact: Fact, binding: dict[str, Any]) -> Truth:
        if isinstance(c, AnyOf):
            return t_or(self._cond(x, fact, binding) for x in c.conditions)
        present = c.field in fact.values
        if c.op == "is_unknown":
            return TRUE if not present else FALSE
        if c.op == "is_known":
            return TRUE if present else FALSE
        if not present:
            return Truth(U, frozenset({fact.path_of(c.field)}))
        v = fact.values[c.field]
        fold = _fold if c.ignore_case else _keep
        if c.op in JOINS:
            other = binding.get(c.value[0])
            if isinstance(other, _Unknown):
                return Truth(U, other.missing)
            if other is None or c.value[1] not in other.values:
                return Truth(U, frozenset({other.path_of(c.value[1])})) if other is not None else Truth(U)
            same = _same(fold(v), fold(other.values[c.value[1]]))
            return TRUE if same == (c.op == "same_as") else FALSE
        if c.op == "equals":
            return TRUE if _same(fold(v), fold(c.value)) else FALSE
        if c.op == "not_equals":
            return FALSE if _same(fold(v), fold(c.value)) else TRUE
        if c.op == "one_of":
            return TRUE if any(_same(fold(v), fold(x)) for x in c.value) else FALSE
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            return FALSE
        ok = {"less_than": v < c.value, "at_most": v <= c.value, "greater_than": v > c.value,
              "at_least": v >= c.value}[c.op]
        return TRUE if ok else FALSE

    def _pattern_truth(self, p: Pattern, cand: Any, binding: dict[str, Any]) -> Truth:
        if isinstance(cand, _Unknown):
            return Truth(U, cand.missing)
        result = TRUE
        for c in p.conditions:
            result = t_and(result, self._cond(c, cand, binding))
            if result.value == F:
                return FALSE
        return result

    def evaluate_branch(self, branch: Branch) -> BranchStatus:
        own = frozenset()
        if branch.rule.derive is not None:
            own = self.compiled.components.get(branch.rule.derive.fact, frozenset())
        bindings: list[tuple[dict[str, Any], Truth]] = [({}, TRUE)]
        for p in branch.patterns:
            nxt: list[tuple[dict[str, Any], Truth]] = []
            for binding, truth in bindings:
                # A join needs the joined value: if it is unknown, so is the pattern (the compiled
                # rule requires it with `$ex`), even when there is nothing to join with.
                truth = t_and(truth, self._join_guard(p, binding))
                if truth.value == F:
                    continue
                cands = self._candidates(p, binding, own)
                if p.negated:
                    exists = t_or(self._pattern_truth(p, c, binding) for c in cands)
                    t = t_and(truth, t_not(exists))
                    if t.value != F:
                        nxt.append((binding, t))
                else:
                    used = {id(f) for f in binding.values()}
                    for cand in cands:
                        if id(cand) in used:
                            continue  # durable-rules never binds one fact to two patterns of a rule
                        t = t_and(truth, self._pattern_truth(p, cand, binding))
                        if t.value != F:
                            nb = dict(binding)
                            nb[p.alias] = cand
                            nxt.append((nb, t))
            bindings = nxt
            if not bindings:
                break
        matches = [{a: f.fid for a, f in b.items()} for b, t in bindings if t.value == T]
        if matches:
            return BranchStatus(branch, FIRED, matches)
        if bindings:
            missing: set[str] = set()
            for _, t in bindings:
                missing |= t.missing
            return BranchStatus(branch, UNDETERMINED, [], frozenset(missing))
        return BranchStatus(branch, NOT_APPLICABLE)

    def _join_guard(self, p: Pattern, binding: dict[str, Any]) -> Truth:
        result = TRUE
        for c in p.conditions:
            if isinstance(c, Condition) and c.op in JOINS:
                other = binding.get(c.value[0])
                if isinstance(other, _Unknown):
                    result = t_and(result, Truth(U, other.missing))
                elif isinstance(other, Fact) and c.value[1] not in other.values:
                    result = t_and(result, Truth(U, frozenset({other.path_of(c.value[1])})))
        return result

    def explain_rule(self, rule_id: str) -> list[BranchOutcomes]:
        """Each branch of a rule, condition by condition, over the facts so far (what `explain
        --why-not` prints). For each pattern the candidate meeting most of its conditions is
        chosen, and binds the pattern's alias for the patterns after it; a negated pattern tells
        whether some fact shows what it excludes. A reading aid for people: the rule's status is
        `rule_status`, which weighs every binding, not only the closest."""
        out = []
        for b in self.compiled.branches_of(rule_id):
            binding: dict[str, Any] = {}
            outcomes: list[Outcome] = []
            for p in b.patterns:
                cands = self._candidates(p, binding, frozenset())
                facts = [c for c in cands if isinstance(c, Fact)]
                unknown = tuple(sorted(next((c.missing for c in cands if isinstance(c, _Unknown)), ())))
                if p.negated:
                    shown = next((f for f in facts if all(self._cond(c, f, binding).value == T for c in p.conditions)), None)
                    truth = F if shown else U if unknown else T
                    outcomes.append(Outcome(p, None, truth, shown, unknown if truth == U else ()))
                    continue
                best: tuple[tuple[int, int], Fact, list[tuple[Condition | AnyOf, Truth]]] | None = None
                for f in facts:
                    truths = [(c, self._cond(c, f, binding)) for c in p.conditions]
                    score = (sum(t.value == T for _, t in truths), -sum(t.value == F for _, t in truths))
                    if best is None or score > best[0]:
                        best = (score, f, truths)
                if best is None:
                    outcomes.append(Outcome(p, None, U if unknown else F, None, unknown))
                    continue
                _, fact, truths = best
                binding[p.alias] = fact
                if not p.conditions:
                    outcomes.append(Outcome(p, None, T, fact))
                outcomes += [Outcome(p, c, t.value, fact, tuple(sorted(t.missing))) for c, t in truths]
            out.append(BranchOutcomes(b.index, outcomes))
        return out

    def rule_status(self, rule_id: str) -> RuleStatus:
        """Status of a rule over the facts so far. Cached: call it for a rule only once every
        fact it can match is present (the engine does so stratum by stratum)."""
        cached = self._statuses.get(rule_id)
        if cached is not None:
            return cached
        self._statuses[rule_id] = status = self._rule_status(rule_id)
        return status

    def _rule_status(self, rule_id: str) -> RuleStatus:
        parts = [self.evaluate_branch(b) for b in self.compiled.branches_of(rule_id)]
        if any(p.status == FIRED for p in parts):
            status = FIRED
        elif any(p.status == UNDETERMINED for p in parts):
            status = UNDETERMINED
        else:
            status = NOT_APPLICABLE
        missing = sorted(set().union(*(p.missing for p in parts))) if status == UNDETERMINED else []
        return RuleStatus(rule_id, status, tuple(missing), parts)


def _fold(value: Any) -> Any:
    """Text compared without case (`ignore_case`), exactly as the compiled shadow fields."""
    return value.casefold() if isinstance(value, str) else value


def _keep(value: Any) -> Any:
    return value


def _same(a: Any, b: Any) -> bool:
    """Exact equality: booleans are not numbers, numbers are not text."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b
