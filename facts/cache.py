"""Validated snapshots kept between runs, so that a large org is parsed and checked once.

A snapshot that passed every check (syntax, schema, ids, references) is stored as compact JSON
under the platform's cache directory (platformdirs: ``~/.cache/syncdoctor`` on Linux), keyed by
the sha256 of the file's bytes, the format it was read as, and the identity of the code that
validates it (the snapshot schema and the source of the loading modules: any change to either
is a different key). The next run that reads the same bytes finds the entry and skips parsing
and validation; a changed file has another hash and is never served stale.

What an entry is trusted for, and how far:
- It is written atomically (a temporary file renamed over the entry) with mode 0600, in a
  directory the user owns and nobody else may write (otherwise the cache is not used at all).
- It is read back only when its header names the same key, code identity and payload digest,
  and the payload's sha256 matches: a truncated, corrupted or foreign entry is ignored (and
  rewritten by this run). The payload is parsed as JSON, never as code (no pickle).
- Only the bytes' hash is the key, never (path, size, mtime): hashing 61 MB takes 30 ms, so
  there is no reason to trust a file's metadata instead of its content.

``SYNCDOCTOR_NO_CACHE=1`` disables it; ``SYNCDOCTOR_CACHE_DIR`` moves it (the tests use a
temporary one). Files under ``MIN_BYTES`` are not cached (parsing them costs milliseconds), and
at most ``MAX_ENTRIES`` entries are kept (the least recently used go first).
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import time
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import orjson

FORMAT = 1  # of an entry's layout; part of the code identity
MIN_BYTES = 1_000_000
MAX_ENTRIES = 8
ENV_DISABLE, ENV_DIR = "SYNCDOCTOR_NO_CACHE", "SYNCDOCTOR_CACHE_DIR"
# What decides whether a file is valid and what it parses to: a change to any of them is a new key.
_CODE = [("syncdoctor.engine.schema", "snapshot.schema.json"), ("syncdoctor.reading", "schemas.py"), ("syncdoctor.reading", "jsonload.py"),
         ("syncdoctor.reading", "yamlload.py"), ("syncdoctor.reading", "loader.py"), ("syncdoctor.facts", "snapshot.py"),
         ("syncdoctor.facts", "ids.py"), ("syncdoctor.facts", "cache.py")]


@dataclass
class Entry:
    data: dict[str, Any]
    canonical_sha256: str  # Snapshot.sha256: of the canonical JSON of the data


def enabled() -> bool:
    return os.environ.get(ENV_DISABLE, "").strip().lower() in ("", "0", "false", "no")


@lru_cache(maxsize=1)
def code_identity() -> str:
    h = hashlib.sha256(f"format {FORMAT}".encode())
    for package, name in _CODE:
        h.update(resources.files(package).joinpath(name).read_bytes())
    return h.hexdigest()


def directory() -> Path | None:
    """The cache directory, created private; None when disabled or not safely usable."""
    if not enabled():
        return None
    base = os.environ.get(ENV_DIR)
    if not base:
        from platformdirs import user_cache_dir
        base = user_cache_dir("syncdoctor", appauthor=False)
    path = Path(base) / "snapshots"
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        st = path.stat()
    except OSError:
        return None
    # A directory another user owns or may write is not ours to trust (as ssh treats ~/.ssh).
    if hasattr(os, "getuid") and (st.st_uid != os.getuid() or st.st_mode & 0o022):
        return None
    return path


def _entry_path(folder: Path, file_sha256: str, kind: str) -> Path:
    return folder / f"{file_sha256}.{kind}.json"


def lookup(file_sha256: str, kind: str) -> Entry | None:
    """The validated snapshot of these bytes read as `kind`, or None (no entry, or one that
    fails any check: it is then ignored, and replaced by the caller's store)."""
    folder = directory()
    if folder is None:
        return None
    path = _entry_path(folder, file_sha256, kind)
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError:
        return None
    cut = raw.find(b"\n")
    if cut < 0:
        return None
    head, payload = raw[:cut], memoryview(raw)[cut + 1:]  # the payload is not copied
    try:
        header = orjson.loads(head)
        if not (isinstance(header, dict) and header.get("key") == file_sha256 and header.get("kind") == kind
                and header.get("code") == code_identity() and header.get("length") == len(payload)
                and header.get("payload_sha256") == hashlib.sha256(payload).hexdigest()
                and isinstance(header.get("canonical_sha256"), str)):
            return None
        data = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(data, dict):
        return None
    try:
        os.utime(path)  # recently used: kept when older entries are pruned
    except OSError:
        pass
    return Entry(data, header["canonical_sha256"])


def store(file_sha256: str, kind: str, size: int, entry: Entry) -> None:
    """Keep a validated snapshot for the next run; any failure only means no cache."""
    if size < MIN_BYTES:
        return
    folder = directory()
    if folder is None:
        return
    try:
        payload = orjson.dumps(entry.data)
    except (TypeError, orjson.JSONEncodeError):
        return  # an integer beyond 64 bits, say: such a file is read the slow way every time
    header = orjson.dumps({"key": file_sha256, "kind": kind, "code": code_identity(), "length": len(payload),
                           "payload_sha256": hashlib.sha256(payload).hexdigest(),
                           "canonical_sha256": entry.canonical_sha256})
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")  # mode 0600
        with os.fdopen(fd, "wb") as fh:
            fh.write(header + b"\n" + payload)
        os.replace(tmp, _entry_path(folder, file_sha256, kind))
        tmp = None
        _prune(folder)
    except OSError:
        pass
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _prune(folder: Path) -> None:
    """Keep the MAX_ENTRIES most recently used entries (each is about the size of its file)."""
    entries = []
    for p in folder.iterdir():
        try:
            mtime = p.stat().st_mtime_ns
            if p.name.startswith(".tmp-"):  # another run's write in progress, or a crashed one's
                if mtime < time.time_ns() - 3600 * 10**9:
                    p.unlink()
            elif p.name.endswith(".json"):
                entries.append((mtime, p))
        except OSError:
            continue
    for _, p in sorted(entries, reverse=True)[MAX_ENTRIES:]:
        try:
            p.unlink()
        except OSError:
            pass
