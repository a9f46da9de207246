"""The consultation: facts no API exposes (the mode, the profile→role table, the legacy
recycle-bin setting, the BU's Marketing Users / Sales Users assignments…) are asked of the
engineer, but only those that decide something. The engine's undetermined list drives the
questions; each says which rule and article section needs it.

Answers come from a YAML file (`--answers`, schema engine/schema/answers.schema.json) or
from prompts (`--ask`); both become the same answer document and are applied by the same
code, recording each answered path in the snapshot's `sources` as stated by the engineer."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from syncdoctor.reading.words import closest, visible

from . import ids, lookup
# The consultation's parts, named here for the callers of `consult`: the questions and why
# (facts/questions.py), the answers and how they are applied (facts/answers.py).
from .answers import MAX_MINUTES, Resolver, _iso, _names, _resolve, apply_answers, load_answers, whole_number
from .questions import (ASSIGNMENT_TYPES, LEGACY_SETTINGS, TOPIC_FACTS, TOPICS, Question, Reason, _answer_key, _user_name,
                        open_questions, questions_for)

__all__ = ["ASSIGNMENT_TYPES", "LEGACY_SETTINGS", "MAX_MINUTES", "TOPICS", "TOPIC_FACTS", "UNKNOWN", "Prompter", "Question",
           "Reason", "Resolver", "apply_answers", "ask", "load_answers", "open_questions", "questions_for", "whole_number"]


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
        # one line each: an org's name with a line break shown as in every other terminal line
        p.echo(f"\nBusiness unit {visible(bu.get('name') or bu['id'])} ({visible(bu['id'])})")
        p.echo(f"? {visible(q.text(data))}")
        for reason in q.said(debug):
            p.echo(f"  asked because {visible(reason)}")
        value = _ask_one(q.topic, data, p, resolve_users, q.words)
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


def _ask_one(topic: str, data: dict[str, Any], p: Prompter, resolve_users: Resolver | None,
             words: dict[str, str] | None = None) -> Any:
    """One answer; `words`: the glossary's words for the assignment types (what each choice means)."""
    if topic in ("sync_enabled", *LEGACY_SETTINGS, "expected_access"):
        return _yes_no(p, "answer")
    if topic == "user_groups":
        return _ask_user_groups(data, p, resolve_users, words)
    ask = _ASK.get(topic)
    if ask is None:
        raise ValueError(topic)  # pragma: no cover - TOPICS is closed
    return ask(data, p)


def _ask_mode(data: dict[str, Any], p: Prompter) -> str | None:
    p.echo("  legacy  = enabled, but not opted into Salesforce-managed users (profile-based)")
    p.echo("  managed = user management transferred to Salesforce (Marketing Users / Sales Users groups)")
    choice = p.choose("mode", ["legacy", "managed", UNKNOWN])
    return None if choice == UNKNOWN else choice


def _ask_last_change(data: dict[str, Any], p: Prompter) -> int | None:
    while True:
        raw = p.text("minutes ago (blank if you don't know)").strip()
        if not raw:
            return None
        minutes = whole_number(raw, 0, MAX_MINUTES)
        if minutes is not None:
            return minutes
        p.echo(f"  a whole number of minutes from 0 to {MAX_MINUTES:,} (100 years), please")


def _ask_profile_roles(data: dict[str, Any], p: Prompter) -> dict[str, str] | None:
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


_ASK: dict[str, Callable[[dict[str, Any], Prompter], Any]] = {
    "mode": _ask_mode, "last_change": _ask_last_change, "profile_roles": _ask_profile_roles}


def _ask_user_groups(data: dict[str, Any], p: Prompter, resolve_users: Resolver | None,
                     words: dict[str, str] | None) -> dict[str, list[dict[str, str]]] | None:
    said = {kind: (words or {}).get(kind) or kind.replace("_", " ") for kind in ASSIGNMENT_TYPES}
    if words:
        for kind in ASSIGNMENT_TYPES:
            p.echo(f"  {kind:<31}= {said[kind]}")
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
            entries.append(_ask_assignment(data, p, resolve_users, kind, said[kind]))
        groups[group] = entries
    return groups


def _ask_assignment(data: dict[str, Any], p: Prompter, resolve_users: Resolver | None, kind: str,
                    said: str) -> dict[str, str]:
    """One assignment of `kind`, asked again until it names a record of the collected facts."""
    while True:
        name = p.text(f"{said}: name or id (username for a user)").strip()
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
            return entry
        near = closest(name, _names(data, kind))
        hint = f" (did you mean {near!r}?)" if near else ""
        p.echo(f"  no {said} named {name!r} in the collected facts{hint}; try again (or give its id)")
