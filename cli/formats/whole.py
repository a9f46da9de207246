"""A format's stream (begin, one result at a time, end), and a whole document rendered through
it: what `diagnose --all` writes piece by piece, so both give the same bytes."""
from __future__ import annotations

from typing import Any, Iterable, Protocol

from syncdoctor.api.proof import Line
from syncdoctor.api.shown import ResultWords
from syncdoctor.api.verdicts import Tally, tally_of


class Stream(Protocol):
    def begin(self, header: dict[str, Any]) -> str: ...
    def joiner(self, first: bool) -> str: ...
    def result(self, r: dict[str, Any], words: ResultWords | None = None) -> str: ...
    def end(self, summary: Tally, trailer: dict[str, Any]) -> str: ...


TRAILER_KEYS = ("questions",)


def render_stream(s: Stream, doc: dict[str, Any], words: list[ResultWords] | None = None, tally: Tally | None = None) -> str:
    """A whole document through a stream: what `diagnose --all` writes piece by piece; `words`:
    each result's words (api/shown.py), in the results' order (no proofs without); `tally`: the
    summary of its results, when the pipeline counted them already (api/run.py)."""
    header = {k: v for k, v in doc.items() if k != "results" and k not in TRAILER_KEYS}
    parts = [s.begin(header)]
    for i, r in enumerate(doc["results"]):
        parts += [s.joiner(i == 0), s.result(r, words[i] if words is not None else None)]
    parts.append(s.end(tally or tally_of(doc["results"]), {k: doc[k] for k in TRAILER_KEYS if k in doc}))
    return "".join(parts)


def walk(lines: Iterable[Line], depth: int = 0) -> Iterable[tuple[int, str]]:
    """(depth, text) of every line of a proof, depth first: what each format indents or nests."""
    for line in lines:
        yield depth, line.text
        yield from walk(line.children, depth + 1)
