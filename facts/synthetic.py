"""Deterministic synthetic orgs of realistic shape, for benchmarks and scale tests
(`syncdoctor dev generate-org`). Same (users, seed) ⇒ byte-identical snapshot.

Shape: two business units (managed, and legacy with its last change time unknown),
a role tree 10 levels deep with portal roles, public groups nested in chains of 5 with a
cycle, assignments of every type, ~3% inactive users, AE users with some in the recycle bin,
and unknown facts sprinkled in (no profile, no portal type, no last-modified time)."""
from __future__ import annotations

import random
from typing import Any

PROFILES = ["Marketing User", "Sales Profile", "Standard User", "System Administrator", "Custom: Support"]
DEPTH = 10


def _id(prefix: str, n: int, suffix: str = "AAA") -> str:
    return f"{prefix}{n:012d}{suffix}"


def generate(users: int, seed: int = 1, depth: int = DEPTH) -> dict[str, Any]:
    """`depth`: length of the role spine; a quarter of the users sit at its bottom. The same
    seed draws the same numbers in the same order: roles, users, groups, assignments, AE users."""
    rnd = random.Random(seed)
    spine = max(4, depth)  # the spine length, as the module constant by default
    roles = _roles(rnd, max(spine * 3, users // 40), spine)
    sf_users = _users(rnd, users, roles, spine)
    groups = _groups(rnd, max(10, users // 100), roles, sf_users, spine)
    table = {"Marketing User": "Marketing", "Sales Profile": "Sales", "System Administrator": "Administrator"}
    bus = [
        {"id": "0Uv000000000001AAA", "name": "Synthetic Managed",
         "user_sync": {"enabled": True, "mode": "managed", "last_change_at": "2026-11-20T09:00:00Z", "profile_roles": table},
         "user_groups": _assignments(rnd, 0.2, groups, roles, sf_users, spine)},
        # Legacy, with the time of the last change unknown.
        {"id": "0Uv000000000002AAA", "name": "Synthetic Legacy",
         "user_sync": {"enabled": True, "mode": "legacy", "profile_roles": table, "move_to_recycle_bin_without_profile": True}},
    ]
    ae: list[dict[str, Any]] = []
    n = 1000
    for bu in bus:
        for u in sf_users:
            if rnd.random() < 0.6:
                n += 1
                ae.append({"id": n, "business_unit_id": bu["id"], "email": u.get("email"), "salesforce_id": u["id"],
                           "role": "Marketing", "in_recycle_bin": rnd.random() < 0.05})
    return {"snapshot_version": 1, "collected_at": "2026-11-28T10:00:00Z",
            "org": {"id": "00D000000000001AAA", "name": f"Synthetic org ({users} users, seed {seed})", "is_sandbox": False},
            "business_units": bus,
            "salesforce": {"users": sf_users, "roles": roles, "public_groups": groups},
            "account_engagement": {"users": ae}}


def _roles(rnd: random.Random, n_roles: int, spine: int) -> list[dict[str, Any]]:
    """A spine `spine` deep so that the hierarchy is at least that deep, then a random tree below it."""
    roles: list[dict[str, Any]] = []
    for i in range(n_roles):
        rid = _id("00E", i + 1)
        if i == 0:
            parent = None
        elif i < spine:
            parent = roles[i - 1]["id"]
        else:
            parent = roles[rnd.randrange(0, i)]["id"]
        role: dict[str, Any] = {"id": rid, "name": f"Role {i + 1}", "parent_id": parent, "portal_type": "None"}
        if i >= spine and rnd.random() < 0.05:
            role["portal_type"] = "Partner"
        if i >= spine and rnd.random() < 0.01:
            del role["portal_type"]  # unknown
        roles.append(role)
    return roles


def _users(rnd: random.Random, users: int, roles: list[dict[str, Any]], spine: int) -> list[dict[str, Any]]:
    sf_users: list[dict[str, Any]] = []
    for i in range(users):
        uid = _id("005", i + 1)
        u: dict[str, Any] = {"id": uid, "username": f"user{i + 1}@synthetic.example", "email": f"user{i + 1}@synthetic.example",
                             "is_active": rnd.random() > 0.03, "profile": rnd.choice(PROFILES),
                             "role_id": (roles[spine - 1]["id"] if rnd.random() < 0.25 else rnd.choice(roles)["id"])
                             if rnd.random() < 0.85 else None,
                             "last_modified_at": f"2026-11-{rnd.randint(1, 27):02d}T{rnd.randint(0, 23):02d}:00:00Z"}
        if rnd.random() < 0.01:
            del u["profile"]
        if rnd.random() < 0.01:
            del u["last_modified_at"]
        sf_users.append(u)
    return sf_users


def _groups(rnd: random.Random, n_groups: int, roles: list[dict[str, Any]], sf_users: list[dict[str, Any]],
            spine: int) -> list[dict[str, Any]]:
    """Public groups nested in chains of 5, with a cycle, holding users and roles."""
    groups: list[dict[str, Any]] = []
    for g in range(n_groups):
        groups.append({"id": _id("00G", g + 1), "name": f"Group {g + 1}", "members": []})
    for g, group in enumerate(groups):
        members = group["members"]
        if g % 5 != 4:  # chains of 5: group g contains group g+1 (nesting 5 deep)
            members.append({"type": "public_group", "id": groups[g + 1]["id"] if g + 1 < n_groups else groups[0]["id"]})
        for _ in range(rnd.randint(2, 12)):
            members.append({"type": "user", "id": rnd.choice(sf_users)["id"] if sf_users else _id("005", 1)})
        kind = rnd.random()
        if kind < 0.3:
            members.append({"type": "role", "id": rnd.choice(roles)["id"]})
        elif kind < 0.45:
            members.append({"type": "role_and_subordinates", "id": rnd.choice(roles[spine:] or roles)["id"]})
        elif kind < 0.55:
            members.append({"type": "role_and_internal_subordinates", "id": rnd.choice(roles[spine:] or roles)["id"]})
    groups[4]["members"].append({"type": "public_group", "id": groups[0]["id"]})  # a cycle: 1 → … → 5 → 1
    for group in groups:
        seen: set[tuple[str, str]] = set()
        group["members"] = [m for m in group["members"] if (m["type"], m["id"]) not in seen and not seen.add((m["type"], m["id"]))]
    return groups


def _assignments(rnd: random.Random, share: float, groups: list[dict[str, Any]], roles: list[dict[str, Any]],
                 sf_users: list[dict[str, Any]], spine: int) -> dict[str, list[dict[str, str]]]:
    marketing = [{"type": "public_group", "id": g["id"]} for g in groups if rnd.random() < share]
    marketing += [{"type": "user", "id": rnd.choice(sf_users)["id"]} for _ in range(min(20, len(sf_users)))] if sf_users else []
    marketing += [{"type": "role", "id": roles[spine + 1]["id"]}, {"type": "role_and_subordinates", "id": roles[spine - 3]["id"]}]
    sales = [{"type": "role_and_internal_subordinates", "id": roles[spine // 2]["id"]}]
    sales += [{"type": "public_group", "id": g["id"]} for g in groups if rnd.random() < share / 4]
    return {"marketing": _dedupe(marketing), "sales": _dedupe(sales)}


def _dedupe(items: list[dict[str, str]]) -> list[dict[str, str]]:
    seen: set[tuple[str, str]] = set()
    out = []
    for m in items:
        if (m["type"], m["id"]) not in seen:
            seen.add((m["type"], m["id"]))
            out.append(m)
    return out
