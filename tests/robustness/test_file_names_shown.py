"""A file's name is written by whoever made the file: in an error message (exit 2) or a finding
it is shown the terminal's way (`\\x0a`, `\\x1b`), whatever reads it -- a snapshot that is
missing or malformed, an answers file, an audit record, an output folder that does not exist,
a rules folder -- never with a raw line break or escape sequence."""
from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings, strategies as st

from syncdoctor.reading.words import visible
from tests.conftest import EXAMPLE, cli

# any character a Linux file name may hold (not `/`, not NUL), controls and bidi marks first
ODD = "\n\r\x1b\x07\x7f\x85\x9b\u2028\u202e[]`*<>&"
FILE_NAME = st.text(st.sampled_from(ODD) | st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="/\x00"),
                    min_size=1, max_size=12).filter(lambda s: s not in (".", "..") and len(s.encode()) < 200
                                                    and "\t" not in s)  # a tab is shown as blanks: harmless, not comparable
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _said(r) -> str:
    return r.stdout + r.stderr


def _check(r, path: Path, codes=(2,)) -> None:
    said = _said(r)
    assert r.exit_code in codes, said
    assert not RAW.search(said), said
    assert visible(str(path)) in said, said
    if "\n" in path.name:  # a raw line break would forge a line of its own
        assert str(path) not in said


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=FILE_NAME)
@example(name="a\nb\x1b[31m")  # the review's: a line break and an ESC in a snapshot's name
def test_a_file_name_in_an_error_is_shown_the_terminals_way(tmp_path, name):
    base = tmp_path / f"case-{abs(hash(name))}"
    base.mkdir(exist_ok=True)
    missing = base / f"{name}.yaml"
    _check(cli("diagnose", "--facts", missing, "--user", "x"), missing)
    bad = base / f"{name}-bad.yaml"
    bad.write_text("salesforce: [1\n")
    _check(cli("diagnose", "--facts", bad, "--user", "x"), bad)
    out = base / f"{name}-folder" / "report.txt"
    _check(cli("diagnose", "--facts", EXAMPLE, "--user", "asmith@acme.example", "--out", out), out.parent)
    answers = base / f"{name}-answers.yaml"
    _check(cli("diagnose", "--facts", EXAMPLE, "--user", "asmith@acme.example", "--answers", answers), answers)
    _check(cli("replay", base / f"{name}.json"), base / f"{name}.json")
    rules = base / f"{name}-rules"
    rules.mkdir()
    _check(cli("rules", "check", rules), rules, codes=(1,))
    _check(cli("rules", "lock", rules), rules, codes=(1, 2))
