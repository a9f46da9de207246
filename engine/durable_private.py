"""Every reach into durable-rules' private parts, in one place (durable-rules==2.0.28 is pinned
in pyproject.toml; tests/engine/test_durable_private.py fails loudly when the library changes):

- `SynchronousHost` overrides `Host._run`, its dispatcher timer: no public switch turns it off;
- `matched_id` reads a firing's matched facts from `c._m`: the public `c.<alias>` wraps each
  fact in an object whose attributes cannot be named `_fid`;
- `install` gives the binding's module-level `json` orjson's speed (below).

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
import orjson
from durable.engine import Host


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
