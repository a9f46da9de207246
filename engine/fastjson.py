"""orjson under durable-rules' Python binding.

The binding encodes every fact batch, every asserted fact and the session state after every
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

import orjson


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
    import durable.engine as durable_engine
    if not isinstance(durable_engine.json, _Shim):
        durable_engine.json = _Shim()  # type: ignore[assignment]
