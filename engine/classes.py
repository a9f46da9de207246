"""Derivation classes: derive once per class, conclude per user.

A user's derivations (role ancestry, group reach, assignments) read only some of the user's
fields — which ones is read from the compiled derive rules, never from rule names: a field a
derive rule compares or copies counts by value; a field only ever joined *from* a pool fact
(`assignment.target same_as user.id`) counts by what it joins, i.e. the pool facts the lookup
finds. Two diagnoses of one business unit with equal such values derive the same facts through
the same firings, with the same ids (a diagnosis's own facts are numbered the same way for
every user). So the first diagnosis of a class runs whole, on durable-rules; the others start
from its derivations — its firings are in their trace, as if fired again — and durable-rules
fires only the conclusion rules (a second registration of the same compiled rules, derive
rules left out). Every diagnosis still gets the agreement check, which here also checks the
shared derivations against the status evaluator's own matches for that user.

The sharing holds when every derive rule runs before any conclusion (stratum 0, first in rule
order) and the representative's trace shows it (its derivation firings come first); otherwise
the class, or the whole engine, diagnoses one user at a time (``fallbacks`` counts them).
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

from .compile import compile_ruleset
from .facts import Fact, FactPool, FactSet
from .memo import MemoEngine
from .model import AnyOf, Condition, Ruleset
from .diagnosis import PLACEHOLDER, Diagnosis, Firing
from .session import EngineError, Session, SessionTooLarge

_ABSENT = ("absent",)
MAX_CLASSES = 10_000  # per business unit: classes remembered (memory stays bounded in a large org)
GIVE_UP_AFTER = 2_000  # diagnoses in classes of their own, none met twice: the knowledge shares nothing
_SEEN_ONCE = object()  # a class met once: its derivations are kept only when it comes again


@dataclass(frozen=True)
class _Derivation:
    firings: tuple[Firing, ...]  # the representative's derivation firings (a prefix of its trace)
    derived: tuple[Fact, ...]  # the facts they produced, in order


class ClassEngine(MemoEngine):
    """``diagnose`` as ``Engine.diagnose`` answers it, with derivations shared per class."""

    def __init__(self, ruleset: Ruleset, *, check_agreement: bool = True):
        super().__init__(ruleset, check_agreement=check_agreement)
        derive = [b for b in self.compiled.branches if b.rule.derive is not None]
        order = [b.rule.derive is None for b in self.compiled.branches]
        # every derivation before every conclusion: same priority band and earlier in rule order
        self.shareable = bool(derive) and all(b.stratum == 0 for b in derive) and order == sorted(order)
        self._uses = _field_uses(derive)
        self._classes: weakref.WeakKeyDictionary[FactPool, dict[tuple, Any]] = weakref.WeakKeyDictionary()
        # The same rules compiled again (durable-rules consumes a definition it registers), the
        # derive rules left out: durable-rules fires only conclusions for a class's later users.
        again = compile_ruleset(ruleset, self._action)
        derive_names = {b.name for b in again.branches if b.rule.derive is not None}
        self._conclusions = again.name
        self._register(again.name, {k: v for k, v in again.definition[again.name].items() if k not in derive_names})
        self._derived_kinds = set(self.compiled.derived_kinds)
        self.shared = self.whole = self.fallbacks = 0
        self._repeated = False  # some class met a second time

    def diagnose(self, factset: FactSet) -> Diagnosis:
        if not self.shareable or factset.pool is None:
            self.fallbacks += 1
            return super().diagnose(factset)
        table = self._classes.get(factset.pool)
        if table is None:
            table = self._classes[factset.pool] = {}
        key = self._class_key(factset)
        found = table.get(key)
        if isinstance(found, _Derivation):
            self.shared += 1
            return self._conclude(factset, found)
        if key in table and found is None:
            self.fallbacks += 1  # its derivations do not come first in its trace
            return super().diagnose(factset)
        self.whole += 1
        if self.whole >= GIVE_UP_AFTER and not self.shared and not self._repeated:
            # Knowledge whose derive rules read each user's identity (email, username...) puts every
            # user in a class of its own: stop paying for class keys and tables that never share.
            self.shareable = False
            self._classes.clear()
        d = super().diagnose(factset)
        # Most classes of a large org have one member (a user's own memberships, email...): the
        # derivations (some KB each) are kept from a class's second member on, for its third.
        if found is _SEEN_ONCE:
            self._repeated = True
            table[key] = _derivation_of(d)
        elif len(table) < MAX_CLASSES:
            table[key] = _SEEN_ONCE
        return d

    def _class_key(self, fs: FactSet) -> tuple:
        """What the derive rules can read of this diagnosis's own facts (see the module doc)."""
        pool = fs.pool
        assert pool is not None
        parts: list[Any] = [frozenset(fs.known_lists), tuple(sorted(fs.list_paths.items()))]
        own = {f.kind for f in fs.facts} | self._derived_kinds  # kinds not in the pool
        for f in fs.facts:
            reads = self._uses.get(f.kind)
            if not reads:
                continue
            for name, joins in reads:
                if name not in f.values:
                    parts.append((f.fid, name) + _ABSENT)
                elif joins is None:
                    v = f.values[name]
                    parts.append((f.fid, name, v, type(v)))
                else:  # joined from pool facts only: what it joins is what matters
                    v = f.values[name]
                    pooled = not any(kind in own for kind, _ in joins)
                    found = tuple(g.fid for kind, field in joins for g in pool.lookup(kind, field, v)) \
                        if pooled else (v, type(v))
                    parts.append((f.fid, name, found))
        return tuple(parts)

    def _conclude(self, factset: FactSet, derivation: _Derivation) -> Diagnosis:
        """A diagnosis starting from its class's derivations: only conclusions fire (the second
        registration, without the derive rules), in the one session loop (engine/run.py)."""
        try:
            return self._session(factset, self._conclusions, derivation)
        except SessionTooLarge:
            return super().diagnose(factset)  # the whole diagnosis says why, as one user at a time does

    def _seed(self, session: Session, start: Any) -> list[Fact]:
        """The class's derivations, in this session as if they had fired here: their firings
        open the trace, and the pool facts their values demand join them."""
        if start is None:
            return []
        derivation: _Derivation = start
        session.firings = list(derivation.firings)
        for fact in derivation.derived:
            session.facts[fact.fid] = fact
        session.derived_by = {fir.produced: fir.id for fir in derivation.firings if fir.new and fir.produced}
        derived = list(derivation.derived)
        derived += self._demanded(session, derived)
        session.new_facts = []
        return derived

    def _check(self, session: Session, start: Any) -> None:
        super()._check(session, start)
        if start is not None and any(f.code is None for f in session.firings[len(start.firings):]):
            raise EngineError("a derivation fired after its class was derived")


def _derivation_of(d: Diagnosis) -> _Derivation | None:
    """The representative's derivations, if they form the start of its trace."""
    n = next((i for i, f in enumerate(d.firings) if f.code), len(d.firings))
    if any(f.code is None for f in d.firings[n:]):
        return None  # a derivation after a conclusion: this class is diagnosed one user at a time
    prefix = tuple(d.firings[:n])
    return _Derivation(prefix, tuple(d.facts[f.produced] for f in prefix if f.new and f.produced))


def _field_uses(branches: list) -> dict[str, tuple[tuple[str, tuple[tuple[str, str], ...] | None], ...]]:
    """kind -> (field, None when read by value, else the (pool kind, field) pairs joining from it)."""
    uses: dict[str, dict[str, set | None]] = {}

    def by_value(kind: str, name: str) -> None:
        uses.setdefault(kind, {})[name] = None

    def joined(kind: str, name: str, other_kind: str, other_field: str) -> None:
        slot = uses.setdefault(kind, {})
        if name in slot and slot[name] is None:
            return
        slot.setdefault(name, set()).add((other_kind, other_field))  # type: ignore[union-attr]

    for b in branches:
        kinds = {p.alias: p.fact for p in b.patterns}

        def walk(kind: str, conds: Any, top: bool) -> None:
            for c in conds:
                if isinstance(c, AnyOf):
                    walk(kind, c.conditions, False)
                    continue
                assert isinstance(c, Condition)
                by_value(kind, c.field)
                if c.ref is not None and c.ref[0] in kinds:
                    other = kinds[c.ref[0]]
                    if c.exact_join and top:
                        joined(other, c.ref[1], kind, c.field)
                    else:
                        by_value(other, c.ref[1])
        for p in b.patterns:
            walk(p.fact, p.conditions, not p.negated)
        rule = b.rule
        assert rule.derive is not None
        for _, spec in rule.derive.set:
            if isinstance(spec, tuple) and spec[1] in kinds:
                by_value(kinds[spec[1]], spec[2])
            elif isinstance(spec, str):
                for m in PLACEHOLDER.finditer(spec):
                    if m.group(1) in kinds:
                        by_value(kinds[m.group(1)], m.group(2))
    return {k: tuple((n, None if j is None else tuple(sorted(j))) for n, j in sorted(v.items())) for k, v in uses.items()}


__all__ = ["ClassEngine"]
