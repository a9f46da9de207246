"""`syncdoctor facts probe`: can this org's user-group assignments be read? (read-only)

No documented API exposes a business unit's Marketing Users / Sales Users assignments; "User
group assignments can be used for sharing rules" suggests they are `Group` rows, but no type
or naming convention is documented. The probe lists what is there — Group rows by type, the
ones whose name or developer name looks like a user group (with their member counts), the
business units, the collecting user's permissions — and what it could not read, so that an
engineer on a real org can tell in one command. It never writes anything, to the org or to disk."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from simple_salesforce import format_soql

from .salesforce import QUERIES, PartFailed, SalesforceReader
from .auth import connect
from .http import CallLog

ALL_GROUPS = "SELECT Id, Name, DeveloperName, Type, RelatedId FROM Group ORDER BY Type, Id"
MEMBERS_OF = "SELECT GroupId, UserOrGroupId FROM GroupMember WHERE GroupId IN {} ORDER BY GroupId"
# Names an Account Engagement user group could plausibly carry: a guess to look at, not a rule.
LOOKS_LIKE = re.compile(r"(marketing|sales)[\s_-]*users?|pardot|b2bma|account[\s_-]*engagement", re.IGNORECASE)
BATCH = 200  # group ids per GroupMember query (SOQL length stays far below its limit)


@dataclass
class ProbeResult:
    group_types: dict[str, int] | None = None
    candidates: list[dict[str, Any]] = field(default_factory=list)
    business_units: list[dict[str, Any]] | None = None
    permissions: dict[str, bool | None] | None = None
    unreadable: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"group_types": self.group_types, "user_group_candidates": self.candidates,
                "business_units": self.business_units, "permissions": self.permissions,
                "could_not_read": self.unreadable}

    def lines(self) -> list[str]:
        out = []
        if self.permissions is not None:
            out.append("collecting user's permissions: " + ", ".join(
                f"{k}={'unknown' if v is None else v}" for k, v in sorted(self.permissions.items())))
        if self.business_units is not None:
            out.append(f"business units (PardotTenant): {len(self.business_units)}")
            out += [f"  {b['id']}  {b.get('name')!r}  CreationStatus={b.get('creation_status')}" for b in self.business_units]
        if self.group_types is not None:
            out.append("Group rows by Type: " + (", ".join(f"{t}={n}" for t, n in sorted(self.group_types.items())) or "none"))
            out.append(f"groups whose name looks like an Account Engagement user group: {len(self.candidates)}")
            for c in self.candidates:
                members = "members unreadable" if c["members"] is None else f"{c['members']} direct members"
                out.append(f"  {c['id']}  Type={c['type']}  Name={c['name']!r}  DeveloperName={c['developer_name']!r}  {members}")
            if not self.candidates:
                out.append("  none by name: the assignments are either not Group rows this user can see, or named otherwise "
                           "(see the Group types above); answer them with --ask or --answers")
        for part, why in sorted(self.unreadable.items()):
            out.append(f"could not read {part}: {why}")
        return out


def probe(sf: SalesforceReader) -> ProbeResult:
    res = ProbeResult()
    try:
        res.permissions = sf.permissions()
    except PartFailed as exc:
        res.unreadable["permissions (UserPermissionAccess)"] = str(exc)
    try:
        res.business_units = sf.business_units()
    except PartFailed as exc:
        res.unreadable[f"business units ({QUERIES['business_units']})"] = str(exc)
    try:
        groups = sf.records(ALL_GROUPS)
    except PartFailed as exc:
        res.unreadable[f"groups ({ALL_GROUPS})"] = str(exc)
        return res
    res.group_types = dict(Counter(str(g.get("Type")) for g in groups))
    looks = [g for g in groups if LOOKS_LIKE.search(f"{g.get('Name') or ''} {g.get('DeveloperName') or ''}")]
    counts: dict[str, int] | None = {}
    try:
        for i in range(0, len(looks), BATCH):
            ids = [g["Id"] for g in looks[i:i + BATCH]]
            for m in sf.records(format_soql(MEMBERS_OF, ids)):
                counts[m["GroupId"][:15]] = counts.get(m["GroupId"][:15], 0) + 1  # type: ignore[index]
    except PartFailed as exc:
        res.unreadable["members of those groups (GroupMember)"] = str(exc)
        counts = None
    res.candidates = [{"id": g["Id"], "type": g.get("Type"), "name": g.get("Name"), "developer_name": g.get("DeveloperName"),
                       "members": None if counts is None else counts.get(g["Id"][:15], 0)} for g in looks]
    return res


def run_probe(opts: Any, policy: Any, secrets: Any) -> ProbeResult:
    """Log in (as a collection does) and probe. Login failures raise CollectError / NotInOrg."""
    conn = connect(opts, policy, CallLog(), secrets)
    return probe(SalesforceReader(conn, policy, secrets))
