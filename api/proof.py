"""A verdict's proof in plain words, for every report format and for `explain`, computed below the
CLI (api/shown.py hands each result's words to the formats as plain data): each rule that
fired (by its title), the facts it matched (by what they are and their names, in the
vocabulary's words, never engine ids or field names), how derived facts were derived, and each
negated condition that held with the lists whose completeness makes it known ("nothing shows
the user is assigned … — known, because the snapshot holds these lists whole: the business
unit's Marketing Users and Sales Users assignments"): only the lists the diagnosis had whole
(its facts' `known_lists`), never one the snapshot has null or lacks. Also the words for a fact the snapshot lacks (`missing`), as an admin looks for it.

The formats add only their markup around these lines (text indents, Markdown nests lists, HTML
folds `<details>`). With `debug`, each line also names the engine's ids and field names."""
from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass, field
from typing import Any, Collection, Iterable

from syncdoctor.engine.model import AnyOf, Condition, FactDef, Pattern, Rule, Ruleset
from syncdoctor.facts.mapping import field_at
from syncdoctor.reading.words import plain

PROOF_DEPTH = 60  # derived facts followed down this far (a role chain is bounded well below)
# The field that names one fact of a kind, in the order tried (the first present is the name).
_NAME_FIELDS = ("username", "name", "group_name", "email", "profile", "ae_ref", "reason", "how", "says", "what",
                "path", "ae_id")


@dataclass
class Line:
    """One line of a proof, and the lines that support it."""
    text: str
    children: list["Line"] = field(default_factory=list)


@lru_cache(maxsize=4096)
def _sentence(description: str) -> str:
    """A vocabulary description's first clause, without parentheses or code: a noun phrase."""
    text = re.sub(r"\s*\([^)]*\)", "", description.strip()).split(", `")[0].replace("`", "")
    text = re.split(r"(?<=[a-z])\. |; ", text)[0].rstrip(".")
    return text[:1].lower() + text[1:]


def yes_no(value: Any) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    return plain(value)


class ProofWords:
    """Plain words over one ruleset: facts, conditions, proofs, missing facts."""

    def __init__(self, ruleset: Ruleset, *, debug: bool = False, business_units: Iterable[str] = ()) -> None:
        self.ruleset, self.debug = ruleset, debug
        self.business_units = list(business_units)  # names by snapshot index, for missing facts
        # the same words for every result of a scan: computed once per rule, fact kind and list
        self._lists: dict[str, list[str]] = {}
        self._branches: dict[str, list[tuple[Pattern, ...]]] = {}
        self._rule_words: dict[str, str] = {}
        self._rules = {r.id: r for r in ruleset.rules}

    # -- facts and fields -------------------------------------------------------------------------
    def _fdef(self, kind: str) -> FactDef | None:
        return self.ruleset.vocabulary.facts.get(kind)

    def kind_words(self, kind: str) -> str:
        fd = self._fdef(kind)
        return _sentence(fd.description) if fd else kind.replace("_", " ")

    def field_words(self, kind: str, name: str) -> str:
        fd = self._fdef(kind)
        fdef = fd.fields.get(name) if fd else None
        desc = fdef.description if fdef else ""
        if not desc or "=" in desc or desc.startswith("`"):
            return name.replace("_", " ")
        return _sentence(desc)

    def fact(self, kind: str, values: dict[str, Any], fid: str = "") -> str:
        """'the Salesforce user being diagnosed: asmith@acme.example'."""
        name = next((values[k] for k in _NAME_FIELDS if values.get(k) not in (None, "")), None)
        text = self.kind_words(kind) + (f": {plain(name)}" if name is not None else "")
        return text + (f" [{fid} {kind}]" if self.debug and fid else "")

    def value(self, kind: str, name: str, value: Any) -> str:
        """A field's value in words: the glossary's screen name where the vocabulary's `shown_as`
        names one (`marketing` -> "Marketing Users group"), else yes/no or the value itself. Every
        value a proof, explain or --why-not shows goes through here."""
        if isinstance(value, str) and (screen := self.ruleset.value_words.get((kind, name), {}).get(value)):
            return screen
        return yes_no(value)

    # -- conditions -------------------------------------------------------------------------------
    def wanted(self, kind: str, c: Any, aliases: dict[str, str]) -> str:
        """What a condition asks of a field, in words: 'whether User Sync is enabled: yes'."""
        if isinstance(c, AnyOf):
            return "one of: " + "; or ".join(self.wanted(kind, x, aliases) for x in c.conditions)
        what = self.field_words(kind, c.field)
        case = " (ignoring case)" if c.ignore_case else ""
        if c.op in ("same_as", "differs_from"):
            alias, other = c.value
            okind = aliases.get(alias, alias)
            rel = "the same as" if c.op == "same_as" else "not the same as"
            return f"{what}: {rel} {self.field_words(okind, other)} of {self.kind_words(okind)}{case}"
        if c.op in ("is_unknown", "is_known"):
            return f"{what}: {'not known' if c.op == 'is_unknown' else 'known'}"
        ops = {"equals": "", "not_equals": "not ", "one_of": "one of ", "less_than": "less than ",
               "at_most": "at most ", "greater_than": "more than ", "at_least": "at least "}
        value = (", ".join(self.value(kind, c.field, v) for v in c.value) if c.op == "one_of"
                 else self.value(kind, c.field, c.value))
        return f"{what}: {ops.get(c.op, c.op + ' ')}{value}{case}" + (f" [{c.field} {c.op}]" if self.debug else "")

    def absent(self, p: Pattern, aliases: dict[str, str], held: bool = True, whole: Collection[str] = ()) -> str:
        """A negated condition: what nothing shows, and (`held`) why its absence is known: the
        lists behind it that the diagnosis had `whole` (its facts' known_lists)."""
        where = "; ".join(self.wanted(p.fact, c, aliases) for c in p.conditions)
        if not held:
            return f"nothing shows {self.kind_words(p.fact)}{' (' + where + ')' if where else ''}"
        lists = self.lists_behind(p.fact, whole)
        known = (f" — known, because the snapshot holds these lists whole: {'; '.join(lists)}" if lists
                 else " — known, because every rule that could show it has run")
        return f"nothing shows {self.kind_words(p.fact)}{' (' + where + ')' if where else ''}{known}"

    def lists_behind(self, kind: str, whole: Collection[str]) -> list[str]:
        """The lists (in words) whose completeness decides that no fact of `kind` exists, of
        those the diagnosis had `whole`: its own for an input fact, those behind the facts its
        deriving rules match for a derived one. A list the snapshot has null or lacks is not
        whole, and is never named."""
        if kind not in self._lists:
            self._lists[kind] = self._lists_behind(kind)
        lists = self.ruleset.vocabulary.lists
        return list(dict.fromkeys(lists[n].description if n in lists else n for n in self._lists[kind] if n in whole))

    def _lists_behind(self, kind: str, seen: frozenset[str] = frozenset()) -> list[str]:
        fd = self._fdef(kind)
        if fd is None or kind in seen:
            return []
        out = list(fd.complete_when)  # list names (vocabulary `lists`)
        if fd.origin == "derived":
            for rule in self.ruleset.active_rules:
                if rule.derive is None or rule.derive.fact != kind:
                    continue
                for branch in rule.branches():
                    for p in branch:
                        if not p.negated:
                            out += [x for x in self._lists_behind(p.fact, seen | {kind}) if x not in out]
        return list(dict.fromkeys(out))

    # -- a proof ------------------------------------------------------------------------------------
    def rule_words(self, rule: Rule) -> str:
        if rule.id not in self._rule_words:
            self._rule_words[rule.id] = self._words_of(rule)
        return self._rule_words[rule.id]

    def _words_of(self, rule: Rule) -> str:
        cites = "; ".join(f"{c['source_title']} · {c['section_title'] or c['section']} ({c['basis']})"
                          for c in self.ruleset.cited(rule))
        text = f"{rule.title}" + (f" — {cites}" if cites else "")
        return text + (f" [rule {rule.id} v{rule.version}]" if self.debug else "")

    def verdict_proof(self, result: dict[str, Any], verdict: dict[str, Any], whole: Collection[str] = ()) -> list[Line]:
        """The proof of one verdict of a result (full layout: `trace` and `facts`); `whole`: the
        lists its diagnosis had whole."""
        firings = {f["id"]: f for f in result.get("trace", [])}
        facts = {f["id"]: f for f in result.get("facts", [])}
        return [self.firing(firings[fid], firings, facts, 0, whole) for fid in verdict.get("evidence", []) if fid in firings]

    def firing(self, firing: dict[str, Any], firings: dict[str, Any], facts: dict[str, Any], depth: int,
               whole: Collection[str] = ()) -> Line:
        rule = self._rules.get(firing["rule"])
        if rule is None:  # a rule this ruleset does not have (a record replayed under other rules)
            return Line(f"a rule of another ruleset ({firing['rule']})")
        if rule.id not in self._branches:
            self._branches[rule.id] = rule.branches()
        patterns = self._branches[rule.id][firing.get("branch", 0)]
        aliases = {p.alias: p.fact for p in patterns}
        line = Line(("because: " if depth == 0 else "derived by: ") + self.rule_words(rule))
        for p in patterns:
            if p.negated:
                line.children.append(Line(self.absent(p, aliases, whole=whole)))
                continue
            fact = facts.get(firing["matched"].get(p.alias, ""))
            if fact is None:
                continue
            text = self.fact(fact["kind"], fact["values"], fact["id"])
            conds = [self._held(p.fact, c, fact["values"], aliases) for c in p.conditions]
            text += (" — " + "; ".join(conds) if conds else "") + self.origin(fact["provenance"], fact["kind"])
            node = Line(text)
            prov = fact["provenance"]
            if prov.get("source") == "derived" and prov.get("firing") in firings and depth < PROOF_DEPTH:
                node.children.append(self.firing(firings[prov["firing"]], firings, facts, depth + 1, whole))
            line.children.append(node)
        return line

    def _held(self, kind: str, c: Any, values: dict[str, Any], aliases: dict[str, str]) -> str:
        if isinstance(c, Condition) and c.op not in ("same_as", "differs_from", "is_unknown", "is_known"):
            return f"{self.field_words(kind, c.field)}: {self.value(kind, c.field, values.get(c.field))}"
        return self.wanted(kind, c, aliases)

    def origin(self, prov: dict[str, Any], kind: str = "") -> str:
        """Where an input fact comes from, in words (the snapshot path only with debug)."""
        src = prov.get("source")
        if src == "derived":
            return ""
        if src == "snapshot":
            at = f", collected {prov['collected_at']}" if prov.get("collected_at") else ""
            text = f" (from the snapshot{at}"
            if prov.get("origin"):
                text += f"; {_said_by(prov['origin'])}"
            by: dict[str, list[str]] = {}  # who said it -> the fields they said, in words
            for name, o in (prov.get("field_origins") or {}).items():
                if o:
                    by.setdefault(_said_by(o), []).append(self.field_words(kind, name))
            text += "".join(f"; {', '.join(fields)}: {who}" for who, fields in by.items())
            return text + (f"; {prov.get('file')} {prov.get('path')}" if self.debug else "") + ")"
        if src == "command-line" or prov.get("path", "").startswith("--"):
            return " (from the command line)"
        return f" ({src})" if src else ""

    # -- missing facts ------------------------------------------------------------------------------
    def missing(self, path: str) -> str:
        """A snapshot path the engine could not read, named as an admin would look for it."""
        text = missing_words(path, self.business_units, self.ruleset)
        return text + (f" [{path}]" if self.debug else "")


def _system(source: str | None) -> str:
    return {"salesforce": "Salesforce", "account_engagement": "Account Engagement"}.get(source or "", source or "?")


def _said_by(origin: dict[str, Any]) -> str:
    at = f" at {origin['at']}" if origin.get("at") else ""
    if origin.get("source") == "engineer":
        return f"stated by the engineer ({origin.get('via') or 'answer'}{at})"
    return f"read from {_system(origin.get('source'))}" + (f" ({origin['via']}{at})" if origin.get("via") else "")


_BU_PLACES = (
    # (path below business_units[i], words; {ui.term} from the glossary)
    ("user_sync.enabled", "whether User Sync is enabled ({ui.connector_user_sync})"),
    ("user_sync.mode", "the User Sync mode: whether user management was transferred to Salesforce (managed) or "
                       "not (legacy, by profile); see {ui.business_unit_setup}"),
    ("user_sync.profile_roles", "the {ui.profile_role_table} ({ui.connector_user_sync})"),
    ("user_sync.move_to_recycle_bin_without_profile", "whether the setting {ui.recycle_bin_setting} is on ({ui.connector_user_sync})"),
    ("user_sync.update_role_on_profile_change", "whether the setting {ui.role_update_setting} is on ({ui.connector_user_sync})"),
    ("user_sync.last_change_at", "when anyone last changed User Sync settings or user assignments"),
    ("user_groups", "who is assigned to the {ui.marketing_users} and the {ui.sales_users} ({ui.business_unit_assignments})"),
    ("expected_access", "whether the user should have Account Engagement access (ask the customer)"),
)
_ORG_PLACES = (
    ("account_engagement.users", "the Account Engagement users of every business unit, recycle bin included "
                                 "(Account Engagement Settings > User Management > Users)"),
    ("salesforce.public_groups", "the public groups and their members (Salesforce Setup > Public Groups)"),
    ("salesforce.roles", "the role hierarchy (Salesforce Setup > Roles)"),
)
_BU_PATH = re.compile(r"^business_units\[(\d+)\]\.(.+)$")
_USER_PATH = re.compile(r"^salesforce\.users\[(\d+)\]\.(\w+)$")


def missing_words(path: str, business_units: list[str], ruleset: Ruleset) -> str:
    m = _BU_PATH.match(path)
    if m:
        index, rest = int(m.group(1)), m.group(2)
        bu = business_units[index] if index < len(business_units) else f"number {index + 1} of the snapshot"
        for place, words in _BU_PLACES:
            if rest == place or rest.startswith(place + ".") or rest.startswith(place + "["):
                return f"business unit {bu}: {ruleset.expand(words)}"
        return f"business unit {bu}: {_mapped_words(path, ruleset) or rest.replace('_', ' ').replace('.', ', ')}"
    for place, words in _ORG_PLACES:
        if path == place or path.startswith(place + ".") or path.startswith(place + "["):
            return words
    m = _USER_PATH.match(path)
    if m:
        what = _mapped_words(path, ruleset) or m.group(2).replace("_", " ")
        return f"{what} ({ruleset.expand('{ui.user_setup}')})"
    return path


def _mapped_words(path: str, ruleset: Ruleset) -> str | None:
    """The vocabulary's words for the input field the snapshot map reads `path` into
    (facts/snapshot-map.yaml): `last_modified_at` is the user's `modified_minutes_ago`."""
    fm = field_at(path)
    fd = ruleset.vocabulary.facts.get(fm.kind) if fm else None
    fdef = fd.fields.get(fm.name) if fd and fm else None
    return _sentence(fdef.description) if fdef and fdef.description else None
