"""One finding type for every problem found in rules, snapshots and answers files."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import Enum
from typing import Iterable

from .words import visible

# A file with 100,000 wrong items is one mistake repeated: the first findings and a count say
# so; printing every one took seconds and a gigabyte.
FINDINGS_PER_FILE = 50
MORE = "more-findings"


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Span:
    """Where a loaded thing came from: file, 1-based line and column."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        """For a terminal: a file's name may hold any character (a line break, an ESC)."""
        if self.line:
            return f"{visible(self.file)}:{self.line}:{self.col}"
        return visible(self.file)


@dataclass(frozen=True)
class Finding:
    span: Span
    id: str
    message: str
    severity: Severity = Severity.ERROR

    def sort_key(self) -> tuple:
        return (self.span.file, self.span.line, self.span.col, self.id, self.message)

    def __str__(self) -> str:
        sev = "" if self.severity is Severity.ERROR else f"({self.severity.value}) "
        return f"{self.span}  {self.id}  {sev}{visible(self.message)}"  # one line: a name in it may hold any character

    @property
    def fingerprint(self) -> str:
        """A stable hash that does not change when unrelated lines move."""
        return hashlib.sha256(f"{self.span.file}|{self.id}|{self.message}".encode()).hexdigest()[:16]

    def to_json(self) -> dict:
        return {
            "file": self.span.file,
            "line": self.span.line,
            "col": self.span.col,
            "id": self.id,
            "severity": self.severity.value,
            "message": self.message,
            "fingerprint": self.fingerprint,
        }


def more_finding(file: str, count: int, shown: int, exact: bool) -> Finding:
    amount = f"{count:,}" if exact else f"over {count:,}"
    return Finding(Span(file), MORE, f"and {amount} more findings in this file (the first {shown} are shown)")


def _more_count(f: Finding) -> tuple[int, bool]:
    """The count a MORE finding carries, and whether it is exact."""
    words = f.message.split()
    exact = words[1] != "over"
    return int((words[1] if exact else words[2]).replace(",", "")), exact


def cap_per_file(findings: list[Finding], limit: int = 0) -> list[Finding]:
    """At most ``limit`` findings of each file (in the order given), then a count of the others."""
    limit = limit or FINDINGS_PER_FILE
    by_file: dict[str, list[Finding]] = {}
    for f in findings:
        by_file.setdefault(f.span.file, []).append(f)
    if all(len(items) <= limit for items in by_file.values()):
        return findings
    out: list[Finding] = []
    for file, items in by_file.items():
        plain = [f for f in items if f.id != MORE]
        counts = [_more_count(f) for f in items if f.id == MORE]
        more = sum(n for n, _ in counts)
        inexact = any(not exact for _, exact in counts)
        out.extend(plain[:limit])
        rest = len(plain) - min(limit, len(plain)) + more
        if rest or inexact:
            out.append(more_finding(file, rest, min(limit, len(plain)), exact=not inexact))
    return out


@dataclass
class FindingError(Exception):
    """Raised when loading cannot go on; carries the findings gathered so far (capped per file)."""

    findings: list[Finding] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.findings = cap_per_file(self.findings)

    def __str__(self) -> str:
        return "\n".join(str(f) for f in sorted(self.findings, key=Finding.sort_key))
