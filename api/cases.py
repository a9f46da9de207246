"""Scenario cases: tests that knowledge-base authors write as data next to the rules, run through
the pipeline (`pipeline.diagnosed`, each declared remedy change verified: api/remedies.py).
`run_folder` is `rules test`'s one call: every case of a rules folder run, with its coverage."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import pipeline
from .errors import NotFound
from .knowledge import default_rules_dir, Engine, format_finding, require_ruleset, Ruleset
from .snapshots import Snapshot, load_snapshot, parse_snapshot
from syncdoctor.reading import schemas
from syncdoctor.reading.findings import Finding, FindingError, Span
from syncdoctor.reading.loader import load_file, locate
from syncdoctor.reading.words import suggest
from syncdoctor.reading.words import plural


@dataclass
class CaseResult:
    file: str
    line: int
    name: str
    passed: bool
    problems: list[str] = field(default_factory=list)
    output: dict[str, Any] = field(default_factory=dict)
    fired_rules: set[str] = field(default_factory=set)
    expect: dict[str, Any] = field(default_factory=dict)
    col: int = 0


ORGS = "orgs"  # the folder (at any depth below a cases folder) that holds fixture orgs, not cases


def case_files(case_paths: tuple[str, ...]) -> list[Path]:
    files: list[Path] = []
    for p in case_paths:
        path = Path(p)
        if path.is_dir():
            # every .yaml below the cases folder is a case file, except the fixture orgs (snapshots)
            # under a folder named `orgs`: a case file in a subfolder is never silently skipped
            files.extend(sorted(x for x in path.rglob("*.yaml")
                                if x.is_file() and ORGS not in x.relative_to(path).parts[:-1]))
        elif path.is_file():
            files.append(path)
    return files


CODE_LISTS = ("concluded", "not_concluded", "undetermined")
PINS = ("message_contains", "remedies_contain", "warnings_contain")


def check_case_file(ruleset: Ruleset, file: Path, strict: bool = True) -> tuple[Any, list[Finding]]:
    """A case file's data and its findings (structure, then every symptom and code it names;
    not `strict`: structure only, as when `rules diff` runs new cases on old rules)."""
    try:
        data = load_file(file)
    except FindingError as exc:
        return None, exc.findings
    old = format_finding(data, str(file))
    if old is not None:
        return None, [old]
    found = schemas.check("cases", data, str(file))
    if found or not strict:
        return (None if found else data), found
    codes = sorted({r.conclude.code for r in ruleset.active_rules if r.conclude})
    retired = {r.conclude.code: r for r in ruleset.rules if r.conclude and r.status == "deprecated"}
    for i, case in enumerate(data["cases"]):
        def at(*path: Any) -> Span:
            return locate(data, ["cases", i, *path], Span(str(file)))
        sym = case.get("symptom")
        if sym is not None and sym not in ruleset.symptom_ids:
            found.append(Finding(at("symptom"), "unknown-symptom",
                                 f"symptom {sym!r} is not in symptoms.yaml{suggest(sym, ruleset.symptom_ids)}"))
        expect = case["expect"]
        named = [(key, j, c) for key in CODE_LISTS for j, c in enumerate(expect.get(key, []))]
        named += [(key, c, c) for key in PINS for c in expect.get(key, {})]
        for key, where, code in named:
            if code not in codes and code in retired:  # never "did you mean" another rule's code here
                found.append(Finding(at("expect", key, where), "deprecated-code",
                                     f"expect.{key}: {code} is the code of deprecated rule {retired[code].id} "
                                     f"({retired[code].span.file}), which no longer runs: remove {code} from this case"))
            elif code not in codes:
                found.append(Finding(at("expect", key, where), "unknown-code",
                                     f"expect.{key}: no rule concludes {code!r}{suggest(code, codes)}"))
        for key in PINS:
            for code in expect.get(key, {}):
                if code in codes and code not in expect.get("concluded", []):
                    found.append(Finding(at("expect", key, code), "pin-not-concluded",
                                         f"expect.{key} pins {code}, so list {code} under `concluded:` too"))
    return data, found


def run_cases(eng: Engine, files: list[Path], strict: bool = True) -> tuple[list[CaseResult], list[Finding]]:
    """Every case of every file. A file with findings fails as a whole: it counts as one failed
    result (never silently left out), and its findings are returned."""
    results: list[CaseResult] = []
    findings: list[Finding] = []
    cache: dict[str, Snapshot] = {}
    for file in files:
        data, found = check_case_file(eng.ruleset, file, strict)
        if found:
            findings.extend(found)
            results.append(CaseResult(str(file), found[0].span.line, f"(the case file {file.name})", False,
                                      [f"{plural(len(found), 'problem')} in the file, first: {found[0]}"]))
            continue
        for i, case in enumerate(data["cases"]):
            span = locate(data, ["cases", i], Span(str(file)))
            try:
                results.append(_run_case(eng, file, data, case, span, cache))
            except FindingError as exc:
                findings.extend(exc.findings)
                results.append(CaseResult(str(file), span.line, case["name"], False, [str(f) for f in exc.findings]))
    return results, findings


def _snapshot(file: Path, data: dict, case: dict, span: Span, cache: dict[str, Snapshot]) -> Snapshot:
    if "facts" in case:
        return parse_snapshot(json.dumps(case["facts"]), f"{file}#{case['name']}", fmt="json")
    ref = case.get("snapshot") or data.get("snapshot")
    if not ref:
        raise FindingError([Finding(span, "case-snapshot", "this case names no snapshot (`snapshot:` or `facts:`)")])
    path = (file.parent / ref).resolve()
    key = str(path)
    if key not in cache:
        cache[key] = load_snapshot(path)
    return cache[key]


def _run_case(eng: Engine, file: Path, data: dict, case: dict, span: Span, cache: dict[str, Snapshot]) -> CaseResult:
    snap = _snapshot(file, data, case, span, cache)
    try:
        sel = pipeline.select(snap, case["user"], False, case.get("business_unit"))
    except NotFound as exc:
        return CaseResult(str(file), span.line, case["name"], False, [str(exc)])
    if len(sel.business_units) > 1:
        return CaseResult(str(file), span.line, case["name"], False,
                          ["the snapshot has several business units: say which with `business_unit:`"])
    d = next(pipeline.diagnosed(eng, snap, sel, case.get("symptom")))
    out = d.to_json()
    concluded = {v["code"] for v in out["verdicts"]}
    undetermined = {u["code"] for u in out["undetermined"]}
    expect = case["expect"]
    problems: list[str] = []
    for code in expect.get("concluded", []):
        if code not in concluded:
            problems.append(f"expected {code} to be concluded; it was {'undetermined' if code in undetermined else 'not concluded'}")
    for code in expect.get("not_concluded", []):
        if code in concluded:
            problems.append(f"expected {code} not to be concluded, but it was")
    for code in expect.get("undetermined", []):
        if code not in undetermined:
            problems.append(f"expected {code} to be undetermined; it was {'concluded' if code in concluded else 'not applicable'}")
    if expect.get("only"):
        extra = concluded - set(expect.get("concluded", []))
        if extra:
            problems.append(f"expected only {sorted(expect.get('concluded', []))}, also concluded {sorted(extra)}")
    details = [d_ for v in out["verdicts"] for d_ in v.get("details", [])]
    for text in expect.get("details_contain", []):
        if not any(text in x for x in details):
            problems.append(f"no verdict detail contains {text!r}; details were {details}")
    missing = [m for u in out["undetermined"] for m in u["missing"]]
    for text in expect.get("missing_contains", []):
        if not any(text in m for m in missing):
            problems.append(f"no undetermined verdict names missing {text!r}; missing were {sorted(set(missing))}")
    problems += _pinned(out, expect)
    for phrase in expect.get("must_not_say", []):
        said = [f"{v['code']}: {x!r}" for v in out["verdicts"]
                for x in [v["message"], *v.get("details", []), *v.get("remedies", []), *v.get("warnings", [])] if phrase in x]
        if said:
            problems.append(f"must not say {phrase!r}, but it is said in {'; '.join(said)}")
    problems += _remedy_changes(eng, snap, sel.users[0], sel.business_units[0], out, case.get("symptom"))
    fired = {f.rule for f in d.firings}
    return CaseResult(str(file), span.line, case["name"], not problems, problems, out, fired, expect, span.col)


def _remedy_changes(eng: Engine, snap: Snapshot, ui: int, bi: int, out: dict[str, Any], symptom: str | None) -> list[str]:
    """Each change a concluded verdict's remedy declares (docs/authoring.md) must remove that
    verdict when applied to the case's org; one that does not apply here (a name unknown in this
    case: a user without a role) is checked in the cases where it does."""
    from .remedies import check  # local: api/remedies.py loads the what-if machinery (about 25 ms, python -X importtime); only --verify-remedies and remedy checks pay it
    problems = []
    for v in out["verdicts"]:
        for declared in v.get("remedy_changes", []):
            c = check(eng, snap, ui, bi, v["code"], declared, symptom)
            v.setdefault("remedy_checks", []).append(c)
            if c["applies"] and not c["cause_gone"]:
                problems.append(f"{v['code']}: remedy {c['remedy']} declares the change '{c['change']}', which does not "
                                "remove the verdict when applied to this case's org")
    return problems


def _pinned(out: dict[str, Any], expect: dict[str, Any]) -> list[str]:
    """message_contains / remedies_contain / warnings_contain: each phrase in that verdict's text."""
    problems: list[str] = []
    verdicts = {v["code"]: v for v in out["verdicts"]}
    for key, field_, what in (("message_contains", "message", "message"), ("remedies_contain", "remedies", "remedy"),
                              ("warnings_contain", "warnings", "warning")):
        for code, phrases in expect.get(key, {}).items():
            v = verdicts.get(code)
            if v is None:
                continue  # reported as "expected CODE to be concluded"
            texts = [v[field_]] if field_ == "message" else v.get(field_, [])
            for phrase in phrases:
                if not any(phrase in t for t in texts):
                    problems.append(f"{code}: no {what} contains {phrase!r}; " + (
                        f"the message is {v['message']!r}" if field_ == "message" else f"the {field_} are {texts}"))
    return problems


def coverage(eng: Engine, results: list[CaseResult]) -> tuple[list[str], list[str]]:
    """Rules no case fires, and sections of cited sources that no rule cites (known gaps excluded)."""
    fired = set().union(*(r.fired_rules for r in results)) if results else set()
    gaps = eng.ruleset.known_gaps
    uncovered_rules = [r.id for r in eng.ruleset.active_rules if r.id not in fired and r.id not in gaps.get("rules", ())]
    cited = {(c.source, c.section) for r in eng.ruleset.active_rules for c in r.citations}
    uncovered_sections = []
    for source_id in sorted({a for a, _ in cited}):
        source = eng.ruleset.sources.get(source_id)
        for s in source.sections if source else ():
            key = f"{source_id}#{s.id}"
            if (source_id, s.id) not in cited and key not in gaps.get("sections", ()):
                uncovered_sections.append(key)
    return uncovered_rules, uncovered_sections


def covering_cases(results: list[CaseResult]) -> dict[str, list[str]]:
    """rule id -> the cases (file: name) in which it fires."""
    covering: dict[str, list[str]] = {}
    for r in results:
        for rid in sorted(r.fired_rules):
            covering.setdefault(rid, []).append(f"{Path(r.file).name}: {r.name}")
    return covering


@dataclass
class FolderRun:
    """`rules test`'s finished values: each case's result, the findings of the case files, the
    rules no case fires and the cited sections no rule cites, how many rules are active, and
    whether all is well (every case passed, no finding, nothing uncovered)."""
    results: list[CaseResult]
    findings: list[Finding]
    uncovered_rules: list[str]
    uncovered_sections: list[str]
    active_rules: int
    ok: bool


def run_folder(directory: Path | None) -> FolderRun:
    """Every case of the rules folder `directory` (None: the default rules), run through the
    pipeline, and its coverage. FindingError when the rules do not load."""
    ruleset = require_ruleset(directory if directory is not None else default_rules_dir())
    eng = Engine(ruleset)
    results, findings = run_cases(eng, case_files(ruleset.case_paths))
    rules_gap, sections_gap = coverage(eng, results)
    ok = bool(all(r.passed for r in results) and not findings and not rules_gap and not sections_gap and results)
    return FolderRun(results, findings, rules_gap, sections_gap, len(ruleset.active_rules), ok)
