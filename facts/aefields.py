"""What an Account Engagement user's fact says, field by field (a lookup computes only the field
it joins on). Some fields are read beside the AE user: the Salesforce user it is linked to (its
username, whether it is active) and the name of its business unit, when the snapshot holds them.

`salesforce_id: null` means linked to nobody (has_salesforce_id false); an absent salesforce_id is
unknown. None: unknown (left out of the fact)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from .ids import key

Getter = Callable[[dict[str, Any]], Any]
ORG_ONLY = ("business_unit_id", "business_unit_label", "holder", "bin_words")  # org_ae_user only  # fields of org_ae_user, not of a BU's ae_user


def _holder(a: dict[str, Any]) -> str | None:
    """What kind of holder of an address it is: in the recycle bin, linked to nobody (unmapped),
    or linked to a Salesforce user (synced); None when that is unknown."""
    if a.get("in_recycle_bin") is True:
        return "recycle_bin"
    if a.get("in_recycle_bin") is not False or "salesforce_id" not in a:
        return None
    return "unmapped" if a["salesforce_id"] is None else "synced_user"


class AeFields:
    """The getters of one snapshot's AE user fields (indexes of its users and business units built once)."""

    def __init__(self, data: dict[str, Any], now: datetime | None, parse_ts: Callable[[Any], datetime | None]) -> None:
        self._data = data
        self._now = now
        self._ts = parse_ts
        self._users: dict[str, dict[str, Any]] | None = None
        self._bus: dict[str, str] | None = None  # business unit id key -> its label
        self.getters: dict[str, Getter] = {
            "ae_id": lambda a: None if a.get("id") is None else str(a["id"]),
            "email": lambda a: a.get("email"),
            "username": lambda a: a.get("username"),
            "salesforce_id": lambda a: a.get("salesforce_id") or None,
            "has_salesforce_id": lambda a: (a["salesforce_id"] is not None) if "salesforce_id" in a else None,
            "role": lambda a: a.get("role"),
            "in_recycle_bin": lambda a: a.get("in_recycle_bin"),
            "updated_minutes_ago": self._updated,
            "linked_username": lambda a: (self._linked(a) or {}).get("username"),
            "linked_user_active": lambda a: (self._linked(a) or {}).get("is_active"),
            "link_words": self._link_words,
            "holder": _holder,
            "bin_words": lambda a: {True: "in the recycle bin", False: "not in the recycle bin"}.get(a.get("in_recycle_bin")),
            "business_unit_id": lambda a: a.get("business_unit_id") or None,
            "business_unit_label": self._bu_label,
        }

    def values(self, a: dict[str, Any], with_bu: bool) -> dict[str, Any]:
        return {name: get(a) for name, get in self.getters.items() if with_bu or name not in ORG_ONLY}

    def getter(self, name: str, with_bu: bool) -> Getter | None:
        return self.getters.get(name) if with_bu or name not in ORG_ONLY else None

    def _updated(self, a: dict[str, Any]) -> int | None:
        then = self._ts(a.get("updated_at"))
        if self._now is None or then is None:
            return None
        return int((self._now - then).total_seconds() // 60)

    def _linked(self, a: dict[str, Any]) -> dict[str, Any] | None:
        """The Salesforce user the AE user is linked to, when the snapshot lists it."""
        sid = a.get("salesforce_id")
        if not isinstance(sid, str):
            return None
        if self._users is None:
            users = (self._data.get("salesforce") or {}).get("users") or []
            self._users = {key(u["id"]): u for u in users if isinstance(u, dict) and isinstance(u.get("id"), str)}
        return self._users.get(key(sid))

    def _link_words(self, a: dict[str, Any]) -> str | None:
        """What the AE user is linked to, in words (None: unknown, salesforce_id absent)."""
        if "salesforce_id" not in a:
            return None
        sid = a["salesforce_id"]
        if sid is None:
            return "linked to no Salesforce user"
        user = self._linked(a)
        if user is None:
            return f"linked to Salesforce user {sid} (not in the snapshot)"
        state = {True: "active", False: "inactive"}.get(user.get("is_active"), "active or not: unknown")
        return f"linked to Salesforce user {user.get('username') or user['id']} ({state})"

    def _bu_label(self, a: dict[str, Any]) -> str | None:
        """Its business unit as the report's headers name it: name and id as the snapshot writes it."""
        bid = a.get("business_unit_id")
        if not isinstance(bid, str):
            return None
        if self._bus is None:
            self._bus = {key(b["id"]): f"{b.get('name')} ({b['id']})" if b.get("name") else b["id"]
                         for b in self._data.get("business_units") or [] if isinstance(b, dict) and isinstance(b.get("id"), str)}
        return self._bus.get(key(bid), f"{bid} (not in the snapshot)")
