"""One name, one rendering per format. An org name with control characters, rich markup,
Markdown or HTML specials, in every name field of a snapshot (business units, usernames, roles,
public groups), is written by each output format one way wherever it lands (the header, the
message, remedies, details, the proof, the summary): escaped for the terminal in text, for
CommonMark in Markdown, for HTML in HTML, raw in JSON. No raw control character reaches any
format but JSON's strings, where JSON escapes them."""
from __future__ import annotations

import html
import json
import re

from hypothesis import HealthCheck, example, given, settings, strategies as st

from syncdoctor.cli.formats.escape import md
from syncdoctor.reading.words import visible
from tests.cli.test_escaping import hostile_org
from tests.conftest import cli

SPECIALS = "\r\n\x1b\x07\x00\x7f\x85\x9b\u2028\u202e[]/<>&\"'`*_|~#!\\=-+1.)"
# no blank (space, tab): a terminal line may wrap at a blank, and a wrapped name is the same name
NAME = st.text(st.sampled_from(SPECIALS) | st.characters(codec="utf-8", exclude_categories=("Cs", "Zs")),
               min_size=1, max_size=6).filter(lambda s: "\t" not in s and "Z" not in s and "Q" not in s)
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _org(names: list[str]) -> dict:
    """acme with a marked name (`Z<n>Q…QZ`) in every name field: the marks find each place."""
    return hostile_org([f"Z{i}Q{n}QZ" for i, n in enumerate(names)])


def _shown(fmt: str, i: int, name: str) -> str:
    if fmt == "text":
        return visible(name)
    if fmt == "html":
        return html.escape(visible(name))
    return md(f"Z{i}Q{name}QZ")[len(f"Z{i}Q"):-2]  # within a line (after its mark), never a line's start


def _places(out: str, i: int) -> list[str]:
    return re.findall(rf"Z{i}Q(.*?)QZ", out, re.S)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(names=st.lists(NAME, min_size=2, max_size=4, unique=True))
@example(names=["a\nb", "c\r[b]<i>"])  # the review's: a line break in a name
def test_a_name_renders_one_way_in_every_place_of_a_format(tmp_path, names):
    facts = tmp_path / "org.json"
    facts.write_text(json.dumps(_org(names)))
    base = ["diagnose", "--facts", facts, "--all", "--all-verdicts", "--symptom", "cannot-delete"]
    for fmt in ("text", "markdown", "html"):
        r = cli(*base, "--format", fmt)
        assert r.exit_code in (0, 1), r.stderr
        assert not RAW_CONTROL.search(r.stdout), (fmt, RAW_CONTROL.search(r.stdout))
        for i, name in enumerate(names):
            places = _places(r.stdout, i)
            assert places, (fmt, name)
            assert set(places) == {_shown(fmt, i, name)}, (fmt, name, sorted(set(places)))
    doc = json.loads(cli(*base, "--format", "json").stdout)
    for i, name in enumerate(names):  # raw in JSON: the very characters, in JSON's escapes
        assert any(f"Z{i}Q{name}QZ" in v for v in _strings(doc)), name


def _strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for v in node.values():
            yield from _strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from _strings(v)
