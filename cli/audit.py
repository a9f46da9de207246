"""Audit records (`diagnose --audit`), `syncdoctor audit verify` and `syncdoctor replay`."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any

import typer

from syncdoctor.engine.loader import SNAPSHOT_LIMIT, parse_json, read_text
from syncdoctor.facts.snapshot import Snapshot, parse_snapshot

from . import service
from .common import EXIT_OK, EXIT_USAGE, RulesOption, fail

RECORD_VERSION = 1
app = typer.Typer(help="Audit records: verify that a record was not altered.", no_args_is_help=True)


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def audit_record(doc: dict[str, Any], snapshot: Snapshot) -> dict[str, Any]:
    record = {
        "record_version": RECORD_VERSION,
        "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "tool": doc["tool"],
        "ruleset": doc["ruleset"],
        "symptom": doc["symptom"],
        "snapshot": {"file": snapshot.file, "sha256": snapshot.sha256, "content": snapshot.data},
        "results": doc["results"],
    }
    record["record_sha256"] = hashlib.sha256(_canonical(record)).hexdigest()
    return record


def load_record(path: Path) -> dict[str, Any]:
    data = parse_json(read_text(path, SNAPSHOT_LIMIT), str(path))
    if not isinstance(data, dict) or data.get("record_version") != RECORD_VERSION:
        raise fail(f"{path}: not a syncdoctor audit record (record_version {RECORD_VERSION})")
    return data


def verify_record(record: dict[str, Any]) -> list[str]:
    problems = []
    body = {k: v for k, v in record.items() if k != "record_sha256"}
    if hashlib.sha256(_canonical(body)).hexdigest() != record.get("record_sha256"):
        problems.append("the record's content does not match its record_sha256: something in it was altered")
    snap = record.get("snapshot", {})
    if hashlib.sha256(_canonical(snap.get("content"))).hexdigest() != snap.get("sha256"):
        problems.append("the embedded snapshot does not match its sha256")
    return problems


@app.command("verify")
def verify(record: Annotated[Path, typer.Argument(help="An audit record written by `diagnose --audit`.", dir_okay=False)]) -> None:
    """Recompute an audit record's hashes and say whether anything was altered.

    Example:

        syncdoctor audit verify audit.json
    """
    data = load_record(record)
    problems = verify_record(data)
    if problems:
        for p in problems:
            typer.echo(f"ALTERED: {p}")
        raise typer.Exit(1)
    typer.echo(f"intact: record {data['record_sha256'][:16]}…, snapshot {data['snapshot']['sha256'][:16]}…, "
               f"ruleset {data['ruleset']['name']} {data['ruleset']['version']}")
    raise typer.Exit(EXIT_OK)


def _verdict_map(results: list[dict[str, Any]]) -> dict[tuple[str, str], list[str]]:
    return {(r["user"]["id"], r["business_unit"]["id"]): sorted(v["code"] for v in r["verdicts"]) for r in results}


def replay(record: Annotated[Path, typer.Argument(help="An audit record.", dir_okay=False)], rules: RulesOption = None) -> None:
    """Re-run the recorded snapshot on the given rules and report any difference in verdicts.

    Example:

        syncdoctor replay audit.json --rules ./rules
    """
    data = load_record(record)
    problems = verify_record(data)
    if problems:
        raise fail(f"{record}: {problems[0]}; refusing to replay an altered record", EXIT_USAGE)
    snapshot = parse_snapshot(json.dumps(data["snapshot"]["content"]), data["snapshot"]["file"], fmt="json")
    eng = service.engine(rules)
    old = data["ruleset"]
    new = service.ruleset_info(eng.ruleset)
    if old["sha256"] == new["sha256"]:
        typer.echo(f"rules: identical to the recorded ruleset ({new['name']} {new['version']})")
    else:
        changed = sorted(set(old["files"].items()) ^ set(new["files"].items()))
        typer.echo(f"rules: differ from the recorded ruleset ({old['version']} -> {new['version']}); files changed: "
                   + ", ".join(sorted({name for name, _ in changed})))
    before = _verdict_map(data["results"])
    sels = [(r["user"]["id"], r["business_unit"]["id"]) for r in data["results"]]
    diagnoses = []
    for uid, bid in sels:
        ui, bi = snapshot.find_user(uid), snapshot.find_business_unit(bid)
        if ui is None or bi is None:
            continue
        diagnoses.append(eng.diagnose(snapshot.factset(ui, bi, data.get("symptom"))))
    after = _verdict_map([d.to_json() for d in diagnoses])
    diffs = []
    for key in sorted(set(before) | set(after)):
        b, a = before.get(key, []), after.get(key, [])
        if a != b:
            diffs.append(f"user {key[0]} · business unit {key[1]}: -{sorted(set(b) - set(a))} +{sorted(set(a) - set(b))}")
    if diffs:
        typer.echo("verdicts differ:")
        for d in diffs:
            typer.echo("  " + d)
        raise typer.Exit(1)
    typer.echo("same verdicts")

