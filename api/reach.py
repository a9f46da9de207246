"""Which diagnoses a change can touch, from the org's graph (docs/performance.md, "What-if").

A diagnosis of (user, business unit) reads the user's own record, the business unit's settings,
profile table and assignments, the org's roles and public groups, and Account Engagement users.
The changes of api/changes.py edit one of those places each, so the diagnoses they can touch are:

| change | business units | users |
|---|---|---|
| assign / unassign | that one | those the assigned member reaches |
| add / remove a public group member | all | those the member reaches |
| a user's role, profile, active flag | all | that user |
| check / uncheck a profile | that one | those with that profile |
| a setting, a transfer | that one | all |

A member reaches: a user, itself; a role, the users holding it; a role and subordinates (internal
or not), the users holding it or any role below it; a public group, what its members reach,
through nested groups (cycles included). Reach is taken in the org before *and* after the changes
(a change of role moves a user between roles; an added member reaches only afterwards), so the
set holds every diagnosis whose inputs differ. The property test (tests/api/test_whatif.py)
checks it against a full re-diagnosis of both orgs."""
from __future__ import annotations

from functools import cached_property
from typing import Any

from syncdoctor.facts.ids import key

ALL = None  # every user (or every business unit)
# Kinds of change that move users between roles or profiles, or edit group members: only then
# does reach in the org after the changes differ from reach before them.
REWIRING = frozenset({"set_role", "set_profile", "add_member", "remove_member"})


def coarse(ident: Any) -> Any:
    """What every spelling of one id shares (15 or 18 characters, case flattened or not): ids
    that differ only in letter case share it too, so sets found with it are supersets."""
    return ident[:15].casefold() if isinstance(ident, str) else ident


class Graph:
    """The org's role hierarchy, group members and users by role and profile; each index is
    built when a change first needs it (a 100,000-user org: one pass over the users)."""

    def __init__(self, data: dict[str, Any]):
        self.sf = data.get("salesforce") or {}
        self.users = self.sf.get("users") or []

    @cached_property
    def by_role(self) -> dict[Any, list[int]]:
        out: dict[Any, list[int]] = {}
        for i, u in enumerate(self.users):
            if u.get("role_id"):
                out.setdefault(coarse(u["role_id"]), []).append(i)
        return out

    @cached_property
    def by_profile(self) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        for i, u in enumerate(self.users):
            if u.get("profile") is not None:
                out.setdefault(u["profile"], []).append(i)
        return out

    @cached_property
    def children(self) -> dict[Any, list[Any]]:
        out: dict[Any, list[Any]] = {}
        for r in self.sf.get("roles") or []:
            if r.get("parent_id"):
                out.setdefault(coarse(r["parent_id"]), []).append(coarse(r["id"]))
        return out

    @cached_property
    def members(self) -> dict[Any, list[tuple[str, Any]]]:
        return {coarse(g["id"]): [(m["type"], coarse(m["id"])) for m in g.get("members") or []]
                for g in self.sf.get("public_groups") or []}

    def user(self, ident: str) -> set[int]:
        """The index of the user with this id (compared exactly, among the coarse candidates)."""
        c, k = coarse(ident), key(ident)
        return {i for i, u in enumerate(self.users)  # coarse(), inlined: one pass over 100,000 users
                if isinstance(uid := u.get("id"), str) and uid[:15].casefold() == c and key(uid) == k}

    def subtree(self, role: Any) -> set[Any]:
        seen, todo = {role}, [role]
        while todo:
            for child in self.children.get(todo.pop(), []):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        return seen

    def reach(self, mtype: str, ident: str) -> set[int]:
        """The users a member (a user, a role, a role and subordinates, a public group) reaches.
        Role and internal subordinates is taken as role and subordinates: a superset."""
        if mtype == "user":
            return self.user(ident)
        return self._reach(mtype, coarse(ident))

    def _reach(self, mtype: str, c: Any) -> set[int]:
        if mtype == "role":
            return set(self.by_role.get(c, []))
        if mtype in ("role_and_subordinates", "role_and_internal_subordinates"):
            return {i for r in self.subtree(c) for i in self.by_role.get(r, [])}
        out: set[int] = set()
        seen, todo, users = {c}, [c], set()
        while todo:
            for t, m in self.members.get(todo.pop(), []):
                if t == "public_group":
                    if m not in seen:
                        seen.add(m)
                        todo.append(m)
                elif t == "user":
                    users.add(m)
                else:
                    out |= self._reach(t, m)
        if users:
            out |= {i for i, u in enumerate(self.users) if isinstance(uid := u.get("id"), str) and uid[:15].casefold() in users}
        return out


Touched = dict[int, "set[int] | None"]  # business unit index -> user indexes (None: all of them)


def touched(before: dict[str, Any], after: dict[str, Any], changes: list[dict[str, Any]]) -> Touched:
    """The (business unit, user) diagnoses the changes can touch, as {bu index: users or ALL}."""
    bus = before.get("business_units") or []
    bu_index = {key(b["id"]): i for i, b in enumerate(bus)}
    rewired = any(c["change"] in REWIRING for c in changes)
    graphs = [Graph(before)] + ([Graph(after)] if rewired else [])

    def both() -> list[Graph]:
        return graphs

    out: Touched = {}

    def add(bis: list[int], users: set[int] | None) -> None:
        for bi in bis:
            if bi in out and out[bi] is ALL:
                continue
            out[bi] = ALL if users is ALL else (out.get(bi) or set()) | users

    every = list(range(len(bus)))
    for c in changes:
        kind = c["change"]
        this = [bu_index[key(c["business_unit"]["id"])]] if "business_unit" in c else every
        if kind in ("assign", "unassign", "add_member", "remove_member"):
            m = c["member"]
            add(this, set().union(*(g.reach(m["type"], key(m["id"])) for g in both())))
        elif kind in ("set_role", "set_profile", "activate", "deactivate"):
            add(every, graphs[0].user(c["user"]["id"]))
        elif kind in ("select_profile", "unselect_profile"):
            add(this, set().union(*(set(g.by_profile.get(c["profile"], [])) for g in both())))
        else:  # a setting, a transfer: the whole business unit
            add(this, ALL)
    return out
