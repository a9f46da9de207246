"""An `ignore_case` equality join is looked up by casefolded value, like an exact join by its
value: the AE users of every business unit are demanded per user, never loaded whole."""
from __future__ import annotations

from syncdoctor.engine.facts import MISSING, Fact, FactPool
from syncdoctor.engine.ruleset import require_ruleset
from syncdoctor.engine.run import Engine
from syncdoctor.engine.session import demand_plan
from tests.conftest import ROOT

KNOWLEDGE = ROOT / "tests" / "fixtures" / "knowledge_v2"  # a frozen copy of the knowledge v2 rules


def _fact(fid: str, email: str | None) -> Fact:
    values = {} if email is None else {"email": email}
    return Fact(fid, "org_ae_user", values, {"path": fid})


def test_folded_lookup_finds_every_case_and_keeps_missing_apart():
    pool = FactPool([_fact("a", "ASmith@Acme.Example"), _fact("b", "asmith@acme.example"),
                     _fact("c", "other@acme.example"), _fact("d", None)])
    assert {f.fid for f in pool.lookup("org_ae_user", "email", "asmith@ACME.example", fold=True)} == {"a", "b"}
    assert [f.fid for f in pool.lookup("org_ae_user", "email", "asmith@ACME.example")] == []  # exact: no fold
    assert [f.fid for f in pool.lookup("org_ae_user", "email", MISSING, fold=True)] == ["d"]


def test_collision_joins_are_triggers_not_eager_loads():
    engine = Engine(require_ruleset(KNOWLEDGE))
    eager, triggers = demand_plan(engine.compiled)
    assert "org_ae_user" not in eager and "ae_user" not in eager
    folded = {(kind, name, other) for kind, name, other, _, fold in triggers["user"] if fold}
    assert ("org_ae_user", "email", "email") in folded and ("org_ae_user", "email", "username") in folded
