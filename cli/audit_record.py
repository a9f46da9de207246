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
import hashlib
import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from syncdoctor.facts.ids import BadId, key
from syncdoctor.facts.snapshot import Snapshot

RECORD_VERSION = 2
UNSIGNED_FIELDS = ("record_sha256", "signature")
VERDICT_FIELDS = ("code", "kind", "message", "remedies", "warnings", "citations", "evidence", "details")
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
_INDEXED = re.compile(r"^(salesforce\.users|business_units|account_engagement\.users)\[(\d+)\](.*)$", re.S)


def _ident(sfid: Any) -> str | None:
    try:
        return key(sfid) if isinstance(sfid, str) else None
    except BadId:
        return None


def embedded(snapshot: Snapshot, results: list[dict[str, Any]]) -> tuple[dict[str, Any], str]:
    """The snapshot content a record embeds, and the words that say which. A diagnosis of some
    users needs only those users, their business units and those units' Account Engagement
    users (roles, public groups and the rest are kept whole); a whole-org scan keeps it all."""
    data = snapshot.data
    users = {_ident(r["user"]["id"]) for r in results}
    bus = {_ident(r["business_unit"]["id"]) for r in results}
    keep_u = [i for i, u in enumerate(snapshot.users) if _ident(u.get("id")) in users]
    keep_b = [i for i, b in enumerate(snapshot.business_units) if _ident(b.get("id")) in bus]
    if len(keep_u) == len(snapshot.users) and len(keep_b) == len(snapshot.business_units):
        return data, WHOLE
    ae_all = ((data.get("account_engagement") or {}).get("users"))
    keep_a = [j for j, a in enumerate(ae_all or []) if _ident(a.get("business_unit_id")) in bus]
    remap = {"salesforce.users": {old: new for new, old in enumerate(keep_u)},
             "business_units": {old: new for new, old in enumerate(keep_b)},
             "account_engagement.users": {old: new for new, old in enumerate(keep_a)}}
    out = dict(data)
    out["business_units"] = [snapshot.business_units[i] for i in keep_b]
    out["salesforce"] = dict(data["salesforce"], users=[snapshot.users[i] for i in keep_u])
    if isinstance(ae_all, list):
        out["account_engagement"] = dict(data["account_engagement"], users=[ae_all[j] for j in keep_a])
    for name in ("sources", "unknown_reasons"):  # keyed by paths whose list indexes moved
        if isinstance(data.get(name), dict):
            moved = {}
            for path, value in data[name].items():
                m = _INDEXED.match(path)
                if not m:
                    moved[path] = value
                elif int(m.group(2)) in remap[m.group(1)]:
                    moved[f"{m.group(1)}[{remap[m.group(1)][int(m.group(2))]}]{m.group(3)}"] = value
            out[name] = moved
    words = (f"the diagnosed users ({len(keep_u)} of {len(snapshot.users)}), their business units "
             f"({len(keep_b)} of {len(snapshot.business_units)}) and those units' Account Engagement users; "
             "everything else of the snapshot whole")
    return out, words


def build(doc: dict[str, Any], snapshot: Snapshot, private_key: Ed25519PrivateKey | None = None,
          selection: dict[str, Any] | None = None, what_if: dict[str, Any] | None = None) -> dict[str, Any]:
    """`selection`: what the command line asked for ({"user", "all_users", "business_unit"}),
    so that replay diagnoses it again and a result dropped from the record shows. `what_if`: the
    changes a what-if run applied and its report (the whole snapshot is embedded: a change can
    reach anyone)."""
    content, scope = (snapshot.data, WHOLE) if what_if is not None else embedded(snapshot, doc["results"])
    record = {
        "record_version": RECORD_VERSION,
        "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "tool": doc["tool"],
        "ruleset": doc["ruleset"],
        "symptom": doc["symptom"],
        "selection": selection or {"user": None, "all_users": True, "business_unit": None},
        "snapshot": {"file": snapshot.file, "file_sha256": getattr(snapshot, "file_sha256", None),
                     "sha256": snapshot.sha256, "embedded": scope, "content": content,
                     "content_sha256": sha256(content)},
        "results": doc["results"],
    }
    if what_if is not None:
        record["what_if"] = what_if
    record["record_sha256"] = sha256(record)
    if private_key is not None:
        public = private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        record["signature"] = {"algorithm": "ed25519", "public_key": base64.b64encode(public).decode(),
                               "key_id": hashlib.sha256(public).hexdigest()[:16],
                               "value": base64.b64encode(private_key.sign(canonical(_signed(record)))).decode()}
    return record


# -- checking ----------------------------------------------------------------------------------------
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


# -- comparing verdicts ------------------------------------------------------------------------------
def verdict_view(verdict: dict[str, Any]) -> dict[str, Any]:
    """A verdict as replay compares it: every field a reader relies on."""
    return {f: verdict.get(f) for f in VERDICT_FIELDS}


def result_map(results: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Per (user, business unit): its verdicts as compared, and its proof (the rule firings and
    the facts they used: kind and values; where a fact sits in the file is left out, since an
    embedded part of a snapshot numbers its lists anew)."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for r in results:
        k = (str(_ident(r["user"]["id"]) or r["user"]["id"]), str(_ident(r["business_unit"]["id"]) or r["business_unit"]["id"]))
        facts = [{"id": f.get("id"), "kind": f.get("kind"), "values": f.get("values")} for f in r.get("facts") or []
                 if isinstance(f, dict)]
        out[k] = {"verdicts": sorted((verdict_view(v) for v in r["verdicts"]), key=canonical),
                  "proof": {"trace": r.get("trace"), "facts": facts}}
    return out


def differences(before: list[dict[str, Any]], after: list[dict[str, Any]], labels: dict[tuple[str, str], str]) -> list[str]:
    """Every (user, business unit) whose verdicts or proof differ in any field, or that one side lacks."""
    old, new = result_map(before), result_map(after)
    out = []
    for k in sorted(set(old) | set(new)):
        where = labels.get(k, f"user {k[0]} · business unit {k[1]}")
        if k not in new:
            out.append(f"{where}: in the record, not diagnosed now")
        elif k not in old:
            out.append(f"{where}: diagnosed now, not in the record")
        elif old[k] != new[k]:
            codes_old = {v["code"] for v in old[k]["verdicts"]}
            codes_new = {v["code"] for v in new[k]["verdicts"]}
            if codes_old != codes_new:
                out.append(f"{where}: -{sorted(codes_old - codes_new)} +{sorted(codes_new - codes_old)}")
            elif old[k]["verdicts"] != new[k]["verdicts"]:
                pairs = zip(old[k]["verdicts"], new[k]["verdicts"])
                fields = sorted({f for a, b in pairs for f in VERDICT_FIELDS if a.get(f) != b.get(f)})
                out.append(f"{where}: same codes, different {', '.join(fields) or 'number of verdicts'}")
            else:
                out.append(f"{where}: same verdicts, different proof (rule firings or the facts they used)")
    return out
