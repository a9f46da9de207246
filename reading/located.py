"""Containers that remember where each key and item sits in its file, and paths into them.

``LocatedDict``/``LocatedList`` are ordinary dicts and lists with spans attached, so any later
check can turn a path (``["salesforce", "users", 3, "id"]``) into ``file:line:col``.
"""
from __future__ import annotations

from typing import Any, Iterable

from .findings import Span


class LocatedDict(dict):
    span: Span
    key_spans: dict[str, Span]


class LocatedList(list):
    span: Span
    item_spans: list[Span]


def locate(root: Any, path: Iterable[Any], fallback: Span) -> Span:
    """The span of the deepest located container element along ``path``."""
    best = getattr(root, "span", fallback)
    node = root
    for step in path:
        if isinstance(node, LocatedDict) and isinstance(step, str) and step in node:
            best = node.key_spans.get(step, best)
            node = node[step]
        elif isinstance(node, LocatedList) and isinstance(step, int) and 0 <= step < len(node):
            best = node.item_spans[step]
            node = node[step]
        elif isinstance(node, (dict, list)):
            try:
                node = node[step]
            except (KeyError, IndexError, TypeError):
                break
        else:
            break
    return best


def json_path(path: Iterable[Any]) -> str:
    """`business_units[0].user_sync.mode` style text for a path."""
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        else:
            out += ("." if out else "") + str(step)
    return out or "(top level)"


def line_col(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def bad_strings(data: Any, path: list[Any] | None = None) -> Iterable[list[Any]]:
    """Paths of strings (values or keys) that are not encodable text: a lone surrogate such as
    "\\ud800" decodes from JSON and YAML escapes, and breaks every later encode."""
    path = path or []
    stack: list[tuple[Any, list[Any]]] = [(data, path)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                yield where
        elif isinstance(node, dict):
            for k, v in node.items():
                if isinstance(k, str):
                    stack.append((k, where + [k]))
                stack.append((v, where + [k]))
        elif isinstance(node, list):
            stack.extend((v, where + [i]) for i, v in enumerate(node))
