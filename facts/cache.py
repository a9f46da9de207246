"""Validated snapshots kept between runs, so that a large org is parsed and checked once.

A snapshot that passed every check (syntax, schema, ids, references) is stored as compact JSON
under the platform's cache directory (platformdirs: ``~/.cache/syncdoctor`` on Linux), keyed by
the sha256 of the file's bytes, the format it was read as, and the identity of everything that
decides what loading accepts: the source of every module of the packages that read and check
snapshots, their schemas, and the versions of Python and of the libraries that parse and
validate. The next run that reads the same bytes with the same code finds the entry and skips
parsing and validation; a changed file or a changed program has another key.

What the cache trusts, and how far (docs/reliability.md, "The snapshot cache"):
- The folder is opened once per use, component by component from the root without following
  a symbolic link (O_NOFOLLOW, O_DIRECTORY); every component must belong to the user or root
  and be writable by nobody else (a world-writable folder only with its sticky bit, as /tmp),
  the cache folder itself must belong to the user and be writable by nobody else. Everything
  inside is then read, written, renamed and deleted through that handle (dir_fd): swapping a
  folder on the path after the check changes nothing. Anything else: no cache at all.
- It deletes only files it wrote: names of its exact patterns (an entry, ``<64 hex>.<kind>.json``,
  or its own temporary file), regular files the user owns; nothing else in the folder is touched.
- An entry is read back only when its header names the same key, code identity and payload
  digest, and the payload's sha256 matches: a truncated, corrupted or foreign entry is ignored
  (and rewritten by this run). The payload is parsed as JSON, never as code (no pickle).

``SYNCDOCTOR_NO_CACHE=1`` disables it; ``SYNCDOCTOR_CACHE_DIR`` moves it (the tests use a
temporary one). Files under ``MIN_BYTES`` are not cached (parsing them costs milliseconds), and
at most ``MAX_ENTRIES`` entries are kept (the least recently used go first).
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
import stat
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata, resources
from pathlib import Path
from typing import Any, Iterator

import orjson
from platformdirs import user_cache_dir

FORMAT = 2  # of an entry's layout; part of the code identity
MIN_BYTES = 1_000_000
MAX_ENTRIES = 8
ENV_DISABLE, ENV_DIR = "SYNCDOCTOR_NO_CACHE", "SYNCDOCTOR_CACHE_DIR"
# The packages whose code reads and checks a snapshot (every .py and .json in them, so a module
# added or moved there is covered), and the distributions that parse and validate it.
PACKAGES = ("syncdoctor.reading", "syncdoctor.engine", "syncdoctor.facts")
LIBRARIES = ("PyYAML", "orjson", "jsonschema", "jsonschema-rs", "referencing", "rpds-py")
# The names this cache writes, and the only ones it ever deletes.
ENTRY = re.compile(r"[0-9a-f]{64}\.(?:json|yaml)\.json")
TEMPORARY = re.compile(r"\.tmp-[0-9a-f]{16}\.json")
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_FILE_FLAGS = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


@dataclass
class Entry:
    data: dict[str, Any]
    canonical_sha256: str  # Snapshot.sha256: of the canonical JSON of the data


def enabled() -> bool:
    return os.environ.get(ENV_DISABLE, "").strip().lower() in ("", "0", "false", "no")


@lru_cache(maxsize=1)
def code_identity() -> str:
    """The sha256 of everything that can change what loading accepts or builds."""
    h = hashlib.sha256(f"format {FORMAT}\npython {sys.version}\n".encode())
    for dist in LIBRARIES:
        try:
            h.update(f"{dist} {metadata.version(dist)}\n".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{dist} absent\n".encode())
    for package in PACKAGES:
        for rel, data in sorted(_sources(resources.files(package), "")):
            h.update(f"{package}/{rel} {len(data)}\n".encode())
            h.update(data)
    return h.hexdigest()


def _sources(folder: Any, prefix: str) -> Iterator[tuple[str, bytes]]:
    for item in folder.iterdir():
        if item.is_dir() and item.name != "__pycache__":
            yield from _sources(item, f"{prefix}{item.name}/")
        elif item.name.endswith((".py", ".json")):
            yield f"{prefix}{item.name}", item.read_bytes()


def _supported() -> bool:
    """Opening relative to a folder's handle without following links: POSIX systems."""
    return (hasattr(os, "O_NOFOLLOW") and hasattr(os, "O_DIRECTORY") and hasattr(os, "getuid")
            and {os.open, os.stat, os.unlink, os.rename, os.mkdir} <= os.supports_dir_fd)  # os.replace: as os.rename


def _location() -> Path | None:
    if not enabled() or not _supported():
        return None
    base = os.environ.get(ENV_DIR)
    if not base:
        base = user_cache_dir("syncdoctor", appauthor=False)
    return Path(os.path.abspath(base)) / "snapshots"


def _trusted(st: os.stat_result, last: bool) -> bool:
    """A folder on the way may belong to root, a sticky world-writable one too (as /tmp); the
    cache folder belongs to the user; none may be writable by a group or others otherwise."""
    uid = os.getuid()
    if last:
        return st.st_uid == uid and not st.st_mode & 0o022
    return st.st_uid in (uid, 0) and (not st.st_mode & 0o022 or bool(st.st_mode & stat.S_ISVTX))


def open_folder() -> int | None:
    """A handle on the cache folder, opened from the root one component at a time (created
    0700 where missing), or None when disabled or any component fails `_trusted`."""
    path = _location()
    if path is None:
        return None
    parts = path.parts[1:]
    fd = -1
    try:
        fd = os.open(path.anchor, _DIR_FLAGS)
        if not _trusted(os.fstat(fd), False):
            raise PermissionError
        for i, part in enumerate(parts):
            try:
                nxt = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                os.mkdir(part, 0o700, dir_fd=fd)
                nxt = os.open(part, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = nxt
            if not _trusted(os.fstat(fd), i == len(parts) - 1):
                raise PermissionError
    except OSError:
        if fd >= 0:
            os.close(fd)
        return None
    return fd


@contextmanager
def _folder() -> Iterator[int | None]:
    fd = open_folder()
    try:
        yield fd
    finally:
        if fd is not None:
            os.close(fd)


def directory() -> Path | None:
    """The cache folder's path when it is safely usable (for messages and tests), else None."""
    fd = open_folder()
    if fd is None:
        return None
    os.close(fd)
    return _location()


def _entry_name(file_sha256: str, kind: str) -> str:
    return f"{file_sha256}.{kind}.json"


def lookup(file_sha256: str, kind: str) -> Entry | None:
    """The validated snapshot of these bytes read as `kind`, or None (no entry, or one that
    fails any check: it is then ignored, and replaced by the caller's store)."""
    with _folder() as folder:
        if folder is None:
            return None
        raw = _read_own(folder, _entry_name(file_sha256, kind))
    if raw is None:
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
    return Entry(data, header["canonical_sha256"])


def _read_own(folder: int, name: str) -> bytes | None:
    """An entry's bytes: a regular file the user owns, never through a link; marked recently used."""
    try:
        fd = os.open(name, os.O_RDONLY | _FILE_FLAGS, dir_fd=folder)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid():
            return None
        with os.fdopen(os.dup(fd), "rb") as fh:
            raw = fh.read()
        try:
            os.utime(fd)  # recently used: kept when older entries are pruned
        except OSError:
            pass
        return raw
    except OSError:
        return None
    finally:
        os.close(fd)


def store(file_sha256: str, kind: str, size: int, entry: Entry) -> None:
    """Keep a validated snapshot for the next run; any failure only means no cache."""
    if size < MIN_BYTES:
        return
    try:
        payload = orjson.dumps(entry.data)
    except (TypeError, orjson.JSONEncodeError):
        return  # an integer beyond 64 bits, say: such a file is read the slow way every time
    header = orjson.dumps({"key": file_sha256, "kind": kind, "code": code_identity(), "length": len(payload),
                           "payload_sha256": hashlib.sha256(payload).hexdigest(),
                           "canonical_sha256": entry.canonical_sha256})
    with _folder() as folder:
        if folder is None:
            return
        tmp = f".tmp-{secrets.token_hex(8)}.json"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _FILE_FLAGS, 0o600, dir_fd=folder)
            with os.fdopen(fd, "wb") as fh:
                fh.write(header + b"\n" + payload)
            os.replace(tmp, _entry_name(file_sha256, kind), src_dir_fd=folder, dst_dir_fd=folder)
            tmp = ""
            _prune(folder)
        except OSError:
            pass
        finally:
            if tmp:
                _remove(folder, tmp)


def _remove(folder: int, name: str) -> None:
    try:
        os.unlink(name, dir_fd=folder)
    except OSError:
        pass


def _prune(folder: int) -> None:
    """Keep the MAX_ENTRIES most recently used entries (each is about the size of its file),
    and remove this cache's temporary files older than an hour (a crashed run's). Only names
    of its own patterns, regular files the user owns, are ever removed."""
    entries = []
    uid = os.getuid()
    with os.scandir(folder) as it:
        names = [e.name for e in it]
    for name in names:
        own_entry, own_tmp = ENTRY.fullmatch(name) is not None, TEMPORARY.fullmatch(name) is not None
        if not (own_entry or own_tmp):
            continue
        try:
            st = os.stat(name, dir_fd=folder, follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISREG(st.st_mode) or st.st_uid != uid:
            continue
        if own_tmp:
            if st.st_mtime_ns < time.time_ns() - 3600 * 10**9:
                _remove(folder, name)
        else:
            entries.append((st.st_mtime_ns, name))
    for _, name in sorted(entries, reverse=True)[MAX_ENTRIES:]:
        _remove(folder, name)
