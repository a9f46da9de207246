"""Scenario cases: tests that knowledge-base authors write as data next to the rules."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from syncdoctor.engine import schemas
from syncdoctor.engine.findings import Finding, FindingError, Span
from syncdoctor.engine.loader import load_file, locate
from syncdoctor.engine.run import Engine
from syncdoctor.facts.snapshot import Snapshot, load_snapshot, parse_snapshot

from . import service


@dataclass
class CaseResult:
    file: str
    line: int
    name: str
    passed: bool
    problems: list[str] = field(default_factory=list)
    output: dict[str, Any] = field(default_factory=dict)
    fired_rules: set[str] = field(default_factory=set)


def case_files(ruleset_root: Path, case_paths: tuple[str, ...]) -> list[Path]:
    files: list[Path] = []
    for p in case_paths:
        path = Path(p)
        if path.is_dir():
            files.extend(sorted(x for x in path.glob("*.yaml") if x.is_file()))
        elif path.is_file():
            files.append(path)
    return files


def run_cases(eng: Engine, files: list[Path]) -> tuple[list[CaseResult], list[Finding]]:
    results: list[CaseResult] = []
    findings: list[Finding] = []
    cache: dict[str, Snapshot] = {}
    for file in files:
        try:
            data = load_file(file)
        except FindingError as exc:
            findings.extend(exc.findings)
            continue
        found = schemas.check("cases", data, str(file))
        if found:
            findings.extend(found)
            continue
        for i, case in enumerate(data["cases"]):
            span = locate(data, ["cases", i], Span(str(file)))
            try:
                results.append(_run_case(eng, file, data, case, span, cache))
            except FindingError as exc:
                findings.extend(exc.findings)
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
        sel = service.select(snap, case["user"], False, case.get("business_unit"))
    except service.UsageProblem as exc:
        return CaseResult(str(file), span.line, case["name"], False, [str(exc)])
    if len(sel.business_units) > 1:
        return CaseResult(str(file), span.line, case["name"], False,
                          ["the snapshot has several business units: say which with `business_unit:`"])
    diagnoses = service.run(eng, snap, sel, case.get("symptom"))
    d = diagnoses[0]
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
    fired = {f.rule for f in d.firings}
    return CaseResult(str(file), span.line, case["name"], not problems, problems, out, fired)


def coverage(eng: Engine, results: list[CaseResult]) -> tuple[list[str], list[str]]:
    """Rules no case fires, and cited article sections no rule cites (known gaps excluded)."""
    fired = set().union(*(r.fired_rules for r in results)) if results else set()
    gaps = eng.ruleset.known_gaps
    uncovered_rules = [r.id for r in eng.ruleset.active_rules if r.id not in fired and r.id not in gaps.get("rules", ())]
    cited = {(c.article, c.section) for r in eng.ruleset.active_rules for c in r.citations}
    uncovered_sections = []
    for number in sorted({a for a, _ in cited}):
        article = eng.ruleset.articles.get(number)
        for s in article.sections if article else ():
            key = f"{number}#{s.id}"
            if (number, s.id) not in cited and key not in gaps.get("sections", ()):
                uncovered_sections.append(key)
    return uncovered_rules, uncovered_sections


def junit(results: list[CaseResult]) -> str:
    from xml.sax.saxutils import escape, quoteattr
    failures = sum(not r.passed for r in results)
    lines = ['<?xml version="1.0" encoding="utf-8"?>',
             f'<testsuite name="syncdoctor-rules" tests="{len(results)}" failures="{failures}">']
    for r in results:
        lines.append(f'  <testcase classname={quoteattr(Path(r.file).name)} name={quoteattr(r.name)}>')
        if not r.passed:
            lines.append(f'    <failure message={quoteattr(r.problems[0])}>{escape(chr(10).join(r.problems))}</failure>')
        lines.append("  </testcase>")
    lines.append("</testsuite>")
    return "\n".join(lines) + "\n"
