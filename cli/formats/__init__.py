"""Formatters: each renders the same result document. Dispatch by name."""
from __future__ import annotations

from typing import Any, Callable

from .html import render_html
from .jsonfmt import render_json
from .markdown import render_markdown
from .text import render_text

FORMATS: dict[str, Callable[..., str]] = {
    "text": render_text,
    "json": render_json,
    "markdown": render_markdown,
    "html": render_html,
}


def render(name: str, doc: dict[str, Any], **options: Any) -> str:
    return FORMATS[name](doc, **options)
