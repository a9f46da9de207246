"""The benchmark's reference: the same rules run by plain Python forward chaining on the status
evaluator, without durable-rules. benchmarks/run.py measures the engine against it (the ceiling
a Python implementation reaches); the product never runs it."""
from __future__ import annotations

from syncdoctor.engine.facts import Fact, FactSet
from syncdoctor.engine.diagnosis import derived_values
from syncdoctor.engine.run import Engine
from syncdoctor.engine.status import Evaluator, RuleStatus


def reference_diagnose(engine: Engine, factset: FactSet) -> tuple[list[str], dict[str, RuleStatus]]:
    """Conclusion codes (sorted) and every rule's status, stratum by stratum to a fixpoint."""
    compiled = engine.compiled
    ev = Evaluator(compiled, list(factset.facts), factset.known_lists, factset.list_paths, factset.pool)
    by_id = {f.fid: f for f in factset.facts}
    keys: set[tuple] = set()
    derive_rules = [r for r in engine.ruleset.active_rules if r.derive is not None]
    for stratum in range(compiled.max_stratum + 1):
        if stratum:
            engine._complete_kinds(ev, stratum)
        rules = [r for r in derive_rules if compiled.strata.get(r.id, 0) == stratum]
        changed = True
        while changed:
            changed = False
            for rule in rules:
                for branch in ev._rule_status(rule.id).branches:
                    for match in branch.matches:
                        binding = {a: by_id[fid] if fid in by_id else _pool_fact(factset, fid) for a, fid in match.items()}
                        values, key = derived_values(engine.ruleset, rule, binding)
                        if key in keys:
                            continue
                        keys.add(key)
                        fact = Fact(f"d{len(keys)}", rule.derive.fact, values, {"source": "derived", "rule": rule.id})
                        by_id[fact.fid] = fact
                        ev.add_fact(fact)
                        changed = True
    engine._complete_kinds(ev, compiled.max_stratum + 1)
    statuses = {r.id: ev.rule_status(r.id) for r in engine.ruleset.active_rules}
    codes = sorted({r.conclude.code for r in engine.ruleset.active_rules
                    if r.conclude is not None and statuses[r.id].status == "fired"})
    return codes, statuses


def _pool_fact(factset: FactSet, fid: str) -> Fact:
    assert factset.pool is not None
    return factset.pool.by_id(fid)



