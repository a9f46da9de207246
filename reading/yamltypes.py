"""YAML's plain scalars as syncdoctor types them: YAML 1.2's core schema, narrowed (reading/
yamlload.py's docstring says which forms), resolved without PyYAML's path-resolver machinery,
and the value of each (`scalar`), a number Python cannot hold exactly refused (`LoadProblem`)."""
from __future__ import annotations

import math
import re
from typing import Any

from yaml.nodes import ScalarNode, SequenceNode
from yaml.resolver import BaseResolver

STR, INT, FLOAT, BOOL, NULL = (f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null"))
MAP, SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
MAX_DIGITS = 4300  # CPython's own limit for int(str); longer numbers are refused, not crashed on


class StrictResolver(BaseResolver):
    """Only the plain scalars JSON would also read as non-strings get another type."""


_FORMS = {
    BOOL: re.compile(r"^(?:true|True|TRUE|false|False|FALSE)\Z"),
    NULL: re.compile(r"^(?:~|null|Null|NULL|)\Z"),
    INT: re.compile(r"^-?(?:0|[1-9][0-9]*)\Z"),
    FLOAT: re.compile(r"^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+(?:[eE][-+]?[0-9]+)?|[eE][-+]?[0-9]+)\Z"),
}
_FIRST = {BOOL: "tTfF", NULL: "~nN", INT: "-0123456789", FLOAT: "-0123456789"}
_CANDIDATES = {c: [(t, _FORMS[t]) for t in _FIRST if c in _FIRST[t]] for c in "tTfF~nN-0123456789"}


def resolve(self: BaseResolver, kind: Any, value: str, implicit: Any) -> str:
    """BaseResolver.resolve for these four forms, without its path-resolver machinery: libyaml
    calls it once per node, and the general one was half the time of reading a large file."""
    if kind is ScalarNode:
        if implicit[0]:
            if not value:
                return NULL
            for tag, form in _CANDIDATES.get(value[0], ()):
                if form.match(value):
                    return tag
        return STR
    return SEQ if kind is SequenceNode else MAP


StrictResolver.resolve = resolve  # type: ignore[method-assign]


class LoadProblem(Exception):
    """A value YAML allows and syncdoctor refuses (a tag, an alias, a number too long), at its mark."""

    def __init__(self, mark: Any, finding_id: str, message: str):
        super().__init__(message)
        self.mark, self.finding_id, self.message = mark, finding_id, message


def scalar(tag: str, text: str, mark: Any = None) -> Any:
    """The value of a plain-type scalar; numbers Python cannot hold exactly are problems."""
    if tag == STR:
        return text
    if tag in _FORMS and not _FORMS[tag].match(text):  # an explicit `!!int abc`
        raise LoadProblem(mark, "yaml-tag", f"{text[:40]!r} is not a value of the YAML tag {tag!r}")
    if tag == NULL:
        return None
    if tag == BOOL:
        return text.lower() == "true"
    if tag == INT:
        if len(text) > MAX_DIGITS:
            raise LoadProblem(mark, "number-too-long", f"a number with {len(text):,} digits: at most {MAX_DIGITS:,} are accepted")
        return int(text)
    if tag == FLOAT:
        value = float(text)
        if not math.isfinite(value):
            raise LoadProblem(mark, "number-too-large", f"the number {text[:40]} is too large to hold")
        return value
    raise LoadProblem(mark, "yaml-tag", f"the YAML tag {tag!r} is not allowed: only plain values, lists and mappings")
