"""Structure checks: JSON Schema errors turned into findings a non-programmer can read."""
from __future__ import annotations

import difflib
import json
from functools import lru_cache
from importlib import resources
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from .findings import Finding, Span
from .loader import json_path, locate

def schema_text(name: str) -> str:
    return resources.files("syncdoctor.engine.schema").joinpath(f"{name}.schema.json").read_text("utf-8")


@lru_cache(maxsize=None)
def validator(name: str) -> Draft202012Validator:
    """The reference validator: its errors become the findings. (Each schema's own validity
    is checked by the tests, not on every run.)"""
    return Draft202012Validator(json.loads(schema_text(name)))


@lru_cache(maxsize=None)
def fast_validator(name: str) -> Any:
    """jsonschema-rs, compiled: hundreds of times faster on a large snapshot. Only a yes/no;
    on "no" the reference validator produces the located, plain-words findings."""
    return jsonschema_rs.validator_for(json.loads(schema_text(name)))


def suggest(word: str, choices: Any) -> str:
    """' (did you mean X?)' or ''."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _message(error: ValidationError) -> str:
    where = json_path(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    kw = error.validator
    if kw == "additionalProperties" and isinstance(error.instance, dict):
        allowed = list(schema.get("properties", {}))
        extras = sorted(k for k in error.instance if k not in allowed)
        parts = [f"unknown key {k!r}{suggest(k, allowed)}" for k in extras]
        return f"{where}: " + "; ".join(parts) if parts else f"{where}: {error.message}"
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


def check(name: str, data: Any, file: str) -> list[Finding]:
    """All schema findings for ``data``, each located at its file:line:col."""
    findings: list[Finding] = []
    seen: set[tuple] = set()
    try:
        if fast_validator(name).is_valid(data):
            return findings
    except Exception:  # noqa: BLE001 - a value it cannot take (a huge integer…): the reference decides
        pass
    leaves = [leaf for error in validator(name).iter_errors(data) for leaf in _leaf_errors(error)]
    # A misspelt key (`expekt:`) is one mistake: say "unknown key 'expekt' (did you mean 'expect'?)"
    # and not also "missing required key 'expect'".
    misspelt = {(tuple(e.absolute_path), close) for e in leaves if e.validator == "additionalProperties"
                and isinstance(e.instance, dict) for k in e.instance
                for close in difflib.get_close_matches(str(k), list((e.schema or {}).get("properties", {})), n=1, cutoff=0.6)
                if k not in (e.schema or {}).get("properties", {})}
    for leaf in leaves:
        if leaf.validator == "required" and "'" in leaf.message and \
                (tuple(leaf.absolute_path), leaf.message.split("'")[1]) in misspelt:
            continue
        span = locate(data, leaf.absolute_path, Span(file))
        message = _message(leaf)
        key = (span, message)
        if key in seen:
            continue
        seen.add(key)
        findings.append(Finding(span, "schema", message))
    return findings
