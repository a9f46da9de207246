"""Formatters: each renders the same result document. Dispatch by name.

Text, markdown and HTML are streams (begin, one result at a time, end) so that `diagnose --all`
writes each result as it comes and keeps only the summary counts: memory stays flat with the
number of users. Rendering a whole document goes through the same stream, so both give the
same bytes. JSON streams too (jsonfmt.JsonStream); a single document is indented instead."""
from __future__ import annotations

from typing import Any, Callable

from .html import HtmlStream, render_html
from .jsonfmt import JsonStream, render_json
from .markdown import MarkdownStream, render_markdown
from .text import TextStream, render_text
from .whole import TRAILER_KEYS, Stream, render_stream

__all__ = ["FORMATS", "STREAMS", "Stream", "TRAILER_KEYS", "render", "render_stream", "stream"]

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


def render(name: str, doc: dict[str, Any], **options: Any) -> str:
    return FORMATS[name](doc, **options)


def stream(name: str, **options: Any) -> Stream:
    return STREAMS[name](**options)
