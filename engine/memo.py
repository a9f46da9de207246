"""The status evaluator, memoised per signature across the diagnoses of one engine.

A branch's three-valued status is a function of exactly what ``Evaluator.evaluate_branch``
reads: the shared pool (one per business unit), the completeness of each kind it matches, and,
for the kinds not in the pool (the diagnosis's own facts and what was derived from them), each
fact's id and the values of the fields the branch reads. That tuple is the signature: users
with the same role, profile and state have the same one, so the branch is evaluated once and
its status reused. Only the places of missing values differ between such users (a user's own
`salesforce.users[17].profile` against `[42]`): they are relabelled from the representative's
facts to the current one's. Values are keyed with their type, as the evaluator compares them
(``True`` is not ``1``).
"""
from __future__ import annotations

import itertools
import weakref
from typing import Any

from .compile import Branch, CompiledRuleset
from .facts import Fact, FactPool, FactSet
from .model import AnyOf, Condition, Ruleset
from .run import Engine
from .status import NOT_APPLICABLE, UNDETERMINED, BranchStatus, Evaluator

_ABSENT = object()
MAX_ENTRIES = 20_000  # per pool: a bound on memory whatever the org (cleared when reached)
# A branch whose signature has not repeated once in this many diagnoses reads something each user
# has alone (the identity rules join the user's id, email and username): it is evaluated without
# the memo from then on (no signature built, no entry that would push the others out of the table).
UNSHARED_AFTER = 256

_Plan = tuple[tuple[str, tuple[str, ...]], ...]  # (kind, fields the branch reads on it) per kind


def read_fields(branch: Branch) -> _Plan:
    """For each kind a branch matches, the fields its conditions and joins read."""
    kinds = {p.alias: p.fact for p in branch.patterns}
    out: dict[str, set[str]] = {p.fact: set() for p in branch.patterns}

    def walk(kind: str, conds: Any) -> None:
        for c in conds:
            if isinstance(c, AnyOf):
                walk(kind, c.conditions)
                continue
            assert isinstance(c, Condition)
            out[kind].add(c.field)
            if c.ref is not None and c.ref[0] in kinds:
                out[kinds[c.ref[0]]].add(c.ref[1])
    for p in branch.patterns:
        walk(p.fact, p.conditions)
    return tuple((k, tuple(sorted(v))) for k, v in sorted(out.items()))


class StatusMemo:
    """Branch statuses by signature, one table per pool (dropped with the pool)."""

    def __init__(self, compiled: CompiledRuleset):
        self.plans = {b.name: read_fields(b) for b in compiled.branches}
        self._tables: weakref.WeakKeyDictionary[FactPool, dict] = weakref.WeakKeyDictionary()
        self._unpooled: dict = {}
        self._splits: weakref.WeakKeyDictionary[FactPool, dict] = weakref.WeakKeyDictionary()
        self.branches = {b.name: b for b in compiled.branches}
        self._unpooled_splits = {name: self._split(name, plans, {}) for name, plans in self.plans.items()}
        self.hits = self.misses = 0
        self.tried: dict[str, int] = {}  # branch name -> signatures looked up, none of them found
        self.shared: set[str] = set()  # branches whose signature was found at least once
        self.unshared: set[str] = set()  # branches evaluated without the memo (UNSHARED_AFTER)
        # Each distinct signature part (the ids and read values of a kind's facts) as a number:
        # a signature of numbers hashes in a few steps (a tuple's hash is never cached). Numbers
        # are never reused, so clearing this table (bounded like the others) only costs misses.
        self.part_ids: dict[tuple, int] = {}
        self._part_numbers = itertools.count()

    def part_id(self, part: tuple) -> int:
        found = self.part_ids.get(part)
        if found is None:
            if len(self.part_ids) >= MAX_ENTRIES:
                self.part_ids.clear()
            found = self.part_ids[part] = next(self._part_numbers)
        return found

    def splits(self, pool: FactPool | None) -> dict[str, tuple[tuple[str, ...], _Plan, tuple[str, ...]]]:
        """Per branch name: its matched kinds, the plans of those not in `pool`, and the kinds of
        its positive patterns not in `pool` (kept per pool)."""
        if pool is None:
            return self._unpooled_splits
        splits = self._splits.get(pool)
        if splits is None:
            pooled = pool.by_kind
            splits = self._splits[pool] = {name: self._split(name, plans, pooled) for name, plans in self.plans.items()}
        return splits

    def _split(self, name: str, plans: _Plan, pooled: Any) -> tuple[tuple[str, ...], _Plan, tuple[str, ...]]:
        return (tuple(k for k, _ in plans), tuple(p for p in plans if p[0] not in pooled),
                tuple(sorted({p.fact for p in self.branches[name].patterns if not p.negated and p.fact not in pooled})))

    def table(self, pool: FactPool | None) -> dict:
        if pool is None:
            return self._unpooled
        table = self._tables.get(pool)
        if table is None:
            table = self._tables[pool] = {}
        return table


class MemoEvaluator(Evaluator):
    """``Evaluator`` whose branch statuses come from a ``StatusMemo`` when the signature is known."""

    def __init__(self, memo: StatusMemo, compiled: CompiledRuleset, facts: list[Fact], known_lists: set[str],
                 list_paths: dict[str, str], pool: FactPool | None = None):
        super().__init__(compiled, facts, known_lists, list_paths, pool)
        self.memo = memo
        self._table = memo.table(pool)
        self._splits = memo.splits(pool)
        self._parts: dict[tuple[str, tuple[str, ...]], int] = {}  # (kind, fields) -> signature part id

    def add_fact(self, fact: Fact) -> None:
        super().add_fact(fact)
        self._parts = {k: v for k, v in self._parts.items() if k[0] != fact.kind}

    def evaluate_branch(self, branch: Branch) -> BranchStatus:
        if self._nothing_to_match(branch):
            return BranchStatus(branch, NOT_APPLICABLE)
        memo, name = self.memo, branch.name
        if name in memo.unshared:
            return super().evaluate_branch(branch)
        key = self._signature(branch)
        found = self._table.get(key)
        if found is None:
            memo.misses += 1
            if name not in memo.shared:
                tried = memo.tried[name] = memo.tried.get(name, 0) + 1
                if tried >= UNSHARED_AFTER:
                    memo.unshared.add(name)
            status = super().evaluate_branch(branch)
            if len(self._table) >= MAX_ENTRIES:
                self._table.clear()
            # the representative's facts are kept only where they are needed: to relabel missing places
            self._table[key] = (status, self._own_facts(branch) if status.status == UNDETERMINED and status.missing else None)
            return status
        memo.hits += 1
        memo.shared.add(name)
        status, rep_facts = found
        if status.status != UNDETERMINED or not status.missing:
            return status
        return BranchStatus(branch, status.status, status.matches,
                            self._relabel(status.missing, rep_facts, self._own_facts(branch), branch))

    def _nothing_to_match(self, branch: Branch) -> bool:
        """A positive pattern over a kind outside the pool of which the diagnosis has no fact, the
        kind known complete: no binding survives it, whatever the other patterns find, so
        ``Evaluator.evaluate_branch`` would answer not applicable (no match, nothing missing)."""
        by_kind, known, missing = self.by_kind, self._missing_cache, self.list_missing
        for kind in self._splits[branch.name][2]:
            if not by_kind.get(kind):
                m = known.get(kind)
                if not (missing(kind) if m is None else m):
                    return True
        return False

    def _signature(self, branch: Branch) -> tuple:
        """The branch's name, the completeness of every kind it matches, and for each kind not in
        the pool, the ids and read values of the diagnosis's facts of that kind."""
        kinds, own_plans, _ = self._splits[branch.name]
        known, missing = self._missing_cache, self.list_missing
        parts: list[Any] = [branch.name]
        for k in kinds:
            m = known.get(k)
            parts.append(missing(k) if m is None else m)
        cached = self._parts
        for plan in own_plans:
            part = cached.get(plan)
            if part is None:  # the same kind and fields recur across branches: computed once
                fields = plan[1]
                part = cached[plan] = self.memo.part_id(tuple(
                    (f.fid, tuple((v, type(v)) if (v := f.values.get(n, _ABSENT)) is not _ABSENT else _ABSENT
                                  for n in fields)) for f in self.by_kind.get(plan[0], ())))
            parts.append(part)
        return tuple(parts)

    def _own_facts(self, branch: Branch) -> dict[str, Fact]:
        """The diagnosis's facts of the kinds the branch matches outside the pool, by id."""
        return {f.fid: f for plan in self._splits[branch.name][1] for f in self.by_kind.get(plan[0], ())}

    def _relabel(self, missing: frozenset[str], rep: dict[str, Fact], cur: dict[str, Fact], branch: Branch) -> frozenset[str]:
        """The representative's places of missing values, as the current diagnosis's."""
        fields = dict(self.memo.plans[branch.name])
        mapping: dict[str, str] = {}
        for fid, fact in rep.items():
            other = cur[fid]
            for name in fields.get(fact.kind, ()):
                a, b = fact.path_of(name), other.path_of(name)
                if a != b:
                    mapping[a] = b
        return frozenset(mapping.get(m, m) for m in missing)


class MemoEngine(Engine):
    """``Engine`` (one durable-rules session per diagnosis) with statuses shared by signature."""

    def __init__(self, ruleset: Ruleset, *, check_agreement: bool = True):
        super().__init__(ruleset, check_agreement=check_agreement)
        self.memo = StatusMemo(self.compiled)

    def _evaluator(self, initial: list[Fact], factset: FactSet) -> Evaluator:
        return MemoEvaluator(self.memo, self.compiled, initial, factset.known_lists, factset.list_paths, factset.pool)
