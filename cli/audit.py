"""`syncdoctor audit keygen|verify` and `syncdoctor replay`: the auditor's commands. What a record
holds and how it is checked: api/audit_record.py; replay's one call: api/replay.py."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from syncdoctor.api import audit_record as records
from syncdoctor.api import replay as replaying
from syncdoctor.api.snapshots import Snapshot

from . import outputs, service
from .common import EXIT_CAUSE, EXIT_OK, EXIT_USAGE, RulesOption, fail
from .formats.escape import visible
from .formats.words import hash_words
import os

app = typer.Typer(help="Audit records: sign them, and verify that a record was not altered.", no_args_is_help=True)
EXIT_DIFFERS = EXIT_CAUSE  # verify: altered or not signed by the key; replay: verdicts differ


def audit_record(doc: dict[str, Any], snapshot: Snapshot, private_key: Ed25519PrivateKey | None = None,
                 selection: dict[str, Any] | None = None) -> dict[str, Any]:
    """The record of a diagnosis (signed when a key is given)."""
    return records.build(doc, snapshot, private_key, selection)


def signing_key(path: Path | None) -> Ed25519PrivateKey | None:
    """`--audit-key`, read before any work: a bad key is exit 2, not a lost diagnosis."""
    if path is None:
        return None
    try:
        return records.load_private_key(path)
    except ValueError as exc:
        raise fail(str(exc)) from None


def load_record(path: Path) -> dict[str, Any]:
    """A parsed, structurally valid record (engine/schema/audit.schema.json), or exit 2 with
    located findings. Duplicate keys are refused by the JSON loader."""
    return service.guarded(lambda: records.read(path))


@app.command("keygen")
def keygen(out: Annotated[Path, typer.Option("--out", help="Private key file to write (PEM, 0600); the public key goes to OUT.pub.",
                                             dir_okay=False)]) -> None:
    """Make an Ed25519 key pair for signing audit records (`diagnose --audit-key`).

    Keep the private key to the people who run diagnoses; give the public key (OUT.pub) to
    auditors, who check records with `audit verify --public-key`.

    Example:

        syncdoctor audit keygen --out ~/.syncdoctor/audit-key
    """
    public = out.with_name(out.name + ".pub")
    for path in (out, public):
        if path.exists() or path.is_symlink():
            raise fail(f"{path} already exists: a key is never overwritten (remove it first, or choose another --out)")
    created = _private_folder(out.expanduser().parent)
    outputs.check({"--out": out, "--out (public key)": public}, {})
    private_pem, public_pem = records.new_key_pair()
    outputs.write_output(private_pem.decode(), out, private=True)
    outputs.write_output(public_pem.decode(), public)
    for folder in created:
        typer.echo(f"created {folder} (0700: only you can open it)")
    typer.echo(f"wrote {out} (private key, keep it secret) and {public} (public key, for auditors)")


def _private_folder(folder: Path) -> list[Path]:
    """Create the key's folder, and any missing folder above it, readable by its owner only
    (0700, whatever the umask); an existing folder is left as it is. Returns those created."""
    missing = []
    for f in [folder, *folder.parents]:
        if f.exists() or f.is_symlink():
            break
        missing.append(f)
    for f in reversed(missing):
        try:
            f.mkdir(mode=0o700)
            os.chmod(f, 0o700)
        except OSError as exc:
            raise fail(f"cannot create the folder {f} for the key: {exc.strerror}") from None
    return list(reversed(missing))


@app.command("verify")
def verify(record: Annotated[Path, typer.Argument(help="An audit record written by `diagnose --audit`.", dir_okay=False)],
           public_key: Annotated[Optional[Path], typer.Option("--public-key", help="The signer's public key (from `audit keygen`): "
                                                              "also check who wrote the record.", dir_okay=False)] = None) -> None:
    """Check an audit record: its hashes (integrity), and with --public-key its signature
    (authorship). Exit 0 intact, 1 altered or not signed by that key, 2 not a record.

    Example:

        syncdoctor audit verify audit.json --public-key audit-key.pub
    """
    trusted = None
    if public_key is not None:
        try:
            trusted = records.load_public_key(public_key)
        except ValueError as exc:
            raise fail(str(exc)) from None
    data = load_record(record)
    problems = [("ALTERED", p) for p in records.integrity_problems(data)]
    if trusted is not None and not problems:
        problems = records.signature_problems(data, trusted)
    if problems:
        for verdict, why in problems:
            typer.echo(visible(f"{verdict}: {why}"))  # `why` may quote the record's own text
        raise typer.Exit(EXIT_DIFFERS)
    rs = data["ruleset"]
    snap = data["snapshot"]
    typer.echo(visible(f"intact: record {data['record_sha256'][:16]}…, ruleset {rs['name']} {rs['version']}; snapshot "
                       f"{snap.get('file')}: {hash_words(snap)}"))
    if trusted is not None:
        typer.echo(f"signed by key {records.key_id(trusted)}, the key you gave: nothing changed since it was signed")
    else:
        if isinstance(data.get("signature"), dict):
            typer.echo(visible(f"signed by key id {data['signature'].get('key_id') or '?'}: not checked; give --public-key"))
        typer.echo("integrity only: the hashes match, but anyone who edits a record can recompute them; this does not show "
                   "who wrote it. Give --public-key to check its signature.")
    raise typer.Exit(EXIT_OK)


def replay(record: Annotated[Path, typer.Argument(help="An audit record.", dir_okay=False)], rules: RulesOption = None) -> None:
    """Re-run the recorded snapshot on the given rules and report any difference in the
    verdicts (every field) or in who was diagnosed. Exit 0 same, 1 different, 2 not a record.

    Example:

        syncdoctor replay audit.json --rules ./rules
    """
    try:
        done = service.guarded(lambda: replaying.replay(record, rules))
    except replaying.AlteredRecord as exc:
        raise fail(str(exc), EXIT_USAGE) from None
    for line in done.lines:
        typer.echo(visible(line))  # a record's names, a rules folder's file names: shown, never sent raw
    if done.stopped is not None:
        raise done.stopped
    raise typer.Exit(EXIT_DIFFERS if done.differs else EXIT_OK)
