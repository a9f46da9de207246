"""Every reach into durable-rules' private parts, in one place (durable-rules==2.0.28 is pinned
in pyproject.toml; tests/engine/test_durable_private.py fails loudly when the library changes):

- `SynchronousHost` overrides `Host._run`, its dispatcher timer: no public switch turns it off;
- `matched_id` reads a firing's matched facts from `c._m`: the public `c.<alias>` wraps each
  fact in an object whose attributes cannot be named `_fid`;
- `install` gives the binding's module-level `json` orjson's speed (below);
- `Driver` runs a registered ruleset's sessions through the C functions (`durable_rules_engine`)
  the way the binding's `Host` does, without its per-firing Python (docs/performance.md).

orjson under durable-rules' Python binding: the binding encodes every fact batch, every asserted fact and the session state after every
action with the standard library's `json`, and decodes each pending action the same way: about
a tenth of a scan's time (docs/performance.md). This shim gives its module `json` orjson's
speed for encoding, with the same values: compact output is parsed by durable-rules' C parser,
which ignores whitespace, and anything orjson refuses (an integer beyond 64 bits, a key that is
not text) falls back to the standard library. Decoding stays the standard library's (orjson
reads an integer beyond 64 bits as a float), so the engine sees exactly what it saw before.
"""
from __future__ import annotations

import json
from typing import Any

import durable.engine as durable_engine
import durable_rules_engine
import orjson
from durable.engine import Host, MessageNotHandledException, MessageObservedException


class _Shim:
    """The subset of `json` that durable.engine uses: dumps(obj, ensure_ascii=False), loads."""

    JSONDecodeError = json.JSONDecodeError

    @staticmethod
    def dumps(obj: Any, **kwargs: Any) -> str:
        try:
            return orjson.dumps(obj).decode("utf-8")
        except TypeError:
            return json.dumps(obj, **kwargs)

    @staticmethod
    def loads(text: str | bytes, **kwargs: Any) -> Any:
        # The standard library's: orjson reads an integer beyond 64 bits as a float, silently.
        return json.loads(text, **kwargs)


def install() -> None:
    """Point durable.engine's `json` at the shim (idempotent)."""
    if not isinstance(durable_engine.json, _Shim):
        durable_engine.json = _Shim()  # type: ignore[assignment]


class SynchronousHost(Host):
    """A durable-rules Host without its dispatcher threads. Host() starts timers that call every
    ruleset's dispatch() every 0.2 s from another thread, outside any lock: interleaved with a
    diagnosis they can complete its pending action from under it (error 307 after some minutes
    of work, a missed firing that the agreement check reported). Every action here runs
    synchronously inside assert calls, so nothing needs dispatching in the background."""

    def _run(self) -> None:
        return None


def matched_id(c: Any, alias: str, key: str) -> Any:
    """Field `key` of the fact a firing matched under the compiled alias `alias`."""
    return c._m[alias][key]


class _State:
    __slots__ = ("sid",)

    def __init__(self, sid: str) -> None:
        self.sid = sid


class _Context:
    """What an action receives from `Driver`: the subset of durable's Closure the engine's
    actions use (`c.s.sid`, `c._m` through matched_id, `c.assert_fact`, `c.renew_action_lease`)."""

    __slots__ = ("s", "_m", "_driver")

    def __init__(self, driver: "Driver", sid: str, message: dict) -> None:
        self.s, self._m, self._driver = _State(sid), message, driver

    def assert_fact(self, fact: dict) -> None:
        self._driver.assert_in_action(fact)

    def renew_action_lease(self) -> None:
        durable_rules_engine.renew_action_lease(self._driver.handle, self.s.sid)


def _loads(text: str) -> Any:
    """A pending action's matched facts. Only their `_fid` (text) is read, so orjson's reading of
    integers beyond 64 bits cannot matter; anything orjson refuses goes to the standard library."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


class Driver:
    """One registered ruleset driven through durable-rules' C functions, as `Host.assert_facts`
    drives it (Host._handle_function, Ruleset.do_actions and _flush_actions) without the
    binding's per-firing Python: no Closure, Promise or timestamps per action, the session state
    encoded once per batch instead of after every action. Actions are the ruleset's registered
    callables, called with a `_Context`. The agenda is the C core's: the same firings in the same
    order (tests/engine/test_durable_private.py compares both drivers)."""

    def __init__(self, host: Host, name: str) -> None:
        ruleset = host.get_ruleset(name)
        self.handle = ruleset._handle
        self.actions = {n: p._func for n, p in ruleset._actions.items()}

    def assert_facts(self, facts: list[dict]) -> None:
        """Host.assert_facts(name, facts): raises MessageNotHandledException or
        MessageObservedException as it does, else runs every action the batch started."""
        self._run(self._result(durable_rules_engine.assert_facts(self.handle, _Shim.dumps(facts)), facts))

    def assert_fact(self, fact: dict) -> None:
        """Host.assert_fact(name, fact)."""
        self._run(self._result(durable_rules_engine.assert_fact(self.handle, _Shim.dumps(fact)), fact))

    def assert_in_action(self, fact: dict) -> None:
        """Closure.assert_fact(fact): the actions it starts join the running agenda."""
        self._result(durable_rules_engine.assert_fact(self.handle, _Shim.dumps(fact)), fact)

    def delete_state(self, sid: str) -> None:
        durable_rules_engine.delete_state(self.handle, sid)

    @staticmethod
    def _result(result: Any, message: Any) -> Any:
        """Ruleset._handle_result."""
        if result[0] == 1:
            raise MessageNotHandledException(message)
        if result[0] == 2:
            raise MessageObservedException(message)
        return 0 if result[0] == 3 else result[1]

    def _run(self, state_handle: Any) -> None:
        """Ruleset.do_actions and _flush_actions: each pending action, then the next."""
        handle = self.handle
        result = durable_rules_engine.start_action_for_state(handle, state_handle)
        if not result:
            return
        state_text = result[0]
        sid = json.loads(state_text)["sid"]
        message = _loads(result[1])
        while True:
            for name, matched in message.items():
                break
            try:
                self.actions[name](_Context(self, sid, matched))
                durable_rules_engine.update_state(handle, state_text)
                nxt = durable_rules_engine.complete_and_start_action(handle, state_handle)
            except BaseException:
                durable_rules_engine.abandon_action(handle, state_handle)
                raise
            if not nxt:
                return
            message = _loads(nxt)
