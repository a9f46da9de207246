"""What `rules check` says of facts/snapshot-map.yaml: compared with the vocabulary both ways (a
field the map provides that the vocabulary does not declare: a warning, since no rule can read
it, and an older knowledge folder simply does not use it; an input field of the vocabulary that
nothing maps, so every rule testing it would stay undetermined: an error) and with the snapshot
schema (a path the map reads, or a list the vocabulary names, that no snapshot can hold: an
error). Each finding names the file and line to change."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

from syncdoctor.engine.model import Vocabulary
from syncdoctor.reading import schemas
from syncdoctor.reading.findings import Finding, FindingError, Severity, Span
from syncdoctor.reading.loader import load_file, locate

from .mapping import MAP_FILE, FieldMap, KindMap, read_map

RECIPE = "docs/authoring.md, \"Add an input field\""


def _steps(pattern: str) -> list[str]:
    """`a.b[].c` -> ["a", "b", "[]", "c"]; `{group}` and `*` stand for any key."""
    out: list[str] = []
    for part in pattern.split(".") if pattern else []:
        name, lists = part, 0
        while name.endswith("[]"):
            name, lists = name[:-2], lists + 1
        out += ([name] if name else []) + ["[]"] * lists
    return out


def field_patterns(km: KindMap, f: FieldMap) -> Iterator[str]:
    """The snapshot paths (patterns) the field reads: `from`, then each `also`."""
    record = _steps(km.record)
    for source in (f.source, *f.also):
        if source.startswith("$business_unit."):
            yield "business_units[]." + source.removeprefix("$business_unit.").replace("{id}", "*")
        elif source.startswith("$."):
            yield source.removeprefix("$.")
        else:
            steps = record
            while source.startswith("../"):  # the record that holds the record's list
                steps, source = steps[:steps[:-1].index("[]") + 1] if "[]" in steps[:-1] else [], source[3:]
            rest = [] if source == "." else _steps(source)
            yield ".".join(steps + rest).replace(".[]", "[]")


def _resolve(node: Any, root: dict[str, Any]) -> list[dict[str, Any]]:
    """A schema node and its alternatives, references followed."""
    while isinstance(node, dict) and "$ref" in node:
        node = root["$defs"][node["$ref"].rsplit("/", 1)[1]]
    if not isinstance(node, dict):
        return []
    alternatives = [a for key in ("anyOf", "oneOf") for alt in node.get(key, []) for a in _resolve(alt, root)]
    return [node] + alternatives


def _child(node: dict[str, Any], step: str) -> list[Any]:
    if step == "[]":
        return [node["items"]] if "items" in node else []
    props = node.get("properties", {})
    extra = node.get("additionalProperties", True)
    if step in ("*",) or step.startswith("{"):
        return ([extra] if isinstance(extra, dict) else []) + list(props.values())
    if step in props:
        return [props[step]]
    return [extra] if isinstance(extra, dict) else [{}] if extra is True else []


def schema_holds(pattern: str, root: dict[str, Any]) -> bool:
    """Whether a snapshot the schema accepts can hold a value at `pattern`."""
    nodes = [root]
    for step in _steps(pattern):
        nodes = [c for n in nodes for alt in _resolve(n, root) for c in _child(alt, step)]
        if not nodes:
            return False
    return True


def _vocabulary_spans(vocabulary: Vocabulary) -> tuple[Any, str]:
    file = next((fd.span.file for fd in vocabulary.facts.values() if fd.span.file), "")
    try:
        return load_file(Path(file)), file
    except (FindingError, OSError):
        return None, file


def map_findings(vocabulary: Vocabulary, map_file: Path = MAP_FILE) -> list[Finding]:
    """Everything that keeps the map, the vocabulary and the snapshot schema from agreeing."""
    kinds, findings = read_map(map_file)
    doc, vfile = _vocabulary_spans(vocabulary)
    for kind, km in kinds.items():
        fd = vocabulary.facts.get(kind)
        if fd is None or fd.origin != "input":
            findings.append(Finding(km.span, "snapshot-map-unknown",
                                    f"{kind}: the vocabulary ({vfile}) declares no input fact {kind!r}: no rule can read it; "
                                    "declare it, or take it out of the map", Severity.WARNING))
            continue
        findings += [Finding(f.span, "snapshot-map-unknown",
                             f"{kind}.{f.name}: the vocabulary's input fact {kind!r} has no field {f.name!r}: no rule can read it; "
                             f"declare it in {vfile}, or take it out of the map", Severity.WARNING)
                     for f in km.fields if f.name not in fd.fields]
    for name, fd in vocabulary.facts.items():
        if fd.origin != "input":
            continue
        provided = {f.name for f in kinds[name].fields} if name in kinds else set()
        for field in (f for f in fd.fields if f not in provided):
            span = locate(doc, ["facts", name, "fields", field], fd.span) if doc is not None else fd.span
            findings.append(Finding(span, "input-field-unread",
                                    f"input fact {name!r}: nothing in {map_file.name} ({map_file}) maps {field!r}, so every rule "
                                    "testing it would stay undetermined and diagnose would ask for a snapshot path the snapshot "
                                    f"format refuses. An input field needs the snapshot schema, the map and docs/snapshot.md ({RECIPE}); "
                                    "or declare a derived fact instead"))
    return findings + schema_findings(kinds, vocabulary, doc)


def schema_findings(kinds: dict[str, KindMap], vocabulary: Vocabulary, doc: Any) -> list[Finding]:
    root = json.loads(schemas.schema_text("snapshot"))
    out = []
    for km in kinds.values():
        if km.source != "snapshot":
            continue
        for f in km.fields:
            out += [Finding(f.span, "snapshot-map-path",
                            f"{km.kind}.{f.name} reads {p}, which the snapshot schema (engine/schema/snapshot.schema.json) "
                            f"does not allow: add it to the schema and docs/snapshot.md first ({RECIPE})")
                    for p in field_patterns(km, f) if not schema_holds(p, root)]
    for name, ld in vocabulary.lists.items():
        if not schema_holds(ld.source, root):
            span = locate(doc, ["lists", name, "source"], Span("")) if doc is not None else Span("")
            out.append(Finding(span, "snapshot-map-path",
                               f"list {name!r}: source {ld.source} is not a path the snapshot schema allows"))
    return out
