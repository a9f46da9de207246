"""The loaded knowledge as frozen dataclasses: the rules, their conditions and the ruleset (what
they rest on, the vocabulary, sources, symptoms and glossary, is engine/vocabulary.py's, named
here too). Spans say where each thing was written and take no part in equality."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Union

from syncdoctor.reading.findings import Span

from .vocabulary import Citation, FactDef, FieldDef, ListDef, Section, Source, SymptomDef, Term, Vocabulary

_TERM = re.compile(r"\{ui\.([a-z][a-z0-9_]*)\}")

OPERATORS = ("equals", "not_equals", "one_of", "less_than", "at_most", "greater_than", "at_least",
             "same_as", "differs_from", "is_unknown", "is_known")
JOINS = ("same_as", "differs_from")  # operators whose value names another fact's field (alias, field)
CASE_FOLDING = ("equals", "not_equals", "one_of", "same_as", "differs_from")  # may carry ignore_case
UI_ALIAS = "ui"  # `{ui.term}` in a template names a glossary term, never a fact
ORDERING = ("less_than", "at_most", "greater_than", "at_least")
# Most pressing first. `escalate`: everything the sources name is in place and it still fails:
# a Salesforce Support case, with the proof (something to act on, like cause and remedy).
KIND_ORDER = ("wait", "cause", "escalate", "remedy", "advice", "answer", "info")


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Any = None  # constant, list of constants, or (alias, field) for same_as / differs_from
    span: Span = field(default=Span(""), compare=False)
    ignore_case: bool = False

    @property
    def ref(self) -> tuple[str, str] | None:
        return self.value if self.op in JOINS else None

    @property
    def indexed_join(self) -> bool:
        """An equality join the engine can look up by value (exact, or casefolded for `ignore_case`)."""
        return self.op == "same_as"

    @property
    def exact_join(self) -> bool:
        """An equality join the engine can look up by value (an index of the exact value)."""
        return self.op == "same_as" and not self.ignore_case


@dataclass(frozen=True)
class AnyOf:
    conditions: tuple["Cond", ...]
    span: Span = field(default=Span(""), compare=False)


Cond = Union[Condition, AnyOf]


@dataclass(frozen=True)
class Pattern:
    fact: str
    alias: str
    conditions: tuple[Cond, ...]
    negated: bool = False
    span: Span = field(default=Span(""), compare=False)


@dataclass(frozen=True)
class Group:
    op: str  # all | any
    items: tuple[Union[Pattern, "Group"], ...]
    span: Span = field(default=Span(""), compare=False)


@dataclass(frozen=True)
class Derive:
    fact: str
    set: tuple[tuple[str, Any], ...]  # (field, constant | template str | ("from", alias, field))
    span: Span = field(default=Span(""), compare=False)


@dataclass(frozen=True)
class Conclusion:
    code: str
    kind: str
    message: str
    detail: str = ""
    remedies: tuple[str, ...] = ()
    span: Span = field(default=Span(""), compare=False)
    warnings: tuple[str, ...] = ()  # what a remedy also changes for others
    # (remedy number from 1, the change as JSON text with {alias.field} names): docs/whatif.md
    remedy_changes: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class Rule:
    id: str
    version: int
    title: str
    status: str
    description: str
    when: Group
    derive: Derive | None
    conclude: Conclusion | None
    citations: tuple[Citation, ...]
    file: str = field(default="", compare=False)
    span: Span = field(default=Span(""), compare=False)
    raw: Any = field(default=None, compare=False, repr=False)

    @property
    def logic_hash(self) -> str:
        """Hash of what decides behaviour (conditions and what is produced), not wording."""
        produced: Any = None
        if self.derive is not None:
            produced = {"derive": self.derive.fact, "set": [[k, _plain(v)] for k, v in self.derive.set]}
        elif self.conclude is not None:
            produced = {"conclude": self.conclude.code, "kind": self.conclude.kind}
        blob = json.dumps({"when": _plain(self.raw.get("when")) if self.raw else None, "then": produced},
                          sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    @property
    def content_hash(self) -> str:
        """Hash of everything the rule file says but its `version`: logic and words alike (the
        lock's `content_sha256`; any change to it asks for a version bump)."""
        body = {k: v for k, v in (_plain(self.raw) or {}).items() if k != "version"} if self.raw else {}
        return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()

    def branches(self) -> list[tuple[Pattern, ...]]:
        """Disjunctive normal form: each branch is a conjunction of patterns."""
        return [tuple(b) for b in _dnf(self.when)]


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _dnf(node: Pattern | Group) -> list[list[Pattern]]:
    if isinstance(node, Pattern):
        return [[node]]
    if node.op == "any":
        out: list[list[Pattern]] = []
        for item in node.items:
            out.extend(_dnf(item))
        return out
    branches: list[list[Pattern]] = [[]]
    for item in node.items:
        branches = [b + alt for b in branches for alt in _dnf(item)]
    return branches


@dataclass(frozen=True)
class Ruleset:
    name: str
    version: str
    description: str
    root: str
    vocabulary: Vocabulary
    sources: dict[str, Source]
    rules: tuple[Rule, ...]
    lock: dict[str, dict]
    file_hashes: dict[str, str]
    case_paths: tuple[str, ...] = ()
    known_gaps: dict[str, tuple[str, ...]] = field(default_factory=dict)
    symptoms: dict[str, SymptomDef] = field(default_factory=dict)
    glossary: dict[str, Term] = field(default_factory=dict)
    # what the lock recorded of the ruleset itself (None: a lock written before it did) and
    # where ruleset.yaml says its `version`
    lock_version: str | None = None
    version_span: Span = field(default=Span(""), compare=False)

    @property
    def symptom_ids(self) -> tuple[str, ...]:
        """Every value `--symptom` and `symptom:` may take (`none` is implicit)."""
        return tuple(self.symptoms)

    @cached_property
    def value_words(self) -> dict[tuple[str, str], dict[str, str]]:
        """(fact kind, field) -> {enum value: the glossary's text for it}: what a text shows for a
        value whose vocabulary field says `shown_as` (`marketing` -> "Marketing Users group")."""
        out: dict[tuple[str, str], dict[str, str]] = {}
        for kind, fd in self.vocabulary.facts.items():
            for name, f in fd.fields.items():
                shown = {v: self.glossary[t].text for v, t in f.shown_as if t in self.glossary}
                if shown:
                    out[(kind, name)] = shown
        return out

    @cached_property
    def user_wide(self) -> frozenset[str]:
        """Codes of the conclusions that read only the user and what was asked, nothing of a
        business unit (INTEGRATION_USER): the same verdict in every business unit, so a scan's
        summary counts each user once for them."""
        def about_the_user(p: Pattern) -> bool:
            conds = [c for x in p.conditions for c in (x.conditions if isinstance(x, AnyOf) else (x,))]
            return p.fact == "context" or (p.fact == "user" and all(c.field != "expects_access" for c in conds))
        return frozenset(r.conclude.code for r in self.active_rules
                         if r.conclude and all(about_the_user(p) for b in r.branches() for p in b))

    def expand(self, text: str) -> str:
        """A template with its `{ui.term}` placeholders replaced by the glossary's text."""
        return _TERM.sub(lambda m: self.glossary[m.group(1)].text if m.group(1) in self.glossary else m.group(0), text)

    def citation_label(self, c: Citation) -> str:
        """"KB 000384042 · Resolution C: …" (the source's short name and the section's title)."""
        src = self.sources.get(c.source)
        sec = src.section(c.section) if src else None
        return f"{src.name if src else c.source} · {sec.title if sec else c.section}"

    def citation_doc(self, c: Citation) -> dict[str, Any]:
        """A citation as it appears in a verdict (JSON)."""
        src = self.sources.get(c.source)
        sec = src.section(c.section) if src else None
        return {"source": c.source, "source_title": src.name if src else c.source, "section": c.section,
                "section_title": sec.title if sec else "", "url": src.url if src else "",
                "basis": c.basis, "quote": c.quote}

    def cited(self, rule: "Rule") -> list[dict[str, Any]]:
        """A rule's citations as its verdicts and proofs show them: one per section of a source (and
        basis), in the rule's order; `quote` is its first sentence, and `quotes` every sentence when
        the rule quotes the section more than once."""
        out: dict[tuple[str, str, str], dict[str, Any]] = {}
        for c in rule.citations:
            doc = out.setdefault((c.source, c.section, c.basis), self.citation_doc(c))
            if c.quote and c.quote != doc["quote"] and c.quote not in doc.get("quotes", ()):
                doc["quotes"] = [*doc.get("quotes", [doc["quote"]]), c.quote]
        return list(out.values())

    @property
    def sha256(self) -> str:
        blob = "\n".join(f"{k} {v}" for k, v in sorted(self.file_hashes.items()))
        return hashlib.sha256(blob.encode()).hexdigest()

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def by_code(self, code: str) -> Rule | None:
        return next((r for r in self.rules if r.conclude and r.conclude.code == code), None)

    @property
    def active_rules(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.status != "deprecated")
