"""Structure checks: JSON Schema errors turned into findings a non-programmer can read."""
from __future__ import annotations

import itertools
import json
import re
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Iterator

import jsonschema_rs

if TYPE_CHECKING:  # jsonschema is imported only to explain a "no" (about 0.07 s of every command otherwise)
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError  # local: jsonschema costs about 150 ms to import (python -X importtime); only a file with a problem pays it

from .findings import FINDINGS_PER_FILE, Finding, Span, more_finding
from .located import json_path, locate
from .words import suggest, suggestions

_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-](?:[01][0-9]|2[0-3]):?[0-5][0-9])")  # an offset is at most 23:59


def is_timestamp(value: Any) -> bool:
    """ISO 8601 with a time zone, and a real moment: `2026-13-45T99:99Z` matches the shape only."""
    if not isinstance(value, str):
        return True
    if not _TIMESTAMP.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def is_date(value: Any) -> bool:
    if not isinstance(value, str):
        return True
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


# Both validators check the same formats with the same functions, so they cannot disagree on them.
FORMATS = {"timestamp": is_timestamp, "date": is_date}


@lru_cache(maxsize=None)
def _regex(pattern: str) -> re.Pattern[str]:
    # JSON Schema patterns are ECMA-262, where `$` ends the text. Python's `$` also matches
    # before a final newline ("0055e000000U002AAA\n" passed an id pattern): use `\Z`.
    return re.compile(re.sub(r"(?<!\\)\$", r"\\Z", pattern))


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    from jsonschema.exceptions import ValidationError  # local: jsonschema costs about 150 ms to import (python -X importtime); only a file with a problem pays it
    if validator.is_type(instance, "string") and not _regex(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@lru_cache(maxsize=1)
def _reference() -> Any:
    from jsonschema import Draft202012Validator, validators  # local: as above
    return validators.extend(Draft202012Validator, {"pattern": _pattern})

def schema_text(name: str) -> str:
    return resources.files("syncdoctor.engine.schema").joinpath(f"{name}.schema.json").read_text("utf-8")


@lru_cache(maxsize=None)
def validator(name: str) -> Draft202012Validator:
    """The reference validator: its errors become the findings. (Each schema's own validity
    is checked by the tests, not on every run.)"""
    from jsonschema import FormatChecker  # local: as above
    checker = FormatChecker(formats=())
    for fmt, fn in FORMATS.items():
        checker.checks(fmt)(fn)
    return _reference()(json.loads(schema_text(name)), format_checker=checker)


@lru_cache(maxsize=None)
def fast_validator(name: str) -> Any:
    """jsonschema-rs, compiled: hundreds of times faster on a large snapshot. Only a yes/no;
    on "no" the reference validator produces the located, plain-words findings."""
    return jsonschema_rs.validator_for(json.loads(schema_text(name)), formats=FORMATS, validate_formats=True)


def _message(error: ValidationError) -> str:
    where = json_path(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    kw = error.validator
    if kw == "additionalProperties" and isinstance(error.instance, dict):
        allowed = list(schema.get("properties", {}))
        patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
        extras = sorted(k for k in error.instance if k not in allowed and not any(p.search(k) for p in patterns))
        parts = [f"unknown key {k!r}{suggest(k, allowed)}" for k in extras]
        ext = " (keys starting with x- are kept for other tools)" if patterns else ""
        return f"{where}: " + "; ".join(parts) + ext if parts else f"{where}: {error.message}"
    if kw == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        wanted = schema.get("properties", {}).get(missing, {}) if isinstance(schema.get("properties"), dict) else {}
        hint = wanted.get("x-message") or wanted.get("description") if isinstance(wanted, dict) else ""
        return f"{where}: missing required key {missing!r}" + (f" ({hint})" if hint else "")
    if kw == "enum":
        options = ", ".join(repr(v) if v is not None else "null" for v in error.validator_value)
        return f"{where}: {error.instance!r} is not one of {options}{suggest(error.instance, [v for v in error.validator_value if v is not None])}"
    if kw == "type":
        wanted = error.validator_value
        wanted = " or ".join(wanted) if isinstance(wanted, list) else wanted
        found = _TYPE_WORDS.get(type(error.instance).__name__, type(error.instance).__name__)
        hint = ""
        if isinstance(error.instance, dict) and "string" in str(wanted) and len(error.instance) == 1:
            hint = " (text containing ': ' must be put in quotes)"
        elif isinstance(error.instance, (bool, int, float)) and wanted == "string":
            hint = " (quote it: unquoted, YAML may read words like Off, On, yes, no as true/false and 010 as a number)"
        shown = "" if error.instance is None else f" {_short(error.instance)}"
        return f"{where}: must be {wanted}, found {found}{shown}{hint}"
    if schema.get("x-message"):
        return f"{where}: {schema['x-message']} (found {_short(error.instance)})"
    if kw == "const":
        return f"{where}: must be {error.validator_value!r}, found {_short(error.instance)}"
    return f"{where}: {error.message if len(error.message) < 200 else error.message[:200] + '…'}"


_TYPE_WORDS = {"LocatedDict": "a mapping", "dict": "a mapping", "LocatedList": "a list", "list": "a list",
               "str": "text", "int": "a number", "float": "a number", "bool": "true/false", "NoneType": "nothing (null)"}


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "…"


def _leaf_errors(error: ValidationError) -> list[ValidationError]:
    """For oneOf/anyOf, the most useful error: an x-message on the branch, or the best child."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        # Prefer the branch that got deepest into the instance: it is what the author meant.
        best = max(error.context, key=lambda e: (len(e.absolute_path), -len(e.schema_path)))
        has_message = isinstance(error.schema, dict) and error.schema.get("x-message")
        if not has_message or len(best.absolute_path) > len(error.absolute_path):
            return _leaf_errors(best)
    return [error]


COUNT_LIMIT = 5_000  # findings counted beyond those shown; past it the count says "over 5,000"


def check(name: str, data: Any, file: str, limit: int = 0) -> list[Finding]:
    """The schema findings for ``data``, each located at its file:line:col: the first ``limit``
    (findings.FINDINGS_PER_FILE by default), then one finding counting the others."""
    findings: list[Finding] = []
    seen: set[tuple] = set()
    try:
        if fast_validator(name).is_valid(data):
            return findings
    except Exception:  # noqa: BLE001 - a value it cannot take (a huge integer…): the reference decides
        pass
    limit = limit or FINDINGS_PER_FILE
    found = _findings(validator(name).iter_errors(data), data, file, seen)
    findings = list(itertools.islice(found, limit))
    if not findings:
        # The fast validator said no and the reference found nothing: never take that as a yes.
        return [Finding(Span(file), "schema", f"does not match the {name} schema (the two validators disagree; "
                                              "please report this file)")]
    if next(found, None) is not None:
        # Explaining every one of 200,000 wrong items took a minute: count a bounded number more.
        rest = 1 + sum(1 for _ in itertools.islice(found, COUNT_LIMIT))
        findings.append(more_finding(file, min(rest, COUNT_LIMIT), len(findings), exact=rest <= COUNT_LIMIT))
    return findings


def _findings(errors: Iterator[ValidationError], data: Any, file: str, seen: set[tuple]) -> Iterator[Finding]:
    leaves = (leaf for error in errors for leaf in _leaf_errors(error))
    # A misspelt key (`expekt:`) is one mistake: say "unknown key 'expekt' (did you mean 'expect'?)"
    # and not also "missing required key 'expect'" (judged over a bounded first stretch of errors).
    head = list(itertools.islice(leaves, FINDINGS_PER_FILE + COUNT_LIMIT))
    misspelt = {(tuple(e.absolute_path), close) for e in head if e.validator == "additionalProperties"
                and isinstance(e.instance, dict) for k in e.instance
                for close in suggestions(k, (e.schema or {}).get("properties", {}))
                if k not in (e.schema or {}).get("properties", {})}
    for leaf in itertools.chain(head, leaves):
        if leaf.validator == "required" and "'" in leaf.message and \
                (tuple(leaf.absolute_path), leaf.message.split("'")[1]) in misspelt:
            continue
        span = locate(data, leaf.absolute_path, Span(file))
        message = _message(leaf)
        key = (span, message)
        if key in seen:
            continue
        seen.add(key)
        yield Finding(span, "schema", message)
