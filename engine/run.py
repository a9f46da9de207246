"""Run diagnoses on durable-rules: one session per diagnosis, stratified, traced, deleted after.

The engine is compiled once per ruleset and reused for many diagnoses. durable-rules' C core is
not thread-safe, so every call into it holds one lock. Each diagnosis gets a fresh session id;
its state is deleted afterwards (a start rule has always fired, so deletion is safe).

A session's own state (its facts, firings and message ids, whose 32-bit hashes durable-rules
needs pairwise distinct) is engine/session.py's; this module drives it.
"""
from __future__ import annotations

import itertools
import os
import threading
from typing import Any

from durable.engine import MessageNotHandledException, MessageObservedException

from syncdoctor.reading.findings import Finding, FindingError, Span

from . import durable_private
from .compile import Branch, CompiledRuleset, compile_ruleset, engine_alias
from .diagnosis import Diagnosis, Firing, derived_values, fid_order
from .facts import MISSING, Fact, FactSet
from .graph import kind_graph, producers, sccs
from .model import Ruleset
from . import session as session_limits
from .session import EngineError, Session, SessionTooLarge, demand_plan
from .status import FIRED, UNDETERMINED, Evaluator, RuleStatus

durable_private.install()  # durable-rules' JSON through orjson (measured: docs/performance.md)
# durable-rules' C core is not thread-safe: every call into it, from any engine, holds this lock
# (a forked worker starts with a fresh one: nothing the parent held can stay locked in the child).
_HOST_LOCK = threading.RLock()


def _after_fork_in_child() -> None:
    global _HOST_LOCK
    _HOST_LOCK = threading.RLock()


os.register_at_fork(after_in_child=_after_fork_in_child)


def _few(matches: set[tuple], shown: int = 5) -> str:
    """At most ``shown`` matches and how many there are: a message, not 50,000 of them."""
    items = sorted(matches)
    more = f" and {len(items) - shown:,} more" if len(items) > shown else ""
    return f"{items[:shown]}{more} ({len(items):,} in all)"


class Engine:
    """A compiled ruleset on durable-rules; ``diagnose`` is safe to call many times."""

    _sids = itertools.count(1)

    def __init__(self, ruleset: Ruleset, *, check_agreement: bool = True):
        self.ruleset = ruleset
        self.check_agreement = check_agreement
        self._sessions: dict[str, Session] = {}
        self.compiled = compile_ruleset(ruleset, self._action)
        self._producers = {k: [r.id for r in v] for k, v in producers(ruleset).items()}
        self._active_ids = [r.id for r in ruleset.active_rules]
        # dependencies first, so a kind is decided only after what it is derived from
        edges = kind_graph(ruleset)
        order = [k for comp in sccs(sorted(set(ruleset.vocabulary.facts) | set(edges)), edges) for k in comp]
        self._kind_order = [k for k in order if k in self._producers]
        self._eager, self._triggers = demand_plan(self.compiled)
        # The engine's own durable-rules host (no dispatcher threads), its rulesets driven
        # through durable's C functions (engine/durable_private.py: Driver).
        self._host = durable_private.SynchronousHost()
        self._drivers: dict[str, durable_private.Driver] = {}
        self._register(self.compiled.name, self.compiled.definition[self.compiled.name])

    def _register(self, name: str, definition: dict) -> None:
        with _HOST_LOCK:
            self._host.register_rulesets({name: definition})
            self._drivers[name] = durable_private.Driver(self._host, name)

    # -- the action run by durable-rules for every firing --------------------------------
    def _action(self, branch: Branch):
        rule = branch.rule
        aliases = [(p.alias, engine_alias(p.alias)) for p in branch.patterns if not p.negated]

        def action(c: Any) -> None:
            session = self._sessions.get(c.s.sid)
            if session is None:
                return
            try:
                matched = {a: durable_private.matched_id(c, e, "_fid") for a, e in aliases}
                firing = Firing(f"r{len(session.firings) + 1}", rule.id, rule.version, branch.index, matched)
                firing.parents = sorted({session.derived_by[fid] for fid in matched.values() if fid in session.derived_by},
                                        key=fid_order)
                session.firings.append(firing)
                if rule.conclude is not None:
                    firing.code = rule.conclude.code
                    return
                assert rule.derive is not None
                binding = {a: session.facts[fid] for a, fid in matched.items()}
                values, key = derived_values(self.ruleset, rule, binding)
                existing = session.derived_keys.get(key)
                if existing is not None:
                    firing.produced, firing.new = existing, False
                    return
                fid = f"d{len(session.new_facts) + 1}"
                fact = Fact(fid, rule.derive.fact, values, {"source": "derived", "rule": rule.id,
                                                            "rule_version": rule.version, "firing": firing.id})
                session.facts[fid] = fact
                session.new_facts.append(fact)
                session.derived_keys[key] = fid
                session.derived_by[fid] = firing.id
                firing.produced = fid
                for n, extra in enumerate(self._demanded(session, [fact]), 1):
                    if n % 1000 == 0:
                        # durable-rules lets another action start on this session once one has
                        # run 60 s (its lease): asserting 50,000 demanded facts under load can take
                        # that long, and the interleaved actions then lose firings. Keep the lease.
                        c.renew_action_lease()
                    c.assert_fact(session.engine_fact(extra))
                c.assert_fact(session.engine_fact(fact))
            except SessionTooLarge:
                return  # diagnose() reports it once the engine is idle
            except Exception as exc:  # surfaced by diagnose(): never swallowed
                session.errors.append(f"rule {rule.id} (branch {branch.index}): {type(exc).__name__}: {exc}")

        return action

    def _evaluator(self, initial: list[Fact], factset: FactSet) -> Evaluator:
        """The status evaluator of one diagnosis (engine/memo.py: one that shares statuses)."""
        return Evaluator(self.compiled, initial, factset.known_lists, factset.list_paths, factset.pool)

    # -- diagnose --------------------------------------------------------------------------
    def diagnose(self, factset: FactSet) -> Diagnosis:
        try:
            return self._session(factset, self.compiled.name)
        except SessionTooLarge:
            raise FindingError([Finding(
                Span(f"{factset.user_label} · {factset.business_unit_label}"), "too-large",
                f"this diagnosis needs more than {session_limits.SESSION_FACT_LIMIT:,} facts in one session (public groups "
                "or roles reach too many others); beyond that the rules engine runs out of memory "
                "(docs/reliability.md, Limits)")]) from None

    def document(self, factset: FactSet, compactor: Any = None) -> tuple[dict[str, Any], Any]:
        """One diagnosis's result document (`Diagnosis.to_json`), and with a `compactor` (engine/
        layout.py) its compact form and the shared values it uses (else None): a result down and
        back in one call."""
        doc = self.diagnose(factset).to_json()
        return doc, compactor.compact(doc) if compactor is not None else None

    def _session(self, factset: FactSet, name: str, start: Any = None) -> Diagnosis:
        """The session loop, the one every engine runs: a durable-rules session of ruleset `name`
        gets the diagnosis's facts (and what `_seed` says is already derived from `start`), then
        stratum by stratum the markers of the derived kinds now complete; the status evaluator
        follows every derived fact; the two must agree. Hooks: `_evaluator` (engine/memo.py
        shares statuses), `_seed` and `_check` (engine/classes.py starts from a class's
        derivations). Raises SessionTooLarge past SESSION_FACT_LIMIT."""
        with _HOST_LOCK:
            sid = f"s{next(self._sids)}"
            session = Session(sid, factset, self.compiled.shadows)
            self._sessions[sid] = session
            host = self._drivers[name]
            initial = self._initial_facts(session, factset)
            seeded = self._seed(session, start)
            evaluator = self._evaluator(initial, factset)
            for f in seeded:
                evaluator.add_fact(f)
            started = False  # delete_state crashes on a session in which no action ever ran
            try:
                batch = [session.engine_fact(f) for f in initial + seeded]
                batch += [session.marker({"t": "__known", "list": n}) for n in sorted(factset.known_lists)]
                batch.append(session.marker({"t": "__stratum", "n": 0}))
                started = True
                self._assert_all(host, batch)
                for stratum in range(1, self.compiled.max_stratum + 2):
                    if session.too_large:
                        raise SessionTooLarge
                    for f in session.new_facts:
                        evaluator.add_fact(f)
                    session.new_facts = []
                    markers = self._complete_kinds(evaluator, stratum)
                    if stratum <= self.compiled.max_stratum:
                        markers.append({"t": "__stratum", "n": stratum})
                        self._assert_all(host, [session.marker(m) for m in markers])
                self._check(session, start)
                statuses = {rid: evaluator.rule_status(rid) for rid in self._active_ids}
                if self.check_agreement:
                    self._agree(session, statuses)
            finally:
                self._end_session(host, sid, started)
            return Diagnosis(factset, session.firings, session.facts, statuses, self.compiled,
                             dict(evaluator.derived_missing))

    def _seed(self, session: Session, start: Any) -> list[Fact]:
        """Facts already derived before the session starts (none here; engine/classes.py)."""
        return []

    def _check(self, session: Session, start: Any) -> None:
        """What must hold once the strata are done: no rule's action failed."""
        if session.errors:
            raise EngineError("; ".join(session.errors))

    def _initial_facts(self, session: Session, factset: FactSet) -> list[Fact]:
        """What a session starts with: the diagnosis's own facts, every pool fact of the kinds some
        rule reads without an equality join, and the pool facts those demand."""
        initial = list(factset.facts)
        if factset.pool is not None:
            eager = [f for kind in self._eager for f in factset.pool.of_kind(kind)]
            for f in eager:
                session.add_input(f)
            initial += eager
            initial += self._demanded(session, initial)
            session.new_facts = []
        return initial

    def _end_session(self, host: durable_private.Driver, sid: str, started: bool) -> None:
        """Delete the durable-rules session (only once an action ran in it: delete_state crashes
        otherwise) and forget it, whatever happened."""
        try:
            if started:
                host.delete_state(sid)
        finally:
            self._sessions.pop(sid, None)

    def _demanded(self, session: Session, arriving: list[Fact]) -> list[Fact]:
        """Pool facts that can join with the arriving facts (and, transitively, with those),
        not yet in the session. Added to the session before the arriving facts are asserted,
        so that a rule (negated patterns included) always sees every fact it could join with."""
        pool = session.pool
        if pool is None:
            return []
        out: list[Fact] = []
        stack = list(arriving)
        while stack:
            f = stack.pop()
            for kind, name, other, also_missing, fold in self._triggers.get(f.kind, ()):
                value = f.values.get(other)
                if value is None:
                    continue  # an unknown join value joins nothing (both engines guard it)
                found = pool.lookup(kind, name, value, fold)
                if also_missing:
                    found = found + pool.lookup(kind, name, MISSING)
                for g in found:
                    if g.fid not in session.facts:
                        session.add_input(g)
                        session.new_facts.append(g)
                        out.append(g)
                        stack.append(g)
        return out

    def _assert_all(self, host: durable_private.Driver, facts: list[dict]) -> None:
        """One batch (one JSON encoding, one call into the C core); should the batch hold a fact
        durable-rules has already seen, fall back to one call per fact so that the others count."""
        if not facts:
            return
        try:
            host.assert_facts(facts)
            return
        except (MessageObservedException, MessageNotHandledException):
            pass
        for fact in facts:
            try:
                host.assert_fact(fact)
            except MessageObservedException:
                continue  # an identical input fact twice: one is enough
            except MessageNotHandledException:
                continue

    def _complete_kinds(self, evaluator: Evaluator, stratum: int) -> list[dict]:
        """Before stratum k, decide which derived kinds are complete (every producer decided)."""
        markers = []
        for kind in self._kind_order:
            rule_ids = self._producers[kind]
            if self.compiled.strata.get(rule_ids[0], 0) >= stratum or kind in evaluator.derived_missing:
                continue
            missing: set[str] = set()
            for rid in rule_ids:
                st = evaluator.rule_status(rid)
                if st.status == UNDETERMINED:
                    missing |= set(st.missing)
            evaluator.set_derived_status(kind, frozenset(missing) if missing else None)
            if not missing:
                markers.append({"t": "__known", "list": kind})
        return markers

    def _agree(self, session: Session, statuses: dict[str, RuleStatus]) -> None:
        """durable-rules' firings and the evaluator's matches, branch by branch: the same sets.
        Compared as two sets first; only a disagreement walks the rules to name the first."""
        got_all = {(f.rule, f.branch, frozenset(f.matched.items())) for f in session.firings if f.rule in statuses}
        expected_all = {(rid, b.branch.index, frozenset(m.items()))  # only a fired rule has a branch with matches
                        for rid, st in statuses.items() if st.status == FIRED for b in st.branches for m in b.matches}
        if got_all != expected_all:
            self._disagreement(session, statuses)

    def _disagreement(self, session: Session, statuses: dict[str, RuleStatus]) -> None:
        fired: dict[str, set[tuple]] = {}
        for f in session.firings:
            fired.setdefault(f"{f.rule}#{f.branch}", set()).add(tuple(sorted(f.matched.items())))
        for rid, st in statuses.items():
            for b in st.branches:
                key = f"{rid}#{b.branch.index}"
                expected = {tuple(sorted(m.items())) for m in b.matches}
                got = fired.get(key, set())
                if expected != got:
                    raise EngineError(
                        f"internal error: durable-rules and the status evaluator disagree on rule {rid} "
                        f"(branch {b.branch.index}): engine fired {_few(got)}, evaluator found {_few(expected)}")
        raise EngineError("internal error: durable-rules and the status evaluator disagree")  # sets differ, branches agree: unreachable
