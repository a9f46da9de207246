"""Ids are shown one way everywhere: as the snapshot declares the record (facts/references.py
rewrites every reference to that spelling; docs/results.md, "Ids").

Property: over orgs whose records are declared in mixed forms (15 characters, 18 with the suffix
Salesforce computes, 18 with a hand-made placeholder suffix) and whose references name them in
any spelling of the same id (15 or 18 characters, letter case changed), every id-shaped text of
every output — diagnose in text, Markdown, HTML and JSON (both layouts), explain and --why-not
(with --debug), an audit record and its replay, what-if — that names a declared record is
exactly its declared spelling."""
from __future__ import annotations

import json
import re

from unittest import mock

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncdoctor.cli import common
from syncdoctor.cli.main import app
from syncdoctor.facts.ids import BadId, id_paths, id_values, key, looks_like_id, suffix
from tests.conftest import EXAMPLE, runner

ID_TEXT = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?(?![A-Za-z0-9])")
RECORD_LISTS = (("business_units",), ("salesforce", "users"), ("salesforce", "roles"), ("salesforce", "public_groups"))


def _real18(sfid: str) -> str:
    k = key(sfid)
    return k + suffix(k)


DECLARED_FORMS = {"as written": lambda s: s, "15": lambda s: key(s), "real 18": _real18}
REFERENCE_FORMS = {"declared": lambda k, d: d, "15": lambda k, d: k, "real 18": lambda k, d: k + suffix(k),
                   "upper": lambda k, d: (k + suffix(k)).upper(), "lower": lambda k, d: (k + suffix(k)).lower()}


def _is_declaration(path: list) -> bool:
    return path[-1] == "id" and (tuple(path[:-2]) in RECORD_LISTS or tuple(path[:-1]) == ("org",))


def _set(doc: dict, path: list, old: str, new: str) -> None:
    parent = doc
    for p in path[:-1]:
        parent = parent[p]
    if isinstance(parent, dict) and path[-1] == old and not isinstance(parent.get(old), str):
        parent[new] = parent.pop(old)  # a key of an id-keyed mapping (expected_access)
    else:
        parent[path[-1]] = new


@st.composite
def mixed_orgs(draw) -> tuple[dict, dict[str, str]]:
    """The example org, each record declared in a drawn form and each reference in a drawn
    spelling of its record; and the declared spelling of each record, by its identity."""
    data = yaml.safe_load(EXAMPLE.read_text())
    spots = sorted(id_paths(data, {v for v in id_values(data) if looks_like_id(v)}), key=lambda pv: str(pv[0]))
    declared: dict[str, str] = {}
    for path, sfid in spots:
        if _is_declaration(path):
            declared[key(sfid)] = DECLARED_FORMS[draw(st.sampled_from(sorted(DECLARED_FORMS)))](sfid)
    for path, sfid in sorted(spots, key=lambda pv: -len(pv[0])):  # keys of mappings after what they hold
        k = key(sfid)
        if _is_declaration(path):
            new = declared[k]
        elif k in declared:
            new = REFERENCE_FORMS[draw(st.sampled_from(sorted(REFERENCE_FORMS)))](k, declared[k])
        else:
            continue
        _set(data, path, sfid, new)
    return data, declared


def _wrong_spellings(text: str, declared: dict[str, str]) -> list[str]:
    """Every id-shaped text naming a declared record in another spelling than its declaration."""
    wrong = []
    for m in ID_TEXT.finditer(text):
        try:
            k = key(m.group(0))
        except BadId:
            continue
        if k in declared and m.group(0) != declared[k]:
            wrong.append(f"{m.group(0)} (declared {declared[k]}) in …{text[max(0, m.start() - 80):m.end() + 20]!r}")
    return wrong


def _outputs(tmp, data: dict) -> dict[str, str]:
    facts = tmp / "org.json"
    facts.write_text(json.dumps(data))
    f = str(facts)
    runs = {
        **{f"diagnose --all {fmt}": ["diagnose", "--facts", f, "--all", "--all-verdicts", "--format", fmt]
           for fmt in ("text", "markdown", "html", "json")},
        "diagnose --all json full": ["diagnose", "--facts", f, "--all", "--format", "json", "--layout", "full"],
        "diagnose asmith --verify-remedies": ["diagnose", "--facts", f, "--user", "asmith@acme.example", "--verify-remedies"],
        "diagnose jdoe cannot-delete": ["diagnose", "--facts", f, "--user", "jdoe@acme.example", "--symptom", "cannot-delete"],
        "explain --debug": ["explain", "MANAGED_NOT_ASSIGNED", "--facts", f, "--user", "asmith@acme.example", "--debug"],
        "explain": ["explain", "DELETE_MANAGED_STILL_ASSIGNED", "--facts", f, "--user", "jdoe@acme.example",
                    "--symptom", "cannot-delete"],
        "why-not --debug": ["explain", "MANAGED_NOT_ASSIGNED", "--facts", f, "--user", "jdoe@acme.example", "--why-not", "--debug"],
        "diagnose --audit": ["diagnose", "--facts", f, "--all", "--audit", str(tmp / "audit.json")],
        "replay": ["replay", str(tmp / "audit.json")],
        "what-if text": ["what-if", "--facts", f, "--assign", "user:asmith@acme.example -> Acme North America/Marketing Users",
                         "--user", "asmith@acme.example"],
        "what-if json": ["what-if", "--facts", f, "--transfer", "Acme Europe", "--format", "json", "--list"],
    }
    out = {}
    for name, args in runs.items():
        debug = "--debug" in args  # what the console entry point makes of --debug anywhere on the line
        with mock.patch.object(common, "DEBUG", debug):
            r = runner.invoke(app, [a for a in args if a != "--debug"])
        assert r.exit_code in (0, 1), (name, r.exit_code, r.stdout[-2000:], r.stderr[-2000:])
        out[name] = r.stdout + r.stderr
    out["audit record"] = (tmp / "audit.json").read_text()
    return out


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(org=mixed_orgs())
def test_every_output_shows_every_id_as_declared(tmp_path_factory, org):
    data, declared = org
    outputs = _outputs(tmp_path_factory.mktemp("org"), data)
    for name, text in outputs.items():
        assert not _wrong_spellings(text, declared), (name, _wrong_spellings(text, declared)[:3])
    assert "same verdicts" in outputs["replay"]


def test_the_check_bites_on_a_computed_18_character_form():
    """A placeholder-suffixed id shown with the suffix Salesforce would compute is caught."""
    declared = {key("0055e000000U001AAA"): "0055e000000U001AAA"}
    assert _wrong_spellings("user 0055e000000U001AAC matched", declared)
    assert _wrong_spellings("user 0055e000000U001 matched", declared)
    assert not _wrong_spellings("user 0055e000000U001AAA matched, 1002 linked", declared)
