"""Finding the user or business unit a person named (`--user`, `--business-unit`, answers files).

Usernames are unique in Salesforce (case-insensitively); emails and business-unit names are
not. So an id is matched by its case-exact identity (facts/ids.py), a username wins over an
email, and a name or email that several records share is ambiguous: every candidate is named,
never the first one in file order. A failed lookup names the closest matches.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from syncdoctor.reading.words import suggestions

from .ids import BadId, key, looks_like_id, spellings


class LookupProblem(ValueError):
    """A name that matches nothing (with suggestions), several records, or is a malformed id."""


class UserLookup(LookupProblem):
    """The user a request names is not in the snapshot, or several users match it (the message
    says which): raised by Snapshot.select, where the business unit's problem comes first."""


class Ambiguous(LookupProblem):
    """A name (an email, a business unit's name) that several records share."""


def _label_user(u: dict[str, Any]) -> str:
    return f"{u.get('username') or '(no username)'} ({u['id']})"


def _label_bu(bu: dict[str, Any]) -> str:
    return f"{bu.get('name') or '(no name)'} ({bu['id']})"


def _id_matches(records: Sequence[dict[str, Any]], query: str) -> tuple[list[int], list[str]]:
    """Indexes whose id is `query`, and (when none) ids equal to it but for letter case: the
    query's case was likely changed, and the real id is the suggestion."""
    try:
        wanted = key(query)
        readings = set(spellings(query))
    except BadId as exc:
        raise LookupProblem(str(exc)) from None
    hits, near = [], []
    for i, r in enumerate(records):
        rid = r.get("id")
        if not isinstance(rid, str):
            continue
        try:
            k = key(rid)
            same = k == wanted or not readings.isdisjoint(spellings(rid))  # the identity of facts/ids.py
        except BadId:
            continue
        if same:
            hits.append(i)
        elif k.lower() == wanted.lower():
            near.append(rid)  # as the snapshot declares it, the one form every output shows
    return hits, near


def _ambiguous(what: str, query: str, labels: list[str], source: str) -> Ambiguous:
    return Ambiguous(f"{what} {query!r} is ambiguous in {source}: it matches " + ", ".join(labels)
                         + f"; name one by {'username or id' if what == 'user' else 'id'}")


def _single(hits: list[int], what: str, query: str, label: Callable[[int], str], source: str) -> int | None:
    """The one record `hits` holds; None for none; ambiguous (naming each) for several."""
    if len(hits) > 1:
        raise _ambiguous(what, query, [label(i) for i in hits], source)
    return hits[0] if hits else None


def _not_found(what: str, query: str, source: str, close: list[str]) -> LookupProblem:
    hint = f"; did you mean: {', '.join(close)}?" if close else ""
    return LookupProblem(f"{what} {query!r} is not in {source}{hint}")


def find_user(users: Sequence[dict[str, Any]], query: str, source: str) -> int:
    """The index of the user `query` names (username, email or id), or LookupProblem."""
    q = query.strip()
    label: Callable[[int], str] = lambda i: _label_user(users[i])  # noqa: E731
    if looks_like_id(q):
        hits, near = _id_matches(users, q)
        if (found := _single(hits, "user", query, label, source)) is not None:
            return found
        if near:
            raise _not_found("user", query, source, near)
    lowered = q.lower()
    exact = [i for i, u in enumerate(users) if u.get("username") == q]
    by_name = exact or [i for i, u in enumerate(users) if str(u.get("username") or "").lower() == lowered]
    if (found := _single(by_name, "user", query, label, source)) is not None:
        return found
    by_email = [i for i, u in enumerate(users) if str(u.get("email") or "").lower() == lowered]
    if (found := _single(by_email, "user", query, label, source)) is not None:
        return found
    names = [str(u.get("username")) for u in users if u.get("username")]
    close = _closest(q, names)
    raise _not_found("user", query, source, close)


def find_business_unit(units: Sequence[dict[str, Any]], query: str, source: str) -> int:
    """The index of the business unit `query` names (id or name), or LookupProblem."""
    return find_named("business unit", units, query, source)


def find_named(what: str, records: Sequence[dict[str, Any]], query: str, source: str) -> int:
    """The index of the record (a business unit, a role, a public group: each with an id and a
    name) that `query` names, by id or name; or LookupProblem naming the closest."""
    q = query.strip()
    near: list[str] = []
    label: Callable[[int], str] = lambda i: _label_bu(records[i])  # noqa: E731
    if looks_like_id(q):
        hits, near = _id_matches(records, q)
        if (found := _single(hits, what, query, label, source)) is not None:
            return found
    exact = [i for i, r in enumerate(records) if r.get("name") == query]
    by_name = exact or [i for i, r in enumerate(records) if str(r.get("name") or "").strip().lower() == q.lower()]
    if (found := _single(by_name, what, query, label, source)) is not None:
        return found
    partial = [i for i, bu in enumerate(records) if q and q.lower() in str(bu.get("name") or "").lower()]
    if len(partial) > 1:  # part of several names: name every candidate, never the closest one only
        raise Ambiguous(f"{what} {query!r} is not the name of a {what} in {source}, and it is part of "
                        f"{len(partial)} names: " + ", ".join(label(i) for i in partial) + "; name one by its full name or id")
    names = [str(bu.get("name")) for bu in records if bu.get("name")] + [str(bu["id"]) for bu in records]
    raise _not_found(what, query, source, near or [label(i) for i in partial] or _closest(q, names))


def closest(query: str, names: list[str]) -> list[str]:
    """Up to three of `names` closest to `query` (letter case ignored)."""
    return _closest(query, names)


def _closest(query: str, names: list[str]) -> list[str]:
    """Up to three names closest to `query` (reading/words.py: the one "did you mean")."""
    return suggestions(query, names, n=3)

