"""What a reader of the reports relies on (issue 26): an escalation counts as something to act on
(exit 1, kept by --only-problems, counted per kind), a scan's text lists what needs action or is
not decided and counts the rest, and every report format carries each verdict's proof in plain
words, the negated conditions with the lists that make them known included."""
from __future__ import annotations

import html
import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from syncdoctor.cli.formats import render
from syncdoctor.cli.formats.escape import md
from syncdoctor.api.proof import ProofWords
from syncdoctor.api.shown import result_words
from syncdoctor.api.verdicts import ACTIONABLE, needs_action
from syncdoctor.cli.main import app
from syncdoctor.engine.ruleset import load_ruleset
from syncdoctor.engine.run import Engine
from syncdoctor.facts.snapshot import parse_snapshot
from tests.conftest import EXAMPLE, ROOT, runner
from tests.engine.test_engine import snapshots

V2 = ROOT / "tests" / "fixtures" / "knowledge_v2"
ACCESS_ORG = V2 / "cases" / "orgs" / "access.yaml"
FIELD_EQUALS = re.compile(r"\b[a-z]+_[a-z_]+=")  # the engine's `has_role=false`


def _v2():
    ruleset, findings = load_ruleset(V2)
    assert ruleset is not None, findings
    return ruleset


V2_RULES = _v2()
V2_ENGINE = Engine(V2_RULES)


def _json(*args: str) -> tuple[int, dict]:
    r = runner.invoke(app, ["diagnose", "--rules", str(V2), *args, "--format", "json", "--layout", "full"])
    assert r.exit_code in (0, 1), r.stderr
    return r.exit_code, json.loads(r.stdout)


# -- escalations count -----------------------------------------------------------------------------
def test_an_escalation_exits_1_and_survives_only_problems():
    code, doc = _json("--facts", str(ACCESS_ORG), "--user", "missing@acc.example", "--business-unit", "0Uv5e000000MGD1CAA")
    kinds = {v["kind"] for r in doc["results"] for v in r["verdicts"]}
    assert kinds == {"escalate"} and code == 1
    _, kept = _json("--facts", str(ACCESS_ORG), "--all", "--only-problems")
    escalated = {(r["user"]["username"], r["business_unit"]["id"]) for r in kept["results"]
                 if any(v["code"] == "STILL_IN_RECYCLE_BIN" for v in r["verdicts"])}
    assert ("bin@acc.example", "0Uv5e000000MGD1CAA") in escalated


def test_the_exit_code_and_only_problems_follow_the_kinds_of_every_result():
    """Over every user of the org: exit 1 exactly when some verdict is a cause, an escalation or
    a remedy; --only-problems keeps exactly those results; the summary counts each kind."""
    code, doc = _json("--facts", str(ACCESS_ORG), "--all")
    acting = [r for r in doc["results"] if any(v["kind"] in ACTIONABLE for v in r["verdicts"])]
    assert code == (1 if acting else 0)
    _, kept = _json("--facts", str(ACCESS_ORG), "--all", "--only-problems")
    key = lambda r: (r["user"]["id"], r["business_unit"]["id"])  # noqa: E731
    assert [key(r) for r in kept["results"]] == [key(r) for r in acting]
    text = runner.invoke(app, ["diagnose", "--rules", str(V2), "--facts", str(ACCESS_ORG), "--all"]).stdout
    for kind in ("cause", "escalate", "info"):
        n = sum(any(v["kind"] == kind for v in r["verdicts"]) for r in doc["results"])
        assert n and f"{kind} {n:,}" in text.split("Results per kind:")[1]
    undecided = sum(bool(r["undetermined"]) for r in doc["results"])
    assert (f"not decided {undecided:,}" in text) == bool(undecided)


def test_a_scan_lists_what_needs_action_and_counts_the_rest():
    code, doc = _json("--facts", str(ACCESS_ORG), "--all")
    quiet = runner.invoke(app, ["diagnose", "--rules", str(V2), "--facts", str(ACCESS_ORG), "--all"]).stdout
    full = runner.invoke(app, ["diagnose", "--rules", str(V2), "--facts", str(ACCESS_ORG), "--all", "--all-verdicts"]).stdout
    heads = lambda out: [line for line in out.splitlines() if " · business unit " in line]  # noqa: E731
    listed = [r for r in doc["results"] if needs_action(r) or r["undetermined"]]
    assert len(heads(quiet)) == len(listed) < len(heads(full)) == len(doc["results"])
    hidden = len(doc["results"]) - len(listed)
    assert f"{hidden} results with nothing to act on and nothing undecided are not listed" in quiet
    assert "NO_ACCESS_CONFIGURED" in full.split("Summary")[0] and "NO_ACCESS_CONFIGURED" in quiet.split("Summary")[1]


# -- the proof in every format ---------------------------------------------------------------------
def _escaped(fmt: str, text: str) -> str:
    return {"text": text, "markdown": md(text), "html": html.escape(text)}[fmt]


def _negated_lines(words: ProofWords, result: dict, whole: set[str]) -> list[str]:
    """The plain words of every negated condition of every firing the verdicts rest on (`whole`:
    the lists the diagnosis had whole)."""
    firings = {f["id"]: f for f in result["trace"]}
    out = []
    for v in result["verdicts"]:
        for fid in v["evidence"]:
            f = firings[fid]
            rule = words.ruleset.rule(f["rule"])
            patterns = rule.branches()[f["branch"]]
            aliases = {p.alias: p.fact for p in patterns}
            out += [words.absent(p, aliases, whole=whole) for p in patterns if p.negated]
    return out


@settings(max_examples=25, deadline=None)
@given(snapshots(), st.sampled_from([None, "cannot-delete", "not-syncing", "in-recycle-bin"]),
       st.sampled_from(["text", "markdown", "html"]))
def test_every_format_carries_each_negated_condition_in_plain_words(data, symptom, fmt):
    snap = parse_snapshot(json.dumps(data), "gen.json", fmt="json")
    factset = snap.factset(0, 0, symptom)
    result = V2_ENGINE.diagnose(factset).to_json()
    doc = {"ruleset": {"name": "v2", "version": "1", "sha256": "0" * 64}, "results": [result],
           "snapshot": {"file": "gen.json", "sha256": "0" * 64}, "symptom": symptom}
    words = ProofWords(V2_RULES, business_units=["BU"])
    out = render(fmt, doc, words=[result_words(words, result, factset.known_lists)])
    for line in _negated_lines(words, result, factset.known_lists):
        assert _escaped(fmt, line) in out
    for v in result["verdicts"]:  # each verdict's rule, by its title
        assert _escaped(fmt, V2_RULES.rule(v["rule"]).title) in out
    assert not FIELD_EQUALS.search(out)
    for v in result["verdicts"]:  # the JSON verdict names the same negated conditions, as data
        firings = {f["id"]: f for f in result["trace"]}
        for fid in v["evidence"]:
            rule = V2_RULES.rule(v["rule"])
            for p in rule.branches()[firings[fid]["branch"]]:
                if p.negated:
                    assert p.fact in {a["fact"] for a in v["absent"]}
    for u in result["undetermined"]:  # not-decided facts in words, never a JSON path
        for m in u["missing"]:
            assert m not in out and _escaped(fmt, words.missing(m)) in out


def test_managed_not_assigned_shows_its_negated_condition_in_every_report_format(tmp_path):
    needle = "nothing shows the user is assigned to one of the business unit"
    for fmt in ("text", "markdown", "html"):
        r = runner.invoke(app, ["diagnose", "--facts", str(EXAMPLE), "--user", "asmith@acme.example", "--format", fmt])
        assert r.exit_code == 1, r.stderr
        out = r.stdout.replace("\\", "").replace("&#x27;", "'")
        assert "MANAGED_NOT_ASSIGNED" in out and needle in out, fmt
        assert "Marketing Users and Sales Users assignments" in out  # the list that makes it known
        assert "has_role=" not in out and "0055e000000U002AAC" not in out
    # JSON, in the engine's terms (shared layout too): the negated condition and what it is about
    for layout in ("full", "shared"):
        r = runner.invoke(app, ["diagnose", "--facts", str(EXAMPLE), "--user", "asmith@acme.example", "--format", "json",
                                "--layout", layout])
        verdict = next(v for res in json.loads(r.stdout)["results"] for v in res["verdicts"]
                       if v["code"] == "MANAGED_NOT_ASSIGNED")
        assert {"fact": "assigned", "where": []} in verdict["absent"]


# -- what an auditor reads -------------------------------------------------------------------------
def test_replay_shows_the_old_and_the_new_value_of_what_differs(tmp_path, rules_copy):
    audit = tmp_path / "audit.json"
    r = runner.invoke(app, ["diagnose", "--facts", str(EXAMPLE), "--user", "asmith@acme.example", "--audit", str(audit)])
    assert r.exit_code == 1, r.stderr
    rule = rules_copy / "conclude" / "managed-not-assigned.yaml"
    text = rule.read_text()
    remedy = re.search(r"    remedies:\n      - (.+)\n", text)
    message = re.search(r"    message: >-\n      (\S+)", text)
    assert remedy and message
    rule.write_text(text.replace(remedy.group(1), remedy.group(1) + " Check again an hour later.", 1)
                    .replace(message.group(0), message.group(0) + " NOW", 1))
    r = runner.invoke(app, ["replay", str(audit), "--rules", str(rules_copy)])
    assert r.exit_code == 1
    out = " ".join(r.stdout.split())
    assert "MANAGED_NOT_ASSIGNED remedies: was '" in out and ", gone now" in out
    assert "MANAGED_NOT_ASSIGNED remedies: new now '" in out and "Check again an hour later.'" in out
    assert "MANAGED_NOT_ASSIGNED message: was '" in out and "', now '" in out


def test_reports_and_verify_label_both_hashes(tmp_path):
    import hashlib
    file_hash = hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()
    for fmt in ("markdown", "html"):
        out = runner.invoke(app, ["diagnose", "--facts", str(EXAMPLE), "--user", "asmith@acme.example", "--format", fmt]).stdout
        assert "sha256 of its parsed content" in out and f"what sha256sum prints) {file_hash[:16]}" in out
    audit = tmp_path / "audit.json"
    runner.invoke(app, ["diagnose", "--facts", str(EXAMPLE), "--user", "asmith@acme.example", "--audit", str(audit)])
    out = runner.invoke(app, ["audit", "verify", str(audit)]).stdout
    assert "sha256 of its parsed content" in out and file_hash[:16] in out


def test_keygen_creates_the_keys_private_folder(tmp_path):
    import os
    import stat
    out = tmp_path / "home" / ".syncdoctor" / "audit-key"
    old = os.umask(0o022)
    try:
        r = runner.invoke(app, ["audit", "keygen", "--out", str(out)])
    finally:
        os.umask(old)
    assert r.exit_code == 0, r.stderr
    for folder in (out.parent, out.parent.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700 and f"created {folder} (0700" in r.stdout
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and out.with_name("audit-key.pub").is_file()
    (tmp_path / "ro").mkdir(mode=0o500)
    r = runner.invoke(app, ["audit", "keygen", "--out", str(tmp_path / "ro" / "sub" / "key")])
    if os.geteuid() != 0:  # root may write anywhere
        assert r.exit_code == 2 and "cannot create the folder" in r.stderr and "Traceback" not in r.stderr


@given(st.text("abcdfgijk ", min_size=1, max_size=6).filter(str.strip),  # no letter of "Other"
       st.lists(st.text("xyz", min_size=1, max_size=5), min_size=2, max_size=5, unique=True))
def test_part_of_several_business_unit_names_names_every_candidate(part, tails):
    from syncdoctor.facts.lookup import Ambiguous, LookupProblem, find_business_unit
    units = [{"id": f"0Uv5e00000000{i:02d}AAA", "name": f"{part} {tail}"} for i, tail in enumerate(tails)]
    units.append({"id": "0Uv5e0000000099AAA", "name": "Other"})
    try:
        find_business_unit(units, part, "org.yaml")
    except Ambiguous as exc:
        assert all(f"{u['name']} ({u['id']})" in str(exc) for u in units[:-1]) and "Other" not in str(exc)
    except LookupProblem as exc:  # `part` is itself a name (a tail equal to nothing) — never the case here
        raise AssertionError(str(exc)) from None
    else:
        raise AssertionError("a part of several names was taken for one of them")


def test_ask_writes_nothing_to_stdout_and_a_blank_answer_means_dont_know(tmp_path):
    import yaml
    data = yaml.safe_load(EXAMPLE.read_text())
    del data["business_units"][0]["user_sync"]["mode"]
    facts = tmp_path / "undecided.yaml"
    facts.write_text(yaml.safe_dump(data))
    r = runner.invoke(app, ["diagnose", "--facts", str(facts), "--user", "asmith@acme.example", "--business-unit",
                            "Acme North America", "--ask", "--format", "json"], input="\n" * 5)
    assert r.exit_code in (0, 1), r.stderr
    assert r.stdout.startswith("{\n")  # the report only: no prompt's space before it
    doc = json.loads(r.stdout)
    assert "Which User Sync mode" in r.stderr and r.stderr.count("? ") == 1  # asked once, not again on a blank
    assert any(u["code"] == "MANAGED_NOT_ASSIGNED" for u in doc["results"][0]["undetermined"])  # still not known


KINDS = ["wait", "cause", "escalate", "remedy", "advice", "answer", "info"]
_verdict = st.builds(lambda kind, n: {"code": f"CODE_{kind.upper()}_{n}", "kind": kind, "rule": "r", "message": "m",
                                      "details": [], "remedies": [], "warnings": [], "citations": [], "evidence": []},
                     st.sampled_from(KINDS), st.integers(0, 2))
_result = st.builds(lambda i, vs, und: {"user": {"id": f"0055e00000000{i:02d}AAA", "username": f"u{i}@x.example"},
                                         "business_unit": {"id": "0Uv5e0000000001AAA", "name": "BU"},
                                         "verdicts": vs, "undetermined": [{"rule": "r", "code": "C", "kind": "cause",
                                                                           "missing": ["salesforce.roles"]}] if und else [],
                                         "trace": [], "facts": []},
                    st.integers(0, 99), st.lists(_verdict, max_size=3), st.booleans())


@settings(max_examples=60, deadline=None)
@given(st.lists(_result, min_size=1, max_size=12))
def test_a_scans_text_lists_what_needs_action_or_is_undecided_and_counts_every_kind(results):
    doc = {"ruleset": {"name": "v2", "version": "1", "sha256": "0" * 64}, "results": results,
           "snapshot": {"file": "gen.json", "sha256": "0" * 64}, "symptom": None}
    words = [result_words(ProofWords(V2_RULES), r, ()) for r in results]
    out = render("text", doc, show_summary=True, quiet=True, words=words)
    listed = sum(1 for line in out.splitlines() if " · business unit " in line)
    assert listed == sum(1 for r in results if needs_action(r) or r["undetermined"])
    listing, summary = out.split("Summary (users per conclusion")
    for r in results:  # an action verdict is shown whole; every verdict is counted in the summary
        for v in r["verdicts"]:
            assert f"  {v['kind']}  {v['code']}  " in summary
            if v["kind"] in ACTIONABLE:
                assert f"{v['kind'].upper():6} {v['code']}" in listing
            elif r["undetermined"] or needs_action(r):  # named beside what is listed
                assert f"{v['kind']} {v['code']}" in listing
    per_kind = out.split("Results per kind: ")[1]
    for kind in [*KINDS, "not decided"]:
        n = sum(any(v["kind"] == kind for v in r["verdicts"]) if kind != "not decided" else bool(r["undetermined"])
                for r in results)
        assert (f"{kind} {n:,}" in per_kind) == bool(n)
    for fmt in ("markdown", "html"):  # the reports list every result, whatever its kinds
        whole = render(fmt, doc, words=words)
        assert whole.count("u") and all(_escaped(fmt, r["user"]["username"]) in whole for r in results)
