"""The exceptions of `syncdoctor.api`: every problem with the caller's input is one of these, with
a message that names what was wrong (and the closest matches, for a name). The API never prints
and never exits; the CLI turns these into its messages and exit codes."""
from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, TypeVar

from syncdoctor.reading.findings import FindingError
from syncdoctor.facts.ids import BadId


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


class UnknownSymptom(UnknownChoice):
    """A symptom the rules do not define (the closest is named)."""


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


class InternalError(SyncdoctorError):
    """A fault of syncdoctor itself, not of the input (please report it): the original exception
    is its __cause__."""


F = TypeVar("F", bound=Callable[..., Any])
# What a value of the wrong type or shape raises on its way through the pipeline.
_SHAPE = (TypeError, AttributeError, KeyError, IndexError, ValueError, UnicodeError, RecursionError, OverflowError)


def _translated(where: str, exc: BaseException) -> SyncdoctorError:
    if isinstance(exc, FindingError):
        return BadInput.of(exc)
    if isinstance(exc, BadId):
        return BadArgument(f"{where}: {exc}")
    if isinstance(exc, _SHAPE):
        return BadArgument(f"{where}: an argument is not of the type or shape it should be "
                           f"({type(exc).__name__}: {str(exc)[:300]}); docs/api.md says what each takes")
    return InternalError(f"{where}: internal error ({type(exc).__name__}: {str(exc)[:300]})")


def contained(fn: F) -> F:
    """Every exception out of a public function (or out of the iterator it returns) is a
    SyncdoctorError: the API's own pass through, the rest are translated (the original chained)."""
    if inspect.isgeneratorfunction(fn):
        raise TypeError("contained wraps functions that return iterators, not generator functions")

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            out = fn(*args, **kwargs)
        except SyncdoctorError:
            raise
        except Exception as exc:  # noqa: BLE001 - the point: nothing else leaves the API
            raise _translated(fn.__name__, exc) from exc
        if inspect.isgenerator(out):
            return _contained_iter(fn.__name__, out)
        return out
    return wrapper  # type: ignore[return-value]


def _contained_iter(where: str, rows: Any) -> Any:
    try:
        yield from rows
    except SyncdoctorError:
        raise
    except GeneratorExit:
        raise
    except Exception as exc:  # noqa: BLE001
        raise _translated(where, exc) from exc
    finally:
        rows.close()
