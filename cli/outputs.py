"""Every file a command writes (`--out`, `--audit`, `--save-facts`, `facts collect --out`,
`audit keygen --out`) goes through here, so that no output destroys anything:

- a regular file or a new path is written atomically (a temporary file in the same folder,
  renamed over the path only when the whole output is written), keeping an existing file's
  mode (and owner, when allowed); a new file that holds org data (snapshots, audit records,
  keys) is created 0600;
- a device, a FIFO or `-` is written through (never replaced: `--out /dev/null` stays a device);
- a symbolic link is followed: its target is written, the link stays;
- a read-only file, a folder, a missing folder, or a path that is one of the command's inputs or
  another of its outputs is refused before any work starts (`check`);
- SIGTERM, SIGHUP and Ctrl-C unwind like an exception (`install_signal_handlers`): temporary
  files are removed, the previous output stays intact, and the exit code is 128 + the signal.
"""
from __future__ import annotations

import contextlib
import errno
import os
import signal
import stat
import sys
import tempfile
from pathlib import Path
from typing import Iterator, Mapping, TextIO

import typer

from .common import EXIT_COLLECT, EXIT_USAGE, fail

STDOUT = "-"


class Terminated(BaseException):
    """A signal asked the process to stop. A BaseException, like KeyboardInterrupt, so that no
    `except Exception` swallows it, but not one (click turns those into "Aborted!", exit 1)."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def _raise_terminated(signum: int, _frame: object) -> None:
    # A second signal must not interrupt the clean-up the first one started.
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    raise Terminated(signum)


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def install_signal_handlers() -> None:
    """In the console entry point only: turn SIGINT/SIGTERM/SIGHUP into Terminated."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, _raise_terminated)


def reset_signals_in_child() -> None:
    """In a forked worker: the parent stops its workers itself; a terminal's Ctrl-C (sent to
    the whole process group) is the parent's to handle."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)


def _is_stdout(path: Path | None) -> bool:
    return path is None or str(path) == STDOUT


def _identity(path: Path) -> tuple[str, object]:
    """What makes two paths the same file: device and inode when it exists, else the resolved path."""
    try:
        st = os.stat(path)  # follows symlinks, /dev/stdout's included
        return ("inode", (st.st_dev, st.st_ino))
    except OSError:
        return ("path", os.path.realpath(path))


def _stat(path: Path) -> os.stat_result | None:
    """The file `path` leads to (symlinks followed), None when there is none yet; OSError else."""
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None


def _problem(path: Path) -> str | None:
    """Why `path` cannot be written, or None."""
    real = Path(os.path.realpath(path))
    try:
        st = _stat(path)
    except OSError as exc:
        return f"cannot write {path}: {exc.strerror}"
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            return f"cannot write {path}: it is a folder"
        if stat.S_ISSOCK(st.st_mode):
            return f"cannot write {path}: it is a socket"
        if stat.S_ISREG(st.st_mode) and (not os.access(real, os.W_OK) or not st.st_mode & 0o222):  # root too
            return f"cannot write {path}: the file is read-only (not replaced)"
        if not stat.S_ISREG(st.st_mode):
            return None if os.access(path, os.W_OK) else f"cannot write {path}: permission denied"
    parent = real.parent
    if not parent.is_dir():
        return f"cannot write {path}: the folder {parent} does not exist"
    if st is None or stat.S_ISREG(st.st_mode):
        if not os.access(parent, os.W_OK | os.X_OK):
            return f"cannot write {path}: the folder {parent} is not writable"
    return None


def check(outputs: Mapping[str, Path | None], inputs: Mapping[str, Path | None]) -> None:
    """Refuse, before any work, an output that cannot be written, that is one of the inputs,
    or that another output also names. `outputs` and `inputs` map option names to paths."""
    seen: dict[tuple[str, object], str] = {}
    folders: list[tuple[str, str]] = []  # input folders (a rules folder): nothing may be written inside
    for name, path in inputs.items():
        if path is not None and not _is_stdout(path):
            seen.setdefault(_identity(path), name)
            if os.path.isdir(path):
                folders.append((os.path.realpath(path), name))
    stdout_by: str | None = None
    for name, path in outputs.items():
        if path is None:
            continue
        if _is_stdout(path):
            if stdout_by:
                raise fail(f"{name} and {stdout_by} both write to standard output (-): give one of them a file")
            stdout_by = name
            continue
        ident = _identity(path)
        if ident in seen:
            other = seen[ident]
            raise fail(f"{name} {path} is the same file as {other}: refusing to write over it")
        real = os.path.realpath(path)
        for folder, other in folders:
            if os.path.commonpath([real, folder]) == folder:
                raise fail(f"{name} {path} is inside {other} {folder}, which this command reads: refusing to write there")
        problem = _problem(path)
        if problem:
            raise fail(problem)
        seen[ident] = name


def _fail_writing(path: Path, exc: OSError) -> typer.Exit:
    """Permission problems are the caller's (exit 2); a full disk or an I/O error is not (exit 3)."""
    code = EXIT_USAGE if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS, errno.EISDIR, errno.ENOTDIR) else EXIT_COLLECT
    return fail(f"cannot write {path}: {exc.strerror or exc}", code)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def open_output(out: Path | None, *, private: bool = False) -> Iterator[TextIO]:
    """A text stream for `out`: stdout (None or `-`), a device or FIFO written through, or a
    regular file written atomically. `private`: a new file is created 0600 (org data)."""
    if _is_stdout(out):
        yield sys.stdout
        sys.stdout.flush()
        return
    assert out is not None
    try:
        st = _stat(out)
    except OSError as exc:
        raise _fail_writing(out, exc) from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        if stat.S_ISDIR(st.st_mode):
            raise fail(f"cannot write {out}: it is a folder")
        try:
            with open(out, "w", encoding="utf-8") as fh:  # a device or FIFO: write through, never replace
                yield fh
        except OSError as exc:
            raise _fail_writing(out, exc) from None
        return
    problem = _problem(out)
    if problem:
        raise fail(problem)
    real = Path(os.path.realpath(out))  # a symlink's target is what gets replaced
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{real.name}.", dir=real.parent)  # created 0600
    except OSError as exc:
        raise _fail_writing(out, exc) from None
    try:
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                yield fh
                fh.flush()
                os.fsync(fh.fileno())
            if st is not None:
                os.chmod(tmp, stat.S_IMODE(st.st_mode))
                with contextlib.suppress(OSError):  # only root may give a file away
                    os.chown(tmp, st.st_uid, st.st_gid)
            elif not private:
                os.chmod(tmp, 0o666 & ~_umask())
            os.replace(tmp, real)
        except OSError as exc:
            raise _fail_writing(out, exc) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_output(text: str, out: Path | None, *, private: bool = False) -> None:
    """`text` to stdout or to `out` (see open_output): a failed run never leaves a truncated file."""
    with open_output(out, private=private) as sink:
        sink.write(text)
