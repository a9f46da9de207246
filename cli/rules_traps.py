"""What `rules check` finds in the rules folder beyond the knowledge itself: files that the
package would not ship or that nothing reads (an editor backup `*.yaml~`, `.DS_Store`, a notes
file, a case saved as `.yml`, a fixture org no case names). Each would pass the knowledge's own
checks and then fail `make test` (the packaging test) or be silently ignored."""
from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any

from syncdoctor.reading.findings import FindingError, Severity
from syncdoctor.reading.loader import load_file
from syncdoctor.api.knowledge import MAP_FILE, map_findings, packaged_rules_dir, Ruleset

from syncdoctor.api.cases import ORGS, case_files
import tomllib

_LEFTOVERS = (".DS_Store", "Thumbs.db", "desktop.ini")
_LEFTOVER_SUFFIXES = (".bak", ".orig", ".rej", ".swp", ".swo", ".tmp")


def _manifest_files(root: Path) -> set[Path]:
    try:
        manifest = load_file(root / "ruleset.yaml")
    except FindingError:
        return set()
    names = [manifest.get(k) for k in ("vocabulary", "sources", "symptoms", "glossary", "lock", "changelog")] if isinstance(manifest, dict) else []
    return {(root / n).resolve() for n in names if isinstance(n, str)}


def _named_by_manifest(base: Path) -> set[Path]:
    """Files the manifest's text names for people (`Changes: rules/CHANGELOG.md`): documents
    that travel with the knowledge are read, by its readers."""
    try:
        text = (base / "ruleset.yaml").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return set()
    return {f.resolve() for f in base.rglob("*") if f.is_file() and f.suffix == ".md"
            and (f.relative_to(base).as_posix() in text or f.name in text)}


def _snapshots_named(files: list[Path]) -> set[Path]:
    """The fixture orgs the case files name (`snapshot:` at the top or in a case)."""
    out: set[Path] = set()
    for f in files:
        try:
            data: Any = load_file(f)
        except FindingError:
            continue
        if not isinstance(data, dict):
            continue
        refs = [data.get("snapshot")] + [c.get("snapshot") for c in data.get("cases") or [] if isinstance(c, dict)]
        out |= {(f.parent / r).resolve() for r in refs if isinstance(r, str)}
    return out


def shipped_patterns(root: Path) -> dict[Path, list[str]] | None:
    """Folder -> the file patterns the package ships from it (pyproject's package-data), for
    the project's own rules folder; None elsewhere (an installed or a copied folder)."""
    pyproject = root.resolve().parent / "pyproject.toml"
    if not pyproject.is_file():
        return None
    try:
        setup = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["setuptools"]
    except (OSError, ValueError, KeyError):
        return None
    if setup.get("package-dir", {}).get("syncdoctor.rules") != root.resolve().name:
        return None
    out: dict[Path, list[str]] = {}
    for name, patterns in setup.get("package-data", {}).items():
        if name == "syncdoctor.rules" or name.startswith("syncdoctor.rules."):
            out[root.resolve().joinpath(*name.split(".")[2:])] = list(patterns)
    return out


def stray_files(root: Path, ruleset: Ruleset) -> list[str]:
    """One `stray-file` line per file under the rules folder that nothing reads or that the
    package would leave out, saying what to do with it."""
    base = root.resolve()
    cases = case_files(ruleset.case_paths)
    read = {(base / k).resolve() for k in ruleset.file_hashes} | _manifest_files(root) | {f.resolve() for f in cases}
    read |= _snapshots_named(cases) | _named_by_manifest(base)
    ships = shipped_patterns(root)
    out = []
    for f in sorted(p for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        rel = f.relative_to(base).as_posix()
        problems = []
        if f.resolve() not in read:
            problems.append("nothing reads it")
        if ships is not None and not any(fnmatch.fnmatch(f.name, pat) for pat in ships.get(f.parent, [])):
            problems.append("the package would not ship it (tests/test_packaging.py fails)")
        if problems:
            out.append(f"{f}  stray-file  {rel}: {' and '.join(problems)}: {_advice(f, base)}")
    return out


def _advice(f: Path, base: Path) -> str:
    name = f.name
    if name in _LEFTOVERS or name.endswith("~") or name.startswith((".#", "#")) or f.suffix in _LEFTOVER_SUFFIXES:
        return "an editor or system leftover: delete it"
    in_orgs = ORGS in f.relative_to(base).parts[:-1]
    if f.suffix == ".yml":
        return f"rename it to {f.with_suffix('.yaml').name} (syncdoctor reads and ships .yaml files only)"
    if in_orgs and f.suffix == ".yaml":
        return "no case names this fixture org as its `snapshot:`: use it in a case, or delete it"
    return "move it out of the rules folder (notes belong in docs/), or delete it"


def _is_shipped_knowledge(ruleset: Ruleset) -> bool:
    try:
        manifest = load_file(packaged_rules_dir() / "ruleset.yaml")
    except (FindingError, FileNotFoundError):
        return False
    return isinstance(manifest, dict) and (manifest.get("name"), manifest.get("version")) == (ruleset.name, ruleset.version)


def unread_input_fields(root: Path, ruleset: Ruleset) -> tuple[list[str], list[str]]:
    """Where facts/snapshot-map.yaml, the vocabulary and the snapshot schema disagree
    (facts/map_check.py), as (problems, notes). A field the map provides and the vocabulary
    does not declare is a problem for the knowledge the map ships with (its name and version)
    and a note for any other (an older knowledge, a test fixture)."""
    findings = map_findings(ruleset.vocabulary)
    shipped = _is_shipped_knowledge(ruleset)
    problems = [str(f) for f in findings if shipped or f.severity is Severity.ERROR]
    unused = [f for f in findings if not shipped and f.severity is not Severity.ERROR]
    notes = [f"{len(unused)} fields of {MAP_FILE.name} are not in this vocabulary, so no rule of this folder reads them "
             f"(an older knowledge): " + ", ".join(f"{f.message.split(':', 1)[0]} (line {f.span.line})" for f in unused)] if unused else []
    return problems, notes
