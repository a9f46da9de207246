"""Salesforce ids: 15- and 18-character forms name the same record."""
from __future__ import annotations

_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def to18(sfid: str) -> str:
    """The 18-character, case-insensitive-safe form of a Salesforce id."""
    if len(sfid) == 18:
        return sfid[:15] + to18(sfid[:15])[15:]  # recompute: a wrong suffix is not trusted
    if len(sfid) != 15:
        raise ValueError(f"{sfid!r} is not a 15- or 18-character Salesforce id")
    suffix = ""
    for chunk in range(3):
        bits = 0
        for i, ch in enumerate(sfid[chunk * 5:chunk * 5 + 5]):
            if "A" <= ch <= "Z":
                bits |= 1 << i
        suffix += _SUFFIX[bits]
    return sfid + suffix


def same_id(a: str, b: str) -> bool:
    return a[:15] == b[:15]
