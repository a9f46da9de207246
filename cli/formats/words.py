"""One vocabulary for every output format (text, markdown, HTML): what a result says when no
verdict was reached, what is still undetermined, and what to do next. Each format only adds
its own markup around these sentences."""
from __future__ import annotations

from typing import Any

from syncdoctor.reading.words import plain, plural

__all__ = ["hash_words", "no_verdict", "undetermined_intro", "undetermined_next", "plain", "plural"]


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


def remedy_checks(verdict: dict[str, Any], number: int) -> list[str]:
    """What `diagnose --verify-remedies` found for remedy `number` (from 1), in words."""
    from syncdoctor.api.remedies import check_lines  # local: api/remedies.py loads the what-if machinery (about 25 ms, python -X importtime); only --verify-remedies and remedy checks pay it
    return [line for c in verdict.get("remedy_checks") or [] if c["remedy"] == number for line in check_lines(c)]
