"""`syncdoctor rules check [DIR]`: everything CI checks about the knowledge, in one run.

In order, root causes first: every file of the rules folder (manifest, vocabulary, sources,
symptoms, glossary, rules, lock) and every case file, with file:line:col; then every case;
rule and section coverage; the pins (each conclusion's message and each of its remedies pinned
by a case); and docs/knowledge.md up to date. Regenerating is separate (`rules lock`,
`rules docs`): the check names the regenerator when one would fix a finding.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from syncdoctor.api.knowledge import LOCK_CODES, Engine, load_ruleset, Ruleset
from syncdoctor.reading.findings import Finding, FindingError

from syncdoctor.api import cases
from .knowledge_docs import catalogue
from .rules_traps import stray_files, unread_input_fields
import tomllib


@dataclass
class CheckReport:
    findings: list[Finding] = field(default_factory=list)  # located problems in files
    problems: list[str] = field(default_factory=list)  # every reason the check fails, in order
    cases: int = 0
    passed: int = 0
    notes: list[str] = field(default_factory=list)  # what was checked (for the summary)
    ran_cases: bool = False


def default_docs(root: Path) -> Path | None:
    """docs/knowledge.md next to a rules folder of a checkout (none for the installed package)."""
    candidate = root.resolve().parent / "docs" / "knowledge.md"
    return candidate if candidate.exists() else None


def check_knowledge(root: Path, docs: Path | None) -> CheckReport:
    report = CheckReport()
    # a lock that disagrees (a change not bumped) is reported after the cases, which still run:
    # a failing case says more about an edit than its missing version bump
    ruleset, findings = load_ruleset(root, lock_is_advice=True)
    report.findings.extend(findings)
    if ruleset is None:
        report.problems += [str(f) for f in findings]
        return report
    lock_problems = [str(f) for f in findings if f.id in LOCK_CODES]
    findings = [f for f in findings if f.id not in LOCK_CODES]
    eng = Engine(ruleset)
    report.ran_cases = True
    files = cases.case_files(ruleset.case_paths)
    results, case_findings = cases.run_cases(eng, files)
    report.findings.extend(case_findings)
    # the rules' findings keep their order (causes first, lock consequences last), then the cases'
    report.problems += [str(f) for f in findings + sorted(case_findings, key=Finding.sort_key)]
    report.cases = sum(1 for r in results if not r.name.startswith("(the case file"))
    report.passed = sum(r.passed for r in results)
    for r in results:
        if not r.passed and not r.name.startswith("(the case file"):
            report.problems.append(f"{r.file}:{r.line}:{r.col}  case-failed  {r.name}: " + "; ".join(r.problems))
    report.problems += lock_problems + unpackaged_folders(root)
    unread, unused = unread_input_fields(root, ruleset)
    report.problems += stray_files(root, ruleset) + unread
    report.notes += unused
    if case_findings or report.passed < len(results):
        # Coverage, pins and the generated page are judged over passing cases: with a case file
        # dropped or a case failing they would only repeat that failure, rule by rule.
        report.notes.append("coverage, pins and docs/knowledge.md are judged once every case file loads and every case passes")
        return report
    rules_gap, sections_gap = cases.coverage(eng, results)
    report.problems += [f"{ruleset.rule(rid).span}  uncovered-rule  no case makes rule {rid} fire: write a case for it"
                        for rid in rules_gap]
    report.problems += [f"{root / 'sources.yaml'}  uncovered-section  no rule cites {s}" for s in sections_gap]
    report.problems += unpinned(ruleset, results)
    report.problems += unproven_remedy_changes(ruleset, results)
    if docs is not None:
        report.problems += stale_docs(ruleset, results, docs)
        report.notes.append(f"{docs} compared")
    else:
        report.notes.append("no docs/knowledge.md next to the rules folder: not compared")
    return report


def unproven_remedy_changes(ruleset: Ruleset, results: list[cases.CaseResult]) -> list[str]:
    """A remedy change no case applies is unproven: each declared change must be shown, in at
    least one of the rule's own cases, to remove the verdict (a case that applies it and keeps
    the verdict fails by itself)."""
    proven = {(v["code"], c["remedy"]) for r in results for v in r.output.get("verdicts", [])
              for c in v.get("remedy_checks", []) if c["applies"] and c["cause_gone"]}
    return [f"{rule.conclude.span}  unproven-remedy-change  {rule.conclude.code}: no case applies the change remedy {n} "
            "declares (write a case where its names are known)"
            for rule in ruleset.active_rules if rule.conclude for n, _ in rule.conclude.remedy_changes
            if (rule.conclude.code, n) not in proven]


def unpackaged_folders(root: Path) -> list[str]:
    """In a checkout, every folder of rules/ holding files must be a package of pyproject.toml
    (else the wheel leaves its files out, and tests/test_packaging.py fails)."""
    pyproject = root.resolve().parent / "pyproject.toml"
    if not pyproject.is_file():
        return []
    try:
        setup = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["setuptools"]
    except (OSError, ValueError, KeyError):
        return []
    if setup.get("package-dir", {}).get("syncdoctor.rules") != root.resolve().name:
        return []  # not the project's own rules folder
    declared, data = set(setup.get("packages", [])), setup.get("package-data", {})
    out = []
    for folder in sorted({f.parent for f in root.rglob("*") if f.is_file() and "__pycache__" not in f.parts}):
        name = ".".join(["syncdoctor.rules", *folder.relative_to(root.resolve() if folder.is_absolute() else root).parts])
        if name not in declared or name not in data:
            out.append(f"{pyproject}  unpackaged-folder  {folder} holds rule files that the package would leave out: "
                       f"add \"{name}\" to [tool.setuptools] packages and [tool.setuptools.package-data] "
                       f"(\"{name}\" = [\"*.yaml\"]) in pyproject.toml")
    return out


def unpinned(ruleset: Ruleset, results: list[cases.CaseResult]) -> list[str]:
    """Conclusion rules whose message, or one of whose remedies, no passing case pins with a phrase,
    so that an inverted instruction would still pass every case. A remedy's pin must start where
    the remedy starts: its first words say what to do ("Disable…", "Unassign…"), and a pin found
    only further in would let "Do not disable…" or "unassign" for "assign" pass."""
    out: list[str] = []
    for rule in ruleset.active_rules:
        c = rule.conclude
        if c is None:
            continue
        message_pinned = False
        remedy_pinned = [False] * len(c.remedies)
        loose: dict[int, list[str]] = {}  # remedy -> cases that pin it only in its middle
        for r in results:
            if not r.passed or not r.output:
                continue
            verdict = next((v for v in r.output["verdicts"] if v["code"] == c.code), None)
            if verdict is None:
                continue
            message_pinned |= bool(r.expect.get("message_contains", {}).get(c.code))
            for phrase in r.expect.get("remedies_contain", {}).get(c.code, []):
                for i, text in enumerate(verdict["remedies"][:len(c.remedies)]):
                    if text.startswith(phrase):
                        remedy_pinned[i] = True
                    elif phrase in text:
                        loose.setdefault(i, []).append(
                            f"{r.file}:{r.line}:{r.col}  unanchored-pin  case {r.name!r} pins {c.code}'s remedy {i + 1} "
                            f"with {phrase!r}, which does not start it ({text[:60]!r}…): pin the remedy from its first word")
        if not message_pinned:
            out.append(f"{rule.conclude.span}  unpinned-message  no case pins a phrase of {c.code}'s message: "
                       f"add `message_contains: {{{c.code}: [\"...\"]}}` to a case that concludes it")
        for i, pinned in enumerate(remedy_pinned):
            if pinned:
                continue
            if i in loose:
                out += loose[i]
            else:
                out.append(f"{rule.conclude.span}  unpinned-remedy  no case pins {c.code}'s remedy {i + 1} from its start "
                           f"({c.remedies[i][:50]!r}…): add its first words under `remedies_contain: {{{c.code}: [...]}}`")
    return out


def stale_docs(ruleset: Ruleset, results: list[cases.CaseResult], docs: Path) -> list[str]:
    try:
        current = docs.read_text("utf-8")
    except OSError as exc:
        return [f"{docs}  docs-unreadable  {exc.strerror}"]
    if current != catalogue(ruleset, cases.covering_cases(results)):
        return [f"{docs}  docs-stale  docs/knowledge.md does not match the rules: "
                f"run `syncdoctor rules docs {ruleset.root} --out {docs}`"]
    return []


__all__ = ["CheckReport", "FindingError", "check_knowledge", "default_docs"]
