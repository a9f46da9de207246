"""Applying resolved changes (api/changes.py) to a snapshot's data, in memory, without copying
it: only the containers on the path of an edit are copied (a 100,000-user org costs the
business unit or the user changed, not the org). The original data is never modified.

Unknown stays unknown: a change that adds to a list the snapshot does not hold (absent: nobody
knows it) is refused, since adding to it would make it a complete list of one."""
from __future__ import annotations

from typing import Any

from syncdoctor.facts.ids import key

from .errors import CannotApply


class _Editor:
    """Copy-on-write over nested dicts and lists: `at(path)` copies each container on the path
    once, so edits never reach the caller's data."""

    def __init__(self, data: dict[str, Any]):
        self.root: dict[str, Any] = dict(data)
        self.owned = {id(self.root)}

    def at(self, *path: Any) -> Any:
        node: Any = self.root
        for step in path:
            child = node[step]
            if id(child) not in self.owned:
                child = dict(child) if isinstance(child, dict) else list(child)
                node[step] = child
                self.owned.add(id(child))
            node = child
        return node


def _index(records: list[dict[str, Any]], ident: str) -> int:
    k = key(ident)
    return next(i for i, r in enumerate(records) if key(r["id"]) == k)


def apply(data: dict[str, Any], changes: list[dict[str, Any]]) -> tuple[dict[str, Any], list[str]]:
    """The data with every change applied in order, and notes on changes that change nothing."""
    ed, notes = _Editor(data), []
    for c in changes:
        note = _APPLY[c["change"]](ed, c)
        if note:
            notes.append(note)
    return ed.root, notes


def _bu(ed: _Editor, c: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    bi = _index(ed.root["business_units"], c["business_unit"]["id"])
    return bi, ed.root["business_units"][bi]


def _bu_name(c: dict[str, Any]) -> str:
    return c["business_unit"]["name"] or c["business_unit"]["id"]


def _assignments(ed: _Editor, c: dict[str, Any]) -> list[dict[str, Any]]:
    bi, bu = _bu(ed, c)
    if not isinstance((bu.get("user_groups") or {}).get(c["group"]), list):
        raise CannotApply(f"the {c['group']} assignments of business unit {_bu_name(c)} are unknown (business_units[{bi}]."
                          f"user_groups.{c['group']} is absent): a what-if cannot add to or take from an unknown list")
    return ed.at("business_units", bi, "user_groups", c["group"])


def _same(entry: dict[str, Any], member: dict[str, Any]) -> bool:
    return entry.get("type") == member["type"] and key(entry["id"]) == key(member["id"])


def _listed(entries: list[dict[str, Any]]) -> str:
    return ", ".join(f"{e['type']} {e['id']}" for e in entries) or "nothing"


def _add(entries: list[dict[str, Any]], c: dict[str, Any], where: str) -> str | None:
    m = c["member"]
    if any(_same(e, m) for e in entries):
        return f"{m['type']} {m['name']} is already {where}: nothing changes"
    entries.append({"type": m["type"], "id": m["id"]})
    return None


def _take(entries: list[dict[str, Any]], c: dict[str, Any], where: str) -> str | None:
    m = c["member"]
    kept = [e for e in entries if not _same(e, m)]
    if len(kept) == len(entries):
        raise CannotApply(f"{m['type']} {m['name']} is not {where} (there: {_listed(entries)})")
    entries[:] = kept
    return None


def _user_group(c: dict[str, Any]) -> str:
    return f"assigned to the {c['group']} group of {_bu_name(c)}"


def _group(c: dict[str, Any]) -> str:
    return f"a direct member of public group {c['public_group']['name']}"


def _members(ed: _Editor, c: dict[str, Any]) -> list[dict[str, Any]]:
    gi = _index(ed.root["salesforce"]["public_groups"], c["public_group"]["id"])
    if not isinstance(ed.root["salesforce"]["public_groups"][gi].get("members"), list):
        raise CannotApply(f"the members of public group {c['public_group']['name']} are unknown")
    return ed.at("salesforce", "public_groups", gi, "members")


def _user(ed: _Editor, c: dict[str, Any]) -> dict[str, Any]:
    ui = _index(ed.root["salesforce"]["users"], c["user"]["id"])
    return ed.at("salesforce", "users", ui)


def _set_user(field: str, value: Any) -> Any:
    def edit(ed: _Editor, c: dict[str, Any]) -> str | None:
        v = value(c)
        _user(ed, c)[field] = v
        return None
    return edit


def _table(ed: _Editor, c: dict[str, Any]) -> dict[str, Any]:
    bi, bu = _bu(ed, c)
    if not isinstance((bu.get("user_sync") or {}).get("profile_roles"), dict):
        raise CannotApply(f"the profile table of business unit {_bu_name(c)} is unknown (business_units[{bi}]."
                          "user_sync.profile_roles is absent): a what-if cannot check a profile in an unknown table")
    return ed.at("business_units", bi, "user_sync", "profile_roles")


def _select(ed: _Editor, c: dict[str, Any]) -> str | None:
    _table(ed, c)[c["profile"]] = c["role"]
    return None


def _unselect(ed: _Editor, c: dict[str, Any]) -> str | None:
    del _table(ed, c)[c["profile"]]  # resolving found it in the table
    return None


def _sync(ed: _Editor, c: dict[str, Any]) -> dict[str, Any]:
    bi, bu = _bu(ed, c)
    if not isinstance(bu.get("user_sync"), dict):
        ed.at("business_units", bi)["user_sync"] = {}
    return ed.at("business_units", bi, "user_sync")


def _setting(ed: _Editor, c: dict[str, Any]) -> str | None:
    _sync(ed, c)[c["setting"]] = c["value"]
    return None


def _transfer(ed: _Editor, c: dict[str, Any]) -> str | None:
    sync = _sync(ed, c)
    if sync.get("mode") == "managed":
        return f"business unit {_bu_name(c)} already manages its users from Salesforce: nothing changes"
    sync["mode"] = "managed"
    _, bu = _bu(ed, c)
    groups = bu.get("user_groups") or {}
    if not all(isinstance(groups.get(g), list) for g in ("marketing", "sales")):
        return (f"the Marketing Users and Sales Users assignments of {_bu_name(c)} are not (all) in the snapshot: who has "
                "access after the transfer stays unknown until they are known (an answers file can state them)")
    return None


_APPLY = {
    "assign": lambda ed, c: _add(_assignments(ed, c), c, _user_group(c)),
    "unassign": lambda ed, c: _take(_assignments(ed, c), c, _user_group(c)),
    "add_member": lambda ed, c: _add(_members(ed, c), c, _group(c)),
    "remove_member": lambda ed, c: _take(_members(ed, c), c, _group(c)),
    "set_role": _set_user("role_id", lambda c: c["role"]["id"] if c["role"] else None),
    "set_profile": _set_user("profile", lambda c: c["profile"]),
    "activate": _set_user("is_active", lambda c: True), "deactivate": _set_user("is_active", lambda c: False),
    "select_profile": _select, "unselect_profile": _unselect, "set_setting": _setting, "transfer": _transfer,
}
