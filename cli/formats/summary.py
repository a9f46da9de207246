from __future__ import annotations

from typing import Any


def user_label(result: dict[str, Any]) -> str:
    return result["user"].get("username") or result["user"]["id"]


def bu_label(result: dict[str, Any]) -> str:
    bu = result["business_unit"]
    return f"{bu.get('name') or bu['id']} ({bu['id']})"
