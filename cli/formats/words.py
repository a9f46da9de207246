"""One vocabulary for every output format (text, markdown, HTML): what a result says when no
verdict was reached, what is still undetermined, and what to do next. Each format only adds
its own markup around these sentences."""
from __future__ import annotations

from typing import Any

from syncdoctor.reading.words import plain, plural

__all__ = ["no_verdict", "undetermined_intro", "undetermined_next",
           "undetermined_item", "plain", "plural", "fact_values"]


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


def undetermined_item(u: dict[str, Any]) -> tuple[str, str, str]:
    """(code, kind, the missing facts in words) of an undetermined entry."""
    return u["code"], u["kind"], ", ".join(u["missing"])


def undetermined_next() -> str:
    return ("To decide them: add those facts to the snapshot, or diagnose again with --ask (or --answers FILE) "
            "for what only the engineer knows (docs/collecting.md).")


def fact_values(values: dict[str, Any]) -> str:
    """A fact's fields as name=value, in the snapshot's spelling (true, not True)."""
    return ", ".join(f"{k}={plain(v)}" for k, v in values.items())


def remedy_checks(verdict: dict[str, Any], number: int) -> list[str]:
    """What `diagnose --verify-remedies` found for remedy `number` (from 1), in words."""
    from syncdoctor.api.remedies import check_lines
    return [line for c in verdict.get("remedy_checks") or [] if c["remedy"] == number for line in check_lines(c)]
