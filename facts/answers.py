"""The answers of the consultation: an answers file (`--answers`, schema
engine/schema/answers.schema.json) or the prompts' document (facts/consult.py), applied to a
copy of the snapshot by one function, recording each answered path in `sources` as stated by
the engineer; names and ids in answers resolved against the snapshot (or a live org)."""
from __future__ import annotations

import copy
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from syncdoctor.reading import schemas
from syncdoctor.reading.findings import Finding, FindingError, Span
from syncdoctor.reading.loader import RULE_FILE_LIMIT, load_file, locate, located_json, read_text

from . import ids, lookup
from .questions import LEGACY_SETTINGS


# -- the answers file ------------------------------------------------------------------------------
def load_answers(path: Path) -> tuple[dict[str, Any], str]:
    data = load_file(path, RULE_FILE_LIMIT)  # YAML, or JSON by its extension
    findings = schemas.check("answers", data, str(path))
    if findings and path.suffix.lower() == ".json":
        located = located_json(read_text(path, RULE_FILE_LIMIT), str(path))  # findings with lines
        if located is not None and located == data:
            findings = schemas.check("answers", located, str(path))
    if findings:
        raise FindingError(findings)
    return data, str(path)


# -- applying answers ------------------------------------------------------------------------------
Resolver = Callable[[list[str]], list[dict[str, Any]]]  # usernames -> user records (collect mode)


def apply_answers(data: dict[str, Any], answers: dict[str, Any], via: str, *, file: str = "",
                  resolve_users: Resolver | None = None) -> dict[str, Any]:
    """A copy of the snapshot data with the answers set, each answered path recorded in `sources`
    as stated by the engineer. Unknown business units or names are located findings."""
    run = _Applying(copy.deepcopy(data), answers, via, file, resolve_users)
    bus = run.out.get("business_units") or []
    answered_by: dict[int, str] = {}  # business unit index -> the key that answered for it
    for key, given in (answers.get("business_units") or {}).items():
        where = ["business_units", key]
        try:
            idx = lookup.find_business_unit(bus, str(key), "the snapshot")
        except lookup.LookupProblem as exc:
            known = ", ".join(f"{bu['id']} ({bu.get('name')})" for bu in bus) or "none"
            run.finding(where, "ambiguous-business-unit" if isinstance(exc, lookup.Ambiguous) else "unknown-business-unit",
                        f"business_units.{key}: {exc}; it has: {known}")
            continue
        if idx in answered_by:  # its name and its id: two answers, one silently lost
            run.finding(where, "duplicate-answer", f"business_units.{key}: the same business unit as "
                        f"business_units.{answered_by[idx]} ({bus[idx]['id']}): answer for it once")
            continue
        answered_by[idx] = str(key)
        run.business_unit(bus[idx], f"business_units[{idx}]", str(key), given, where)
    if run.findings:
        raise FindingError(run.findings)
    if run.reasons:
        run.out["unknown_reasons"] = run.reasons
    else:
        run.out.pop("unknown_reasons", None)
    return run.out


class _Applying:
    """One application of answers to a copy of the snapshot data (`out`): what each answer sets,
    each answered path recorded as stated by the engineer, and the findings on the way."""

    def __init__(self, out: dict[str, Any], answers: dict[str, Any], via: str, file: str,
                 resolve_users: Resolver | None) -> None:
        self.out, self.answers, self.via, self.file, self.resolve_users = out, answers, via, file, resolve_users
        self.findings: list[Finding] = []
        self.at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        self.sources = out.setdefault("sources", {})
        self.reasons = out.get("unknown_reasons") or {}

    def stated(self, path: str) -> None:
        self.sources[path] = {"source": "engineer", "via": self.via, "at": self.at}
        self.reasons.pop(path, None)

    def finding(self, where: list[Any], code: str, message: str) -> None:
        self.findings.append(Finding(locate(self.answers, where, Span(self.file)), code, message))

    def business_unit(self, bu: dict[str, Any], base: str, key: str, given: dict[str, Any], where: list[Any]) -> None:
        """One business unit's answers, in the order an answers file lists them."""
        sync = bu.get("user_sync") or {}
        bu["user_sync"] = sync
        if "sync_enabled" in given:
            sync["enabled"] = bool(given["sync_enabled"])
            self.stated(f"{base}.user_sync.enabled")
        for name in ("mode", *LEGACY_SETTINGS):
            if name in given:
                sync[name] = given[name]
                self.stated(f"{base}.user_sync.{name}")
        if "profile_roles" in given:
            sync["profile_roles"] = dict(given["profile_roles"])
            self.stated(f"{base}.user_sync.profile_roles")
        if "last_change_at" in given or "last_change_minutes_ago" in given:
            if not self.last_change(sync, key, given, where):
                return  # a time before year 1: the rest of this business unit's answers wait for a good one
            self.stated(f"{base}.user_sync.last_change_at")
        if "user_groups" in given:
            bu["user_groups"] = self.user_groups(key, given["user_groups"], where)
            self.stated(f"{base}.user_groups")
        self.expected_access(bu, base, key, given.get("expected_access") or {}, where)

    def last_change(self, sync: dict[str, Any], key: str, given: dict[str, Any], where: list[Any]) -> bool:
        if "last_change_at" in given:
            sync["last_change_at"] = given["last_change_at"]
            return True
        now = _parse_ts(self.out.get("collected_at")) or datetime.now(timezone.utc)
        minutes = int(given["last_change_minutes_ago"])
        when = _minutes_before(now, minutes)
        if when is None:
            self.finding(where + ["last_change_minutes_ago"], "schema", f"business_units.{key}.last_change_minutes_ago: "
                         f"{minutes:,} minutes before {_iso(now)} is before year 1")
            return False
        sync["last_change_at"] = when
        return True

    def user_groups(self, key: str, given: dict[str, Any], where: list[Any]) -> dict[str, list[dict[str, str]]]:
        groups: dict[str, list[dict[str, str]]] = {}
        for group in ("marketing", "sales"):
            groups[group] = []
            for j, entry in enumerate(given[group]):
                here = where + ["user_groups", group, j]
                try:
                    target = _resolve(self.out, entry, self.resolve_users)
                except lookup.LookupProblem as exc:  # a name several users share
                    self.finding(here, "ambiguous-name", f"business_units.{key}.user_groups.{group}[{j}]: {exc}")
                    continue
                if target is None:
                    self.finding(here, "unknown-name",
                                 f"business_units.{key}.user_groups.{group}[{j}]: no {entry['type'].replace('_', ' ')} "
                                 f"named {entry.get('name') or entry.get('id')!r} in the snapshot"
                                 + ("; give its id instead" if entry.get("name") else ""))
                    continue
                groups[group].append({"type": entry["type"], "id": target})
        return groups

    def expected_access(self, bu: dict[str, Any], base: str, key: str, given: dict[str, Any], where: list[Any]) -> None:
        user_by: dict[str, str] = {}  # user id -> the key that answered for them
        for name, should in given.items():
            here, said = where + ["expected_access", name], f"business_units.{key}.expected_access.{name}"
            # An id is looked up like a name (its case restored by its suffix): an id that is
            # not in the snapshot is refused, never kept as an answer about nobody.
            try:
                uid = _resolve(self.out, {"type": "user", "name": name}, self.resolve_users)
            except lookup.LookupProblem as exc:
                self.finding(here, "ambiguous-name", f"{said}: {exc}")
                continue
            if uid is None and self.resolve_users is not None and ids.looks_like_id(name):
                uid = name  # a live org: a user the snapshot did not collect may still exist
            if uid is None:
                self.finding(here, "unknown-name", f"{said}: no user named {name!r} in the snapshot; give their username or id")
                continue
            if ids.key(uid) in user_by:
                self.finding(here, "duplicate-answer", f"{said}: the same user as {user_by[ids.key(uid)]!r} ({uid}): "
                             "answer for them once")
                continue
            user_by[ids.key(uid)] = name
            given_access = bu.setdefault("expected_access", {})
            for written in [k for k in given_access if ids.looks_like_id(k) and ids.key(k) == ids.key(uid)]:
                del given_access[written]  # the snapshot's answer in another spelling: this one replaces it
            given_access[uid] = bool(should)
            self.stated(f"{base}.expected_access.{uid}")


MAX_MINUTES = 52_560_000  # 100 years: the bound engine/schema/answers.schema.json puts on last_change_minutes_ago
_ASCII_NUMBER = re.compile(r"[0-9]{1,12}")


def whole_number(raw: str, low: int, high: int) -> int | None:
    """`raw` as a whole number from `low` to `high` (ASCII digits only: "²" and "٣" are digits
    to str.isdigit, not to int), or None."""
    if not _ASCII_NUMBER.fullmatch(raw):
        return None
    n = int(raw)
    return n if low <= n <= high else None


def _iso(when: datetime) -> str:
    """ISO 8601 with a four-digit year (strftime writes year 999 as "999", which no parser takes)."""
    return f"{when.year:04d}-{when.month:02d}-{when.day:02d}T{when.hour:02d}:{when.minute:02d}:{when.second:02d}Z"


def _minutes_before(now: datetime, minutes: int) -> str | None:
    try:
        return _iso((now - timedelta(minutes=minutes)).astimezone(timezone.utc))
    except (OverflowError, ValueError):
        return None  # before year 1


def _parse_ts(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


def _names(data: dict[str, Any], kind: str) -> list[str]:
    """What an answer of this assignment type may name: usernames, public group or role names."""
    sf = data.get("salesforce") or {}
    if kind == "user":
        return [str(u["username"]) for u in sf.get("users") or [] if u.get("username")]
    pool = sf.get("public_groups") if kind == "public_group" else sf.get("roles")
    return [str(x["name"]) for x in pool or [] if x.get("name")]


def _resolve(data: dict[str, Any], entry: dict[str, Any], resolve_users: Resolver | None) -> str | None:
    """The id of the record an answer names (by name, or by an id in any spelling: the spelling
    the snapshot declares it with); None when the snapshot does not hold it."""
    sf = data.get("salesforce") or {}
    if entry.get("id"):
        return _resolve_id(sf, entry["type"], str(entry["id"]), resolve_users)
    name = str(entry["name"])
    if entry["type"] == "user":
        lowered = name.lower()
        users = sf.get("users") or []
        try:  # username wins over email; an email several users share is ambiguous (raised)
            return str(users[lookup.find_user(users, name, "the snapshot")]["id"])
        except lookup.Ambiguous:
            raise
        except lookup.LookupProblem:
            pass
        if resolve_users is not None:
            for u in resolve_users([name]):
                if (u.get("username") or "").lower() == lowered:
                    return str(u["id"])
        return None
    pool = sf.get("public_groups") if entry["type"] == "public_group" else sf.get("roles")
    matches = [x for x in pool or [] if x.get("name") == name]
    if len(matches) > 1:  # names of roles and groups are not unique: never pick the first
        raise lookup.Ambiguous(f"{entry['type'].replace('_', ' ')} {name!r} is ambiguous in the snapshot: it matches "
                               + ", ".join(f"{x.get('name')} ({x['id']})" for x in matches) + "; give its id instead")
    return str(matches[0]["id"]) if matches else None


def _resolve_id(sf: dict[str, Any], kind: str, sfid: str, resolve_users: Resolver | None) -> str | None:
    """An answer's id: a user the snapshot holds (any user, on a live org: its list of users is
    never complete), or a role or public group its complete list holds."""
    if not ids.looks_like_id(sfid):
        return None
    pool = sf.get("users") if kind == "user" else sf.get("public_groups") if kind == "public_group" else sf.get("roles")
    if not isinstance(pool, list):
        return sfid  # that list is unknown: nothing to check the id against
    known = ids.Identities()
    for x in pool:
        if isinstance(x.get("id"), str):
            known.declare(x["id"])
    try:
        found = known.resolve(sfid)
    except ids.BadId as exc:
        raise lookup.LookupProblem(str(exc)) from None
    if found is None and kind == "user" and resolve_users is not None:
        return sfid
    return found
