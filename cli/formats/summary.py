from __future__ import annotations

from collections import Counter
from typing import Any


def summary(doc: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(business unit, code, number of users) for every code concluded."""
    counts: Counter[tuple[str, str]] = Counter()
    for r in doc["results"]:
        bu = r["business_unit"].get("name") or r["business_unit"]["id"]
        for v in r["verdicts"]:
            counts[(bu, v["code"])] += 1
    return sorted((bu, code, n) for (bu, code), n in counts.items())


def user_label(result: dict[str, Any]) -> str:
    return result["user"].get("username") or result["user"]["id"]


def bu_label(result: dict[str, Any]) -> str:
    bu = result["business_unit"]
    return f"{bu.get('name') or bu['id']} ({bu['id']})"
