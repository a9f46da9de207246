"""The questions of the consultation: facts no API exposes (the mode, the profile→role table,
the legacy settings, the business unit's Marketing Users / Sales Users assignments…), each
topic with the snapshot path its answer fills, asked only where the engine's undetermined list
says an answer decides something, and why, in the glossary's words (facts/consult.py asks them,
facts/answers.py applies the answers)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from syncdoctor.engine.model import Ruleset

from . import ids
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
    # the glossary's words for each assignment type (`role_and_subordinates` -> "Role and
    # Subordinates"), for the prompts of the user_groups topic
    words: dict[str, str] = field(default_factory=dict)

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


def _type_words(ruleset: Ruleset) -> dict[str, str]:
    return dict(ruleset.value_words.get(("assignment", "type"), {}))


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
                fresh = Question(int(m.group(1)), topic, user_id=user_id, words=_type_words(ruleset))
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
            q = Question(i, topic, words=_type_words(ruleset))
            kind, fld = TOPIC_FACTS[topic]
            for rule in ruleset.active_rules:
                if any(p.fact == kind and (fld is None or any(getattr(c, "field", None) == fld for c in p.conditions))
                       for b in rule.branches() for p in b):
                    q.reasons.append(_reason(ruleset, rule.id))
            if q.reasons:
                out.append(q)
    return out
