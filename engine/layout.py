"""The shared result layout: a whole-org scan's JSON output in proportion to its answers.

In the full layout (one user's diagnosis, audit records) every result carries its whole trace
and every fact the trace names, each fact with its provenance, and every verdict its citations.
Over an org most of that repeats: the same roles, group members and assignments are matched for
thousands of users, the same rule statuses come out for most of them, and every verdict of one
rule cites the same passages. The shared layout (`diagnose --all --format json`) writes each of
those once per output:

- a result keeps what is its own: its verdicts (message, details, remedies, warnings, evidence),
  the undetermined rules with the places of the missing values, the **proof** (the firings its
  verdicts rest on, through their parents down to input facts), and a map from the proof's fact
  ids to keys of the shared fact table; ``firings`` says how many firings the engine made in all;
- ``rules`` (in the header): per rule, what every verdict and firing of it repeats (version,
  lifecycle status, code, kind, citations);
- ``shared`` (after the results): ``facts`` and ``rule_status`` tables, keyed by a hash of the
  content (BLAKE2b, 64 bits), so a worker process can name a shared value without asking the
  others and the bytes do not depend on ``--jobs``.

``expand`` turns a shared-layout document back into full-layout results, each trace reduced to
its proof: ``expand(compact(r)) == proof_of(r)`` for every result (tests/engine/test_layout.py),
so every verdict still resolves to the input facts it rests on.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any, Iterable

from .model import Ruleset
from .diagnosis import fid_order
from .run import EngineError

LAYOUT = "shared/1"
_SNAPSHOT_KEYS = ("file", "collected_at")  # the same for every snapshot fact: said once, in the header


def rules_table(ruleset: Ruleset) -> dict[str, dict[str, Any]]:
    """Per rule, the fields every verdict or firing of it repeats."""
    out: dict[str, dict[str, Any]] = {}
    for rule in ruleset.active_rules:
        entry: dict[str, Any] = {"rule_version": rule.version, "rule_status": rule.status}
        if rule.conclude is not None:
            entry.update(code=rule.conclude.code, kind=rule.conclude.kind,
                         citations=ruleset.cited(rule))
        out[rule.id] = entry
    return out


def content_key(value: Any) -> str:
    """A value's name in a shared table: 16 hex digits of BLAKE2b over its canonical JSON.
    (64 bits: two different facts of one output share a key with a chance of about n²/2⁶⁵.)"""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


def collision(table: str, key: str) -> EngineError:
    """Two different values of one output under one key: never written (the reader would resolve
    a reference to the wrong value). Keys are 64-bit: this takes a crafted collision, or 2³² values."""
    return EngineError(f"two different values of shared.{table} have the key {key} (a hash collision): "
                       "rerun with --layout full, which shares nothing")


def add_shared(tables: dict[str, dict[str, Any]], table: str, key: str, value: Any) -> None:
    """Add a shared value, refusing a different value under a key already taken."""
    slot = tables.setdefault(table, {})
    if key in slot and slot[key] != value:
        raise collision(table, key)
    slot[key] = value


def proof_ids(result: dict[str, Any]) -> set[str]:
    """The firings a result's verdicts rest on: their evidence, and through each firing's parents
    and the producers of the facts it names, down to input facts."""
    firings = {f["id"]: f for f in result["trace"]}
    producer = {f["derived"]: f["id"] for f in result["trace"] if f.get("derived") and f.get("new")}
    todo = [e for v in result["verdicts"] for e in v["evidence"]]
    seen: set[str] = set()
    while todo:
        fid = todo.pop()
        if fid in seen or fid not in firings:
            continue
        seen.add(fid)
        firing = firings[fid]
        todo.extend(firing["parents"])
        todo.extend(producer[x] for x in _named(firing) if x in producer)
    return seen


def proof_of(result: dict[str, Any]) -> dict[str, Any]:
    """A full-layout result with its trace reduced to the proof, and its facts to those the proof names."""
    keep = proof_ids(result)
    trace = [f for f in result["trace"] if f["id"] in keep]
    named = {x for f in trace for x in _named(f)}
    return dict(result, trace=trace, facts=[f for f in result["facts"] if f["id"] in named])


class Compactor:
    """Full-layout results in, shared-layout results out (with the shared values each one uses)."""

    def __init__(self, snapshot_header: dict[str, Any]):
        self._hoisted = {k: snapshot_header.get(k) for k in _SNAPSHOT_KEYS}

    def compact(self, result: dict[str, Any]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """(the compact result, {"facts": {key: fact}, "rule_status": {key: statuses}})."""
        pruned = proof_of(result)
        facts: dict[str, Any] = {}
        fact_map: dict[str, str] = {}
        for fact in pruned["facts"]:
            body = self._shared_fact(fact)
            key = content_key(body)
            facts[key] = body
            fact_map[fact["id"]] = key
        statuses = result["rule_status"]
        status_key = content_key(statuses)
        out = {
            "user": result["user"],
            "business_unit": result["business_unit"],
            "verdicts": [{k: v for k, v in verdict.items() if k not in ("rule_version", "rule_status", "citations")}
                         for verdict in result["verdicts"]],
            "undetermined": [{"rule": u["rule"], "missing": u["missing"]} for u in result["undetermined"]],
            "rule_status": status_key,
            "firings": len(result["trace"]),
            "proof": [_compact_firing(f) for f in pruned["trace"]],
            "facts": fact_map,
        }
        return out, {"facts": facts, "rule_status": {status_key: statuses}}

    def _shared_fact(self, fact: dict[str, Any]) -> dict[str, Any]:
        prov = dict(fact["provenance"])
        if prov.get("source") == "derived":
            prov.pop("firing", None)  # its producer, in the proof: restored from there
        elif prov.get("source") == "snapshot":
            # said once, in the header: only what every snapshot fact then has (a snapshot without
            # `collected_at` gives facts without it, and a header saying null)
            for k, v in self._hoisted.items():
                if v is not None and prov.get(k) == v:
                    del prov[k]
        return {"kind": fact["kind"], "values": fact["values"], "provenance": prov}


def _compact_firing(f: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in f.items() if k != "rule_version"}
    if out.get("branch") == 0:
        del out["branch"]
    if not out.get("parents"):
        out.pop("parents", None)
    if out.get("new") is True:
        del out["new"]
    return out


def _named(firing: dict[str, Any]) -> Iterable[str]:
    yield from firing["matched"].values()
    if firing.get("derived"):
        yield firing["derived"]


def expand(doc: dict[str, Any]) -> dict[str, Any]:
    """A shared-layout document with full-layout results (each trace its proof). Raises
    LayoutError naming the result and the reference when something does not resolve, or the
    part that is not shaped as the layout says."""
    if not isinstance(doc, dict):
        raise LayoutError(f"a result document is a JSON object, not {type(doc).__name__}")
    if doc.get("layout") != LAYOUT:
        return doc
    rules, shared, results = doc.get("rules"), doc.get("shared"), doc.get("results")
    if not isinstance(rules, dict) or not isinstance(shared, dict) or not isinstance(results, list):
        raise LayoutError(f"a {LAYOUT} document has `rules` and `shared` objects and a `results` list")
    facts, statuses = shared.get("facts"), shared.get("rule_status")
    if not isinstance(facts, dict) or not isinstance(statuses, dict):
        raise LayoutError("`shared` has a `facts` and a `rule_status` object")
    hoisted = {k: (doc.get("snapshot") or {}).get(k) for k in _SNAPSHOT_KEYS}
    out = {k: v for k, v in doc.items() if k not in ("layout", "rules", "shared")}
    out["results"] = []
    for i, r in enumerate(results):
        try:
            out["results"].append(expand_result(r, rules, facts, statuses, hoisted, i))
        except (KeyError, TypeError, AttributeError, IndexError) as exc:
            raise LayoutError(f"results[{i}] is not shaped as the {LAYOUT} layout says "
                              f"({type(exc).__name__}: {exc}; docs/results.md)") from None
    return out


class LayoutError(ValueError):
    """A shared-layout document whose references do not resolve, or that is not shaped as the layout says."""


def expand_result(r: dict[str, Any], rules: dict[str, Any], facts: dict[str, Any], statuses: dict[str, Any],
                  hoisted: dict[str, Any], index: int = 0) -> dict[str, Any]:
    def need(table: dict[str, Any], key: str, what: str) -> Any:
        if key not in table:
            raise LayoutError(f"results[{index}]: {what} {key!r} is not in the document")
        return table[key]

    fact_ids = set(r["facts"])
    firing_ids = {f["id"] for f in r["proof"]}

    def resolves(ids: Any, known: set[str], what: str) -> None:
        for x in ids:
            if x not in known:
                raise LayoutError(f"results[{index}]: {what} {x!r} is not in the result")

    trace = []
    for f in r["proof"]:
        resolves(f["matched"].values(), fact_ids, f"fact id matched by firing {f['id']}")
        resolves([f["derived"]] if f.get("derived") else [], fact_ids, f"fact id derived by firing {f['id']}")
        resolves(f.get("parents", []), firing_ids, f"parent firing of {f['id']}")
        full = {"id": f["id"], "rule": f["rule"], "rule_version": need(rules, f["rule"], "rule")["rule_version"],
                "branch": f.get("branch", 0), "matched": f["matched"], "parents": f.get("parents", [])}
        if "concluded" in f:
            full["concluded"] = f["concluded"]
        else:
            full["derived"], full["new"] = f.get("derived"), f.get("new", True)
        trace.append(full)
    producer = {f["derived"]: f["id"] for f in trace if f.get("derived") and f.get("new")}
    fact_list = []
    for fid, key in r["facts"].items():
        body = need(facts, key, "fact")
        prov = dict(body["provenance"])
        if prov.get("source") == "derived":
            prov["firing"] = producer.get(fid)
        elif prov.get("source") == "snapshot":
            for k, v in hoisted.items():
                if v is not None:
                    prov.setdefault(k, v)
        fact_list.append({"id": fid, "kind": body["kind"], "values": body["values"], "provenance": prov})
    fact_list.sort(key=lambda f: fid_order(f["id"]))
    verdicts = []
    for v in r["verdicts"]:
        rule = need(rules, v["rule"], "rule")
        resolves(v["evidence"], firing_ids, f"evidence of {v.get('code')}")
        verdicts.append(dict(v, rule_version=rule["rule_version"], rule_status=rule["rule_status"],
                             citations=rule.get("citations", [])))
    undetermined = []
    for u in r["undetermined"]:
        rule = need(rules, u["rule"], "rule")
        undetermined.append({"rule": u["rule"], "code": rule.get("code"), "kind": rule.get("kind"), "missing": u["missing"]})
    return {"user": r["user"], "business_unit": r["business_unit"], "verdicts": verdicts, "undetermined": undetermined,
            "rule_status": need(statuses, r["rule_status"], "rule status table"), "trace": trace, "facts": fact_list}


__all__ = ["LAYOUT", "Compactor", "LayoutError", "add_shared", "collision", "content_key", "expand", "expand_result", "proof_of", "rules_table"]
