"""The documents of a rules folder read into the model (engine/model.py): the vocabulary, the
sources, the symptoms and each rule file, every value located (file, line) and every problem a
finding collected on the way (`Collector`), never raised one at a time. A file in an older
format gets one finding saying how to migrate it. The folder itself (the manifest, which files,
the lock, the checks) is engine/ruleset.py's."""
from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

from syncdoctor.reading import schemas
from syncdoctor.reading.findings import Finding, FindingError, Severity, Span
from syncdoctor.reading.loader import LocatedDict, load_file, locate

from .model import (OPERATORS, AnyOf, Citation, Conclusion, Condition, Derive, FactDef, FieldDef, Group, ListDef, Pattern,
                    Rule, Section, Source, SymptomDef, Vocabulary)

MANIFEST = "ruleset.yaml"
SCHEMA_LINE = "# yaml-language-server: $schema="
FORMAT = 2
FORMAT_1 = ("this file is in format 1, which syncdoctor no longer reads: "
            "run `syncdoctor rules migrate {folder}` on the rules folder (docs/authoring.md, \"From format 1\")")


def _rules_folder(file: str) -> str:
    """The folder holding ruleset.yaml above `file` (what `rules migrate` takes), or DIR."""
    for parent in Path(file).resolve().parents:
        if (parent / MANIFEST).is_file():
            return shlex.quote(str(parent))
    return "DIR"


def format_finding(data: Any, file: str) -> Finding | None:
    """One finding for a file written in an older format, instead of a schema error per key."""
    if isinstance(data, dict) and data.get("format", 1) != FORMAT:
        where = locate(data, ["format"], Span(file, 1, 1)) if "format" in data else Span(file, 1, 1)
        if data.get("format", 1) == 1:
            return Finding(where, "format-1", FORMAT_1.format(folder=_rules_folder(file)))
        return Finding(where, "format", f"`format: {data.get('format')!r}`: this syncdoctor reads format {FORMAT}")
    return None


class Collector:
    """The findings of one load, gathered as each file is read."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def load(self, path: Path, schema: str, versioned: bool = True) -> Any:
        try:
            data = load_file(path)
        except FindingError as exc:
            self.findings.extend(exc.findings)
            return None
        old = format_finding(data, str(path)) if versioned else None
        if old is not None:
            self.findings.append(old)
            return None
        found = schemas.check(schema, data, str(path))
        self.findings.extend(found)
        return None if found else data


def check_schema_line(path: Path, root: Path, col: Collector) -> None:
    try:
        first = path.read_text("utf-8", errors="replace").splitlines()[:1]
    except OSError:
        return
    if not first or not first[0].startswith(SCHEMA_LINE):
        col.findings.append(Finding(Span(str(path), 1, 1), "schema-line",
                                    f"a rule file starts with `{SCHEMA_LINE}<path to rule.schema.json>` so editors validate it",
                                    Severity.WARNING))


def read_vocabulary(raw: Any, file: str, symptoms: tuple[str, ...], col: Collector) -> Vocabulary:
    lists = {name: ListDef(name, d["description"], d["source"]) for name, d in raw["lists"].items()}
    facts = {}
    for name, d in raw["facts"].items():
        fields = {}
        for fname, f in d["fields"].items():
            values = tuple(f.get("values", ()))
            if f.get("values_from") == "symptoms":
                # The symptoms are data (symptoms.yaml); `none` means no symptom was given.
                values = ("none",) + symptoms
                if f.get("values") or f["type"] != "enum":
                    col.findings.append(Finding(locate(raw, ["facts", name, "fields", fname], Span(file)), "schema",
                                                f"{name}.{fname}: `values_from: symptoms` goes with `type: enum` and no `values:`"))
            fields[fname] = FieldDef(fname, f["type"], f["description"], values, bool(f.get("always_known", False)),
                                     tuple(sorted((f.get("shown_as") or {}).items())), f.get("values_from") == "symptoms",
                                     locate(raw, ["facts", name, "fields", fname], Span(file)))
        facts[name] = FactDef(name, d["description"], d["origin"], d["cardinality"], fields,
                              tuple(d.get("key", ())), tuple(d.get("complete_when", ())),
                              locate(raw, ["facts", name], Span(file)))
    return Vocabulary(lists, facts)


def read_sources(raw: Any, file: str, col: Collector) -> dict[str, Source]:
    out: dict[str, Source] = {}
    for i, a in enumerate(raw["sources"]):
        if a["id"] in out:
            col.findings.append(Finding(locate(raw, ["sources", i, "id"], Span(file)), "duplicate-source",
                                        f"source {a['id']} is listed twice"))
        sections = tuple(Section(s["id"], s["title"], s.get("summary", ""), tuple(x["text"] for x in s.get("passages", ())))
                         for s in a["sections"])
        seen: set[str] = set()
        for j, sec in enumerate(sections):
            if sec.id in seen:
                col.findings.append(Finding(locate(raw, ["sources", i, "sections", j], Span(file)), "duplicate-section",
                                            f"source {a['id']} lists section {sec.id!r} twice"))
            seen.add(sec.id)
        out[a["id"]] = Source(a["id"], a["kind"], a["title"], a["url"], sections, a.get("published", ""), a.get("label", ""))
    return out


def read_symptoms(raw: Any, file: str, col: Collector) -> dict[str, SymptomDef]:
    out: dict[str, SymptomDef] = {}
    for i, s in enumerate(raw["symptoms"]):
        span = locate(raw, ["symptoms", i], Span(file))
        if s["id"] in out:
            col.findings.append(Finding(span, "duplicate-symptom", f"symptom {s['id']} is listed twice"))
        out[s["id"]] = SymptomDef(s["id"], s["title"], s.get("description", ""),
                                  tuple((x["source"], x["section"]) for x in s.get("sections", [])), span)
    return out


def _span(raw: Any, path: list, file: str) -> Span:
    return locate(raw, path, Span(file))


def _condition(raw: Any, c: Any, path: list, file: str) -> Condition | AnyOf:
    span = _span(raw, path, file)
    if "any_of" in c:
        return AnyOf(tuple(_condition(raw, cc, path + ["any_of", j], file) for j, cc in enumerate(c["any_of"])), span)
    op = next(k for k in c if k in OPERATORS)  # the schema allows exactly one
    value = c[op]
    if op in ("same_as", "differs_from"):
        alias, fld = value.split(".", 1)
        value = (alias, fld)
    elif op == "one_of":
        value = tuple(value)
    return Condition(c["field"], op, value, span, bool(c.get("ignore_case", False)))


def _pattern(raw: Any, p: Any, path: list, file: str, negated: bool) -> Pattern:
    conds = tuple(_condition(raw, c, path + ["where", j], file) for j, c in enumerate(p.get("where", [])))
    return Pattern(p["fact"], p.get("as", p["fact"]), conds, negated, _span(raw, path, file))


def _item(raw: Any, it: Any, path: list, file: str) -> Pattern | Group:
    if "fact" in it:
        return _pattern(raw, it, path, file, False)
    if "not" in it:
        return _pattern(raw, it["not"], path + ["not"], file, True)
    op = "any" if "any" in it else "all"
    return Group(op, tuple(_item(raw, x, path + [op, j], file) for j, x in enumerate(it[op])), _span(raw, path, file))


def _value(v: Any) -> Any:
    if isinstance(v, dict):
        alias, fld = v["from"].split(".", 1)
        return ("from", alias, fld)
    return v


def read_rule(raw: LocatedDict, file: str, col: Collector) -> Rule | None:
    when = Group("all", tuple(_item(raw, it, ["when", i], file) for i, it in enumerate(raw["when"])), _span(raw, ["when"], file))
    then = raw["then"]
    derive = conclude = None
    if "derive" in then:
        d = then["derive"]
        derive = Derive(d["fact"], tuple((k, _value(v)) for k, v in d["set"].items()), _span(raw, ["then", "derive"], file))
    else:
        c = then["conclude"]
        conclude = Conclusion(c["code"], c["kind"], c["message"], c.get("detail", ""), tuple(c.get("remedies", [])),
                              _span(raw, ["then", "conclude"], file), tuple(c.get("warnings", [])),
                              tuple((int(rc["remedy"]), json.dumps(_plain_data(rc["change"]), sort_keys=True))
                                    for rc in c.get("remedy_changes", [])))
    # a citation with `quotes` is one Citation per sentence (each checked verbatim); verdicts show
    # the section once with every sentence (Ruleset.cited)
    citations = tuple(Citation(c["source"], c["section"], c["basis"], quote, c.get("note", ""),
                               _span(raw, ["citations", i], file))
                      for i, c in enumerate(raw["citations"]) for quote in c.get("quotes") or [c.get("quote", "")])
    return Rule(raw["id"], raw["version"], raw["title"], raw["status"], raw.get("description", ""), when, derive,
                conclude, citations, file, _span(raw, ["id"], file), raw)


def _plain_data(value: Any) -> Any:
    """Located containers as plain dicts and lists (a remedy change kept as JSON text)."""
    if isinstance(value, dict):
        return {str(k): _plain_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_data(v) for v in value]
    return value
