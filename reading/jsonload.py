"""JSON: parsed once by the standard library's C scanner, refusing what it would let through.

Python's json takes the last of two equal keys, reads `1e400` as infinity, decodes "\\ud800" to a
lone surrogate that later breaks every encode, and stops at 4,300-digit integers with a message
about `sys.set_int_max_str_digits()`. Each of these is refused here; where the fast parse only
knows *that* something is wrong, a token scan of the text finds *where* (only on that path).
"""
from __future__ import annotations

import json
import math
import re
from typing import Any

from .findings import Finding, FindingError, Span
from .located import bad_strings, line_col
from .yamltypes import MAX_DIGITS


class _Refused(Exception):
    """Something the scanner accepted and this loader does not: the token scan locates it."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _Refused
    return out


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def parse_json(text: str, file: str) -> Any:
    """One JSON document, or a FindingError naming the line and column of each problem."""
    text = text.removeprefix("\ufeff")  # a byte-order mark is not content (YAML ignores it too)
    try:
        data = json.loads(text, object_pairs_hook=_pairs, parse_float=_finite, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise FindingError([Finding(Span(file, exc.lineno, exc.colno), "json-syntax", f"not valid JSON: {exc.msg}")]) from None
    except RecursionError:
        raise FindingError([Finding(Span(file), "too-deep", "the document is nested too deeply")]) from None
    except (_Refused, ValueError) as exc:
        # _Refused, or int() refusing a number too long: say where
        findings = explain(text, file)
        raise FindingError(findings or [Finding(Span(file), "json-value", f"not usable JSON: {exc}")]) from None
    if _SURROGATE.search(text) and any(True for _ in bad_strings(data)):
        raise FindingError(explain(text, file) or [Finding(Span(file), "not-text", "a string holds a lone surrogate")])
    return data


_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]|-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?', re.S)
_CAP = 50


def explain(text: str, file: str) -> list[Finding]:
    """Located findings for a text the C scanner parsed: duplicate keys, numbers too long or
    too large, strings that are not text. Keys are compared per object, like the parser does."""
    out: list[Finding] = []
    stack: list[tuple[set[str] | None, list[bool]]] = []  # (keys so far, [expecting a key])

    def at(offset: int, fid: str, message: str) -> None:
        out.append(Finding(Span(file, *line_col(text, offset)), fid, message))

    for m in _TOKEN.finditer(text):
        if len(out) >= _CAP:
            break
        tok = m.group()
        if tok == "{":
            stack.append((set(), [True]))
        elif tok == "[":
            stack.append((None, [False]))
        elif tok in "}]" and stack:
            stack.pop()
        elif tok == "," and stack and stack[-1][0] is not None:
            stack[-1][1][0] = True
        elif tok.startswith('"'):
            value = json.loads(tok)
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                at(m.start(), "not-text", f"{tok[:40]} holds a lone surrogate escape (like \\ud800), which is not a character")
            if stack and stack[-1][0] is not None and stack[-1][1][0]:
                keys = stack[-1][0]
                if value in keys:
                    at(m.start(), "duplicate-key", f"duplicate key {value!r} in this object: JSON readers disagree on which one counts")
                keys.add(value)
                stack[-1][1][0] = False
        elif tok[0] in "-0123456789":
            digits = len(tok.lstrip("-"))
            if "." not in tok and "e" not in tok.lower() and digits > MAX_DIGITS:
                at(m.start(), "number-too-long", f"a number with {digits:,} digits: at most {MAX_DIGITS:,} are accepted")
            elif ("." in tok or "e" in tok.lower()) and not math.isfinite(float(tok)):
                at(m.start(), "number-too-large", f"the number {tok[:40]} is too large to hold")
    return out
