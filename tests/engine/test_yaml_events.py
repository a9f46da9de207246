"""YAML is read from libyaml's events (reading/yamlload.py): the located containers must be what
PyYAML's pure-Python composer builds, span for span, and the plain ones the same values; a
document either refuses is explained by the pure-Python parser, as before."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import syncdoctor.reading.yamlload as Y
from syncdoctor.cli.diagnose import snapshot_text
from syncdoctor.facts.synthetic import generate
from syncdoctor.reading.findings import FindingError
from syncdoctor.reading.loader import SNAPSHOT_LIMITS
from syncdoctor.reading.located import LocatedDict, LocatedList
from tests.conftest import ROOT

YAML_FILES = sorted(p for folder in ("rules", "tests/fixtures", "docs") for p in (ROOT / folder).rglob("*.yaml"))


def _pure(text: str, file: str) -> Any:
    """The pure-Python composer's located document (what parse_yaml returned before)."""
    loader = Y._LocatedLoader(text)
    try:
        node = loader.get_single_node()
        return None if node is None else Y._build_located(node, file)
    finally:
        loader.dispose()


def _same(a: Any, b: Any, path: str = "$") -> None:
    assert type(a) is type(b), path
    if isinstance(a, LocatedDict):
        assert (a.span, list(a), a.key_spans) == (b.span, list(b), b.key_spans), path
        for k in a:
            _same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, LocatedList):
        assert (a.span, a.item_spans, len(a)) == (b.span, b.item_spans, len(b)), path
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{path}[{i}]")
    else:
        assert repr(a) == repr(b), path


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_yaml_file_of_the_project_reads_the_same_with_its_lines(path: Path):
    text = path.read_text(encoding="utf-8").removeprefix("\ufeff")
    try:
        expected = _pure(text, str(path))
    except Exception:
        pytest.skip("a file the pure parser refuses is a test of refusal, covered in tests/robustness")
    _same(Y.parse_yaml(text, str(path)), expected)
    _same(Y._build_events(Y._FastLoader(text), str(path)), expected)
    assert Y.parse_yaml_fast(text, str(path)) == expected


_scalar = st.one_of(st.integers(-10**20, 10**20), st.floats(allow_nan=False, allow_infinity=False), st.booleans(), st.none(),
                    st.text(st.characters(blacklist_categories=("Cs",)), max_size=12))
_doc = st.recursive(_scalar, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(st.characters(blacklist_categories=("Cs",)), max_size=8), inner, max_size=4),
                    max_leaves=25)


@given(_doc, st.sampled_from([None, True, False]))
def test_generated_documents_read_the_same(doc: Any, flow: bool | None):
    import yaml
    text = yaml.safe_dump(doc, default_flow_style=flow, allow_unicode=True)
    try:
        expected = _pure(text, "g.yaml")
    except Exception:
        with pytest.raises(FindingError):
            Y.parse_yaml(text, "g.yaml")
        return
    _same(Y.parse_yaml(text, "g.yaml"), expected)


def test_the_yaml_limit_holds_a_100000_user_org(tmp_path: Path):
    """Snapshot size is linear in users: 2,000 users' YAML, times 50, must fit the limit."""
    path = tmp_path / "org.yaml"
    path.write_text(snapshot_text(generate(2000, seed=1), path), encoding="utf-8")
    assert path.stat().st_size * 50 * 1.1 < SNAPSHOT_LIMITS["yaml"]
