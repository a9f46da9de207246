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
from typing import Any

from .compile import Branch, CompiledRuleset
from .conditions import TRUE, F, T, Truth, U, Unknown, t_and, t_not, t_or
from .facts import MISSING, Fact, FactPool, indexed_lookup
from .model import AnyOf, Condition, Pattern
from .program import PatternProgram

__all__ = ["F", "T", "U", "FIRED", "NOT_APPLICABLE", "UNDETERMINED", "BranchStatus", "BranchOutcomes", "Evaluator",
           "Outcome", "RuleStatus"]

FIRED, NOT_APPLICABLE, UNDETERMINED = "fired", "not_applicable", "undetermined"


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
    def _candidates(self, p: PatternProgram, binding: dict[str, Any], own: frozenset[str]) -> list[Any]:
        """The facts the pattern may bind (never to be changed by the caller), and an Unknown
        when the list of its kind is not known complete."""
        facts: list[Fact] | None = None
        # A join whose other side is a known value: the facts with that value (the engine has
        # demanded every pool fact with it), plus, for a field that may be unknown, those lacking it.
        for j in p.index_joins:
            other = binding.get(j.alias)
            if isinstance(other, Fact) and j.other_field in other.values:
                facts = self._lookup(p.fact, j.field, other.values[j.other_field], j.ignore_case)
                if j.also_missing:
                    facts = facts + self._lookup(p.fact, j.field, MISSING)
                break
        if facts is None:
            pooled = self.pool.of_kind(p.fact) if self.pool is not None else []
            facts = pooled or self.by_kind.get(p.fact, [])
        if p.fact not in own:
            missing = self.list_missing(p.fact)
            if missing:
                return [*facts, Unknown(missing)]
        return facts  # read only: the pool's or the evaluator's own list

    def _lookup(self, kind: str, name: str, value: Any, fold: bool = False) -> list[Fact]:
        if self.pool is not None and kind in self.pool.by_kind:
            # Exactly the facts the engine demanded for this value (Engine._demanded).
            return self.pool.lookup(kind, name, value, fold)
        return indexed_lookup(self._index, self.by_kind, kind, name, value, fold)

    def evaluate_branch(self, branch: Branch) -> BranchStatus:
        """The branch's compiled program (engine/program.py) over the facts so far: every binding
        of its patterns, with the truth of each."""
        program = self.compiled.programs[branch.name]
        own = program.own
        bindings: list[tuple[dict[str, Any], Truth]] = [({}, TRUE)]
        for p in program.patterns:
            nxt: list[tuple[dict[str, Any], Truth]] = []
            for binding, truth in bindings:
                # A join needs the joined value: if it is unknown, so is the pattern (the compiled
                # rule requires it with `$ex`), even when there is nothing to join with.
                if p.guards:
                    truth = t_and(truth, p.guard(binding))
                    if truth.value == F:
                        continue
                cands = self._candidates(p, binding, own)
                if p.negated:
                    t = t_and(truth, t_not(t_or(p.truth(c, binding) for c in cands)))
                    if t.value != F:
                        nxt.append((binding, t))
                    continue
                used = {id(f) for f in binding.values()} if binding else ()
                for cand in cands:
                    if used and id(cand) in used:
                        continue  # durable-rules never binds one fact to two patterns of a rule
                    t = t_and(truth, p.truth(cand, binding))
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
            for prog in self.compiled.programs[b.name].patterns:
                p = prog.pattern
                cands = self._candidates(prog, binding, frozenset())
                facts = [c for c in cands if isinstance(c, Fact)]
                unknown = tuple(sorted(next((c.missing for c in cands if isinstance(c, Unknown)), ())))
                if p.negated:
                    shown = next((f for f in facts if all(test(f, binding).value == T for _, test in prog.conditions)), None)
                    truth = F if shown else U if unknown else T
                    outcomes.append(Outcome(p, None, truth, shown, unknown if truth == U else ()))
                    continue
                best: tuple[tuple[int, int], Fact, list[tuple[Condition | AnyOf, Truth]]] | None = None
                for f in facts:
                    truths = [(c, test(f, binding)) for c, test in prog.conditions]
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
        """Fired if a branch fired; else undetermined (with every branch's missing places) if a
        branch is; else not applicable."""
        parts = [self.evaluate_branch(b) for b in self.compiled.rule_branches(rule_id)]
        fired = undetermined = False
        for p in parts:
            if p.status == FIRED:
                fired = True
            elif p.status == UNDETERMINED:
                undetermined = True
        if fired:
            return RuleStatus(rule_id, FIRED, (), parts)
        if undetermined:
            return RuleStatus(rule_id, UNDETERMINED, tuple(sorted(set().union(*(p.missing for p in parts)))), parts)
        return RuleStatus(rule_id, NOT_APPLICABLE, (), parts)

