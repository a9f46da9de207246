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

from typing import Any

from syncdoctor.facts.ids import key

ALL = None  # every user (or every business unit)


class Graph:
    """The org's role hierarchy, group members and users by role and profile, indexed once."""

    def __init__(self, data: dict[str, Any]):
        sf = data.get("salesforce") or {}
        self.users = sf.get("users") or []
        self.by_role: dict[str, list[int]] = {}
        self.by_profile: dict[str, list[int]] = {}
        for i, u in enumerate(self.users):
            if u.get("role_id"):
                self.by_role.setdefault(key(u["role_id"]), []).append(i)
            if u.get("profile") is not None:
                self.by_profile.setdefault(u["profile"], []).append(i)
        self.children: dict[str, list[str]] = {}
        for r in sf.get("roles") or []:
            if r.get("parent_id"):
                self.children.setdefault(key(r["parent_id"]), []).append(key(r["id"]))
        self.members = {key(g["id"]): [(m["type"], key(m["id"])) for m in g.get("members") or []]
                        for g in sf.get("public_groups") or []}
        self.index = {key(u["id"]): i for i, u in enumerate(self.users)}

    def subtree(self, role: str) -> set[str]:
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
            return {self.index[ident]} if ident in self.index else set()
        if mtype == "role":
            return set(self.by_role.get(ident, []))
        if mtype in ("role_and_subordinates", "role_and_internal_subordinates"):
            return {i for r in self.subtree(ident) for i in self.by_role.get(r, [])}
        out: set[int] = set()
        seen, todo = {ident}, [ident]
        while todo:
            for t, m in self.members.get(todo.pop(), []):
                if t == "public_group":
                    if m not in seen:
                        seen.add(m)
                        todo.append(m)
                else:
                    out |= self.reach(t, m)
        return out


Touched = dict[int, "set[int] | None"]  # business unit index -> user indexes (None: all of them)


def touched(before: dict[str, Any], after: dict[str, Any], changes: list[dict[str, Any]]) -> Touched:
    """The (business unit, user) diagnoses the changes can touch, as {bu index: users or ALL}."""
    bus = before.get("business_units") or []
    bu_index = {key(b["id"]): i for i, b in enumerate(bus)}
    graphs: list[Graph] = []

    def both() -> list[Graph]:
        if not graphs:
            graphs.extend([Graph(before), Graph(after)])
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
            add(every, {both()[0].index[key(c["user"]["id"])]})
        elif kind in ("select_profile", "unselect_profile"):
            add(this, set().union(*(set(g.by_profile.get(c["profile"], [])) for g in both())))
        else:  # a setting, a transfer: the whole business unit
            add(this, ALL)
    return out
