"""Options and helpers shared by the command modules."""
from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from enum import Enum
from pathlib import Path
from typing import Annotated, Iterable, Iterator, Optional, TextIO

import typer
from rich.console import Console

from syncdoctor.engine.findings import Finding

EXIT_OK, EXIT_CAUSE, EXIT_USAGE, EXIT_COLLECT, EXIT_INTERNAL = 0, 1, 2, 3, 4

EXIT_CODES_HELP = ("Exit codes: 0 ran, nothing to act on; 1 something to act on (diagnose: a cause or a remedy; "
                   "audit verify: the record was altered; replay: the result differs); 2 bad input or usage; "
                   "3 collection failed; 4 internal error.")

RulesOption = Annotated[Optional[Path], typer.Option("--rules", help="Rules directory (default: the rules shipped with syncdoctor).",
                                                     file_okay=False)]


class Symptom(str, Enum):
    in_recycle_bin = "in-recycle-bin"
    not_syncing = "not-syncing"
    cannot_delete = "cannot-delete"
    restrict_access = "restrict-access"
    disable_sync = "disable-sync"


class Format(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"
    html = "html"


def did_you_mean(value: str, choices: Iterable[object]) -> str:
    """'; did you mean X?' naming the closest choice, or ''. For any option or prompt with a
    closed list of answers, wherever the list comes from."""
    from syncdoctor.engine.words import closest
    best = closest(value, choices)
    return f"; did you mean {best!r}?" if best else ""


def err_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def color_wanted(stream: object = None) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    stream = stream or sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def fail(message: str, code: int = EXIT_USAGE) -> "typer.Exit":
    err_console().print(f"[bold red]error:[/bold red] {message}", markup=True, highlight=False)
    return typer.Exit(code)


def report_findings(findings: list[Finding]) -> None:
    console = err_console()
    for f in sorted(findings, key=Finding.sort_key):
        console.print(str(f), markup=False, highlight=False)


@contextlib.contextmanager
def open_output(out: Path | None) -> Iterator[TextIO]:
    """stdout, or a file written atomically: the stream goes to a temporary file in the same
    folder, renamed over `out` only when the block completes."""
    if out is None:
        yield sys.stdout
        sys.stdout.flush()
        return
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise fail(f"cannot write {out}: the folder {parent} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            yield fh
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, out)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_output(text: str, out: Path | None) -> None:
    """stdout, or a file written atomically (temp file + rename): a failed run never leaves a
    truncated file behind."""
    with open_output(out) as sink:
        sink.write(text)
