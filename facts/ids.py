"""Salesforce ids: 15- and 18-character forms name the same record.

The first 15 characters are case-sensitive; the 3-character suffix of the 18-character form
encodes, five characters per suffix letter, which of them are upper case. That is what lets
an 18-character id survive a system that changes letter case (a spreadsheet, a case-insensitive
database): the suffix restores it. So an 18-character id written all upper or all lower case
gets its case back from its suffix, and so does one whose suffix has a lower-case letter
(Salesforce writes suffixes in upper case: the whole id's case was changed); an id written in
mixed case with an upper-case suffix keeps the case it was written in (hand-made ids often carry
a placeholder suffix). Within a snapshot, the records it declares decide what such a spelling
names (`Identities`). A suffix no casing of the 15 characters
can produce (it marks a digit as upper case) is bad input.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Iterator

_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")
ID_KEYS = frozenset({"id", "role_id", "parent_id", "salesforce_id", "business_unit_id"})
# Where else a snapshot holds ids: any key ending in "_id" (fields added later, such as an
# `updated_by_id`, are covered without a list to keep), the keys of these mappings, the items of these lists.
ID_KEYED_MAPS = frozenset({"expected_access"})
ID_LISTS = frozenset({"collected_business_units"})


def is_id_key(name: Any) -> bool:
    """Whether a snapshot field of this name holds a Salesforce id (when its value is id-shaped)."""
    return isinstance(name, str) and (name in ID_KEYS or name.endswith("_id"))


class BadId(ValueError):
    """An id that is not a Salesforce id, or whose suffix no casing of it produces."""


def looks_like_id(text: str) -> bool:
    return _ID.fullmatch(text) is not None


class _Bits(dict):  # type: ignore[type-arg]
    """str.translate table: A-Z to "1", every other character to "0" (ids' own are listed, so
    translating one is a single C call; anything else goes through __missing__)."""

    def __missing__(self, code: int) -> str:
        return "1" if 65 <= code <= 90 else "0"


_BITS = _Bits({code: "1" if 65 <= code <= 90 else "0" for code in range(128)})
# Five characters' "0"/"1" (upper case or not, first character first) -> their suffix letter.
_CHUNK = {format(n, "05b")[::-1]: _SUFFIX[n] for n in range(32)}


def suffix(sfid15: str) -> str:
    """The 3-character case suffix of a 15-character id (character i of a chunk is bit i)."""
    bits = sfid15[:15].translate(_BITS).ljust(15, "0")  # a shorter text: its missing characters are not upper case
    return _CHUNK[bits[0:5]] + _CHUNK[bits[5:10]] + _CHUNK[bits[10:15]]


_UPPER_AT = [tuple(i for i in range(5) if n & (1 << i)) for n in range(32)]  # suffix letter -> upper-case positions


@lru_cache(maxsize=1 << 16)
def _restored(sfid: str) -> str:
    """The first 15 characters in the case the suffix encodes (BadId when none can)."""
    chars = list(sfid[:15].lower())
    for chunk, letter in enumerate(sfid[15:].upper()):
        bits = _SUFFIX.find(letter)
        if bits < 0:
            raise BadId(f"{sfid}: {letter!r} cannot be a Salesforce id suffix character")
        for i in _UPPER_AT[bits]:
            pos = chunk * 5 + i
            if not chars[pos].isalpha():
                raise BadId(f"{sfid}: its suffix {sfid[15:]} marks {chars[pos]!r} (character {pos + 1}) as an "
                            "upper-case letter; no letter case of this id gives that suffix")
            chars[pos] = chars[pos].upper()
    return "".join(chars)


@lru_cache(maxsize=1 << 17)  # called for every id of every fact: a large org repeats them
def key(sfid: str) -> str:
    """The record's 15-character, case-exact identity (see the module docstring)."""
    if not looks_like_id(sfid):
        raise BadId(f"{sfid!r} is not a 15- or 18-character Salesforce id")
    if len(sfid) == 15:
        return sfid
    if any(ch not in _SUFFIX for ch in sfid[15:].upper()):
        raise BadId(f"{sfid}: {sfid[15:]!r} cannot be a Salesforce id suffix (letters A-Z and digits 0-5 only)")
    head = sfid[:15]
    if suffix(head) == sfid[15:].upper():
        return head  # the usual case (the suffix marks upper-case letters only: nothing to reject)
    letters = [ch for ch in head if ch.isalpha()]
    restored = _restored(sfid)  # also rejects a suffix no casing gives
    flattened = bool(letters) and (all(ch.isupper() for ch in letters) or all(ch.islower() for ch in letters))
    # Salesforce writes a suffix in upper case: one with a lower-case letter had its case changed with the rest.
    return restored if flattened or not sfid[15:].isupper() and any(ch.isalpha() for ch in sfid[15:]) else head


def to18(sfid: str) -> str:
    """The 18-character form, with the suffix that matches the id's case."""
    k = key(sfid)
    return k + suffix(k)


def same_id(a: str, b: str) -> bool:
    return key(a) == key(b)


@lru_cache(maxsize=1 << 17)
def spellings(sfid: str) -> tuple[str, ...]:
    """Every 15-character, case-exact id this spelling can name (BadId when none).

    An 18-character id whose suffix does not match the case it is written in is either a
    hand-made id with a placeholder suffix (`0055e000000U002AAA`: the case as written) or a real
    id whose case was changed (`0055E000000u002aaC`: the case its suffix gives): both are kept,
    and the records a snapshot declares decide (`Identities`)."""
    k = key(sfid)
    if len(sfid) == 15 or suffix(k) == sfid[15:].upper():
        return (k,)  # the usual case: its suffix matches the case it is written in
    restored = _restored(sfid)
    return (k,) if restored == k else (k, restored)


class AmbiguousId(BadId):
    """A spelling that can name two records a snapshot declares."""


class Identities:
    """The records one snapshot declares, and which of them a written id names: two spellings
    name the same record when some case-exact id is a reading of both (`spellings`). This is
    the one identity every comparison of ids in a snapshot goes through (facts/snapshot.py
    rewrites every reference to the spelling its record is declared with)."""

    def __init__(self) -> None:
        self._by: dict[str, list[str]] = {}  # a case-exact reading -> the declared spellings it reads

    def declare(self, sfid: str) -> list[str]:
        """Add a declared id; the earlier declarations it is the same record as (duplicates)."""
        same = self.matches(sfid)
        self.add(sfid)
        return same

    def add(self, sfid: str) -> None:
        for reading in spellings(sfid):
            self._by.setdefault(reading, []).append(sfid)

    def matches(self, sfid: str) -> list[str]:
        found: list[str] = []
        for reading in spellings(sfid):
            for declared in self._by.get(reading, ()):
                if declared not in found:
                    found.append(declared)
        return found

    def resolve(self, sfid: str) -> str | None:
        """The declared spelling of the record `sfid` names; None for none; AmbiguousId for two."""
        found = self.matches(sfid)
        if len(found) > 1:
            raise AmbiguousId(f"{sfid} can be read as {' or '.join(found)}, two records of this snapshot; "
                              "write it as the record it means is written")
        return found[0] if found else None


def id_values(data: Any) -> set[str]:
    """Every string of an id field (`is_id_key`), id-keyed mapping's key or id list of a parsed
    snapshot: one walk over every container (100,000 users: about a second), no paths built."""
    found: set[str] = set()
    add = found.add
    id_key = _ID_KEY_OF
    stack: list[tuple[Any, Any]] = [(data, None)]  # (container, the key it sits under)
    while stack:
        node, under = stack.pop()
        if isinstance(node, dict):
            for k, v in node.items():
                if isinstance(v, str):
                    if id_key.get(k) or (k not in id_key and _learn_id_key(k)):
                        add(v)
                elif isinstance(v, (dict, list)):
                    stack.append((v, k))
            if under in ID_KEYED_MAPS:
                found.update(k for k in node if isinstance(k, str))
        elif isinstance(node, list):
            if under in ID_LISTS:
                found.update(v for v in node if isinstance(v, str))
            stack.extend((v, under) for v in node if isinstance(v, (dict, list)))
    return found


_ID_KEY_OF: dict[Any, bool] = {}  # a field name -> is_id_key (an org has few names: each decided once)


def _learn_id_key(k: Any) -> bool:
    _ID_KEY_OF[k] = answer = is_id_key(k)
    return answer


def id_paths(data: Any, wanted: set[str]) -> Iterator[tuple[list[Any], str]]:
    """(path, value) of every place `id_values` found a value of `wanted` (for messages: a second
    walk, building paths, only when something is to be reported)."""
    stack: list[tuple[Any, list[Any]]] = [(data, [])]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            keyed = bool(path) and path[-1] in ID_KEYED_MAPS
            for k, v in node.items():
                if keyed and k in wanted:
                    yield path + [k], k
                if isinstance(v, str):
                    if v in wanted and is_id_key(k):
                        yield path + [k], v
                elif isinstance(v, (dict, list)):
                    stack.append((v, path + [k]))
        elif isinstance(node, list):
            listed = bool(path) and path[-1] in ID_LISTS
            for i, v in enumerate(node):
                if isinstance(v, (dict, list)):
                    stack.append((v, path + [i]))
                elif listed and isinstance(v, str) and v in wanted:
                    yield path + [i], v


def id_problems(data: Any, values: set[str] | None = None) -> Iterator[tuple[list[Any], str]]:
    """(path, message) for each id field in a parsed snapshot whose suffix no casing gives.
    Values that are not id-shaped are the schema's business."""
    bad = {v: problem for v in (id_values(data) if values is None else values) if (problem := _id_problem(v))}
    if bad:
        for path, value in sorted(id_paths(data, set(bad)), key=lambda pv: [(0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in pv[0]]):
            yield path, bad[value]


def _id_problem(value: str) -> str | None:
    """Why an id-shaped value is not a valid id (None: valid, or not id-shaped)."""
    if len(value) == 18 and suffix(value[:15]) == value[15:].upper() and looks_like_id(value):
        return None  # the usual case, decided without key() (whose cache 100,000 ids would churn)
    if not looks_like_id(value):
        return None
    try:
        key(value)
    except BadId as exc:
        return str(exc)
    return None
