"""One finding type for every problem found in rules, snapshots and answers files."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import Enum


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
        if self.line:
            return f"{self.file}:{self.line}:{self.col}"
        return self.file


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
        return f"{self.span}  {self.id}  {sev}{self.message}"

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


@dataclass
class FindingError(Exception):
    """Raised when loading cannot go on; carries every finding gathered so far."""

    findings: list[Finding] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(str(f) for f in sorted(self.findings, key=Finding.sort_key))
