"""Remedies proven before they are given (`diagnose --verify-remedies`, `rules check`): a rule's
remedy may declare the change it stands for (`remedy_changes` in the rule file, filled from the
verdict's facts: engine/run.py). Verifying one applies it to the snapshot in memory (api/whatif.py),
diagnoses the user again, and says whether the verdict goes away and whom else the change moves."""
from __future__ import annotations

from typing import Any

from syncdoctor.reading.findings import FindingError
from syncdoctor.engine.run import Engine
from syncdoctor.facts.ids import key
from syncdoctor.facts.snapshot import Snapshot

from . import changes as ch
from . import whatif
from .errors import BadInput, CannotApply, NotFound

SHOWN = 5  # users named per group of others moved


def check(eng: Engine, snap: Snapshot, ui: int, bi: int, code: str, declared: dict[str, Any],
          symptom: str | None) -> dict[str, Any]:
    """One declared remedy change verified for the user `ui` in business unit `bi`."""
    out: dict[str, Any] = {"remedy": declared["remedy"]}
    if "unfilled" in declared:
        return dict(out, applies=False, why="unknown here: " + ", ".join(declared["unfilled"]))
    try:
        ch.check_specs([declared["change"]], f"remedy {declared['remedy']}")
        plan = whatif.plan(snap, [(declared["change"], f"remedy {declared['remedy']}")])
    except (NotFound, CannotApply, BadInput, FindingError) as exc:
        return dict(out, applies=False, why=str(exc))
    after = eng.diagnose(plan.after.factset(ui, bi, symptom))
    doc = whatif.report(eng, plan, list(range(len(snap.business_units))), symptom, None)
    me = key(snap.users[ui]["id"])
    return dict(out, applies=True, change=ch.words(plan.changes[0]),
                cause_gone=code not in {v["code"] for v in after.verdicts()}, others=_others(doc, me))


def _others(doc: dict[str, Any], me: str) -> list[dict[str, Any]]:
    """Everyone else the change moves: (business unit, move, count, the first few names)."""
    out = []
    for group in doc["business_units"]:
        bu = group["business_unit"].get("name") or group["business_unit"]["id"]
        for move in ("gains_access", "loses_access", "role_changes", "to_recycle_bin"):
            users = [u for u in group[move]["users"] if key(u["id"]) != me]
            if users:
                out.append({"business_unit": bu, "move": move, "count": len(users),
                            "users": [u.get("username") or u["id"] for u in users[:SHOWN]]})
    return out


def verify(eng: Engine, snap: Snapshot, results: list[dict[str, Any]], symptom: str | None) -> None:
    """Add `remedy_checks` to every verdict of `results` that declares remedy changes."""
    for r in results:
        todo = [v for v in r["verdicts"] if v.get("remedy_changes")]
        if not todo:
            continue
        ui, bi = snap.find_user(r["user"]["id"]), snap.find_business_unit(r["business_unit"]["id"])
        for v in todo:
            v["remedy_checks"] = [check(eng, snap, ui, bi, v["code"], d, symptom) for d in v["remedy_changes"]]


MOVE_WORDS = {"gains_access": "gives Account Engagement access to", "loses_access": "takes Account Engagement access from",
              "role_changes": "changes the Account Engagement role of", "to_recycle_bin": "sends to the recycle bin"}


def check_lines(c: dict[str, Any]) -> list[str]:
    """A remedy check in words, one line each (the formats escape them)."""
    if not c["applies"]:
        return [f"not verified: the declared change does not apply here ({c['why']})"]
    lines = [f"verified: {c['change']} " + ("removes this cause" if c["cause_gone"] else "does NOT remove this cause")]
    for o in c["others"]:
        more = f" and {o['count'] - len(o['users']):,} more" if o["count"] > len(o["users"]) else ""
        lines.append(f"also {MOVE_WORDS[o['move']]} {o['count']:,} other user{'s' if o['count'] != 1 else ''} in "
                     f"{o['business_unit']}: {', '.join(o['users'])}{more}")
    return lines
