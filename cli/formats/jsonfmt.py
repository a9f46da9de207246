from __future__ import annotations

import json
from typing import Any

from .escape import json_text
from .words import Summary


def render_json(doc: dict[str, Any], **_: Any) -> str:
    """Sorted keys and fixed separators: the same result gives the same bytes."""
    return json_text(json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False)) + "\n"


def _dump(value: Any) -> str:
    return json_text(json.dumps(value, sort_keys=True, ensure_ascii=False))


class JsonStream:
    """The result document streamed: header keys (sorted), then `results`, one compact object
    per line, then the trailer keys (the questions, known only at the end)."""

    def __init__(self, **_: Any) -> None:
        pass

    def begin(self, header: dict[str, Any]) -> str:
        return "{\n" + "".join(f"  {_dump(k)}: {_dump(header[k])},\n" for k in sorted(header)) + '  "results": ['

    def joiner(self, first: bool) -> str:
        return "\n    " if first else ",\n    "

    def result(self, r: dict[str, Any]) -> str:
        return json_text(json.dumps(r, sort_keys=True, ensure_ascii=False, separators=(",", ":")))

    def end(self, summary: Summary, trailer: dict[str, Any]) -> str:
        out = "\n  ]" if summary.results else "]"
        out += "".join(f",\n  {_dump(k)}: {_dump(v)}" for k, v in trailer.items())
        return out + "\n}\n"
