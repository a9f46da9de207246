"""Records of older versions replayed like with like (docs/reliability.md, "Audit records").

What each older record format lacks, and how replay compares it:

- version 1 (before signatures): no `selection` (api/replay.py says NOT PROVEN), and the same two
  differences as version 2;
- version 2, written before verdicts carried `absent` (the negated conditions a verdict rests
  on) or `remedy_changes` (a remedy's declared change): those fields are in none of its verdicts;
  and versions before 3 never wrote `scope` (a verdict about the user alone);
- versions 1 and 2: every id of a fact in its computed 18-character form (`0055e000000U001AAC`
  for a record declared `0055e000000U001AAA`); version 3 shows every id as the snapshot declares
  its record (docs/results.md, "Ids").

A field is "never had" only when no verdict of the record holds it and the record is of a version
before 3: a version-3 record, or a version-2 record whose other verdicts hold the field, is
compared whole, so a field taken out of one verdict is still a difference. Ids are compared as
the records they name: another spelling of the same record is not a difference, another record is.
"""
from __future__ import annotations

import re
from typing import Any

from syncdoctor.api.snapshots import AmbiguousId, BadId, Identities

from .audit_record import RECORD_VERSION as CURRENT

_RECORDS = (("business_units",), ("salesforce", "users"), ("salesforce", "roles"), ("salesforce", "public_groups"))
LATER_VERDICT_FIELDS = {  # added to verdicts while records were of version 2
    "absent": "the negated conditions a verdict rests on",
    "remedy_changes": "the change a remedy declares",
    "scope": "that a verdict is about the user alone, the same in every business unit",
}
_ID_TEXT = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?(?![A-Za-z0-9])")


def like_with_like(record: dict[str, Any], declared: list[str], after: list[dict[str, Any]]
                   ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """(the recorded results, the results of today's run, what was not compared and why), each
    side as the record's version writes it. `declared`: every id the embedded snapshot declares."""
    before = record["results"]
    version = record.get("record_version")
    if not isinstance(version, int) or version >= CURRENT:
        return before, after, []
    notes = []
    for name, what in LATER_VERDICT_FIELDS.items():
        if any(name in v for r in before for v in r.get("verdicts") or []):
            continue  # the record's version already wrote it: compared
        if any(name in v for r in after for v in r.get("verdicts") or []):
            after = [_without(r, name) for r in after]
            notes.append(f"not compared: `{name}` ({what}): this version-{version} record was written before "
                         "verdicts carried it")
    before, respelled = _ids_as_declared(before, declared)
    if respelled:
        notes.append(f"ids compared as the records they name: this version-{version} record writes {respelled} "
                     "id(s) in another spelling (their computed 18-character form) than the snapshot declares them, "
                     "as outputs now show them")
    return before, after, notes


def declared_ids(data: dict[str, Any]) -> list[str]:
    """Every id a snapshot declares: its business units', users', roles', public groups' and the org's."""
    out = []
    for path in _RECORDS:
        items: Any = data
        for p in path:
            items = items.get(p) if isinstance(items, dict) else None
        out += [r["id"] for r in items or [] if isinstance(r, dict) and isinstance(r.get("id"), str)]
    org = data.get("org")
    if isinstance(org, dict) and isinstance(org.get("id"), str):
        out.append(org["id"])
    return out


def _without(result: dict[str, Any], name: str) -> dict[str, Any]:
    return dict(result, verdicts=[{k: v for k, v in verdict.items() if k != name} for verdict in result.get("verdicts") or []])


def _ids_as_declared(results: list[dict[str, Any]], declared: list[str]) -> tuple[list[dict[str, Any]], int]:
    """The results with every id-shaped text that names a declared record written as declared,
    and how many distinct spellings were rewritten."""
    known = Identities()
    for sfid in declared:
        known.add(sfid)
    changed: set[str] = set()

    def spelled(m: re.Match[str]) -> str:
        text = m.group(0)
        try:
            found = known.resolve(text)
        except (AmbiguousId, BadId):
            return text
        if found is None or found == text:
            return text
        changed.add(text)
        return found

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return _ID_TEXT.sub(spelled, value)
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {walk(k): walk(v) for k, v in value.items()}
        return value
    return walk(results), len(changed)
