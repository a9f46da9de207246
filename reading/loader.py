"""Safe, line-aware loading of every file syncdoctor reads (rules, snapshots, answers, cases,
audit records).

Reading refuses what is not text (directories, binary files, bad UTF-8, files over a size
limit) with a located finding; parsing is in ``yamlload`` (YAML: strings as written, no
anchors, tags or duplicate keys) and ``jsonload`` (JSON: no duplicate keys, no infinities, no
lone surrogates). Loading never constructs objects.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from .findings import Finding, FindingError, Span
from .jsonload import parse_json
from .located import LocatedDict, LocatedList, json_path, line_col, locate
from .yamlload import REREAD_LIMIT, parse_yaml, parse_yaml_fast

__all__ = ["LocatedDict", "LocatedList", "json_path", "locate", "parse_json", "parse_yaml", "parse_yaml_fast",
           "read_text", "read_bytes", "decode_text", "load_file", "located_json", "REREAD_LIMIT", "RULE_FILE_LIMIT", "SNAPSHOT_LIMIT", "SNAPSHOT_LIMITS", "snapshot_limit"]

RULE_FILE_LIMIT = 1_000_000  # bytes; a rule file, an answers file or a case file is pages of text
# Snapshot size limits, per format, from measurements (docs/reliability.md, "Limits"): the
# largest file each parser reads within the time and memory a diagnosis promises.
SNAPSHOT_LIMITS = {"json": 150_000_000, "yaml": 64_000_000}
SNAPSHOT_LIMIT = max(SNAPSHOT_LIMITS.values())  # audit records embed a snapshot; read as JSON


def snapshot_limit(path: Path | str) -> int:
    return SNAPSHOT_LIMITS["json" if str(path).lower().endswith(".json") else "yaml"]


def read_text(path: Path, limit: int) -> str:
    """Read a UTF-8 text file (a byte-order mark is dropped) or raise a located finding."""
    return decode_text(read_bytes(path, limit), str(path))


def read_bytes(path: Path, limit: int) -> bytes:
    """A file's bytes, refused (located finding) when it is not a file or is over `limit`."""
    file = str(path)
    try:
        if path.is_dir():
            raise FindingError([Finding(Span(file), "not-a-file", "is a directory, expected a file")])
        size = path.stat().st_size
    except FileNotFoundError:
        raise FindingError([Finding(Span(file), "file-not-found", "no such file")]) from None
    except OSError as exc:
        raise FindingError([Finding(Span(file), "unreadable", f"cannot read: {exc.strerror}")]) from None
    if size > limit:
        raise FindingError([Finding(Span(file), "file-too-large", f"file is {size:,} bytes, over the {limit:,}-byte limit for this kind of file")])
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)  # a file that grew since stat() is still bounded
    except OSError as exc:
        raise FindingError([Finding(Span(file), "unreadable", f"cannot read: {exc.strerror}")]) from None
    if len(data) > limit:
        raise FindingError([Finding(Span(file), "file-too-large", f"file is over the {limit:,}-byte limit for this kind of file")])
    return data


def decode_text(data: bytes, file: str) -> str:
    """UTF-8 text without its byte-order mark, or a located finding (binary, not UTF-8)."""
    if b"\x00" in data:
        raise FindingError([Finding(Span(file), "binary-file", "looks like a binary file (contains NUL bytes), expected text")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = line_col(data.decode("latin-1"), exc.start)
        raise FindingError([Finding(Span(file, line, col), "not-utf8", "the file is not valid UTF-8 text")]) from None
    return text.removeprefix("\ufeff")


def located_json(text: str, file: str) -> Any | None:
    """A JSON document (already parsed once without problems) read again as YAML 1.2, of which
    JSON is a subset, so that later findings can name lines; None when too large or when
    PyYAML cannot read this JSON (tabs between tokens, say): findings then name the field."""
    if len(text) > REREAD_LIMIT:
        return None
    try:
        return parse_yaml(text.removeprefix("\ufeff"), file)
    except FindingError:
        return None


def load_file(path: Path, limit: int = RULE_FILE_LIMIT) -> Any:
    """Load a YAML or JSON file (by extension; YAML otherwise)."""
    text = read_text(path, limit)
    if path.suffix.lower() == ".json":
        return parse_json(text, str(path))
    return parse_yaml(text, str(path))
