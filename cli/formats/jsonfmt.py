from __future__ import annotations

import json
from typing import Any

from syncdoctor.api.verdicts import Tally

from .escape import json_text

# A worker's result in the shared layout: its text, the shared values it refers to (table, key),
# and the texts of those this worker has not handed over before.
SharedRefs = frozenset[tuple[str, str]]
SharedTexts = dict[tuple[str, str], str]


def render_json(doc: dict[str, Any], **_: Any) -> str:
    """Sorted keys and fixed separators: the same result gives the same bytes. A document in
    the shared layout comes from the pipeline already compacted (api/run.py `Collected`)."""
    return json_text(json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False)) + "\n"


def _dump(value: Any) -> str:
    return json_text(json.dumps(value, sort_keys=True, ensure_ascii=False))


def _compact_text(value: Any) -> str:
    return json_text(json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")))


class JsonStream:
    """The result document streamed: header keys (sorted), then `results`, one compact object
    per line, then the trailer keys (the shared tables and the questions, known only at the end).

    With ``layout="shared"`` (a whole-org scan) each result comes compacted by the pipeline
    (api/stream.py, engine/layout.py) with the shared values it uses, and the header with the
    layout and the rules table: ``result_shared`` gives its text, the shared values it refers to,
    and the texts of those not handed over before by this process; `end` writes the shared
    tables the kept results use."""

    def __init__(self, *, layout: str = "full", **_: Any) -> None:
        self.layout = layout
        # shared values this process has handed over, with a hash of their text (this process's
        # seed: a stranger cannot aim at it): a value under a key already handed over with
        # another text is handed over again, and the pipeline refuses the collision (api/run.py)
        self._sent: dict[tuple[str, str], int] = {}

    def begin(self, header: dict[str, Any]) -> str:
        return "{\n" + "".join(f"  {_dump(k)}: {_dump(header[k])},\n" for k in sorted(header)) + '  "results": ['

    def joiner(self, first: bool) -> str:
        return "\n    " if first else ",\n    "

    def result(self, r: dict[str, Any], words: Any = None) -> str:
        return _compact_text(r)

    def result_shared(self, compact: dict[str, Any], used: dict[str, dict[str, Any]]) -> tuple[str, SharedRefs, SharedTexts]:
        """A compact result's text, with the shared values `used` it refers to, as (table, key)."""
        refs, texts = set(), {}
        for table, values in used.items():
            for key, value in values.items():
                refs.add((table, key))
                text = _compact_text(value)
                seen = self._sent.get((table, key))
                if seen is None:
                    self._sent[(table, key)] = hash(text)
                    texts[(table, key)] = text
                elif seen != hash(text):
                    texts[(table, key)] = text  # two values, one key: the pipeline refuses it (api/run.py)
        return _compact_text(compact), frozenset(refs), texts

    def end(self, summary: Tally, trailer: dict[str, Any]) -> str:
        out = "\n  ]" if summary.results else "]"
        for k, v in trailer.items():
            if k == "shared" and self.layout == "shared":
                out += f",\n  {_dump(k)}: " + _shared_text(v)
            else:
                out += f",\n  {_dump(k)}: {_dump(v)}"
        return out + "\n}\n"


def _shared_text(texts: SharedTexts) -> str:
    """The shared tables from their values' texts, tables and keys sorted (same bytes whatever --jobs)."""
    tables: dict[str, list[tuple[str, str]]] = {"facts": [], "rule_status": []}
    for (table, key), text in texts.items():
        tables.setdefault(table, []).append((key, text))
    parts = []
    for table in sorted(tables):
        rows = ",\n      ".join(f"{_dump(key)}: {text}" for key, text in sorted(tables[table]))
        parts.append(f"    {_dump(table)}: {{" + (f"\n      {rows}\n    }}" if rows else "}"))
    return "{\n" + ",\n".join(parts) + "\n  }"
