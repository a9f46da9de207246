"""Formatters: each renders the same result document. Dispatch by name.

Text, markdown and HTML are streams (begin, one result at a time, end) so that `diagnose --all`
writes each result as it comes and keeps only the summary counts: memory stays flat with the
number of users. Rendering a whole document goes through the same stream, so both give the
same bytes. JSON streams too (jsonfmt.JsonStream); a single document is indented instead."""
from __future__ import annotations

from typing import Any, Callable, Protocol

from .html import HtmlStream, render_html
from .jsonfmt import JsonStream, render_json
from .markdown import MarkdownStream, render_markdown
from .text import TextStream, render_text
from .words import Summary, summary_pairs

FORMATS: dict[str, Callable[..., str]] = {
    "text": render_text,
    "json": render_json,
    "markdown": render_markdown,
    "html": render_html,
}

STREAMS: dict[str, Callable[..., "Stream"]] = {
    "text": TextStream,
    "json": JsonStream,
    "markdown": MarkdownStream,
    "html": HtmlStream,
}


class Stream(Protocol):
    def begin(self, header: dict[str, Any]) -> str: ...
    def joiner(self, first: bool) -> str: ...
    def result(self, r: dict[str, Any]) -> str: ...
    def end(self, summary: Summary, trailer: dict[str, Any]) -> str: ...


def render(name: str, doc: dict[str, Any], **options: Any) -> str:
    return FORMATS[name](doc, **options)


def stream(name: str, **options: Any) -> Stream:
    return STREAMS[name](**options)


TRAILER_KEYS = ("questions",)


def render_stream(s: Stream, doc: dict[str, Any]) -> str:
    """A whole document through a stream: what `diagnose --all` writes piece by piece."""
    header = {k: v for k, v in doc.items() if k != "results" and k not in TRAILER_KEYS}
    parts, summary = [s.begin(header)], Summary()
    for i, r in enumerate(doc["results"]):
        summary.add(summary_pairs(r), bool(r["undetermined"]))
        parts += [s.joiner(i == 0), s.result(r)]
    parts.append(s.end(summary, {k: doc[k] for k in TRAILER_KEYS if k in doc}))
    return "".join(parts)
