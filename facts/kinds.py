"""What a collection must tell apart before it trusts a list (sources: docs/collecting.md):
which users are people to diagnose, which business units exist, and whether the collecting
user could see everything it read."""
from __future__ import annotations

import re
from collections import Counter
from typing import Any

# PardotTenant.CreationStatus values of a business unit that exists and can answer. Deleted,
# Deleting, Deprovisioned, Deprovisioning, Creating and Error are skipped; a value this list
# does not know (or none) is tried rather than guessed away.
ACTIVE_BU_STATUSES = {"Created", "Updated", "Updating", "Backfilled"}

# "b2bmaintegration@<org-id>.ext ... doesn't use a standard Salesforce user license"
_INTEGRATION = re.compile(r"b2bmaintegration@00d[a-z0-9]{12}(?:[a-z0-9]{3})?\.ext", re.IGNORECASE)

# User.UserType values and what they are called in the report.
_KINDS = {"Standard": "standard", "CsnOnly": "Chatter (Chatter Free)", "PowerPartner": "partner portal",
          "PowerCustomerSuccess": "customer portal", "CustomerSuccess": "customer portal",
          "CspLitePortal": "customer portal", "SelfService": "self-service portal", "Guest": "guest"}


def integration_user(user: dict[str, Any]) -> bool:
    return isinstance(user.get("username"), str) and _INTEGRATION.fullmatch(user["username"]) is not None


def kind(user: dict[str, Any]) -> str:
    licence = user.get("license") or ""
    if "identity" in licence.lower():
        return "Identity licence"
    utype = user.get("user_type")
    if utype is None:
        return "of unknown type"
    return _KINDS.get(utype, f"UserType {utype}")


def kind_summary(users: list[dict[str, Any]]) -> list[str]:
    """One report line per kind of user that is not a standard internal user."""
    counts = Counter(kind(u) for u in users)
    lines = []
    for name, n in sorted(counts.items()):
        if name == "standard":
            continue
        why = {"Identity licence": " (they can be Account Engagement users: KB 000389098)",
               "of unknown type": " (UserType could not be read)"}.get(name, " (not internal users)")
        lines.append(f"{n} {name} user{'s' if n != 1 else ''} in the list{why}")
    return lines


def users_visibility(perms: dict[str, bool | None] | str) -> str | None:
    """Why the user list may be incomplete, or None when the collecting user sees every user."""
    if isinstance(perms, str):
        return (f"whether the collecting user has \"View All Users\" could not be checked ({perms}); with User "
                "Sharing, users outside its sharing are not listed")
    if perms.get("ViewAllUsers") is True:
        return None
    if perms.get("ViewAllUsers") is False:
        return ("the collecting user lacks \"View All Users\": with User Sharing, users outside its sharing are "
                "not listed; collect as a user with \"View All Users\"")
    return "whether the collecting user has \"View All Users\" is unknown; with User Sharing, users may be hidden"


def role_gaps(users: list[dict[str, Any]], roles: list[dict[str, Any]], perms: dict[str, bool | None] | str) -> str | None:
    """Why a role list that misses roles users hold cannot be trusted (None when it is whole)."""
    lacking = isinstance(perms, dict) and perms.get("ViewRoles") is False
    if lacking and roles:
        # Whatever came back cannot be shown to be the whole hierarchy.
        return ("the collecting user lacks \"View Roles and Role Hierarchy\" (needed for UserRole since Summer '20): "
                "the role list may be partial")
    known = {r["id"][:15] for r in roles}
    missing = {u["role_id"][:15] for u in users if u.get("role_id") and u["role_id"][:15] not in known}
    if not missing:
        return None
    return (f"{len(missing)} role{'s' if len(missing) != 1 else ''} held by users {'are' if len(missing) != 1 else 'is'} "
            "missing from the UserRole query: the collecting user "
            + ("lacks" if lacking else "may lack") + " \"View Roles and Role Hierarchy\" (needed for UserRole since Summer '20)")
