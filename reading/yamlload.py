"""YAML: strings as written, every problem located, libyaml's speed where it is available.

The resolver follows YAML 1.2's core schema, narrowed: a plain scalar is `true`/`false`, null
(`null`, `~`, empty), a decimal integer without leading zeros, or a decimal float, and otherwise
the string as written. So `On`, `no`, `010`, `1_000`, `59:59` and `2026-11-28` stay text (YAML
1.1 made them booleans, octal, 1000, sexagesimal numbers and dates). Mapping keys are always the
text as written. Anchors, aliases, tags and duplicate keys are refused.

Both readers build containers from libyaml's events (its C parser, calling this same resolver),
never holding a node graph: `parse_yaml` located containers (every key and item knows its
line), `parse_yaml_fast` plain ones. A document with a problem is read again by PyYAML's
pure-Python parser (`parse_yaml`; `parse_yaml_fast` up to REREAD_LIMIT), whose messages name
the character and the place most precisely; libyaml and it agree on every valid document
(libyaml alone also takes a tab between `key:` and its value, which YAML allows).
"""
from __future__ import annotations

import re
from typing import Any, Callable

import yaml
from yaml.composer import Composer, ComposerError
from yaml.events import AliasEvent, MappingEndEvent, MappingStartEvent, ScalarEvent, SequenceEndEvent, StreamEndEvent
from yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.scanner import Scanner

from .findings import Finding, FindingError, Span
from .located import LocatedDict, LocatedList, bad_strings, json_path, locate
from .yamltypes import BOOL, FLOAT, INT, MAP, NULL, SEQ, STR, LoadProblem, StrictResolver, resolve, scalar

# libyaml is optional in PyYAML (its wheels ship it); without it every file takes the located path
CParser = getattr(yaml, "CBaseLoader", None) if yaml.__with_libyaml__ else None

# Characters of YAML the located (pure-Python) parser may re-read to explain a problem: it needs
# about 140 bytes of memory per byte of YAML (benchmarks/input_limits.py).
REREAD_LIMIT = 2_000_000


class _Composer(Composer):
    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        if self.check_event(AliasEvent):
            raise LoadProblem(self.peek_event().start_mark, "yaml-alias",
                               "anchors and aliases (*name) are not allowed: write the value out in full")
        return super().compose_node(parent, index)


class _LocatedLoader(Reader, Scanner, Parser, _Composer, StrictResolver):
    def __init__(self, stream: str):
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        _Composer.__init__(self)
        StrictResolver.__init__(self)


def _span(file: str, mark: Any) -> Span:
    return Span(file, mark.line + 1, mark.column + 1) if mark is not None else Span(file)


def _key(node: Any) -> str:
    if not isinstance(node, ScalarNode):
        raise LoadProblem(node.start_mark, "yaml-key", "mapping keys must be plain text, not a list or mapping")
    if node.tag not in (STR, INT, FLOAT, BOOL, NULL):
        raise LoadProblem(node.start_mark, "yaml-tag", f"the YAML tag {node.tag!r} is not allowed on a key")
    return node.value  # the key as written: `On:` is "On", `010:` is "010"


def _build_located(node: Any, file: str) -> Any:
    if isinstance(node, MappingNode):
        if node.tag != MAP:
            raise LoadProblem(node.start_mark, "yaml-tag", f"the YAML tag {node.tag!r} is not allowed: only plain values, lists and mappings")
        out = LocatedDict()
        out.span, out.key_spans = _span(file, node.start_mark), {}
        for key_node, value_node in node.value:
            key = _key(key_node)
            if key in out:
                raise LoadProblem(key_node.start_mark, "duplicate-key", f"duplicate key {key!r} (first at line {out.key_spans[key].line})")
            out.key_spans[key] = _span(file, key_node.start_mark)
            out[key] = _build_located(value_node, file)
        return out
    if isinstance(node, SequenceNode):
        if node.tag != SEQ:
            raise LoadProblem(node.start_mark, "yaml-tag", f"the YAML tag {node.tag!r} is not allowed: only plain values, lists and mappings")
        seq = LocatedList()
        seq.span, seq.item_spans = _span(file, node.start_mark), []
        for item in node.value:
            seq.item_spans.append(_span(file, item.start_mark))
            seq.append(_build_located(item, file))
        return seq
    return scalar(node.tag, node.value, node.start_mark)


def _build_plain(node: Any, seen: set[int]) -> Any:
    """Plain containers from libyaml's nodes (which carry their marks, so a problem is still
    located). An alias arrives as the very node it names: a node met twice is an alias, refused
    before anything expands."""
    if id(node) in seen:
        raise LoadProblem(node.start_mark, "yaml-alias", "anchors and aliases (*name) are not allowed: write the value out in full")
    seen.add(id(node))
    if isinstance(node, ScalarNode):
        return scalar(node.tag, node.value, node.start_mark)
    if isinstance(node, MappingNode):
        if node.tag != MAP:
            raise LoadProblem(node.start_mark, "yaml-tag", f"the YAML tag {node.tag!r} is not allowed: only plain values, lists and mappings")
        out: dict[str, Any] = {}
        first: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = _key(key_node)
            if key in out:
                raise LoadProblem(key_node.start_mark, "duplicate-key",
                                   f"duplicate key {key!r} (first at line {first[key].line + 1})")
            first[key] = key_node.start_mark
            out[key] = _build_plain(value_node, seen)
        return out
    if node.tag != SEQ:
        raise LoadProblem(node.start_mark, "yaml-tag", f"the YAML tag {node.tag!r} is not allowed: only plain values, lists and mappings")
    return [_build_plain(item, seen) for item in node.value]


_SURROGATE_ESCAPE = re.compile(r"\\(?:u|U0000)[dD][89a-fA-F]")


def _check_text(data: Any, text: str, file: str) -> None:
    if not _SURROGATE_ESCAPE.search(text):
        return
    paths = list(bad_strings(data))
    if paths:
        raise FindingError([Finding(locate(data, p, Span(file)), "not-text",
                                    f"{json_path(p)}: holds a lone surrogate escape (like \\ud800), which is not a character")
                            for p in paths[:50]])


def parse_yaml(text: str, file: str) -> Any:
    """Parse one YAML document into located containers, or raise FindingError. libyaml reads a
    valid document (five times faster: every command reads its rules this way); a document
    with a problem is read again by the pure-Python parser, whose messages are the reference."""
    if CParser is not None:
        try:
            data = _build_events(_FastLoader(text), file)
        except (yaml.YAMLError, LoadProblem, RecursionError):
            pass
        else:
            _check_text(data, text, file)
            return data
    loader = _LocatedLoader(text)
    try:
        node = loader.get_single_node()
        data = None if node is None else _build_located(node, file)
    except LoadProblem as exc:
        raise FindingError([Finding(_span(file, exc.mark), exc.finding_id, exc.message)]) from None
    except yaml.MarkedYAMLError as exc:
        raise FindingError([syntax_finding(exc, file)]) from None
    except yaml.YAMLError as exc:
        raise FindingError([Finding(Span(file), "yaml-syntax", f"not valid YAML: {exc}")]) from None
    except RecursionError:
        raise FindingError([Finding(Span(file), "too-deep", "the document is nested too deeply")]) from None
    finally:
        loader.dispose()
    _check_text(data, text, file)
    return data


if CParser is not None:
    class _FastLoader(CParser, StrictResolver):  # type: ignore[misc, valid-type]
        """libyaml's parser (PyYAML's public CBaseLoader) with this module's resolver."""

        def __init__(self, stream: str):
            CParser.__init__(self, stream)
            StrictResolver.__init__(self)


_NO_KEY = object()


def _build_events(parser: Any, file: str | None = None) -> Any:
    """Plain containers straight from libyaml's events, as ``_build_plain`` would build them from
    the composed graph, without ever holding that graph (45 MB of YAML composed to 1.6 GB of
    nodes and marks). Refuses the same things: aliases, tags, keys that are not plain text,
    duplicate keys, several documents (and, as PyYAML's composer, a duplicate anchor).
    With `file`: located containers, as ``_build_located`` builds them (the events carry the
    same marks as the nodes would)."""
    parser.get_event()  # stream start
    if parser.check_event(StreamEndEvent):
        parser.get_event()
        return None
    document = parser.get_event()
    anchors: dict[str, Any] = {}
    # Open containers: [the container, its pending key (mappings), first line of each key (mappings)]
    stack: list[list[Any]] = []
    root: Any = _NO_KEY
    while root is _NO_KEY:
        event = parser.get_event()
        kind = type(event)
        if kind is AliasEvent:
            raise LoadProblem(event.start_mark, "yaml-alias", "anchors and aliases (*name) are not allowed: write the value out in full")
        if kind in (MappingEndEvent, SequenceEndEvent):
            value = stack.pop()[0]
        else:
            anchor = getattr(event, "anchor", None)
            if anchor is not None:
                if anchor in anchors:
                    raise ComposerError(f"found duplicate anchor {anchor!r}; first occurrence", anchors[anchor],
                                        "second occurrence", event.start_mark)
                anchors[anchor] = event.start_mark
            top = stack[-1] if stack else None
            wants_key = top is not None and isinstance(top[0], dict) and top[1] is _NO_KEY
            if file is not None and top is not None and not wants_key and isinstance(top[0], list):
                top[0].item_spans.append(_span(file, event.start_mark))
            if kind is ScalarEvent:
                tag = event.tag if event.tag not in (None, "!") else resolve(None, ScalarNode, event.value, event.implicit)
                if wants_key:
                    if tag not in (STR, INT, FLOAT, BOOL, NULL):
                        raise LoadProblem(event.start_mark, "yaml-tag", f"the YAML tag {tag!r} is not allowed on a key")
                    key = event.value  # the key as written: `On:` is "On", `010:` is "010"
                    if key in top[0]:
                        raise LoadProblem(event.start_mark, "duplicate-key", f"duplicate key {key!r} (first at line {top[2][key] + 1})")
                    top[1] = key
                    top[2][key] = event.start_mark.line
                    if file is not None:
                        top[0].key_spans[key] = _span(file, event.start_mark)
                    continue
                value = scalar(tag, event.value, event.start_mark)
            else:  # a mapping or a sequence starts
                if wants_key:
                    raise LoadProblem(event.start_mark, "yaml-key", "mapping keys must be plain text, not a list or mapping")
                mapping = kind is MappingStartEvent
                if event.tag not in (None, "!", MAP if mapping else SEQ):
                    raise LoadProblem(event.start_mark, "yaml-tag",
                                       f"the YAML tag {event.tag!r} is not allowed: only plain values, lists and mappings")
                if file is None:
                    stack.append([{}, _NO_KEY, {}] if mapping else [[], None, None])
                    continue
                container: Any = LocatedDict() if mapping else LocatedList()
                container.span = _span(file, event.start_mark)
                if mapping:
                    container.key_spans = {}
                else:
                    container.item_spans = []
                stack.append([container, _NO_KEY, {}] if mapping else [container, None, None])
                continue
        if not stack:
            root = value
        elif isinstance(stack[-1][0], dict):
            stack[-1][0][stack[-1][1]] = value
            stack[-1][1] = _NO_KEY
        else:
            stack[-1][0].append(value)
    parser.get_event()  # document end
    if not parser.check_event(StreamEndEvent):
        raise ComposerError("expected a single document in the stream", document.start_mark,
                            "but found another document", parser.get_event().start_mark)
    return root


def parse_yaml_fast(text: str, file: str) -> Any:
    """The same result as ``parse_yaml`` without the spans, parsed by libyaml (about five times
    faster, a fifth of the memory). A problem in a file up to REREAD_LIMIT is re-read by
    ``parse_yaml``, whose messages are the most precise; in a larger one (where the pure-Python
    parser would need gigabytes) it is reported from libyaml's own marks."""
    if CParser is None:
        return parse_yaml(text, file)
    try:
        data = _build_events(_FastLoader(text))
    except (yaml.YAMLError, LoadProblem, RecursionError) as exc:
        if len(text) <= REREAD_LIMIT:
            return parse_yaml(text, file)  # raises the located finding (or, should it accept, is right)
        if isinstance(exc, LoadProblem):
            raise FindingError([Finding(_span(file, exc.mark), exc.finding_id, exc.message)]) from None
        if isinstance(exc, yaml.MarkedYAMLError):
            raise FindingError([syntax_finding(exc, file, text)]) from None
        raise FindingError([Finding(Span(file), "too-deep" if isinstance(exc, RecursionError) else "yaml-syntax",
                                    "the document is nested too deeply" if isinstance(exc, RecursionError) else f"not valid YAML: {exc}")]) from None
    _check_text(data, text, file)
    return data


# -- syntax errors in plain words --------------------------------------------------------------
_HINTS: list[tuple[Callable[[str, str], bool], str, bool]] = [
    # (test on problem and context, message, locate at the context mark rather than the problem)
    (lambda p, c: "exceeded maximum nesting depth" in p, "the document is nested too deeply", False),
    (lambda p, c: "'\\t'" in p or "tab" in p, "a tab character: YAML indentation must use spaces", False),
    (lambda p, c: "quoted scalar" in c, "a quote opened here is never closed", True),
    (lambda p, c: "could not find expected ':'" in p,
     "a key without ':' (every line of a mapping is `key: value`; a line that continues the one above must be indented more)", False),
    (lambda p, c: "mapping values are not allowed" in p,
     "a ':' where a value was expected: put text containing ': ' in quotes, or check the indentation of this line", False),
    (lambda p, c: "expected <block end>" in p or "expected <block mapping" in p or "block sequence entries" in p
     or "did not find expected key" in p or "did not find expected '-'" in p,
     "the indentation here does not line up: a key or list item must start in the same column as the ones before it", False),
    (lambda p, c: "flow" in c or "expected ',' or" in p,
     "a [list] or {mapping} written inline is not closed, or misses a comma", True),
    (lambda p, c: "found unexpected end of stream" in p, "the file ends in the middle of a value", False),
]


def syntax_finding(exc: yaml.MarkedYAMLError, file: str, text: str = "") -> Finding:
    problem, context = str(exc.problem or ""), str(exc.context or "")
    mark = exc.problem_mark
    if mark is not None and "cannot start any token" in problem and text[mark.index:mark.index + 1] == "\t":
        problem = "tab"  # libyaml does not name the character; PyYAML does
    for test, message, at_context in _HINTS:
        if test(problem, context):
            mark = (exc.context_mark if at_context else None) or exc.problem_mark or exc.context_mark
            if "nested too deeply" in message:
                return Finding(_span(file, mark), "too-deep", message)
            return Finding(_span(file, mark), "yaml-syntax", f"not valid YAML: {message}")
    plain = re.sub(r"<([a-z ]+)>", lambda m: m.group(1).replace("block ", "").replace("stream ", ""), problem or context)
    return Finding(_span(file, exc.problem_mark or exc.context_mark), "yaml-syntax", f"not valid YAML: {plain or 'invalid YAML'}")

