"""What `replay` shows of a difference between a record and a run today: per (user, business
unit), each verdict only on one side, each field of a verdict with its recorded and its new
value (list fields item by item), the rule firings and facts one proof lacks, and any other
field with both values. Whether two results differ is the record's own comparison (canonical
JSON of the whole result, api/audit_record.py)."""
from __future__ import annotations

import json
from typing import Any

from .audit_record import canonical, result_map


def differences(before: list[dict[str, Any]], after: list[dict[str, Any]], labels: dict[tuple[str, str], str]) -> list[str]:
    """Every (user, business unit) whose result differs in any field, or that one side lacks:
    each with what the record says and what the run says now (old and new values)."""
    old, new = result_map(before), result_map(after)
    out = []
    for k in sorted(set(old) | set(new)):
        where = labels.get(k, f"user {k[0]} · business unit {k[1]}")
        if k not in new:
            out.append(f"{where}: in the record, not diagnosed now")
        elif k not in old:
            out.append(f"{where}: diagnosed now, not in the record")
        elif canonical(old[k]) != canonical(new[k]):
            out.append(f"{where}:\n" + "\n".join("    " + line for line in _changes(old[k], new[k])))
    return out


PROOF_FIELDS = ("facts", "trace", "proof", "firings")


def _changes(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """What differs in one result: each verdict's fields, then the proof, then any other field."""
    lines = _verdict_changes(a.get("verdicts") or [], b.get("verdicts") or [])
    fields = sorted(f for f in set(a) | set(b) if f != "verdicts" and canonical(a.get(f)) != canonical(b.get(f)))
    if any(f in PROOF_FIELDS for f in fields):
        lines += _proof_changes(a, b)
    lines += [f"{f}: was {_short(a.get(f))}, now {_short(b.get(f))}" for f in fields if f not in PROOF_FIELDS]
    return lines or ["the same values, written differently"]


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return repr(text if len(text) <= 300 else text[:300] + "…")


def _verdict_changes(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[str]:
    """Per code: a verdict only in the record or only now, or each field with its old and new value
    (list fields item by item: what was removed, what was added)."""
    by_old, by_new = {v.get("code"): v for v in old}, {v.get("code"): v for v in new}
    lines = []
    for code in sorted(set(by_old) | set(by_new), key=str):
        a, b = by_old.get(code), by_new.get(code)
        if b is None:
            lines.append(f"{code} ({a.get('kind')}): in the record, not concluded now")  # type: ignore[union-attr]
            continue
        if a is None:
            lines.append(f"{code} ({b.get('kind')}): concluded now, not in the record")
            continue
        for f in sorted(set(a) | set(b)):
            va, vb = a.get(f), b.get(f)
            if canonical(va) == canonical(vb):
                continue
            if isinstance(va, list) and isinstance(vb, list):
                gone = [x for x in va if x not in vb]
                came = [x for x in vb if x not in va]
                if not gone and not came:
                    lines.append(f"{code} {f}: the same items in another order")
                lines += [f"{code} {f}: was {_short(x)}, gone now" for x in gone]
                lines += [f"{code} {f}: new now {_short(x)}" for x in came]
            else:
                lines.append(f"{code} {f}: was {_short(va)}, now {_short(vb)}")
    return lines


def _proof_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The rule firings, and the facts they used, that one side lacks."""
    def fired(p: dict[str, Any]) -> list[str]:
        return sorted(f"{t.get('rule')} v{t.get('rule_version')}" for t in p.get("trace") or [] if isinstance(t, dict))

    def used(p: dict[str, Any]) -> list[str]:
        return sorted(f"{f.get('kind')} {json.dumps(f.get('values'), ensure_ascii=False, sort_keys=True)}"
                      for f in p.get("facts") or [] if isinstance(f, dict))
    lines = []
    for what, a, b in (("rule firing", fired(old), fired(new)), ("fact used", used(old), used(new))):
        lines += [f"{what} in the record, not now: {_short(x)}" for x in a if x not in b]
        lines += [f"{what} now, not in the record: {_short(x)}" for x in b if x not in a]
    return lines or ["a different proof: the same firings and facts, with other ids or provenance"]
