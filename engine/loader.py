"""Safe, line-aware YAML/JSON loading.

Mappings and sequences come back as ``LocatedDict``/``LocatedList``: ordinary dicts and lists
that also remember where each key and item sits in the file, so any later check can turn a
path into ``file:line:col``. Loading never constructs objects: tags other than the plain YAML
types, anchors/aliases, duplicate keys, binary files and oversized files are findings.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from .findings import Finding, FindingError, Span

RULE_FILE_LIMIT = 1_000_000  # bytes; a rule file is a page of text
SNAPSHOT_LIMIT = 512_000_000


class LocatedDict(dict):
    span: Span
    key_spans: dict[str, Span]


class LocatedList(list):
    span: Span
    item_spans: list[Span]


_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:timestamp",
}


class _LoadProblem(Exception):
    def __init__(self, mark: Any, finding_id: str, message: str):
        super().__init__(message)
        self.mark = mark
        self.finding_id = finding_id
        self.message = message


class _Composer(Composer):
    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(AliasEvent):
            event = self.peek_event()
            raise _LoadProblem(
                event.start_mark, "yaml-alias",
                "anchors and aliases (*name) are not allowed: write the value out in full",
            )
        return super().compose_node(parent, index)


class _Loader(Reader, Scanner, Parser, _Composer, SafeConstructor, Resolver):
    def __init__(self, stream: str):
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        _Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)


def _span(file: str, mark: Any) -> Span:
    return Span(file, mark.line + 1, mark.column + 1)


def _build(node: Any, file: str, loader: _Loader) -> Any:
    if node.tag not in _PLAIN_TAGS:
        raise _LoadProblem(node.start_mark, "yaml-tag", f"the YAML tag {node.tag!r} is not allowed: only plain values, lists and mappings")
    if isinstance(node, MappingNode):
        out = LocatedDict()
        out.span = _span(file, node.start_mark)
        out.key_spans = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise _LoadProblem(key_node.start_mark, "yaml-tag", "merge keys (<<) are not allowed")
            key = _build(key_node, file, loader)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                raise _LoadProblem(key_node.start_mark, "yaml-key", "mapping keys must be plain text")
            key = str(key) if not isinstance(key, str) else key
            if key in out:
                first = out.key_spans[key]
                raise _LoadProblem(key_node.start_mark, "duplicate-key", f"duplicate key {key!r} (first at line {first.line})")
            out.key_spans[key] = _span(file, key_node.start_mark)
            out[key] = _build(value_node, file, loader)
        return out
    if isinstance(node, SequenceNode):
        seq = LocatedList()
        seq.span = _span(file, node.start_mark)
        seq.item_spans = []
        for item in node.value:
            seq.item_spans.append(_span(file, item.start_mark))
            seq.append(_build(item, file, loader))
        return seq
    assert isinstance(node, ScalarNode)
    value = loader.construct_object(node, deep=True)
    if node.tag == "tag:yaml.org,2002:timestamp":
        # Keep timestamps as the text the author wrote; the schema checks their format.
        return node.value
    return value


def read_text(path: Path, limit: int) -> str:
    """Read a UTF-8 text file or raise a located finding."""
    file = str(path)
    try:
        if path.is_dir():
            raise FindingError([Finding(Span(file), "not-a-file", "is a directory, expected a file")])
        size = path.stat().st_size
    except FileNotFoundError:
        raise FindingError([Finding(Span(file), "file-not-found", "no such file")]) from None
    except OSError as exc:
        raise FindingError([Finding(Span(file), "unreadable", f"cannot read: {exc.strerror}")]) from None
    if size > limit:
        raise FindingError([Finding(Span(file), "file-too-large", f"file is {size:,} bytes, over the {limit:,}-byte limit")])
    data = path.read_bytes()
    if b"\x00" in data:
        raise FindingError([Finding(Span(file), "binary-file", "looks like a binary file (contains NUL bytes), expected text")])
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise FindingError([Finding(Span(file, line, col), "not-utf8", "the file is not valid UTF-8 text")]) from None


def parse_yaml(text: str, file: str) -> Any:
    """Parse one YAML document into located containers, or raise FindingError."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        return _build(node, file, loader)
    except _LoadProblem as exc:
        raise FindingError([Finding(_span(file, exc.mark), exc.finding_id, exc.message)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if "'\\t'" in str(problem) or "tab" in str(problem).lower():
            problem = "a tab character: YAML indentation must use spaces"
        span = _span(file, mark) if mark else Span(file)
        raise FindingError([Finding(span, "yaml-syntax", f"not valid YAML: {problem}")]) from None
    except yaml.YAMLError as exc:
        raise FindingError([Finding(Span(file), "yaml-syntax", f"not valid YAML: {exc}")]) from None
    except RecursionError:
        raise FindingError([Finding(Span(file), "too-deep", "the document is nested too deeply")]) from None
    finally:
        loader.dispose()


def parse_json(text: str, file: str) -> Any:
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise FindingError([Finding(Span(file, exc.lineno, exc.colno), "json-syntax", f"not valid JSON: {exc.msg}")]) from None
    except ValueError as exc:
        raise FindingError([Finding(Span(file), "json-syntax", f"not valid JSON: {exc}")]) from None
    except RecursionError:
        raise FindingError([Finding(Span(file), "too-deep", "the document is nested too deeply")]) from None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def load_file(path: Path, limit: int = RULE_FILE_LIMIT) -> Any:
    """Load a YAML or JSON file (by extension; YAML otherwise)."""
    text = read_text(path, limit)
    if path.suffix.lower() == ".json":
        return parse_json(text, str(path))
    return parse_yaml(text, str(path))


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
