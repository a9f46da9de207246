"""The exceptions of `syncdoctor.api`: every problem with the caller's input is one of these, with
a message that names what was wrong (and the closest matches, for a name). The API never prints
and never exits; the CLI turns these into its messages and exit codes."""
from __future__ import annotations

from syncdoctor.reading.findings import FindingError


class SyncdoctorError(Exception):
    """Base class: catch this to catch every problem the API reports."""


class BadInput(SyncdoctorError, FindingError):
    """A snapshot, rules folder or answers file that cannot be used. `findings` holds each
    problem located by file and line (or field); str() lists them, one a line."""

    @classmethod
    def of(cls, exc: FindingError) -> "BadInput":
        return exc if isinstance(exc, BadInput) else cls(exc.findings)


class NotFound(SyncdoctorError, LookupError):
    """A user or business unit that the snapshot does not hold, or that several records match:
    the message names the closest matches, or every candidate."""


class UnknownChoice(SyncdoctorError, ValueError):
    """A symptom, conclusion code or rule id that the rules do not define (the closest is named)."""


class BadArgument(SyncdoctorError, TypeError):
    """An argument of the wrong type or out of range (a user that is not text, jobs=0)."""


class EngineCrashed(SyncdoctorError):
    """A worker process died (durable-rules' C core aborting, say). `user_index` and `bu_index`
    name the input that crashes alone (-1 when no single input does)."""

    def __init__(self, user_index: int, bu_index: int, signal_name: str):
        super().__init__(f"user {user_index}, business unit {bu_index}: {signal_name}")
        self.user_index, self.bu_index, self.signal_name = user_index, bu_index, signal_name


class LayoutError(SyncdoctorError, ValueError):
    """A document in the shared result layout (`diagnose --all --format json`) whose references
    do not resolve, or that is not shaped as docs/results.md says."""


class CannotApply(SyncdoctorError, ValueError):
    """A what-if change that cannot be applied to this snapshot: it adds to a list the snapshot
    does not know (unknown stays unknown), or removes what is not there (the message names what is)."""
