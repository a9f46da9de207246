"""The verdict policy: which results ask the engineer to act, what that does to `diagnose`'s
exit code, and what the summary of a scan counts. The pipeline applies it to every result
(api/stream.py `Row`); the formatters only render what it decided."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from syncdoctor.engine.model import KIND_ORDER
from syncdoctor.reading.words import plural

# The verdict kinds that ask the engineer to do something: a cause to fix, a Salesforce Support
# case to open (escalate), a remedy to apply. They make `diagnose` exit 1 and keep a result under
# --only-problems. The other kinds (wait: a change is still propagating; advice, answer, info)
# leave nothing to act on: exit 0, and a scan's text lists them only with --all-verdicts.
ACTIONABLE = frozenset({"cause", "escalate", "remedy"})
NOT_DECIDED = "not decided"  # the summary's name for a result with undetermined checks
EXIT_NOTHING_TO_ACT_ON, EXIT_ACT = 0, 1


def needs_action(result: dict[str, Any]) -> bool:
    return any(v["kind"] in ACTIONABLE for v in result["verdicts"])


def exit_code(any_action: bool) -> int:
    """`diagnose`'s exit code: 1 when some result has something to act on, else 0."""
    return EXIT_ACT if any_action else EXIT_NOTHING_TO_ACT_ON


EVERY_BUSINESS_UNIT = "(every business unit)"  # the summary's row of a verdict about the user alone


def summary_pairs(result: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(business unit, code, kind, user) for each verdict of one result: what Summary counts. A
    verdict about the user alone (`scope: user`, INTEGRATION_USER) is the same in every business
    unit: its row is EVERY_BUSINESS_UNIT and it names the user, counted once; otherwise the user is ""."""
    bu = result["business_unit"].get("name") or result["business_unit"]["id"]
    return [(EVERY_BUSINESS_UNIT, v["code"], v["kind"], result["user"]["id"]) if v.get("scope") == "user"
            else (bu, v["code"], v["kind"], "") for v in result["verdicts"]]


class Summary:
    """Users per conclusion, per business unit (a verdict about the user alone: once per user, in
    one row for every business unit), and results per verdict kind (not decided included),
    counted as results stream by: memory is the number of distinct (business unit, code) pairs
    and of users with a verdict about them alone (the integration user), not the number of users."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str, str]] = Counter()
        self.users: set[tuple[str, str]] = set()  # (code, user) of verdicts about the user alone: counted once
        self.kinds: Counter[str] = Counter()  # results with at least one verdict of the kind
        self.results = 0
        self.quiet = 0  # results with nothing to act on and nothing undecided

    def add(self, pairs: list[tuple[str, str, str, str]], undecided: bool = False) -> None:
        """One result: its (business unit, code, kind, user) per verdict (summary_pairs), and
        whether some check of it is not decided."""
        self.results += 1
        for bu, code, kind, user in pairs:
            if user and (code, user) in self.users:
                continue  # the same verdict about this user, from another business unit
            if user:
                self.users.add((code, user))
            self.counts[(bu, code, kind)] += 1
        self.kinds.update({kind for _, _, kind, _ in pairs})
        if undecided:
            self.kinds[NOT_DECIDED] += 1
        elif not any(kind in ACTIONABLE for _, _, kind, _ in pairs):
            self.quiet += 1

    def rows(self) -> list[tuple[str, str, str, int]]:
        """(business unit, kind, code, users), business units by name, kinds most pressing first."""
        return sorted(((bu, kind, code, n) for (bu, code, kind), n in self.counts.items()),
                      key=lambda r: (r[0] == EVERY_BUSINESS_UNIT, r[0], _kind_rank(r[1]), r[2]))

    def by_kind(self) -> list[tuple[str, int]]:
        """(kind, results) for every kind met, most pressing first, `not decided` after them."""
        return [(k, self.kinds[k]) for k in (*KIND_ORDER, NOT_DECIDED) if self.kinds[k]]

    def by_kind_line(self) -> str:
        """'Results per kind: cause 1, escalate 585, not decided 12 (of 2,000 results, ...)'."""
        parts = [f"{kind} {n:,}" for kind, n in self.by_kind()]
        return (f"Results per kind: {', '.join(parts) or 'none has a verdict'} (of {plural(self.results, 'result')}, "
                "a result is one user in one business unit; one may have verdicts of several kinds)")

    def quiet_line(self) -> str:
        return (f"{plural(self.quiet, 'result')} with nothing to act on and nothing undecided "
                f"{'is' if self.quiet == 1 else 'are'} not listed above: --all-verdicts lists every result")

    def tally(self) -> "Tally":
        """What the formats print of it, as plain values."""
        return Tally(self.results, tuple(self.rows()), self.by_kind_line(), self.quiet, self.quiet_line())


def tally_of(results: list[dict[str, Any]]) -> "Tally":
    """The summary of a document's results, counted at once."""
    summary = Summary()
    for r in results:
        summary.add(summary_pairs(r), bool(r["undetermined"]))
    return summary.tally()


@dataclass(frozen=True)
class Tally:
    """A summary as the formats print it (Summary decided it): the results counted, the rows
    (business unit, kind, code, users), the line of results per kind, and the results with
    nothing to act on and nothing undecided (`quiet`, and the sentence saying so)."""
    results: int
    rows: tuple[tuple[str, str, str, int], ...]
    by_kind_line: str
    quiet: int
    quiet_line: str


def _kind_rank(kind: str) -> int:
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)
