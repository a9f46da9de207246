"""durable-rules' hazards (../shared/docs/durable-rules.md), each shown on the raw engine and
shown avoided by syncdoctor's compiler or fact encoding."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from durable.engine import Host

from syncdoctor.engine.facts import Fact
from syncdoctor.engine.session import EngineError, engine_fact

pytestmark = pytest.mark.slow  # durable-rules hazards reproduced in processes


def _patterns(definition: dict) -> list[dict]:
    out = []
    for ruleset in definition.values():
        for rule in ruleset.values():
            for key in ("all", "any"):
                for pattern in rule.get(key, []):
                    out.extend(pattern.values())
    return out


def test_small_floats_break_the_c_parser_and_never_reach_it(monkeypatch):
    import durable.engine as durable_engine
    monkeypatch.setattr(durable_engine, "json", json)  # the binding's own encoding (engine/durable_private.py replaces it)
    host = Host()
    host.register_rulesets({"hz_float": {"r": {"all": [{"m": {"t": "x"}}], "run": lambda c: None}}})
    with pytest.raises(Exception):
        host.assert_fact("hz_float", {"sid": "1", "t": "x", "v": 0.00001})  # json: 1e-05, error 204
    assert engine_fact(Fact("f1", "k", {"n": 3.0}, {}), "s")["n"] == 3
    with pytest.raises(EngineError, match="whole numbers"):
        engine_fact(Fact("f1", "k", {"n": 0.00001}, {}), "s")


def test_a_join_on_id_crashes_the_process_and_the_compiler_renames_it(engine):
    code = ("from durable.engine import Host\nh = Host()\n"
            "h.register_rulesets({'hz_id': {'r': {'all': [{'a': {'t': 'u'}}, {'b': {'$and': [{'t': 'g'}, {'id': {'a': 'id'}}]}}],"
            " 'run': lambda c: None}}})\n"
            "h.assert_fact('hz_id', {'sid': '1', 't': 'u', 'id': 'x'})\nh.assert_fact('hz_id', {'sid': '1', 't': 'g', 'id': 'x'})\n"
            "print('survived')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 or "survived" not in proc.stdout
    text = json.dumps(engine.compiled.definition, default=str)
    assert '"id"' not in text and '"sid": {' not in text
    encoded = engine_fact(Fact("f1", "user", {"id": "005"}, {}), "s1")
    assert encoded["sid"] == "s1" and "005" in [v for k, v in encoded.items() if k != "id"]


def test_every_compiled_pattern_has_a_positive_discriminator_and_no_field_arithmetic(engine):
    """A pattern of only negative tests matches the session state (infinite loop); `$m` and
    arithmetic fire when a field is absent. The compiler emits neither."""
    patterns = _patterns(engine.compiled.definition)
    assert patterns
    for p in patterns:
        text = json.dumps(p, default=str)
        assert '"t"' in text, p
        assert "$m" not in text.replace("$mt", "") and "$add" not in text and "$sub" not in text


def test_memory_stays_flat_over_many_diagnoses(engine):
    """Sessions are deleted after each diagnosis (durable keeps ~700 KB per live one)."""
    import resource
    from syncdoctor.facts.snapshot import load_snapshot
    from tests.conftest import EXAMPLE
    snap = load_snapshot(EXAMPLE)
    factsets = [snap.factset(u, b, None) for u in range(len(snap.users)) for b in range(len(snap.business_units))]
    for fs in factsets * 50:
        engine.diagnose(fs)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for fs in factsets * 250:
        engine.diagnose(fs)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    runs = len(factsets) * 250
    assert runs >= 2000
    assert after - before < 40_000, f"peak RSS grew {after - before} KB over {runs} diagnoses"


def test_no_background_dispatcher_touches_the_engine(engine):
    """durable-rules' Host dispatches every ruleset from timer threads, outside syncdoctor's
    lock; in a long run that raced a diagnosis (error 307, a missed firing). None may run."""
    host = engine._host
    assert not hasattr(host, "_d_timer") and not hasattr(host, "_t_timer")  # the timers were never started
    assert Host()._d_timer.is_alive()  # which a plain Host would have
