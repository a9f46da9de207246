"""Many diagnoses per durable-rules session: the same rules, the same firings, the same proof.

One durable-rules session per diagnosis (engine/run.py) pays a session's creation, its JSON
state and its deletion for every (user, business unit); most of a small diagnosis's engine time
goes there. Here a session holds up to ``session_size`` diagnoses, kept apart by a scope number:
the compiler (``compile_ruleset(scoped=True)``) starts every branch from its stratum marker and
joins every other pattern, negated ones included, to that marker's scope (`sc`), so a match
never spans two diagnoses. Each diagnosis keeps its own evaluator, firings, derived fact ids and
agreement check, so its result is the one ``Engine.diagnose`` gives (tests/engine/test_batch.py).

durable-rules identifies a fact by a 32-bit FNV-1a hash of its message id (jruizgit/rules#376):
two distinct facts whose ids hash alike collide, and the second is refused as "already
observed". Every fact asserted here carries an explicit id, chosen so that no two ids of one
session share a hash (``DistinctIds``); sessions stay far below the sizes where durable-rules
slows down (its join indexes have 512 buckets) or where its C memory (~6.7 KB per fact) matters.
"""
from __future__ import annotations

from typing import Any, Iterable

from .facts import Fact, FactSet
from .memo import MemoEvaluator, StatusMemo
from .model import Ruleset
from .run import _HOST_LOCK, Diagnosis, Engine, EngineError, _host, _Session, engine_fact, fnv1a32
from .status import Evaluator

SESSION_SIZE = 100  # diagnoses per durable-rules session (about 5,000 facts with their derivations)
MAX_SESSION_SIZE = 250  # ~12,500 facts: far below SESSION_FACT_LIMIT (engine/run.py) and durable-rules' slow sizes

class DistinctIds:
    """Message ids for one durable-rules session whose 32-bit hashes are pairwise distinct.
    The same name always gets the same id (an identical fact asserted twice stays one fact)."""

    def __init__(self, reserved: Iterable[str] = ()):
        self._hashes: set[int] = {fnv1a32(r) for r in reserved}
        self._ids: dict[str, str] = {}

    def take(self, name: str) -> str:
        found = self._ids.get(name)
        if found is not None:
            return found
        candidate, salt = name, 0
        while (h := fnv1a32(candidate)) in self._hashes:
            salt += 1  # another fact of this session already hashes here: rename this one
            candidate = f"{name}~{salt}"
        self._hashes.add(h)
        self._ids[name] = candidate
        return candidate

    def __len__(self) -> int:
        return len(self._ids)


class _ScopedSession(_Session):
    def __init__(self, sid: str, scope: int, factset: FactSet, ids: DistinctIds):
        super().__init__(sid, factset, None)
        self.scope = scope
        self.ids = ids
        self.factset = factset


class BatchEngine(Engine):
    """``diagnose_many``: each diagnosis as ``Engine.diagnose`` makes it, many per session."""

    scoped = True

    def __init__(self, ruleset: Ruleset, *, check_agreement: bool = True, session_size: int = SESSION_SIZE,
                 memo: bool = True):
        if not 1 <= session_size <= MAX_SESSION_SIZE:
            raise ValueError(f"session_size must be 1..{MAX_SESSION_SIZE}, not {session_size}")
        super().__init__(ruleset, check_agreement=check_agreement)
        self.session_size = session_size
        self.memo = StatusMemo(self.compiled) if memo else None
        self._scopes: dict[int, _ScopedSession] = {}

    def _session_of(self, c: Any) -> _Session | None:
        return self._scopes.get(c._m["a__stratum"]["sc"])

    def _engine_fact(self, fact: Fact, session: _Session) -> dict[str, Any]:
        assert isinstance(session, _ScopedSession)
        out = engine_fact(fact, session.sid, self.compiled.shadows)
        out["sc"] = session.scope
        out["id"] = session.ids.take(f"{session.scope}.{fact.fid}")
        return out

    @staticmethod
    def _marker(session: _ScopedSession, marker: dict[str, Any]) -> dict[str, Any]:
        name = f"{session.scope}.{marker['t']}.{marker.get('list', marker.get('n'))}"
        return dict(marker, sid=session.sid, sc=session.scope, id=session.ids.take(name))

    def diagnose(self, factset: FactSet) -> Diagnosis:
        return self.diagnose_many([factset])[0]

    def diagnose_many(self, factsets: list[FactSet]) -> list[Diagnosis]:
        out: list[Diagnosis] = []
        for start in range(0, len(factsets), self.session_size):
            out.extend(self._session(factsets[start:start + self.session_size]))
        return out

    def _session(self, factsets: list[FactSet]) -> list[Diagnosis]:
        with _HOST_LOCK:
            sid = f"s{next(self._sids)}"
            ids = DistinctIds([f"sid-{sid}"])  # durable-rules stores the session state under this id
            host, name = _host(), self.compiled.name
            work: list[tuple[_ScopedSession, Evaluator]] = []
            memo = self.memo
            batch: list[dict[str, Any]] = []
            try:
                for scope, factset in enumerate(factsets, 1):
                    session = _ScopedSession(sid, scope, factset, ids)
                    self._scopes[scope] = session
                    initial = self._initial_facts(session, factset)
                    args = (self.compiled, initial, factset.known_lists, factset.list_paths, factset.pool)
                    work.append((session, MemoEvaluator(memo, *args) if memo is not None else Evaluator(*args)))
                    batch += [self._engine_fact(f, session) for f in initial]
                    batch += [self._marker(session, {"t": "__known", "list": n}) for n in sorted(factset.known_lists)]
                    batch.append(self._marker(session, {"t": "__stratum", "n": 0}))
                self._assert_all(host, name, batch)
                for stratum in range(1, self.compiled.max_stratum + 1):
                    markers: list[dict[str, Any]] = []
                    for session, evaluator in work:
                        for f in session.new_facts:
                            evaluator.add_fact(f)
                        session.new_facts = []
                        found = self._complete_kinds(evaluator, stratum) + [{"t": "__stratum", "n": stratum}]
                        markers += [self._marker(session, m) for m in found]
                    self._assert_all(host, name, markers)
                results = []
                for session, evaluator in work:
                    for f in session.new_facts:
                        evaluator.add_fact(f)
                    self._complete_kinds(evaluator, self.compiled.max_stratum + 1)
                    if session.errors:
                        raise EngineError(f"{session.factset.user_label} in {session.factset.business_unit_label}: "
                                          + "; ".join(session.errors))
                    statuses = {r.id: evaluator.rule_status(r.id) for r in self.ruleset.active_rules}
                    if self.check_agreement:
                        self._agree(session, statuses)
                    results.append(Diagnosis(session.factset, session.firings, session.facts, statuses, self.compiled,
                                             dict(evaluator.derived_missing)))
                return results
            finally:
                try:
                    if batch:  # the start rule has fired: deleting the state is safe
                        host.delete_state(name, sid)
                finally:
                    self._scopes.clear()
