"""What a snapshot's ids name: duplicate records, dangling and ambiguous references, and one
spelling per record (facts/ids.py, `Identities`).

Every id of a snapshot is either a record's declaration (a business unit's, user's, role's or
public group's `id`) or a reference to one (a role, a parent, a group member, an assignment, an
answer's key, an Account Engagement user's link...). After the checks below pass, every
reference that names a declared record is rewritten to the spelling the record is declared
with, so that everything downstream (facts, joins, answers, lookups, results, audit records)
compares one spelling per record, whatever case or length the file wrote it in, and every
output shows an id as the snapshot declares it (docs/results.md, "Ids"). An id no list
declares, written several ways, is given one of them (`_undeclared_order`).
"""
from __future__ import annotations

from typing import Any, Callable

from syncdoctor.reading.findings import Finding, Span
from syncdoctor.reading.loader import json_path, locate

from .ids import ID_KEYED_MAPS, ID_LISTS, AmbiguousId, Identities, id_paths, id_values, is_id_key, key, looks_like_id, to18

ROLE_TYPES = ("role", "role_and_subordinates", "role_and_internal_subordinates")
_KINDS = {"business unit": ("business_units",), "user": ("salesforce", "users"), "role": ("salesforce", "roles"),
          "public group": ("salesforce", "public_groups")}


def _at(data: Any, path: tuple[str, ...]) -> Any:
    for p in path:
        data = data.get(p) if isinstance(data, dict) else None
    return data


class Records:
    """Each kind's declared records, and every record together (for references of no set kind)."""

    def __init__(self, data: dict[str, Any], report: Callable[[list[Any], str, str], None]) -> None:
        self.kinds: dict[str, Identities] = {}
        self.complete: dict[str, bool] = {}
        self.declared: set[str] = set()
        self._every: Identities | None = None
        for what, path in _KINDS.items():
            items = _at(data, path)
            self.complete[what] = isinstance(items, list) and what != "user"  # users: never known complete
            reg = self.kinds[what] = Identities()
            for i, item in enumerate(items or []):
                sfid = item.get("id") if isinstance(item, dict) else None
                if not isinstance(sfid, str):
                    continue
                same = reg.declare(sfid)
                self.declared.add(sfid)
                if same:
                    first = next(j for j, x in enumerate(items) if isinstance(x, dict) and x.get("id") == same[0])
                    report(list(path) + [i, "id"], "duplicate-id",
                           f"{what} {sfid} is {same[0]}, which also appears at {json_path(list(path) + [first])} "
                           "(one record: 15- and 18-character forms and letter cases of one id are the same id)")
        org_id = _at(data, ("org", "id"))
        if isinstance(org_id, str) and looks_like_id(org_id):
            self.declared.add(org_id)

    @property
    def every(self) -> Identities:
        """Every declared record together (for references of no set kind), built when first needed."""
        if self._every is None:
            self._every = Identities()
            for sfid in self.declared:
                self._every.add(sfid)
        return self._every

    def resolve(self, what: str | None, sfid: str) -> str | None:
        return (self.kinds[what] if what else self.every).resolve(sfid)


def reference_findings(data: dict[str, Any], file: str,
                       values: set[str] | None = None) -> tuple[list[Finding], dict[str, str]]:
    """Duplicate records, references to records a complete list does not hold, references that
    can be read as two records, and answers given twice for one user; and (when there are
    none) each spelling that names a record declared in another, with that one (`one_spelling`)."""
    out: list[Finding] = []
    respell: dict[str, str] = {}

    def report(path: list[Any], code: str, message: str) -> None:
        out.append(Finding(locate(data, path, Span(file)), code, f"{json_path(path)}: {message}"))

    records = Records(data, report)
    if out:
        return out, respell

    def must_hold(what: str, path: list[Any], sfid: Any) -> None:
        if not isinstance(sfid, str):
            return
        try:
            found = records.resolve(what, sfid)
        except AmbiguousId as exc:
            report(path, "ambiguous-id", str(exc))
            return
        if found is None and records.complete[what]:
            where = json_path(list(_KINDS[what]))
            report(path, "dangling-reference", f"{what} {sfid} is not in {where}")

    sf = data.get("salesforce") or {}
    for i, u in enumerate(sf.get("users") or []):
        if u.get("role_id"):
            must_hold("role", ["salesforce", "users", i, "role_id"], u["role_id"])
    for i, r in enumerate(sf.get("roles") or []):
        if r.get("parent_id"):
            must_hold("role", ["salesforce", "roles", i, "parent_id"], r["parent_id"])
    for i, g in enumerate(sf.get("public_groups") or []):
        for j, m in enumerate(g.get("members") or []):
            _member(must_hold, ["salesforce", "public_groups", i, "members", j], m)
    for i, bu in enumerate(data.get("business_units") or []):
        for group in ("marketing", "sales"):
            for j, m in enumerate(((bu.get("user_groups") or {}).get(group)) or []):
                _member(must_hold, ["business_units", i, "user_groups", group, j], m)
        _answers_once(records, bu.get("expected_access"), ["business_units", i, "expected_access"], report)
    if not out:
        respell = _no_ambiguity(records, data, id_values(data) if values is None else values, report)
    if not out:
        _cycles(records, sf.get("roles"), report)
    return out, respell


def _cycles(records: Records, roles: Any, report: Callable[..., None]) -> None:
    if not isinstance(roles, list):
        return
    same = records.kinds["role"]
    parent = {r["id"]: (same.resolve(r["parent_id"]) or r["parent_id"]) if r.get("parent_id") else "" for r in roles}
    cyclic = _on_cycles(parent)
    for i, r in enumerate(roles):
        if r["id"] in cyclic:
            report(["salesforce", "roles", i], "role-cycle", f"role {r['id']} is its own ancestor (the role hierarchy has a cycle)")


def _on_cycles(parent: dict[str, str]) -> set[str]:
    """The roles on a cycle of the parent links, in one pass: each role is walked once (a walk
    stops at a role already decided), so 16,000 roles take milliseconds, not seconds."""
    state: dict[str, int] = {}  # 1: on the walk in progress, 2: decided
    cyclic: set[str] = set()
    for start in parent:
        walk: dict[str, int] = {}
        node = start
        while node in parent and node not in state:
            state[node] = 1
            walk[node] = len(walk)
            node = parent[node]
        if node in walk:  # the walk met itself: everything from there on is a cycle
            cyclic.update(n for n, pos in walk.items() if pos >= walk[node])
        for n in walk:
            state[n] = 2
    return cyclic


def _member(must_hold: Callable[[str, list[Any], Any], None], path: list[Any], m: dict[str, Any]) -> None:
    """A group member or assignment names a record of its type (a user list is never complete:
    a user it does not hold is not refused)."""
    kind = {"public_group": "public group", "user": "user"}.get(m.get("type"), "role" if m.get("type") in ROLE_TYPES else None)
    if kind:
        must_hold(kind, path + ["id"], m.get("id"))


def _answers_once(records: Records, answers: Any, path: list[Any], report: Callable[..., None]) -> None:
    """`expected_access` holds one answer per user: two spellings of one id are two answers for one user."""
    if not isinstance(answers, dict):
        return
    seen: dict[str, str] = {}
    for written in answers:
        if not isinstance(written, str) or not looks_like_id(written):
            continue  # not an id: the schema's finding
        try:
            ident = records.resolve("user", written) or _alone(written)
        except AmbiguousId as exc:
            report(path + [written], "ambiguous-id", str(exc))
            continue
        if ident in seen:
            report(path + [written], "duplicate-id", f"the same user as {json_path(path + [seen[ident]])}: "
                   "two answers for one user, one would be lost")
        else:
            seen[ident] = written


def _alone(sfid: str) -> str:
    """The identity of an id no declaration holds: its first reading."""
    return key(sfid)


def _no_ambiguity(records: Records, data: dict[str, Any], values: set[str], report: Callable[..., None]) -> dict[str, str]:
    """Every id field (links, business units, fields added later) names one record at most;
    the spellings that name a record declared in another spelling, with that spelling."""
    respell: dict[str, str] = {}
    ambiguous: dict[str, str] = {}
    undeclared: dict[str, list[str]] = {}  # an id no record declares: its spellings, by identity
    for sfid in values - records.declared:  # a declared spelling names itself (duplicates are refused)
        if not looks_like_id(sfid):
            continue
        try:
            found = records.every.resolve(sfid)
        except AmbiguousId as exc:
            ambiguous[sfid] = str(exc)
            continue
        if found is None:
            undeclared.setdefault(_alone(sfid), []).append(sfid)
        elif found != sfid:
            respell[sfid] = found
    if ambiguous:
        for path, sfid in id_paths(data, set(ambiguous)):
            report(path, "ambiguous-id", ambiguous[sfid])
    for written in undeclared.values():
        if len(written) > 1:
            shown = min(written, key=_undeclared_order)
            respell.update((w, shown) for w in written if w != shown)
    return respell


def _undeclared_order(sfid: str) -> tuple[bool, bool, str]:
    """Which spelling of a record no list declares (a user outside the snapshot, a role of an
    org whose roles were not read) every reference is given when the file writes it several
    ways: the 18-character form whose suffix matches its case, else an 18-character one, else
    the first in sorted order (the same whatever order the file writes them in)."""
    return (len(sfid) != 18, sfid != to18(sfid), sfid)


def one_spelling(data: dict[str, Any], respell: dict[str, str]) -> None:
    """Rewrite, in place, every id spelled as a key of `respell` to the spelling it maps to (the
    one its record is declared with). Nothing to rewrite, the usual case: no walk at all."""
    if not respell:
        return

    def canonical(sfid: Any) -> Any:
        return respell.get(sfid, sfid) if isinstance(sfid, str) else sfid

    stack: list[Any] = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for k, v in list(node.items()):
                if isinstance(v, str):
                    if is_id_key(k) and v in respell:
                        node[k] = respell[v]
                elif isinstance(v, dict) and k in ID_KEYED_MAPS:
                    node[k] = {canonical(x): y for x, y in v.items()}
                elif isinstance(v, list) and k in ID_LISTS:
                    node[k] = [canonical(x) for x in v]
                elif isinstance(v, (dict, list)):
                    stack.append(v)
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, (dict, list)))
