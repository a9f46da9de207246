"""What a change to the org would do (`syncdoctor what-if`, `syncdoctor.api.what_if`): apply the
changes to the snapshot in memory (api/edit.py), re-diagnose the diagnoses they can touch
(api/reach.py), and compare each one's standing before and after.

A user's *standing* in a business unit is read from their diagnosis: Account Engagement access
(managed: the user groups reached, the rules' `assigned` facts; legacy: a checked profile; an
active user; User Sync enabled), the Account Engagement role that access gives, whether a linked
Account Engagement user is outside the recycle bin, and the verdicts. What follows from a standing that the rules do not conclude
is platform behaviour, with its source: `RECYCLE_BIN_BASIS`, `ROLE_BASIS`."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Iterable

from syncdoctor.engine.diagnosis import Diagnosis
from syncdoctor.engine.run import Engine
from syncdoctor.facts.ids import key
from syncdoctor.facts.snapshot import Snapshot, edited_snapshot

from . import changes as ch
from . import edit, reach
from .errors import CannotApply
from syncdoctor.engine.classes import ClassEngine

RECYCLE_BIN_BASIS = ("KB 000384042 (Resolution A and its Note): deactivating a Salesforce user moves the Account Engagement "
                     "user to the recycle bin, in both modes; Resolution B: with the legacy setting \"Move Pardot user to the "
                     "recycle bin when they no longer have an assigned profile\" on, a user whose profile is not checked goes "
                     "there; User Sync Basics (Salesforce Help): unassigning a user from the user groups sends their Account "
                     "Engagement user to the recycle bin, assigning one restores it")
ROLE_BASIS = ("User Sync Basics (Salesforce Help): users in the Sales Users group always get the Sales role; Marketing Users, "
              "and legacy users, get the role the profile table maps their profile to")
NO_ROW = "no row for their profile in the profile table"


@dataclass(frozen=True)
class Standing:
    """A user's standing in one business unit, read from their diagnosis (None: unknown)."""
    access: bool | None
    groups: tuple[str, ...]
    role: str | None
    live_ae_user: bool
    binned_ae_user: bool
    in_bin_next: bool | None  # would User Sync keep (or put) their linked AE user in the recycle bin
    verdicts: tuple[tuple[str, str], ...]  # (kind, code)
    mode: Any = None  # the business unit's: managed, legacy, or None (unknown)

    @property
    def causes(self) -> frozenset[str]:
        return frozenset(code for kind, code in self.verdicts if kind == "cause")


def _values(diag: Diagnosis, kind: str) -> list[dict[str, Any]]:
    return [f.values for f in diag.facts.values() if f.kind == kind]


def standing(diag: Diagnosis, table: dict[str, str] | None, links: list[bool | None]) -> Standing:
    """The standing a diagnosis shows (see the module's docstring). `table` is the business
    unit's profile table (None: unknown) and `links` the recycle-bin flags of the Account
    Engagement users linked to the user there: what the diagnosis read, which no change edits."""
    (user,) = [f.values for f in diag.factset.facts if f.kind == "user"]
    (bu,) = [f.values for f in diag.factset.facts if f.kind == "business_unit"]
    groups = tuple(sorted({a["group"] for a in _values(diag, "assigned")}))
    configured = _configured(diag, bu.get("mode"), groups, table, user.get("profile"))
    active, enabled = user.get("is_active"), bu.get("sync_enabled")
    if False in (configured, active, enabled):
        access: bool | None = False
    else:
        access = True if (configured, active, enabled) == (True, True, True) else None
    role = _role(bu.get("mode"), groups, table, user.get("profile")) if access else None
    bin_next: bool | None
    if active is False or (bu.get("mode") == "managed" and configured is False):
        bin_next = True
    elif bu.get("mode") == "legacy" and configured is False:
        bin_next = bu.get("move_to_recycle_bin_without_profile")
    elif access:
        bin_next = False
    else:
        bin_next = None
    verdicts = tuple(sorted((v["kind"], v["code"]) for v in diag.verdicts()))
    return Standing(access, groups, role, False in links, True in links, bin_next, verdicts, bu.get("mode"))


def _configured(diag: Diagnosis, mode: Any, groups: tuple[str, ...], table: dict[str, str] | None, profile: Any) -> bool | None:
    """Managed: the user reaches a user group (the rules' `assigned` facts, complete or not);
    legacy: their profile has a row in the profile table."""
    if mode == "managed":
        if groups:
            return True
        return False if "assigned" in diag.derived_missing and not diag.derived_missing["assigned"] else None
    if mode == "legacy" and table is not None and profile is not None:
        return profile in table
    return None


def _role(mode: Any, groups: tuple[str, ...], table: dict[str, str] | None, profile: Any) -> str | None:
    if mode == "managed" and "sales" in groups:
        return "Sales"
    if table is None or profile is None:
        return None
    return table.get(profile, NO_ROW)


# -- the comparison ------------------------------------------------------------------------------
MOVES = ("gains_access", "loses_access", "access_unknown", "role_changes", "to_recycle_bin", "restored", "new_causes",
         "causes_gone")


def moves(before: Standing, after: Standing) -> dict[str, Any]:
    """What changes for one user in one business unit: {move: detail} (True, or a detail)."""
    out: dict[str, Any] = {}
    if before.access is not True and after.access is True:
        out["gains_access"] = {"groups": list(after.groups), "role": after.role}
    elif before.access is True and after.access is False:
        out["loses_access"] = True
    elif before.access != after.access:
        out["access_unknown"] = {"before": before.access, "after": after.access}
    if before.access and after.access and before.role != after.role:
        out["role_changes"] = {"before": before.role, "after": after.role}
    if before.live_ae_user and after.in_bin_next is True and before.in_bin_next is not True:
        out["to_recycle_bin"] = True
    # Restoring from the recycle bin is documented for user groups (managed) only.
    if after.mode == "managed" and after.binned_ae_user and after.in_bin_next is False and before.in_bin_next is not False:
        out["restored"] = True
    if new := sorted(after.causes - before.causes):
        out["new_causes"] = new
    if gone := sorted(before.causes - after.causes):
        out["causes_gone"] = gone
    return out


@dataclass
class Plan:
    """The changed org, ready to diagnose: the snapshots before and after, and what is touched."""
    before: Snapshot
    after: Snapshot
    changes: list[dict[str, Any]]
    notes: list[str]
    touched: reach.Touched
    _linked: dict[Any, list[dict[str, Any]]] | None = None  # AE users by the coarse id they link to

    def links(self, ui: int, bi: int) -> list[bool | None]:
        """The recycle-bin flags of the AE users of business unit `bi` linked to user `ui` (no
        change edits them): one cheap pass over the AE users, exact ids compared only for the few."""
        if self._linked is None:
            self._linked = {}
            for a in self.before.ae_users:
                sid = a.get("salesforce_id")
                if isinstance(sid, str) and a.get("business_unit_id"):
                    self._linked.setdefault(sid[:15].casefold(), []).append(a)  # reach.coarse, inlined: 120,000 rows
        uid, bid = self.before.users[ui]["id"], self.before.business_units[bi]["id"]
        return [a.get("in_recycle_bin") for a in self._linked.get(reach.coarse(uid), [])
                if key(a["salesforce_id"]) == key(uid) and key(a["business_unit_id"]) == key(bid)]

    def standing(self, diag: Diagnosis, snap: Snapshot, ui: int, bi: int) -> Standing:
        table = ((snap.business_units[bi].get("user_sync") or {}).get("profile_roles"))
        return standing(diag, table if isinstance(table, dict) else None, self.links(ui, bi))


def plan(snap: Snapshot, specs: list[tuple[dict[str, Any], str]]) -> Plan:
    """The org with the changes applied in order, each resolved in the org the ones before it
    made (a profile checked by one change can be unchecked by the next); problems name where
    the change was written."""
    data, resolved, notes = snap.data, [], []
    for spec, where in specs:
        try:
            (change,) = ch.resolve(Snapshot(snap.file, data, snap.sha256), [(spec, where)])
            data, said = edit.apply(data, [change])
        except CannotApply as exc:
            raise CannotApply(f"{where}: {exc}") from None
        resolved.append(change)
        notes += said
    digest = hashlib.sha256((snap.sha256 + json.dumps(resolved, sort_keys=True)).encode()).hexdigest()
    return Plan(snap, edited_snapshot(snap, data, digest), resolved, notes, reach.touched(snap.data, data, resolved))


def pairs(p: Plan, bus: Iterable[int]) -> Iterable[tuple[int, int]]:
    """The (user, business unit) diagnoses to compare, in the snapshot's order."""
    for bi in bus:
        users = p.touched.get(bi, set())
        for ui in (range(len(p.before.users)) if users is reach.ALL else sorted(users)):
            yield ui, bi


def compare(eng: Engine, p: Plan, ui: int, bi: int, symptom: str | None) -> tuple[Diagnosis, Diagnosis]:
    return (eng.diagnose(p.before.factset(ui, bi, symptom)), eng.diagnose(p.after.factset(ui, bi, symptom)))


def user_ref(snap: Snapshot, ui: int) -> dict[str, Any]:
    u = snap.users[ui]
    return {"id": u["id"], "username": u.get("username")}


def bu_ref(snap: Snapshot, bi: int) -> dict[str, Any]:
    b = snap.business_units[bi]
    return {"id": b["id"], "name": b.get("name")}


def verdict_brief(diag: Diagnosis) -> list[dict[str, Any]]:
    return [{"code": v["code"], "kind": v["kind"], "message": v["message"]} for v in diag.verdicts()]


_ENGINES: dict[int, tuple[Any, Engine]] = {}


def engine_for(ruleset: Any) -> Engine:
    """The engine a what-if diagnoses with: a scan's (engine/classes.py: rule statuses shared by
    signature, the same results), one per ruleset in this process."""
    held = _ENGINES.get(id(ruleset))
    if held is None or held[0] is not ruleset:
        held = _ENGINES[id(ruleset)] = (ruleset, ClassEngine(ruleset))
    return held[1]


def report(eng: Engine, p: Plan, bus: list[int], symptom: str | None, asked: int | None) -> dict[str, Any]:
    """The what-if report: the asked user's verdicts before and after, and for everyone touched
    the moves, grouped by business unit and by move, each with its users."""
    groups: dict[int, dict[str, Any]] = {bi: {} for bi in bus}
    count = 0
    for ui, bi in pairs(p, bus):
        count += 1
        b, a = compare(eng, p, ui, bi, symptom)
        for move, detail in moves(p.standing(b, p.before, ui, bi), p.standing(a, p.after, ui, bi)).items():
            _add(groups[bi], move, detail, user_ref(p.before, ui))
    out: dict[str, Any] = {
        "changes": [dict(c, words=ch.words(c)) for c in p.changes], "notes": p.notes,
        "diagnoses_compared": count, "symptom": symptom,
        "business_units": [{"business_unit": bu_ref(p.before, bi), **_counted(groups[bi])} for bi in bus],
        "basis": {"recycle_bin": RECYCLE_BIN_BASIS, "role": ROLE_BASIS},
    }
    if asked is not None:
        out["user"] = {"user": user_ref(p.before, asked), "results": [_asked(eng, p, asked, bi, symptom) for bi in bus]}
    return out


def _add(group: dict[str, Any], move: str, detail: Any, who: dict[str, Any]) -> None:
    if move in ("new_causes", "causes_gone"):
        for code in detail:
            group.setdefault(move, {}).setdefault(code, []).append(who)
        return
    group.setdefault(move, []).append(who if detail is True else dict(who, **detail))


def _counted(group: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for move in MOVES:
        users = group.get(move)
        if move in ("new_causes", "causes_gone"):
            out[move] = {code: {"count": len(us), "users": us} for code, us in sorted((users or {}).items())}
        else:
            out[move] = {"count": len(users or []), "users": users or []}
    return out


def _asked(eng: Engine, p: Plan, ui: int, bi: int, symptom: str | None) -> dict[str, Any]:
    b, a = compare(eng, p, ui, bi, symptom)
    sb, sa = p.standing(b, p.before, ui, bi), p.standing(a, p.after, ui, bi)
    return {"business_unit": bu_ref(p.before, bi), "before": verdict_brief(b), "after": verdict_brief(a),
            "causes_gone": sorted(sb.causes - sa.causes), "new_causes": sorted(sa.causes - sb.causes),
            "access": {"before": sb.access, "after": sa.access}}
