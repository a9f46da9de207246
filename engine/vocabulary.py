"""What the rules rest on, as frozen dataclasses: the vocabulary of facts and lists they may
use (vocabulary.yaml), the sources they cite (sources.yaml), the symptoms (symptoms.yaml) and the
glossary's screen names (glossary.yaml). The rules themselves are engine/model.py's. Spans say
where each thing was written and take no part in equality."""
from __future__ import annotations

from dataclasses import dataclass, field

from syncdoctor.reading.findings import Span


@dataclass(frozen=True)
class FieldDef:
    name: str
    type: str
    description: str
    values: tuple[str, ...] = ()
    always_known: bool = False
    shown_as: tuple[tuple[str, str], ...] = ()  # (enum value, glossary term) a text shows for it
    from_symptoms: bool = False  # `values_from: symptoms`: the ids of symptoms.yaml, as `--symptom` takes them
    span: Span = field(default=Span(""), compare=False)


@dataclass(frozen=True)
class FactDef:
    name: str
    description: str
    origin: str  # input | derived
    cardinality: str  # one | many
    fields: dict[str, FieldDef]
    key: tuple[str, ...] = ()
    complete_when: tuple[str, ...] = ()
    span: Span = field(default=Span(""), compare=False)


@dataclass(frozen=True)
class ListDef:
    name: str
    description: str
    source: str


@dataclass(frozen=True)
class Vocabulary:
    lists: dict[str, ListDef]
    facts: dict[str, FactDef]


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    summary: str = ""
    passages: tuple[str, ...] = ()  # verbatim text a quote citing this section must occur in


@dataclass(frozen=True)
class Source:
    """A document rules may cite: a KB article, a Help page, an object reference…"""

    id: str
    kind: str
    title: str
    url: str
    sections: tuple[Section, ...]
    published: str = ""
    label: str = ""  # short name shown next to a verdict ("KB 000384042"); the title when empty

    @property
    def name(self) -> str:
        return self.label or self.title

    def section(self, section_id: str) -> Section | None:
        return next((s for s in self.sections if s.id == section_id), None)


@dataclass(frozen=True)
class SymptomDef:
    """What a customer reports (`--symptom`), with the source sections it corresponds to."""

    id: str
    title: str
    description: str = ""
    sections: tuple[tuple[str, str], ...] = ()  # (source id, section id)
    span: Span = field(default=Span(""), compare=False)


@dataclass(frozen=True)
class Term:
    """A Salesforce screen or setting path, written once and used as `{ui.<name>}`."""

    name: str
    text: str
    description: str = ""


@dataclass(frozen=True)
class Citation:
    source: str
    section: str
    basis: str = "article"  # article | salesforce-doc | platform | inference
    quote: str = ""
    note: str = ""
    span: Span = field(default=Span(""), compare=False)
