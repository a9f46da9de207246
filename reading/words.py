"""Plain words shared by every message syncdoctor prints: counts with the right plural, values
as a support engineer reads them (JSON's true/false, never Python's True/False), and the one
"did you mean" of every option, prompt, name, key and code (`suggestions`); and `visible`, the
one way a value written by strangers (an org's names, a file's name) is shown on a terminal."""
from __future__ import annotations

import difflib
import json
import re
from typing import Any, Iterable

# C0 (but tab), DEL, C1; bidi embeddings/overrides/isolates; line and paragraph separators.
CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]")
CONTROL_KEEP_NEWLINE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]")


def shown_control(match: re.Match[str]) -> str:
    """One control character matched by CONTROL, as the text that shows it (`\\x1b`)."""
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: object, *, keep_newlines: bool = False) -> str:
    """`text` with every control character shown as an escape (`\\x0a`, `\\u202e`), never sent
    to the terminal raw. `keep_newlines` only for text whose line breaks are the program's own
    (a page of lines), never for a value that may hold a stranger's."""
    pattern = CONTROL_KEEP_NEWLINE if keep_newlines else CONTROL
    return pattern.sub(shown_control, str(text))


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


SIMILAR = 0.5  # difflib's ratio from which a choice is close enough to be named


def suggestions(value: object, choices: Iterable[object], n: int = 1) -> list[str]:
    """Up to `n` choices closest to `value`, best first, compared without letter case: a choice
    equal but for case, else the one choice it begins, else the most similar (difflib ratio of
    at least SIMILAR). Every "did you mean" syncdoctor prints names what this returns."""
    names: dict[str, str] = {}
    for c in choices:
        names.setdefault(str(c).lower(), str(c))
    low = str(value).lower().strip()
    if low in names:
        return [names[low]]
    prefixed = [k for k in names if low and k.startswith(low)]
    if len(prefixed) == 1:
        return [names[prefixed[0]]]
    return [names[k] for k in difflib.get_close_matches(low, list(names), n=n, cutoff=SIMILAR)]


def closest(value: str, choices: Iterable[object]) -> str | None:
    """The one choice a "did you mean" names, or None."""
    found = suggestions(value, choices)
    return found[0] if found else None


def suggest(word: object, choices: Iterable[object]) -> str:
    """' (did you mean X?)' naming the closest choice, or ''."""
    best = closest(str(word), choices)
    return f" (did you mean {best!r}?)" if best else ""
