"""Load a rules directory: manifest, vocabulary, sources, symptoms, glossary, lock and rule files
(each document read by engine/rulefiles.py).

Loading gathers every finding at once; the semantic checks (engine/checks/) run over what
loaded. Nothing is half-loaded: callers get a Ruleset only when there are no errors.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path
from typing import Any

from syncdoctor.reading.findings import Finding, FindingError, Severity, Span
from syncdoctor.reading.loader import locate

from .checks import run_checks as _run
from .checks.lock import lock_command
from .model import Rule, Ruleset, Term
from .rulefiles import (MANIFEST, Collector, check_schema_line, format_finding, read_rule, read_sources, read_symptoms,
                        read_vocabulary)

__all__ = ["LOCK_CODES", "MANIFEST", "RULES_ENV", "default_rules_dir", "format_finding", "inside", "load_ruleset",
           "packaged_rules_dir", "require_ruleset", "root_causes_first"]


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
    manifest_path = root / MANIFEST
    if not root.exists():
        return None, [Finding(Span(str(root)), "no-such-directory", "the rules directory does not exist")]
    if not root.is_dir():
        return None, [Finding(Span(str(root)), "not-a-directory", "expected a rules directory (holding ruleset.yaml)")]
    if not manifest_path.exists():
        return None, [Finding(Span(str(manifest_path)), "no-manifest", f"no {MANIFEST} in the rules directory")]
    folder = _Folder(root, manifest_path)
    manifest = folder.col.load(manifest_path, "ruleset")
    if manifest is None:
        return None, folder.col.findings
    ruleset = folder.ruleset(manifest)
    if ruleset is not None and run_checks:
        folder.col.findings.extend(_run(ruleset))
    findings = root_causes_first(folder.col.findings)
    if any(f.severity is Severity.ERROR and not (lock_is_advice and f.id in LOCK_CODES) for f in findings):
        return None, findings
    return ruleset, findings


class _Folder:
    """One load of a rules folder: its findings, and the hash of every file read."""

    def __init__(self, root: Path, manifest_path: Path) -> None:
        self.root, self.manifest_path = root, manifest_path
        self.col = Collector()
        self.file_hashes: dict[str, str] = {}

    def remember(self, p: Path) -> None:
        try:
            self.file_hashes[p.relative_to(self.root).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
        except OSError:
            pass

    def _where(self, manifest: Any, path: list) -> Span:
        return locate(manifest, path, Span(str(self.manifest_path)))

    def path_of(self, manifest: Any, key: str) -> Path | None:
        p = inside(self.root, manifest[key])
        if p is None:
            self.col.findings.append(Finding(self._where(manifest, [key]), "path-outside",
                                             f"{key}: {manifest[key]!r} is not a file inside the rules folder; "
                                             "name it relative to ruleset.yaml, like sources.yaml"))
        return p

    def ruleset(self, manifest: Any) -> Ruleset | None:
        """The folder's documents read in the manifest's order; None without a vocabulary."""
        self.remember(self.manifest_path)
        vocab_path, sources_path, symptoms_path, glossary_path, lock_path = (
            self.path_of(manifest, k) for k in ("vocabulary", "sources", "symptoms", "glossary", "lock"))
        loaded: dict[str, Any] = {}
        for key, path in (("vocabulary", vocab_path), ("sources", sources_path), ("symptoms", symptoms_path),
                          ("glossary", glossary_path)):
            loaded[key] = self.col.load(path, key) if path is not None else None
            if path is not None:
                self.remember(path)
        lock, lock_version = self.lock(lock_path)
        col = self.col
        sources = read_sources(loaded["sources"], str(sources_path), col) if loaded["sources"] is not None else {}
        symptoms = read_symptoms(loaded["symptoms"], str(symptoms_path), col) if loaded["symptoms"] is not None else {}
        glossary = ({k: Term(k, v["text"], v.get("description", "")) for k, v in loaded["glossary"]["terms"].items()}
                    if loaded["glossary"] is not None else {})
        vocabulary = (read_vocabulary(loaded["vocabulary"], str(vocab_path), tuple(symptoms), col)
                      if loaded["vocabulary"] is not None and loaded["symptoms"] is not None else None)
        rules = self.rules(self.rule_files(manifest))
        case_paths = self.case_paths(manifest)
        if vocabulary is None:
            return None
        gaps = manifest.get("known_gaps", {}) or {}
        return Ruleset(
            name=manifest["name"], version=manifest["version"], description=manifest["description"],
            root=str(self.root), vocabulary=vocabulary, sources=sources, rules=tuple(rules), lock=lock,
            file_hashes=self.file_hashes, case_paths=tuple(case_paths),
            known_gaps={"rules": tuple(gaps.get("rules", [])), "sections": tuple(gaps.get("sections", []))},
            symptoms=symptoms, glossary=glossary, lock_version=lock_version,
            version_span=self._where(manifest, ["version"]),
        )

    def lock(self, lock_path: Path | None) -> tuple[dict[str, dict], Any]:
        """The lock's entries (each with its span) and the ruleset version it records."""
        lock: dict[str, dict] = {}
        lock_version = None
        if lock_path is not None and lock_path.exists():
            lock_raw = self.col.load(lock_path, "lock", versioned=False)
            if lock_raw is not None:
                lock_version = lock_raw.get("ruleset_version")
                lock = {k: dict(v, span=locate(lock_raw, ["rules", k], Span(str(lock_path))))
                        for k, v in lock_raw["rules"].items()}
        elif lock_path is not None:
            self.col.findings.append(Finding(Span(str(lock_path)), "lock-missing",
                                             f"no lock file: run {lock_command(str(self.root))} to record each rule's "
                                             "content hash", Severity.WARNING))
        return lock, lock_version

    def rule_files(self, manifest: Any) -> list[Path]:
        """Every YAML file under the manifest's rules folders; a folder or link leading out is a finding."""
        root, found = self.root, []
        for i, folder in enumerate(manifest["rules"]):
            base = inside(root, folder)
            if base is None or not base.is_dir():
                self.col.findings.append(Finding(self._where(manifest, ["rules", i]),
                                                 "no-such-directory" if base is not None else "path-outside",
                                                 f"rules folder {folder!r} " + ("does not exist" if base is not None else
                                                                                "is not a folder inside the rules folder")))
                continue
            for p in sorted(p for p in base.rglob("*") if p.suffix in (".yaml", ".yml")):
                if inside(root, p.relative_to(root).as_posix()) is None:  # a symlink out: named, never skipped silently
                    self.col.findings.append(Finding(Span(str(p)), "path-outside",
                                                     f"{p.relative_to(root).as_posix()} leads outside the rules folder "
                                                     f"(to {os.path.realpath(p)}): it is not read; copy the file in instead"))
                elif p.is_file():
                    found.append(p)
        return found

    def rules(self, paths: list[Path]) -> list[Rule]:
        rules: list[Rule] = []
        for path in paths:
            self.remember(path)
            raw = self.col.load(path, "rule")
            check_schema_line(path, self.root, self.col)
            if raw is None:
                continue
            rule = read_rule(raw, str(path), self.col)
            if rule is not None:
                rules.append(rule)
        return rules

    def case_paths(self, manifest: Any) -> list[str]:
        out: list[str] = []
        for i, c in enumerate(manifest.get("cases", [])):
            p = inside(self.root, c)
            if p is None:
                self.col.findings.append(Finding(self._where(manifest, ["cases", i]), "path-outside",
                                                 f"cases: {c!r} is not inside the rules folder"))
            else:
                out.append(str(p))
        return out


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
