"""engine/durable_private.py holds every reach into durable-rules' private parts; these tests fail
loudly when an upgrade of durable-rules moves what they rely on."""
from __future__ import annotations

import inspect
import re
from importlib import metadata

import durable.engine
from durable.engine import Host

from syncdoctor.engine import durable_private
from tests.conftest import ROOT


def test_the_installed_durable_rules_is_the_pinned_one():
    pinned = re.search(r'"durable-rules==([^"]+)"', (ROOT / "pyproject.toml").read_text())
    assert pinned and metadata.version("durable-rules") == pinned.group(1) == "2.0.28"


def test_the_host_still_dispatches_from_run_and_the_binding_still_encodes_with_its_json():
    """SynchronousHost turns the dispatcher off by overriding `_run`; the shim replaces the
    binding's module-level `json`."""
    assert "_run" in inspect.getsource(Host.__init__) and callable(Host._run)
    assert "json.dumps(" in inspect.getsource(durable.engine) and hasattr(durable.engine, "json")


def test_matched_id_reads_what_a_firing_matched():
    seen = []
    host = durable_private.SynchronousHost()
    host.register_rulesets({"dp_matched": {"r": {"all": [{"a_x": {"t": "x"}}, {"a_y": {"t": "y"}}],
                                                  "run": lambda c: seen.append((durable_private.matched_id(c, "a_x", "_fid"),
                                                                                durable_private.matched_id(c, "a_y", "_fid")))}}})
    host.assert_facts("dp_matched", [{"sid": "1", "t": "x", "_fid": "f1"}, {"sid": "1", "t": "y", "_fid": "f2"}])
    assert seen == [("f1", "f2")]


def test_durable_rules_json_shim_keeps_what_the_standard_library_gives():
    """durable.engine's `json` is orjson behind a shim (engine/durable_private.py); what orjson refuses
    falls back to the standard library instead of failing."""
    import json as std
    import durable.engine as de

    durable_private.install()
    assert isinstance(de.json, durable_private._Shim)
    for value in [{"sid": "1", "t": "x", "name": "Zoë ☃ \u2028", "n": 3, "b": True, "z": None, "l": [1, "a"]},
                  {"huge": 10**30}, [{"nested": {"k": [1.5, -2]}}]]:
        text = de.json.dumps(value, ensure_ascii=False)
        assert std.loads(text) == value and de.json.loads(text) == value
    assert de.json.loads('{"big": 100000000000000000000000000000}') == {"big": 10**29}
