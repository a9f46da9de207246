"""Plain words shared by every message syncdoctor prints: counts with the right plural, and
values as a support engineer reads them (JSON's true/false, never Python's True/False)."""
from __future__ import annotations

import difflib
import json
from typing import Any, Iterable


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 warning', '2 warnings'; `many` for irregular plurals ('1 match', '3 matches')."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def plain(value: Any) -> str:
    """A fact value in words: strings as they are, booleans and null as JSON writes them
    (the snapshot's own spelling), lists and objects as compact JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, type(None), list, dict)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def closest(value: str, choices: Iterable[object]) -> str | None:
    """The choice closest to `value` (ignoring case; a unique prefix counts), or None: what a
    "did you mean" names, for options, prompts and names alike."""
    names = {str(c).lower(): str(c) for c in choices}
    low = value.lower().strip()
    prefixed = [n for n in names if low and n.startswith(low)]
    if len(prefixed) == 1:
        return names[prefixed[0]]
    close = difflib.get_close_matches(low, list(names), n=1, cutoff=0.5)
    return names[close[0]] if close else None
