"""Load a rules directory: manifest, vocabulary, article registry, lock and rule files.

Loading gathers every finding at once; the semantic checks (engine/checks/) run over what
loaded. Nothing is half-loaded: callers get a Ruleset only when there are no errors.
"""
from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path
from typing import Any

from . import schemas
from .findings import Finding, FindingError, Severity, Span
from .loader import LocatedDict, load_file, locate
from .model import (AnyOf, Article, Citation, Conclusion, Condition, Derive, FactDef, FieldDef,
                    Group, ListDef, Pattern, Rule, Ruleset, Section, Vocabulary)

MANIFEST = "ruleset.yaml"
SCHEMA_LINE = "# yaml-language-server: $schema="


def default_rules_dir() -> Path:
    """The knowledge base shipped inside the package."""
    # `rules/` holds data only (no __init__.py), so it is a namespace-style package: ask the
    # import system where it lives, which works for wheels and editable installs alike.
    spec = importlib.util.find_spec("syncdoctor.rules")
    for location in (spec.submodule_search_locations or []) if spec else []:
        if (Path(location) / MANIFEST).exists():
            return Path(location)
    raise FileNotFoundError("the packaged rules (syncdoctor.rules) are missing from this installation")


class _Collector:
    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def load(self, path: Path, schema: str) -> Any:
        try:
            data = load_file(path)
        except FindingError as exc:
            self.findings.extend(exc.findings)
            return None
        found = schemas.check(schema, data, str(path))
        self.findings.extend(found)
        return None if found else data


LOCK_CODES = ("version-not-bumped", "lock-stale")


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
    vocab_path = root / manifest["vocabulary"]
    articles_path = root / manifest["articles"]
    lock_path = root / manifest["lock"]
    vocab_raw = col.load(vocab_path, "vocabulary")
    articles_raw = col.load(articles_path, "articles")
    for p in (vocab_path, articles_path):
        remember(p)
    lock: dict[str, dict] = {}
    if lock_path.exists():
        lock_raw = col.load(lock_path, "lock")
        if lock_raw is not None:
            lock = {k: dict(v, span=locate(lock_raw, ["rules", k], Span(str(lock_path))))
                    for k, v in lock_raw["rules"].items()}
    else:
        col.findings.append(Finding(Span(str(lock_path)), "lock-missing",
                                    "no lock file: run `syncdoctor rules lock` to record each rule's content hash",
                                    Severity.WARNING))

    vocabulary = _vocabulary(vocab_raw, str(vocab_path)) if vocab_raw is not None else None
    articles = _articles(articles_raw, str(articles_path), col) if articles_raw is not None else {}

    rule_files: list[Path] = []
    for folder in manifest["rules"]:
        base = root / folder
        if not base.is_dir():
            col.findings.append(Finding(locate(manifest, ["rules"], Span(str(manifest_path))), "no-such-directory",
                                        f"rules folder {folder!r} does not exist"))
            continue
        rule_files.extend(sorted(p for p in base.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()))

    rules: list[Rule] = []
    for path in rule_files:
        remember(path)
        raw = col.load(path, "rule")
        _check_schema_line(path, root, col)
        if raw is None:
            continue
        rules.append(_rule(raw, str(path)))

    case_paths = tuple(str(root / c) for c in manifest.get("cases", []))
    gaps = manifest.get("known_gaps", {}) or {}
    ruleset = None
    if vocabulary is not None:
        ruleset = Ruleset(
            name=manifest["name"], version=manifest["version"], description=manifest["description"],
            root=str(root), vocabulary=vocabulary, articles=articles, rules=tuple(rules), lock=lock,
            file_hashes=file_hashes, case_paths=case_paths,
            known_gaps={"rules": tuple(gaps.get("rules", [])), "sections": tuple(gaps.get("sections", []))},
        )
    if ruleset is not None and run_checks:
        from .checks import run_checks as _run
        col.findings.extend(_run(ruleset))
    findings = sorted(set(col.findings), key=Finding.sort_key)
    if any(f.severity is Severity.ERROR and not (lock_is_advice and f.id in LOCK_CODES) for f in findings):
        return None, findings
    return ruleset, findings


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


def _vocabulary(raw: Any, file: str) -> Vocabulary:
    lists = {name: ListDef(name, d["description"], d["source"]) for name, d in raw["lists"].items()}
    facts = {}
    for name, d in raw["facts"].items():
        fields = {
            fname: FieldDef(fname, f["type"], f["description"], tuple(f.get("values", ())), bool(f.get("always_known", False)))
            for fname, f in d["fields"].items()
        }
        facts[name] = FactDef(name, d["description"], d["origin"], d["cardinality"], fields,
                              tuple(d.get("key", ())), tuple(d.get("complete_when", ())),
                              locate(raw, ["facts", name], Span(file)))
    return Vocabulary(lists, facts)


def _articles(raw: Any, file: str, col: _Collector) -> dict[str, Article]:
    out: dict[str, Article] = {}
    for i, a in enumerate(raw["articles"]):
        if a["number"] in out:
            col.findings.append(Finding(locate(raw, ["articles", i], Span(file)), "duplicate-article",
                                        f"article {a['number']} is listed twice"))
        out[a["number"]] = Article(a["number"], a["title"], a["url"], a["published"],
                                   tuple(Section(s["id"], s["title"], s.get("summary", "")) for s in a["sections"]))
    return out


def _span(raw: Any, path: list, file: str) -> Span:
    return locate(raw, path, Span(file))


def _condition(raw: Any, c: Any, path: list, file: str) -> Condition | AnyOf:
    span = _span(raw, path, file)
    if "any_of" in c:
        return AnyOf(tuple(_condition(raw, cc, path + ["any_of", j], file) for j, cc in enumerate(c["any_of"])), span)
    op = next(k for k in c if k != "field")
    value = c[op]
    if op == "same_as":
        alias, fld = value.split(".", 1)
        value = (alias, fld)
    elif op == "one_of":
        value = tuple(value)
    return Condition(c["field"], op, value, span)


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


def _rule(raw: LocatedDict, file: str) -> Rule:
    when = Group("all", tuple(_item(raw, it, ["when", i], file) for i, it in enumerate(raw["when"])), _span(raw, ["when"], file))
    then = raw["then"]
    derive = conclude = None
    if "derive" in then:
        d = then["derive"]
        derive = Derive(d["fact"], tuple((k, _value(v)) for k, v in d["set"].items()), _span(raw, ["then", "derive"], file))
    else:
        c = then["conclude"]
        conclude = Conclusion(c["code"], c["kind"], c["message"], c.get("detail", ""), tuple(c.get("remedies", [])),
                              _span(raw, ["then", "conclude"], file))
    citations = tuple(Citation(c["article"], c["section"], c.get("note", ""), _span(raw, ["citations", i], file))
                      for i, c in enumerate(raw["citations"]))
    return Rule(raw["id"], raw["version"], raw["title"], raw["status"], raw.get("description", ""), when, derive,
                conclude, citations, file, _span(raw, ["id"], file), raw)
