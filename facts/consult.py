"""The consultation: facts no API exposes (the mode, the profile→role table, the legacy
recycle-bin setting, the BU's Marketing Users / Sales Users assignments…) are asked of the
engineer, but only those that decide something. The engine's undetermined list drives the
questions; each says which rule and article section needs it.

Answers come from a YAML file (`--answers`, schema engine/schema/answers.schema.json) or
from prompts (`--ask`); both become the same answer document and are applied by the same
code, recording each answered path in the snapshot's `sources` as stated by the engineer."""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from syncdoctor.engine.model import Ruleset
from syncdoctor.reading import schemas
from syncdoctor.reading.findings import Finding, FindingError, Span
from syncdoctor.reading.loader import RULE_FILE_LIMIT, load_file, locate, located_json, read_text
from syncdoctor.reading.words import closest

from . import ids, lookup
from .ids import same_id

TOPICS: dict[str, tuple[str, str]] = {
    # topic: (snapshot path below business_units[i], question)
    "sync_enabled": ("user_sync.enabled", "Is User Sync enabled for this business unit?"),
    "mode": ("user_sync.mode", "Which User Sync mode does this business unit use?"),
    "profile_roles": ("user_sync.profile_roles",
                      "Which profiles are checked in \"Map Salesforce Profiles to Account Engagement Roles\", "
                      "and to which role does each map?"),
    "move_to_recycle_bin_without_profile": ("user_sync.move_to_recycle_bin_without_profile",
                                            "Is \"Move Pardot user to the recycle bin when they no longer have an "
                                            "assigned profile\" turned on?"),
    "update_role_on_profile_change": ("user_sync.update_role_on_profile_change",
                                      "Is \"Update Pardot user role when a user's Salesforce profile changes\" turned on?"),
    "skip_matching_email": ("user_sync.skip_matching_email",
                            "Is \"Skip Salesforce user whose email address matches an existing user record in Pardot\" "
                            "turned on?"),
    "last_change": ("user_sync.last_change_at",
                    "When did anyone last change User Sync settings or user assignments for this business unit?"),
    "user_groups": ("user_groups", "Who is assigned to the Marketing Users and Sales Users groups "
                                   "(Business Unit Setup > Manage Users)?"),
    # Asked per user ({user}), only when whether they should have access decides something.
    "expected_access": ("expected_access", "Should {user} have Account Engagement access in business unit {business_unit}?"),
}
_PATH = re.compile(r"^business_units\[(\d+)\]\.(" + "|".join(re.escape(p) for p, _ in TOPICS.values()) + r")(?:[.\[].*)?$")
_TOPIC_OF = {p: t for t, (p, _) in TOPICS.items()}
# The legacy (profile-based) settings: not asked of a business unit known to manage users from Salesforce.
LEGACY_SETTINGS = ("move_to_recycle_bin_without_profile", "update_role_on_profile_change", "skip_matching_email")
ASSIGNMENT_TYPES = ("user", "public_group", "role", "role_and_subordinates", "role_and_internal_subordinates")


@dataclass(frozen=True)
class Reason:
    """A rule whose undecided conclusion (or whose reading of a fact) a question's answer decides."""
    rule: str
    title: str
    cites: str = ""  # "KB 000384042 · Section; ..."
    code: str | None = None
    kind: str | None = None

    @property
    def engine_text(self) -> str:
        """In the engine's terms (the JSON `why`): "rule X (CODE, kind), KB 000384042 · Section"."""
        head = f"rule {self.rule}" + (f" ({self.code}, {self.kind})" if self.code else "")
        return head + (f", {self.cites}" if self.cites else "")

    def words(self, debug: bool = False) -> str:
        """In the glossary's words: the verdict it decides, the rule's title and its sources (the
        engine's rule id only with --debug)."""
        head = f"it decides whether {self.code} ({self.kind}) applies: {self.title}" if self.code else self.title
        return head + (f" — {self.cites}" if self.cites else "") + (f" [rule {self.rule}]" if debug else "")


def _reason(ruleset: Ruleset, rule_id: str, code: str | None = None, kind: str | None = None) -> Reason:
    rule = ruleset.rule(rule_id)
    cites = "; ".join(dict.fromkeys(ruleset.citation_label(c) for c in rule.citations)) if rule else ""
    return Reason(rule_id, rule.title if rule else rule_id, cites, code, kind)


@dataclass
class Question:
    bu_index: int
    topic: str
    reasons: list[Reason] = field(default_factory=list)
    user_id: str | None = None  # the user a per-user topic (expected_access) is about

    def said(self, debug: bool = False) -> list[str]:
        """Why it is asked, in words (engine rule ids only with `debug`)."""
        return [r.words(debug) for r in self.reasons]

    @property
    def key(self) -> tuple[int, str]:
        return (self.bu_index, self.topic if self.user_id is None else f"{self.topic}:{ids.key(self.user_id)}")

    def text(self, data: dict[str, Any]) -> str:
        bu = (data.get("business_units") or [])[self.bu_index]
        return TOPICS[self.topic][1].format(user=_user_name(data, self.user_id), business_unit=bu.get("name") or bu["id"])

    def to_json(self, data: dict[str, Any]) -> dict[str, Any]:
        bu = (data.get("business_units") or [])[self.bu_index]
        path = f"business_units.{bu['id']}.{_answer_key(self.topic)}"
        if self.user_id is not None:
            path += f".{_user_name(data, self.user_id)}"
        out = {"business_unit": bu["id"], "business_unit_name": bu.get("name"), "topic": self.topic,
               "question": self.text(data), "answers_path": path, "why": [r.engine_text for r in self.reasons]}
        if self.user_id is not None:
            out["user"] = self.user_id
        return out


def _user_name(data: dict[str, Any], user_id: str | None) -> str:
    """The username of a user id (the id itself when the snapshot does not name it)."""
    for u in ((data.get("salesforce") or {}).get("users")) or []:
        if user_id and same_id(u["id"], user_id):
            return str(u.get("username") or u["id"])
    return str(user_id)


def _answer_key(topic: str) -> str:
    return "last_change_minutes_ago" if topic == "last_change" else topic


def questions_for(undetermined: list[list[dict[str, Any]]], ruleset: Ruleset) -> list[Question]:
    """The questions whose answers would decide something still undetermined, in a stable order.
    `undetermined` holds each diagnosis's undetermined list (Diagnosis.undetermined())."""
    found: dict[tuple[int, str], Question] = {}
    for entries in undetermined:
        for u in entries:
            for path in u["missing"]:
                m = _PATH.match(path)
                if not m:
                    continue
                topic = _TOPIC_OF[m.group(2)]
                user_id = path.rsplit(".", 1)[1] if topic == "expected_access" else None
                fresh = Question(int(m.group(1)), topic, user_id=user_id)
                q = found.setdefault(fresh.key, fresh)
                reason = _reason(ruleset, u["rule"], u["code"], u["kind"])
                if reason not in q.reasons:
                    q.reasons.append(reason)
    order = list(TOPICS)
    return sorted(found.values(), key=lambda q: (q.bu_index, order.index(q.topic), q.user_id or ""))


# What each topic feeds: (fact kind, field or None for any) - for questions asked without a diagnosis.
TOPIC_FACTS = {"sync_enabled": ("business_unit", "sync_enabled"), "mode": ("business_unit", "mode"),
               "profile_roles": ("profile_mapping", None),
               "move_to_recycle_bin_without_profile": ("business_unit", "move_to_recycle_bin_without_profile"),
               "update_role_on_profile_change": ("business_unit", "update_role_on_profile_change"),
               "skip_matching_email": ("business_unit", "skip_matching_email"),
               "last_change": ("business_unit", "changed_minutes_ago"), "user_groups": ("assignment", None),
               "expected_access": ("user", "expects_access")}


def open_questions(data: dict[str, Any], ruleset: Ruleset) -> list[Question]:
    """Every unknown topic of every business unit, for a collection without a diagnosis; the
    reasons are the rules that read the fact. A known mode skips the other mode's settings."""
    out = []
    for i, bu in enumerate(data.get("business_units") or []):
        sync = bu.get("user_sync") or {}
        for topic, (path, _) in TOPICS.items():
            head, _, leaf = path.partition(".")
            value = (sync.get(leaf) if head == "user_sync" else bu.get(head))
            if value is not None:
                continue
            if topic == "user_groups" and sync.get("mode") == "legacy":
                continue
            if topic in LEGACY_SETTINGS and sync.get("mode") == "managed":
                continue
            if topic == "expected_access":
                continue  # per user: asked only by a diagnosis it decides
            q = Question(i, topic)
            kind, fld = TOPIC_FACTS[topic]
            for rule in ruleset.active_rules:
                if any(p.fact == kind and (fld is None or any(getattr(c, "field", None) == fld for c in p.conditions))
                       for b in rule.branches() for p in b):
                    q.reasons.append(_reason(ruleset, rule.id))
            if q.reasons:
                out.append(q)
    return out


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
    out = copy.deepcopy(data)
    findings: list[Finding] = []
    at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    sources = out.setdefault("sources", {})
    reasons = out.get("unknown_reasons") or {}
    bus = out.get("business_units") or []

    def stated(path: str) -> None:
        sources[path] = {"source": "engineer", "via": via, "at": at}
        reasons.pop(path, None)

    answered_by: dict[int, str] = {}  # business unit index -> the key that answered for it
    for key, given in (answers.get("business_units") or {}).items():
        where = ["business_units", key]
        try:
            idx = lookup.find_business_unit(bus, str(key), "the snapshot")
        except lookup.LookupProblem as exc:
            known = ", ".join(f"{bu['id']} ({bu.get('name')})" for bu in bus) or "none"
            findings.append(Finding(locate(answers, where, Span(file)),
                                    "ambiguous-business-unit" if isinstance(exc, lookup.Ambiguous) else "unknown-business-unit",
                                    f"business_units.{key}: {exc}; it has: {known}"))
            continue
        if idx in answered_by:  # its name and its id: two answers, one silently lost
            findings.append(Finding(locate(answers, where, Span(file)), "duplicate-answer",
                                    f"business_units.{key}: the same business unit as business_units.{answered_by[idx]} "
                                    f"({bus[idx]['id']}): answer for it once"))
            continue
        answered_by[idx] = str(key)
        bu = bus[idx]
        base = f"business_units[{idx}]"
        sync = bu.get("user_sync") or {}
        bu["user_sync"] = sync
        if "sync_enabled" in given:
            sync["enabled"] = bool(given["sync_enabled"])
            stated(f"{base}.user_sync.enabled")
        for name in ("mode", *LEGACY_SETTINGS):
            if name in given:
                sync[name] = given[name]
                stated(f"{base}.user_sync.{name}")
        if "profile_roles" in given:
            sync["profile_roles"] = dict(given["profile_roles"])
            stated(f"{base}.user_sync.profile_roles")
        if "last_change_at" in given or "last_change_minutes_ago" in given:
            if "last_change_at" in given:
                sync["last_change_at"] = given["last_change_at"]
            else:
                now = _parse_ts(out.get("collected_at")) or datetime.now(timezone.utc)
                minutes = int(given["last_change_minutes_ago"])
                when = _minutes_before(now, minutes)
                if when is None:
                    findings.append(Finding(locate(answers, where + ["last_change_minutes_ago"], Span(file)), "schema",
                                            f"business_units.{key}.last_change_minutes_ago: {minutes:,} minutes before "
                                            f"{_iso(now)} is before year 1"))
                    continue
                sync["last_change_at"] = when
            stated(f"{base}.user_sync.last_change_at")
        if "user_groups" in given:
            groups: dict[str, list[dict[str, str]]] = {}
            for group in ("marketing", "sales"):
                groups[group] = []
                for j, entry in enumerate(given["user_groups"][group]):
                    try:
                        target = _resolve(out, entry, resolve_users)
                    except lookup.LookupProblem as exc:  # a name several users share
                        findings.append(Finding(locate(answers, where + ["user_groups", group, j], Span(file)), "ambiguous-name",
                                                f"business_units.{key}.user_groups.{group}[{j}]: {exc}"))
                        continue
                    if target is None:
                        findings.append(Finding(locate(answers, where + ["user_groups", group, j], Span(file)), "unknown-name",
                                                f"business_units.{key}.user_groups.{group}[{j}]: no {entry['type'].replace('_', ' ')} "
                                                f"named {entry.get('name') or entry.get('id')!r} in the snapshot"
                                                + ("; give its id instead" if entry.get("name") else "")))
                        continue
                    groups[group].append({"type": entry["type"], "id": target})
            bu["user_groups"] = groups
            stated(f"{base}.user_groups")
        user_by: dict[str, str] = {}  # user id -> the key that answered for them
        for j, (name, should) in enumerate((given.get("expected_access") or {}).items()):
            # An id is looked up like a name (its case restored by its suffix): an id that is
            # not in the snapshot is refused, never kept as an answer about nobody.
            try:
                uid = _resolve(out, {"type": "user", "name": name}, resolve_users)
            except lookup.LookupProblem as exc:
                findings.append(Finding(locate(answers, where + ["expected_access", name], Span(file)), "ambiguous-name",
                                        f"business_units.{key}.expected_access.{name}: {exc}"))
                continue
            if uid is None and resolve_users is not None and ids.looks_like_id(name):
                uid = name  # a live org: a user the snapshot did not collect may still exist
            if uid is None:
                findings.append(Finding(locate(answers, where + ["expected_access", name], Span(file)), "unknown-name",
                                        f"business_units.{key}.expected_access.{name}: no user named {name!r} "
                                        "in the snapshot; give their username or id"))
                continue
            if ids.key(uid) in user_by:
                findings.append(Finding(locate(answers, where + ["expected_access", name], Span(file)), "duplicate-answer",
                                        f"business_units.{key}.expected_access.{name}: the same user as "
                                        f"{user_by[ids.key(uid)]!r} ({uid}): answer for them once"))
                continue
            user_by[ids.key(uid)] = name
            given_access = bu.setdefault("expected_access", {})
            for written in [k for k in given_access if ids.looks_like_id(k) and ids.key(k) == ids.key(uid)]:
                del given_access[written]  # the snapshot's answer in another spelling: this one replaces it
            given_access[uid] = bool(should)
            stated(f"{base}.expected_access.{uid}")
    if findings:
        raise FindingError(findings)
    if reasons:
        out["unknown_reasons"] = reasons
    else:
        out.pop("unknown_reasons", None)
    return out


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


# -- asking ----------------------------------------------------------------------------------------
@dataclass
class Prompter:
    """Questions on stderr, answers from the terminal (click's prompt; also drives CliRunner input)."""

    echo: Callable[[str], None]
    choose: Callable[[str, list[str]], str]
    text: Callable[[str], str]


UNKNOWN = "don't know"


def ask(questions: list[Question], data: dict[str, Any], p: Prompter, resolve_users: Resolver | None = None,
        debug: bool = False) -> dict[str, Any]:
    """Ask each question; return an answers document (same shape as an --answers file). Why each
    is asked is said in the glossary's words (`debug`: with the engine's rule ids)."""
    answers: dict[str, Any] = {"answers_version": 1, "business_units": {}}
    for q in questions:
        bu = (data.get("business_units") or [])[q.bu_index]
        p.echo(f"\nBusiness unit {bu.get('name') or bu['id']} ({bu['id']})")
        p.echo(f"? {q.text(data)}")
        for reason in q.said(debug):
            p.echo(f"  asked because {reason}")
        value = _ask_one(q.topic, data, p, resolve_users)
        if value is None:
            continue
        given = answers["business_units"].setdefault(bu["id"], {})
        if q.user_id is not None:
            given.setdefault(_answer_key(q.topic), {})[_user_name(data, q.user_id)] = value
        else:
            given[_answer_key(q.topic)] = value
    return answers


def _yes_no(p: Prompter, label: str) -> bool | None:
    choice = p.choose(label, ["yes", "no", UNKNOWN])
    return None if choice == UNKNOWN else choice == "yes"


def _ask_one(topic: str, data: dict[str, Any], p: Prompter, resolve_users: Resolver | None) -> Any:
    if topic in ("sync_enabled", *LEGACY_SETTINGS, "expected_access"):
        return _yes_no(p, "answer")
    if topic == "mode":
        p.echo("  legacy  = enabled, but not opted into Salesforce-managed users (profile-based)")
        p.echo("  managed = user management transferred to Salesforce (Marketing Users / Sales Users groups)")
        choice = p.choose("mode", ["legacy", "managed", UNKNOWN])
        return None if choice == UNKNOWN else choice
    if topic == "last_change":
        while True:
            raw = p.text("minutes ago (blank if you don't know)").strip()
            if not raw:
                return None
            minutes = whole_number(raw, 0, MAX_MINUTES)
            if minutes is not None:
                return minutes
            p.echo(f"  a whole number of minutes from 0 to {MAX_MINUTES:,} (100 years), please")
    if topic == "profile_roles":
        sf = data.get("salesforce") or {}
        profiles = sorted(set(sf.get("profiles") or []) | {u["profile"] for u in sf.get("users") or [] if u.get("profile")})
        for i, name in enumerate(profiles, 1):
            p.echo(f"  {i}. {name}")
        while True:
            raw = p.text("numbers of the checked profiles, comma-separated ('none' if none is checked, blank if you don't know)").strip()
            if not raw:
                return None
            if raw.lower() == "none":
                return {}
            picks = [x.strip() for x in raw.split(",") if x.strip()]
            if all(whole_number(x, 1, len(profiles)) is not None for x in picks):
                break
            p.echo(f"  numbers between 1 and {len(profiles)}, please")
        table = {}
        for x in picks:
            name = profiles[int(x) - 1]  # ASCII digits in range: checked above
            role = p.choose(f"Account Engagement role for {name}", ["Administrator", "Marketing", "Sales", "Sales Manager", UNKNOWN])
            if role == UNKNOWN:
                return None  # a table with a role not known is not known
            table[name] = role
        return table
    if topic == "user_groups":
        groups: dict[str, list[dict[str, str]]] = {}
        for group in ("marketing", "sales"):
            label = "Marketing Users" if group == "marketing" else "Sales Users"
            entries: list[dict[str, str]] = []
            while True:
                kind = p.choose(f"add an assignment to {label}", list(ASSIGNMENT_TYPES) + ["done", UNKNOWN])
                if kind == UNKNOWN:
                    return None
                if kind == "done":
                    break
                while True:
                    name = p.text(f"{kind.replace('_', ' ')}: name or id (username for a user)").strip()
                    # A name first (a role may well be called "SalesManagersUS"); an id only when no
                    # record has that name and the text is shaped like one.
                    entry = {"type": kind, "name": name}
                    try:
                        found = _resolve(data, entry, resolve_users) is not None
                    except lookup.Ambiguous as exc:
                        p.echo(f"  {exc}")
                        continue
                    if not found and ids.looks_like_id(name):
                        try:
                            by_id = _resolve(data, {"type": kind, "id": name}, resolve_users)
                        except lookup.LookupProblem as exc:
                            p.echo(f"  {exc}")
                            continue
                        if by_id is not None:
                            entry, found = {"type": kind, "id": by_id}, True
                    if found:
                        entries.append(entry)
                        break
                    near = closest(name, _names(data, kind))
                    hint = f" (did you mean {near!r}?)" if near else ""
                    p.echo(f"  no {kind.replace('_', ' ')} named {name!r} in the collected facts{hint}; try again (or give its id)")
            groups[group] = entries
        return groups
    raise ValueError(topic)  # pragma: no cover - TOPICS is closed
