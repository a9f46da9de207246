"""Audit records: what they hold, how they are hashed, signed and checked (docs/reliability.md,
"Audit records").

A record holds the tool, the ruleset (name, version, hash of every file), the symptom, the
snapshot (its file name, the sha256 of the file's bytes as read, the sha256 of its whole content,
and the content the diagnosis used), and every result. `record_sha256` is a plain hash of the
canonical record: it shows accidental change only, since anyone can recompute it. Authorship
comes from `signature`: Ed25519 over the same canonical bytes, checked against a public key the
auditor trusts (`audit verify --public-key`).
"""
from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from syncdoctor.api.snapshots import BadId, key, Snapshot
from syncdoctor.reading import schemas
from syncdoctor.reading.findings import FindingError
from syncdoctor.reading.loader import SNAPSHOT_LIMIT, parse_json, read_text

RECORD_VERSION = 3  # 3: ids as the snapshot declares them; what older versions lack: api/audit_older.py
UNSIGNED_FIELDS = ("record_sha256", "signature")
WHOLE = "the whole snapshot"


def canonical(value: Any) -> bytes:
    """The bytes that are hashed and signed: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256(value: Any) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


def _body(record: dict[str, Any]) -> dict[str, Any]:
    """What record_sha256 covers."""
    return {k: v for k, v in record.items() if k not in UNSIGNED_FIELDS}


def _signed(record: dict[str, Any]) -> dict[str, Any]:
    """What the signature covers: everything else, record_sha256 included."""
    return {k: v for k, v in record.items() if k != "signature"}


# -- what the record embeds ------------------------------------------------------------------------
_USERS = re.compile(r"salesforce\.users\[(\d+)\]")


def _ident(sfid: Any) -> str | None:
    try:
        return key(sfid) if isinstance(sfid, str) else None
    except BadId:
        return None


def embedded(snapshot: Snapshot, results: list[dict[str, Any]]) -> tuple[dict[str, Any], str, list[int] | None]:
    """The snapshot content a record embeds, the words that say which, and (when only some users
    are kept) each kept user's index in the snapshot. A diagnosis reads one user's facts and the
    org's (business units, roles, groups, every business unit's Account Engagement users: a
    colliding address may be anywhere), so only the users not diagnosed are left out."""
    data = snapshot.data
    users = {_ident(r["user"]["id"]) for r in results}
    keep_u = [i for i, u in enumerate(snapshot.users) if _ident(u.get("id")) in users]
    if len(keep_u) == len(snapshot.users):
        return data, WHOLE, None
    remap = {old: new for new, old in enumerate(keep_u)}
    out = dict(data)
    out["salesforce"] = dict(data["salesforce"], users=[snapshot.users[i] for i in keep_u])
    for name in ("sources", "unknown_reasons"):  # keyed by paths whose list indexes moved
        if isinstance(data.get(name), dict):
            moved = {}
            for path, value in data[name].items():
                m = _USERS.match(path)
                if not m:
                    moved[path] = value
                elif len(m.group(1)) <= 9 and int(m.group(1)) in remap:  # a 5,000-digit index names nobody
                    moved[f"salesforce.users[{remap[int(m.group(1))]}]{path[m.end():]}"] = value
            out[name] = moved
    words = (f"the diagnosed users ({len(keep_u)} of {len(snapshot.users)}); everything else of the snapshot whole "
             "(every business unit, role, public group and Account Engagement user)")
    return out, words, keep_u


def original_paths(results: list[dict[str, Any]], user_indexes: list[int] | None) -> list[dict[str, Any]]:
    """Results diagnosed from an embedded part, with its users' paths (a fact's `path`, an
    undetermined rule's `missing`) as the snapshot numbered them (org text that merely looks
    like a path is left alone)."""
    if not user_indexes:
        return results

    def original(path: Any) -> Any:
        m = _USERS.match(path) if isinstance(path, str) else None
        if not m or len(m.group(1)) > 9 or int(m.group(1)) >= len(user_indexes):
            return path
        return f"salesforce.users[{user_indexes[int(m.group(1))]}]{path[m.end():]}"

    out = copy.deepcopy(results)
    stack: list[Any] = [out]
    while stack:  # the tool's own path fields: a fact's `path`, an undetermined rule's `missing`
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            for k, v in node.items():
                if k == "path":
                    node[k] = original(v)
                elif k == "missing" and isinstance(v, list):
                    node[k] = [original(x) for x in v]
                elif k != "values" and isinstance(v, (dict, list)):  # `values`: org data, never translated
                    stack.append(v)
    return out


def build(doc: dict[str, Any], snapshot: Snapshot, private_key: Ed25519PrivateKey | None = None,
          selection: dict[str, Any] | None = None, what_if: dict[str, Any] | None = None) -> dict[str, Any]:
    """`selection`: what the command line asked for ({"user", "all_users", "business_unit"}),
    so that replay diagnoses it again and a result dropped from the record shows. `what_if`: the
    changes a what-if run applied and its report (the whole snapshot is embedded: a change can
    reach anyone)."""
    content, scope, user_indexes = (snapshot.data, WHOLE, None) if what_if is not None else embedded(snapshot, doc["results"])
    record = {
        "record_version": RECORD_VERSION,
        "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "tool": doc["tool"],
        "ruleset": doc["ruleset"],
        "symptom": doc["symptom"],
        "selection": selection or {"user": None, "all_users": True, "business_unit": None},
        "snapshot": {"file": snapshot.file, "file_sha256": getattr(snapshot, "file_sha256", None),
                     "sha256": snapshot.sha256, "embedded": scope, "content": content,
                     "content_sha256": sha256(content), **({"user_indexes": user_indexes} if user_indexes else {})},
        "results": doc["results"],
    }
    if what_if is not None:
        record["what_if"] = what_if
    return seal(record, private_key)


def seal(record: dict[str, Any], private_key: Ed25519PrivateKey | None = None) -> dict[str, Any]:
    """The record with its record_sha256 (anew) and, given a key, its signature over both."""
    record = _body(record)
    record["record_sha256"] = sha256(record)
    if private_key is not None:
        public = private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        record["signature"] = {"algorithm": "ed25519", "public_key": base64.b64encode(public).decode(),
                               "key_id": hashlib.sha256(public).hexdigest()[:16],
                               "value": base64.b64encode(private_key.sign(canonical(_signed(record)))).decode()}
    return record


# -- checking ----------------------------------------------------------------------------------------
def read(path: Path) -> dict[str, Any]:
    """A parsed, structurally valid record (engine/schema/audit.schema.json), or FindingError with
    located findings. Duplicate keys are refused by the JSON loader."""
    data = parse_json(read_text(path, SNAPSHOT_LIMIT), str(path))
    findings = schemas.check("audit", data, str(path))
    if findings:
        raise FindingError(findings)
    return data


def integrity_problems(record: dict[str, Any]) -> list[str]:
    """What the hashes say was altered (anyone can recompute them: integrity, not authorship)."""
    problems = []
    if sha256(_body(record)) != record["record_sha256"]:
        problems.append("the record's content does not match its record_sha256: something in it was altered")
    snap = record["snapshot"]
    if record["record_version"] == 1 or snap.get("embedded") == WHOLE:
        if sha256(snap["content"]) != snap["sha256"]:
            problems.append("the embedded snapshot does not match its sha256")
    if "content_sha256" in snap and sha256(snap["content"]) != snap["content_sha256"]:
        problems.append("the embedded snapshot content does not match its content_sha256")
    if record["record_version"] == 1 and "selection" in record:
        problems.append("a version-1 record holds no selection: its record_version was changed")
    seen: dict[tuple[str, str], int] = {}
    for i, r in enumerate(record["results"]):
        k = result_key(r)
        if k in seen:
            problems.append(f"results[{i}] is a second result for the user and business unit of results[{seen[k]}]: "
                            "a diagnosis writes one")
        seen.setdefault(k, i)
    claimed = embedded_key_id(record)
    if claimed is not None and claimed[0] != claimed[1]:  # the id a reader sees must name the key that signed
        problems.append(f"the signature's key_id {claimed[0]} is not the id of its public key ({claimed[1]})")
    return problems


def embedded_key_id(record: dict[str, Any]) -> tuple[str, str] | None:
    """(the key_id the signature states, the id of the public key it carries), when it states one
    and carries a readable key. The key_id is not signed: only the key's own bytes say which it is."""
    sig = record.get("signature")
    if not isinstance(sig, dict) or not isinstance(sig.get("key_id"), str):
        return None
    try:
        public = base64.b64decode(sig["public_key"], validate=True)
    except (ValueError, KeyError, TypeError):
        return None
    return sig["key_id"], hashlib.sha256(public).hexdigest()[:16]


def key_id(public: Ed25519PublicKey) -> str:
    """A short name for a public key: the start of the sha256 of its raw bytes."""
    return hashlib.sha256(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).hexdigest()[:16]


def signature_problems(record: dict[str, Any], trusted: Ed25519PublicKey) -> list[tuple[str, str]]:
    """("NOT TRUSTED" | "ALTERED", why) unless the record is signed by the trusted key over
    exactly its content."""
    sig = record.get("signature")
    if not sig:
        return [("NOT TRUSTED", "the record is not signed: nothing shows who wrote it")]
    mine = trusted.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    try:
        theirs = base64.b64decode(sig["public_key"], validate=True)
        value = base64.b64decode(sig["value"], validate=True)
    except ValueError:
        return [("ALTERED", "the signature is not valid base64")]
    if theirs != mine:
        return [("NOT TRUSTED", f"the record is signed by another key (key id {hashlib.sha256(theirs).hexdigest()[:16]}, "
                                f"not {key_id(trusted)})")]
    try:
        trusted.verify(value, canonical(_signed(record)))
    except InvalidSignature:
        return [("ALTERED", "the signature does not match the record's content: something in it was altered after signing")]
    return []


# -- keys --------------------------------------------------------------------------------------------
def new_key_pair() -> tuple[bytes, bytes]:
    """(private PEM, public PEM) of a fresh Ed25519 key."""
    private = Ed25519PrivateKey.generate()
    return (private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
            private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))


def _load_pem(path: Path, load: Callable[[bytes], Any], what: str) -> Any:
    try:
        return load(path.read_bytes())
    except OSError as exc:
        raise ValueError(f"{path}: cannot read: {exc.strerror}") from None
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{path}: not {what} ({exc})") from None


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """ValueError (with the reason) unless `path` holds an unencrypted Ed25519 private key in PEM."""
    key_obj = _load_pem(path, lambda data: serialization.load_pem_private_key(data, password=None),
                        "an unencrypted PEM private key")
    if not isinstance(key_obj, Ed25519PrivateKey):
        raise ValueError(f"{path}: not an Ed25519 key (make one with `syncdoctor audit keygen`)")
    return key_obj


def load_public_key(path: Path) -> Ed25519PublicKey:
    key_obj = _load_pem(path, serialization.load_pem_public_key, "a PEM public key")
    if not isinstance(key_obj, Ed25519PublicKey):
        raise ValueError(f"{path}: not an Ed25519 public key")
    return key_obj


# -- comparing results -------------------------------------------------------------------------------
def result_key(r: dict[str, Any]) -> tuple[str, str]:
    """A result's (user, business unit), by the identity of their ids (facts/ids.py)."""
    return (str(_ident(r["user"]["id"]) or r["user"]["id"]), str(_ident(r["business_unit"]["id"]) or r["business_unit"]["id"]))


def result_map(results: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Per (user, business unit): the whole result (who, verdicts, undetermined rules, rule
    statuses, proof: firings and every fact with its values and provenance). Duplicate keys are
    refused before (integrity_problems): here a later one would hide an earlier one."""
    return {result_key(r): r for r in results}
