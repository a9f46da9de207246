"""Which input facts and fields the snapshot provides: found by building the facts of a sample
snapshot that sets every field it can hold, so the answer follows facts/snapshot.py's code and
cannot drift from it. `rules check` uses it: a field added to the vocabulary and never provided
would leave every rule testing it undetermined, and `diagnose` would ask for a snapshot path
the snapshot schema refuses (docs/authoring.md, "Add an input field")."""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

U1, U2, BU, G1, R1, R2 = ("0055e000000U001AAA", "0055e000000U002AAA", "0Uv5e0000000001CAA",
                          "00G5e000000GRP1AAA", "00E5e000000ROL1AAA", "00E5e000000ROL2AAA")
SAMPLE: dict[str, Any] = {
    "snapshot_version": 1, "collected_at": "2026-11-28T10:00:00Z",
    "business_units": [{
        "id": BU, "name": "Sample",
        "user_sync": {"enabled": True, "mode": "legacy", "last_change_at": "2026-11-20T09:10:00Z",
                      "profile_roles": {"Marketing User": "Marketing"},
                      "move_to_recycle_bin_without_profile": True, "update_role_on_profile_change": True,
                      "skip_matching_email": True},
        "user_groups": {"marketing": [{"type": "public_group", "id": G1}], "sales": [{"type": "user", "id": U1}]},
        "expected_access": {U1: True},
    }],
    "salesforce": {
        "users": [{"id": U1, "username": "a@sample.example", "email": "a@sample.example", "is_active": True,
                   "profile": "Marketing User", "role_id": R1, "last_modified_at": "2026-11-20T12:00:00Z",
                   "user_type": "Standard", "license": "Salesforce"},
                  {"id": U2, "username": "b@sample.example", "email": "b@sample.example", "is_active": True,
                   "profile": "Marketing User", "role_id": None, "last_modified_at": "2026-11-20T12:00:00Z"}],
        "roles": [{"id": R2, "name": "Top", "parent_id": None, "portal_type": "None"},
                  {"id": R1, "name": "Below", "parent_id": R2, "portal_type": "None"}],
        "public_groups": [{"id": G1, "name": "Team", "members": [{"type": "role_and_subordinates", "id": R2}]}],
    },
    "account_engagement": {"users": [
        {"id": 1, "business_unit_id": BU, "email": "a@sample.example", "salesforce_id": U1, "role": "Marketing",
         "in_recycle_bin": False, "username": "a@sample.example", "updated_at": "2026-11-20T12:00:00Z",
         "updated_by_id": U2},
        {"id": 2, "business_unit_id": BU, "email": "b@sample.example", "salesforce_id": U2, "role": "Sales",
         "in_recycle_bin": True}]},
}


@lru_cache(maxsize=1)
def input_fields() -> dict[str, frozenset[str]]:
    """Fact kind -> the fields the snapshot provides for it (those of the sample's facts)."""
    from .snapshot import parse_snapshot
    snap = parse_snapshot(json.dumps(SAMPLE), "(the sample snapshot of facts/fields.py)", fmt="json")
    found: dict[str, set[str]] = {}
    factset = snap.factset(0, 0, None)
    pool = factset.pool
    facts = list(factset.facts) + (list(pool.facts) if pool is not None else [])
    for f in facts:
        found.setdefault(f.kind, set()).update(f.values)
    return {k: frozenset(v) for k, v in found.items()}
