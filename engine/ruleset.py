"""Load a rules directory: manifest, vocabulary, sources, symptoms, glossary, lock and rule files.

Loading gathers every finding at once; the semantic checks (engine/checks/) run over what
loaded. Nothing is half-loaded: callers get a Ruleset only when there are no errors.
"""
from __future__ import annotations

import json

import hashlib
import importlib.util
import os
from pathlib import Path
from typing import Any

from syncdoctor.reading import schemas
from syncdoctor.reading.findings import Finding, FindingError, Severity, Span
from syncdoctor.reading.loader import LocatedDict, load_file, locate

from .checks.lock import lock_command
from .model import OPERATORS, AnyOf, Citation, Conclusion, Condition, Derive, FactDef, FieldDef, Group, ListDef, Pattern, Rule, Ruleset, Section, Source, SymptomDef, Term, Vocabulary
import shlex
from .checks import run_checks as _run

MANIFEST = "ruleset.yaml"
SCHEMA_LINE = "# yaml-language-server: $schema="


RULES_ENV = "SYNCDOCTOR_RULES"


def default_rules_dir() -> Path:
    """The rules used when no directory is given: $SYNCDOCTOR_RULES when set (the project's own
    tests point it at their fixture ruleset), otherwise the knowledge base shipped in the package."""
    if os.environ.get(RULES_ENV):
        return Path(os.environ[RULES_ENV])
    return packaged_rules_dir()


def packaged_rules_dir() -> Path:
    """The knowledge base shipped in the package (whatever $SYNCDOCTOR_RULES says)."""
    # `rules/` holds data only (no __init__.py), so it is a namespace-style package: ask the
    # import system where it lives, which works for wheels and editable installs alike.
    spec = importlib.util.find_spec("syncdoctor.rules")
    for location in (spec.submodule_search_locations or []) if spec else []:
        if (Path(location) / MANIFEST).exists():
            return Path(location)
    raise FileNotFoundError("the packaged rules (syncdoctor.rules) are missing from this installation")


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


class _Collector:
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


def inside(root: Path, relative: Any) -> Path | None:
    """`root/relative` when it stays inside `root` (no absolute path, no `..` out, no symlink out)."""
    if not isinstance(relative, str) or not relative:
        return None
    candidate = (root / relative)
    try:
        candidate.resolve().relative_to(root.resolve())
    except (ValueError, OSError):
        return None
    return candidate


LOCK_CODES = ("version-not-bumped", "ruleset-version-not-bumped", "lock-stale", "lock-orphan")
# about the rules as a whole: a rule file that did not load looks removed, which is not news
WHOLE_LOCK_CODES = ("ruleset-version-not-bumped", "lock-orphan")


def load_ruleset(directory: Path | str | None = None, *, run_checks: bool = True,
                 lock_is_advice: bool = False) -> tuple[Ruleset | None, list[Finding]]:
    """The ruleset, or None when any finding is an error. With `lock_is_advice` (rules diff),
    a lock that disagrees with the rules is not an error: comparing is how one finds out."""
    root = Path(directory) if directory is not None else default_rules_dir()
    col = _Collector()
    if not root.exists():
        return None, [Finding(Span(str(root)), "no-such-directory", "the rules directory does not exist")]
    if not root.is_dir():
        return None, [Finding(Span(str(root)), "not-a-directory", "expected a rules directory (holding ruleset.yaml)")]
    manifest_path = root / MANIFEST
    if not manifest_path.exists():
        return None, [Finding(Span(str(manifest_path)), "no-manifest", f"no {MANIFEST} in the rules directory")]
    manifest = col.load(manifest_path, "ruleset")
    if manifest is None:
        return None, col.findings

    file_hashes: dict[str, str] = {}

    def rel(p: Path) -> str:
        return p.relative_to(root).as_posix()

    def remember(p: Path) -> None:
        try:
            file_hashes[rel(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
        except OSError:
            pass

    remember(manifest_path)

    def path_of(key: str) -> Path | None:
        p = inside(root, manifest[key])
        if p is None:
            col.findings.append(Finding(locate(manifest, [key], Span(str(manifest_path))), "path-outside",
                                        f"{key}: {manifest[key]!r} is not a file inside the rules folder; "
                                        "name it relative to ruleset.yaml, like sources.yaml"))
        return p

    vocab_path, sources_path, symptoms_path, glossary_path, lock_path = (
        path_of(k) for k in ("vocabulary", "sources", "symptoms", "glossary", "lock"))
    loaded: dict[str, Any] = {}
    for key, path in (("vocabulary", vocab_path), ("sources", sources_path), ("symptoms", symptoms_path),
                      ("glossary", glossary_path)):
        loaded[key] = col.load(path, key) if path is not None else None
        if path is not None:
            remember(path)
    lock: dict[str, dict] = {}
    lock_version = None
    if lock_path is not None and lock_path.exists():
        lock_raw = col.load(lock_path, "lock", versioned=False)
        if lock_raw is not None:
            lock_version = lock_raw.get("ruleset_version")
            lock = {k: dict(v, span=locate(lock_raw, ["rules", k], Span(str(lock_path))))
                    for k, v in lock_raw["rules"].items()}
    elif lock_path is not None:
        col.findings.append(Finding(Span(str(lock_path)), "lock-missing",
                                    f"no lock file: run {lock_command(str(root))} to record each rule's content hash",
                                    Severity.WARNING))

    sources = _sources(loaded["sources"], str(sources_path), col) if loaded["sources"] is not None else {}
    symptoms = _symptoms(loaded["symptoms"], str(symptoms_path), col) if loaded["symptoms"] is not None else {}
    glossary = ({k: Term(k, v["text"], v.get("description", "")) for k, v in loaded["glossary"]["terms"].items()}
                if loaded["glossary"] is not None else {})
    vocabulary = (_vocabulary(loaded["vocabulary"], str(vocab_path), tuple(symptoms), col)
                  if loaded["vocabulary"] is not None and loaded["symptoms"] is not None else None)

    rule_files: list[Path] = []
    for i, folder in enumerate(manifest["rules"]):
        base = inside(root, folder)
        if base is None or not base.is_dir():
            col.findings.append(Finding(locate(manifest, ["rules", i], Span(str(manifest_path))),
                                        "no-such-directory" if base is not None else "path-outside",
                                        f"rules folder {folder!r} " + ("does not exist" if base is not None else
                                                                       "is not a folder inside the rules folder")))
            continue
        for p in sorted(p for p in base.rglob("*") if p.suffix in (".yaml", ".yml")):
            if inside(root, p.relative_to(root).as_posix()) is None:  # a symlink out: named, never skipped silently
                col.findings.append(Finding(Span(str(p)), "path-outside",
                                            f"{p.relative_to(root).as_posix()} leads outside the rules folder "
                                            f"(to {os.path.realpath(p)}): it is not read; copy the file in instead"))
            elif p.is_file():
                rule_files.append(p)

    rules: list[Rule] = []
    for path in rule_files:
        remember(path)
        raw = col.load(path, "rule")
        _check_schema_line(path, root, col)
        if raw is None:
            continue
        rule = _rule(raw, str(path), col)
        if rule is not None:
            rules.append(rule)

    case_paths: list[str] = []
    for i, c in enumerate(manifest.get("cases", [])):
        p = inside(root, c)
        if p is None:
            col.findings.append(Finding(locate(manifest, ["cases", i], Span(str(manifest_path))), "path-outside",
                                        f"cases: {c!r} is not inside the rules folder"))
        else:
            case_paths.append(str(p))
    gaps = manifest.get("known_gaps", {}) or {}
    ruleset = None
    if vocabulary is not None:
        ruleset = Ruleset(
            name=manifest["name"], version=manifest["version"], description=manifest["description"],
            root=str(root), vocabulary=vocabulary, sources=sources, rules=tuple(rules), lock=lock,
            file_hashes=file_hashes, case_paths=tuple(case_paths),
            known_gaps={"rules": tuple(gaps.get("rules", [])), "sections": tuple(gaps.get("sections", []))},
            symptoms=symptoms, glossary=glossary, lock_version=lock_version,
            version_span=locate(manifest, ["version"], Span(str(manifest_path))),
        )
    if ruleset is not None and run_checks:
        col.findings.extend(_run(ruleset))
    findings = root_causes_first(col.findings)
    if any(f.severity is Severity.ERROR and not (lock_is_advice and f.id in LOCK_CODES) for f in findings):
        return None, findings
    return ruleset, findings


FILE_CODES = frozenset({"path-outside", "file-not-found", "not-a-file", "unreadable", "no-manifest", "yaml-syntax",
                        "not-utf8", "binary-file", "file-too-large", "format-1"})


def root_causes_first(found: list[Finding]) -> list[Finding]:
    """Findings without their consequences, causes first. Lock findings (version, stale) say
    something only about a file that is otherwise valid; a rule file that did not load makes
    its lock entry look orphaned, which is not news either."""
    errors = [f for f in found if f.id not in LOCK_CODES and f.severity is Severity.ERROR]
    broken = {f.span.file for f in errors}
    kept = [f for f in set(found)
            if not (f.id in LOCK_CODES and (f.span.file in broken or (f.id in WHOLE_LOCK_CODES and errors)))]
    # A file that could not be read at all (outside the folder, missing, not YAML) explains the
    # unresolved citations and unknown facts that follow from it: it comes first.
    return sorted(kept, key=lambda f: (f.id in LOCK_CODES, f.severity is not Severity.ERROR, f.id not in FILE_CODES,
                                       *Finding.sort_key(f)))


def require_ruleset(directory: Path | str | None = None) -> Ruleset:
    ruleset, findings = load_ruleset(directory)
    if ruleset is None:
        raise FindingError(findings)
    return ruleset


def _check_schema_line(path: Path, root: Path, col: _Collector) -> None:
    try:
        first = path.read_text("utf-8", errors="replace").splitlines()[:1]
    except OSError:
        return
    if not first or not first[0].startswith(SCHEMA_LINE):
        col.findings.append(Finding(Span(str(path), 1, 1), "schema-line",
                                    f"a rule file starts with `{SCHEMA_LINE}<path to rule.schema.json>` so editors validate it",
                                    Severity.WARNING))


def _vocabulary(raw: Any, file: str, symptoms: tuple[str, ...], col: _Collector) -> Vocabulary:
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


def _sources(raw: Any, file: str, col: _Collector) -> dict[str, Source]:
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


def _symptoms(raw: Any, file: str, col: _Collector) -> dict[str, SymptomDef]:
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


def _rule(raw: LocatedDict, file: str, col: _Collector) -> Rule | None:
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
