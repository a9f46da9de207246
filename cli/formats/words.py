"""One vocabulary for every output format (text, markdown, HTML): what a result says when no
verdict was reached, what is still undetermined, and what to do next. Each format only adds
its own markup around these sentences."""
from __future__ import annotations

from collections import Counter
from typing import Any

from syncdoctor.engine.model import KIND_ORDER
from syncdoctor.engine.words import plain, plural

__all__ = ["ACTIONABLE", "NOT_DECIDED", "Summary", "hash_words", "needs_action", "no_verdict", "undetermined_intro",
           "undetermined_next", "plain", "plural"]

# The verdict kinds that ask the engineer to do something: a cause to fix, a Salesforce Support
# case to open (escalate), a remedy to apply. They make `diagnose` exit 1 and keep a result under
# --only-problems. The other kinds (wait: a change is still propagating; advice, answer, info)
# leave nothing to act on: exit 0, and a scan's text lists them only with --all-verdicts.
ACTIONABLE = frozenset({"cause", "escalate", "remedy"})
NOT_DECIDED = "not decided"  # the summary's name for a result with undetermined checks


def needs_action(result: dict[str, Any]) -> bool:
    return any(v["kind"] in ACTIONABLE for v in result["verdicts"])


def no_verdict(symptom: str | None) -> list[str]:
    """A result without a verdict and with nothing undetermined: what was checked, and what next."""
    checked = f"for the symptom {symptom} " if symptom else ""
    if symptom:
        nxt = ("If the customer still sees it, collect the facts again (they may have changed), or see why a "
               "conclusion did not apply with: syncdoctor explain CODE --facts FILE --user USER --why-not")
    else:
        nxt = ("If the customer reports a problem, diagnose again with --symptom naming it: "
               "the checks for that symptom then run too.")
    return [f"Nothing to act on: no check of the article {checked}matches these facts.", nxt]


def undetermined_intro(has_verdicts: bool) -> str:
    if has_verdicts:
        return "Also not decided: these checks need facts the snapshot does not have:"
    return "Not decided: no check matches, but these need facts the snapshot does not have:"


def undetermined_next() -> str:
    return ("To decide them: add those facts to the snapshot, or diagnose again with --ask (or --answers FILE) "
            "for what only the engineer knows (docs/collecting.md).")


def hash_words(snapshot: dict[str, Any], short: bool = True) -> str:
    """The snapshot's two hashes, each labelled for what it is: `sha256` is of the parsed content
    (the same for the same facts in YAML or JSON), never what `sha256sum FILE` prints."""
    cut = (lambda h: h[:16] + "…") if short else (lambda h: h)  # noqa: E731
    text = f"sha256 of its parsed content {cut(snapshot['sha256'])}"
    if snapshot.get("file_sha256"):
        text += f"; sha256 of the file (what sha256sum prints) {cut(snapshot['file_sha256'])}"
    return text


class Summary:
    """Users per conclusion, per business unit, and results per verdict kind (not decided
    included), counted as results stream by: memory is the number of distinct (business unit,
    code) pairs, not the number of users."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str, str]] = Counter()
        self.kinds: Counter[str] = Counter()  # results with at least one verdict of the kind
        self.results = 0
        self.quiet = 0  # results with nothing to act on and nothing undecided

    def add(self, pairs: list[tuple[str, str, str]], undecided: bool = False) -> None:
        """One result: its (business unit, code, kind) per verdict, and whether some check of it
        is not decided."""
        self.results += 1
        self.counts.update(pairs)
        self.kinds.update({kind for _, _, kind in pairs})
        if undecided:
            self.kinds[NOT_DECIDED] += 1
        elif not any(kind in ACTIONABLE for _, _, kind in pairs):
            self.quiet += 1

    def rows(self) -> list[tuple[str, str, str, int]]:
        """(business unit, kind, code, users), business units by name, kinds most pressing first."""
        return sorted(((bu, kind, code, n) for (bu, code, kind), n in self.counts.items()),
                      key=lambda r: (r[0], _kind_rank(r[1]), r[2]))

    def by_kind(self) -> list[tuple[str, int]]:
        """(kind, results) for every kind met, most pressing first, `not decided` after them."""
        return [(k, self.kinds[k]) for k in (*KIND_ORDER, NOT_DECIDED) if self.kinds[k]]

    def by_kind_line(self) -> str:
        """'Results per kind: cause 1, escalate 585, not decided 12 (of 2,000 results; ...)'."""
        parts = [f"{kind} {n:,}" for kind, n in self.by_kind()]
        return (f"Results per kind: {', '.join(parts) or 'none has a verdict'} (of {plural(self.results, 'result')}, "
                "a result is one user in one business unit; one may have verdicts of several kinds)")


    def quiet_line(self) -> str:
        return (f"{plural(self.quiet, 'result')} with nothing to act on and nothing undecided "
                f"{'is' if self.quiet == 1 else 'are'} not listed above: --all-verdicts lists every result")


def _kind_rank(kind: str) -> int:
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


def summary_pairs(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(business unit, code, kind) for each verdict of one result: what Summary counts."""
    bu = result["business_unit"].get("name") or result["business_unit"]["id"]
    return [(bu, v["code"], v["kind"]) for v in result["verdicts"]]
