"""`replay`'s one call: an audit record re-run on the given rules through the pipeline, and
compared with what it recorded (every field of every result, and who was diagnosed). What comes
back is finished: the lines to print and whether anything differs; the CLI prints them and
picks the exit code. What a record holds: api/audit_record.py; older records: api/audit_older.py."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import audit_record as records
from . import pipeline
from .audit_diff import differences
from .audit_older import declared_ids, like_with_like
from .errors import NotFound, SyncdoctorError
from .snapshots import build_snapshot, LookupProblem, Snapshot
from .stream import Selection


class AlteredRecord(SyncdoctorError, ValueError):
    """A record whose hashes do not match its content: it is never replayed (the message says why)."""


@dataclass
class Replayed:
    """The lines `replay` prints (its own text; values from the record and the rules, which the
    CLI escapes as it prints them), whether the results differ from the record's (or cannot be
    proven complete: a version-1 record), and `stopped`: what ended the run after the first lines
    (an engine crash, Ctrl-C), re-raised by the CLI once it has printed them."""
    lines: list[str]
    differs: bool
    stopped: BaseException | None = None


def replay(path: Path, rules_dir: Path | None) -> Replayed:
    """Read the record at `path` (FindingError: not a record; AlteredRecord: altered), rebuild its
    embedded snapshot, load the rules (FindingError: bad rules), diagnose again what it selected,
    and compare."""
    data = records.read(path)
    problems = records.integrity_problems(data)
    if problems:
        raise AlteredRecord(f"{path}: {problems[0]}; refusing to replay an altered record")
    snap = data["snapshot"]
    snapshot = build_snapshot(json.loads(json.dumps(snap["content"])), f"{path} (snapshot.content)")
    snapshot.file = snap["file"]  # provenance names the file the diagnosis read, as the recorded facts do
    eng = pipeline.knowledge(rules_dir).engine
    lines = [_rules_line(data["ruleset"], pipeline.ruleset_info(eng.ruleset))]
    try:
        differs = _compare(data, snapshot, eng, lines)
    except BaseException as exc:  # the lines so far are printed first, as a command printing as it goes would
        return Replayed(lines, True, exc)
    return Replayed(lines, differs)


def _rules_line(old: dict[str, Any], new: dict[str, Any]) -> str:
    if old["sha256"] == new["sha256"]:
        return f"rules: identical to the recorded ruleset ({new['name']} {new['version']})"
    changed = sorted(set(old["files"].items()) ^ set(new["files"].items()))
    return (f"rules: differ from the recorded ruleset ({old['version']} -> {new['version']}); files changed: "
            + ", ".join(sorted({name for name, _ in changed})))


def _compare(data: dict[str, Any], snapshot: Snapshot, eng: Any, lines: list[str]) -> bool:
    """Diagnose the record's pairs again, add what differs (or that nothing does) to `lines`;
    True when the results differ or cannot be proven complete."""
    labels = {}
    for r in data["results"]:
        labels[records.result_key(r)] = (f"user {r['user'].get('username') or r['user']['id']} · "
                                         f"business unit {r['business_unit'].get('name') or r['business_unit']['id']}")
    after = [d.to_json() for ui, bi in _pairs(data, snapshot)
             for d in pipeline.diagnosed(eng, snapshot, Selection([ui], [bi]), data.get("symptom"))]
    after = records.original_paths(after, data["snapshot"].get("user_indexes"))
    before, after, notes = like_with_like(data, declared_ids(snapshot.data), after)
    lines += [f"compared like with like: {note}" for note in notes]
    diffs = differences(before, after, labels)
    if diffs:
        lines.append("verdicts differ:")
        lines += ["  " + d for d in diffs]
        return True
    if data["record_version"] == 1:  # no selection: what the command line asked for is not recorded
        lines.append(f"same results for the {len(data['results'])} result(s) the record holds; NOT PROVEN: a version-1 "
                     "record does not say what the command line selected, so a result removed from it cannot be seen. "
                     "Only a record of version 2 or later, signed (audit verify --public-key), proves its results complete.")
        return True
    lines.append(f"same verdicts: {len(data['results'])} result(s), every field of each (who, verdicts, undetermined "
                 "rules, rule statuses, proofs and the facts they used)")
    return False


def _pairs(data: dict[str, Any], snapshot: Snapshot) -> list[tuple[int, int]]:
    """The (user, business unit) pairs to diagnose again: what the recorded command line selects
    in the embedded snapshot (a record before version 2: the recorded results' pairs)."""
    sel = data.get("selection")
    if isinstance(sel, dict):
        try:
            chosen = pipeline.select(snapshot, sel.get("user"), bool(sel.get("all_users")), sel.get("business_unit"))
        except NotFound:
            return []  # nobody to diagnose: every recorded result shows as missing
        return [(u, b) for u in chosen.users for b in chosen.business_units]
    pairs = []
    for r in data["results"]:
        try:
            pairs.append((snapshot.find_user(r["user"]["id"]), snapshot.find_business_unit(r["business_unit"]["id"])))
        except LookupProblem:
            continue  # reported as missing
    return pairs
