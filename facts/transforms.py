"""The transforms facts/snapshot-map.yaml names: what makes a fact's value of a field from the
value the map reads (`raw`: ABSENT when the snapshot does not have the key), the record it
reads it in, and the place of the record (the business unit of the diagnosis, the collection
time, the org's indexes). None: unknown, left out of the fact. A transform may read other
fields of its record: the map names them under `also`."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from . import kinds
from .ids import key, looks_like_id


class _Absent:
    """A key the snapshot does not have (unknown), told apart from a null it states."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()


def timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def minutes_between(now: datetime | None, then: datetime | None) -> int | None:
    if now is None or then is None:
        return None
    return int((now - then).total_seconds() // 60)


def ae_users_collected(data: dict[str, Any], bu: dict[str, Any]) -> bool:
    """Whether this business unit's AE users were collected (a complete list)."""
    ae_part = data.get("account_engagement") or {}
    covered = ae_part.get("collected_business_units")
    if isinstance(covered, list) and key(bu["id"]) not in {key(c) for c in covered}:
        return False  # collected for other business units only: unknown for this one
    return isinstance(ae_part.get("users"), list)


@dataclass
class OrgIndex:
    """What transforms look up across the snapshot, built once per snapshot when first read: the
    Salesforce users by id, the business units' labels by id."""
    data: dict[str, Any]
    now: datetime | None
    _declared: dict[str, dict[str, Any]] | None = field(default=None, repr=False)
    _users: dict[str, dict[str, Any]] | None = field(default=None, repr=False)
    _bus: dict[str, str] | None = field(default=None, repr=False)

    def linked(self, sid: Any) -> dict[str, Any] | None:
        """The Salesforce user an AE user is linked to, when the snapshot lists it. A reference
        is spelled as its record declares it once the snapshot is read (facts/references.py), so
        the id as written finds it; only an id that finds nothing so is looked up by its identity
        (`key`, computed for every user once: a second of a 100k-user org's single diagnosis)."""
        if not isinstance(sid, str):
            return None
        if self._declared is None:
            self._declared = {u["id"]: u for u in self._salesforce_users()}
        found = self._declared.get(sid)
        if found is not None:
            return found
        if self._users is None:
            self._users = {key(u["id"]): u for u in self._salesforce_users()}
        return self._users.get(key(sid))

    def _salesforce_users(self) -> list[dict[str, Any]]:
        users = (self.data.get("salesforce") or {}).get("users") or []
        return [u for u in users if isinstance(u, dict) and isinstance(u.get("id"), str)]

    def bu_label(self, bid: Any) -> str | None:
        """A business unit as the report's headers name it: name and id as the snapshot writes it."""
        if not isinstance(bid, str):
            return None
        if self._bus is None:
            self._bus = {key(b["id"]): f"{b.get('name')} ({b['id']})" if b.get("name") else b["id"]
                         for b in self.data.get("business_units") or [] if isinstance(b, dict) and isinstance(b.get("id"), str)}
        return self._bus.get(key(bid), f"{bid} (not in the snapshot)")


class Place:
    """Where a record is: its path, the record holding its list, the business unit of the
    diagnosis, the list it is in (`{group}`), and the snapshot's OrgIndex."""
    __slots__ = ("org", "path", "parent", "parent_path", "bu", "bp", "group")

    def __init__(self, org: OrgIndex, path: str = "", parent: Any = None, parent_path: str = "",
                 bu: dict[str, Any] | None = None, bp: str = "", group: str = "") -> None:
        self.org, self.path, self.parent, self.parent_path = org, path, parent, parent_path
        self.bu, self.bp, self.group = bu, bp, group


def _copy(raw: Any, record: Any, place: Place) -> Any:
    return None if raw is ABSENT else raw


def _record_id(raw: Any, record: Any, place: Place) -> Any:
    """An id as the snapshot declares its record: every reference was rewritten to that spelling
    when the snapshot was read (facts/references.py), so it is the id as it stands, never a
    computed form (every output shows ids so: docs/results.md, "Ids")."""
    return raw if raw is not ABSENT and raw else None


def _holder(raw: Any, a: dict[str, Any], place: Place) -> str | None:
    """What kind of holder of an address it is: in the recycle bin, linked to nobody (unmapped),
    or linked to a Salesforce user (synced); None when that is unknown."""
    if a.get("in_recycle_bin") is True:
        return "recycle_bin"
    if a.get("in_recycle_bin") is not False or "salesforce_id" not in a:
        return None
    return "unmapped" if a["salesforce_id"] is None else "synced_user"


def _link_words(raw: Any, a: dict[str, Any], place: Place) -> str | None:
    """What the AE user is linked to, in words (None: unknown, salesforce_id absent)."""
    if raw is ABSENT:
        return None
    if raw is None:
        return "linked to no Salesforce user"
    user = place.org.linked(raw)
    if user is None:
        return f"linked to Salesforce user {raw} (not in the snapshot)"
    state = {True: "active", False: "inactive"}.get(user.get("is_active"), "active or not: unknown")
    return f"linked to Salesforce user {user.get('username') or user['id']} ({state})"


_USER_KINDS = {"standard": "standard", "Identity licence": "identity", "Chatter (Chatter Free)": "chatter", "guest": "guest"}


def _user_kind(raw: Any, u: dict[str, Any], place: Place) -> str | None:
    """standard, identity, chatter, portal, guest or other (facts/kinds.py reads UserType and the
    licence); None when neither is known."""
    k = kinds.kind(u)
    if k == "of unknown type":
        return None
    return _USER_KINDS.get(k, "portal" if "portal" in k else "other")


def _value_for_user_id(raw: Any, u: dict[str, Any], place: Place) -> Any:
    """The engineer's answer keyed by the user's id (any spelling of it)."""
    table = raw if isinstance(raw, dict) else {}
    return next((v for k, v in table.items() if looks_like_id(k) and key(k) == key(u["id"])), None)


Transform = Callable[[Any, Any, Place], Any]
TRANSFORMS: dict[str, Transform] = {
    "copy": _copy,
    "record_id": _record_id,
    "text": lambda raw, r, p: None if raw is ABSENT or raw is None else str(raw),
    "present_not_null": lambda raw, r, p: None if raw is ABSENT else raw is not None,
    "present_null": lambda raw, r, p: None if raw is ABSENT else raw is None,
    "is_table": lambda raw, r, p: isinstance(raw, dict),
    "minutes_before_collection": lambda raw, r, p: minutes_between(p.org.now, timestamp(raw)),
    "symptom": lambda raw, r, p: raw or "none",
    "entry_key": lambda raw, r, p: r[0],
    "entry_value": lambda raw, r, p: r[1],
    "list_name": lambda raw, r, p: p.group,
    "integration_user": lambda raw, u, p: kinds.integration_user(u),
    "user_kind": _user_kind,
    "value_for_user_id": _value_for_user_id,
    "ae_users_collected": lambda raw, bu, p: ae_users_collected(p.org.data, bu),
    "linked_username": lambda raw, a, p: (p.org.linked(raw) or {}).get("username"),
    "linked_user_active": lambda raw, a, p: (p.org.linked(raw) or {}).get("is_active"),
    "link_words": _link_words,
    "holder": _holder,
    "recycle_bin_words": lambda raw, r, p: {True: "in the recycle bin", False: "not in the recycle bin"}.get(raw),
    "business_unit_label": lambda raw, a, p: place_label(raw, p),
}


def place_label(raw: Any, place: Place) -> str | None:
    return None if raw is ABSENT else place.org.bu_label(raw)
