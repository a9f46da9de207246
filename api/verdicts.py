"""The verdict policy: which results ask the engineer to act, what that does to `diagnose`'s
exit code, and what the summary of a scan counts. The pipeline applies it to every result
(api/pipeline.py `Row`); the formatters only render what it decided."""
from __future__ import annotations

from collections import Counter
from typing import Any

# The verdict kinds that ask the engineer to do something: a cause to fix, a remedy to apply.
# They make `diagnose` exit 1 and keep a result under --only-problems. The other kinds (wait:
# a change is still propagating; advice, answer, info) leave nothing to act on: exit 0.
ACTIONABLE = frozenset({"cause", "remedy"})
EXIT_NOTHING_TO_ACT_ON, EXIT_ACT = 0, 1


def needs_action(result: dict[str, Any]) -> bool:
    return any(v["kind"] in ACTIONABLE for v in result["verdicts"])


def exit_code(any_action: bool) -> int:
    """`diagnose`'s exit code: 1 when some result has something to act on, else 0."""
    return EXIT_ACT if any_action else EXIT_NOTHING_TO_ACT_ON


def summary_pairs(result: dict[str, Any]) -> list[tuple[str, str]]:
    """(business unit, code) for each verdict of one result: what Summary counts."""
    bu = result["business_unit"].get("name") or result["business_unit"]["id"]
    return [(bu, v["code"]) for v in result["verdicts"]]


class Summary:
    """Users per conclusion, per business unit, counted as results stream by: memory is the
    number of distinct (business unit, code) pairs, not the number of users."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self.results = 0

    def add(self, pairs: list[tuple[str, str]]) -> None:
        self.results += 1
        self.counts.update(pairs)

    def rows(self) -> list[tuple[str, str, int]]:
        return sorted((bu, code, n) for (bu, code), n in self.counts.items())
