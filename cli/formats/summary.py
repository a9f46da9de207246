from __future__ import annotations

from typing import Any

from .words import Summary, summary_pairs


def summary(doc: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(business unit, code, number of users) for every code concluded."""
    s = Summary()
    for r in doc["results"]:
        s.add(summary_pairs(r))
    return s.rows()


def user_label(result: dict[str, Any]) -> str:
    return result["user"].get("username") or result["user"]["id"]


def bu_label(result: dict[str, Any]) -> str:
    bu = result["business_unit"]
    return f"{bu.get('name') or bu['id']} ({bu['id']})"
