"""Bad input gets a located finding, never a traceback."""
from __future__ import annotations

from pathlib import Path

import pytest

from syncdoctor.reading.findings import FindingError
from syncdoctor.reading.loader import load_file


def _load(tmp_path: Path, text: str | bytes, name: str = "r.yaml"):
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(FindingError) as exc:
        load_file(p)
    (finding,) = exc.value.findings
    return finding


@pytest.mark.parametrize("text,finding_id,line,col", [
    ("id: a\nwhen:\n\t- fact: user\n", "yaml-syntax", 3, 1),
    ("id: a\nid: b\n", "duplicate-key", 2, 1),
    ("id: !!python/object:os.system x\n", "yaml-tag", 1, 5),
    ("a: &x [1, 2]\nb: *x\n", "yaml-alias", 2, 4),
    ("a: [1, 2\n", "yaml-syntax", 1, 4),  # where the unclosed list opens
    ("a: !!merge <<\n", "yaml-tag", 1, 4),
])
def test_bad_yaml_is_located(tmp_path, text, finding_id, line, col):
    f = _load(tmp_path, text)
    assert (f.id, f.span.line, f.span.col) == (finding_id, line, col)
    assert str(f).startswith(f"{tmp_path / 'r.yaml'}:{line}:{col}  {finding_id}")


def test_merge_key_is_a_plain_key(tmp_path):
    """YAML 1.2 has no merge keys: `<<` is a key like any other (the schema then refuses it)."""
    p = tmp_path / "m.yaml"
    p.write_text("<<: {a: 1}\n")
    assert load_file(p) == {"<<": {"a": 1}}


def test_tab_is_named_in_plain_words(tmp_path):
    assert "tab character" in _load(tmp_path, "id: a\nwhen:\n\t- fact: user\n").message


def test_alias_bomb_is_refused_quickly(tmp_path):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n" for p, c in zip("abcdefgh", "bcdefghi"))
    assert _load(tmp_path, bomb).id == "yaml-alias"


def test_binary_and_non_utf8_and_size(tmp_path):
    assert _load(tmp_path, b"\x00\x01binary").id == "binary-file"
    f = _load(tmp_path, b"id: a\nname: \xff\xfe\n")
    assert (f.id, f.span.line) == ("not-utf8", 2)
    assert _load(tmp_path, "x: " + "a" * 1_100_000).id == "file-too-large"


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(FindingError) as exc:
        load_file(tmp_path / "nope.yaml")
    assert exc.value.findings[0].id == "file-not-found"
    with pytest.raises(FindingError) as exc:
        load_file(tmp_path)
    assert exc.value.findings[0].id == "not-a-file"


def test_good_yaml_keeps_locations(tmp_path):
    p = tmp_path / "ok.yaml"
    p.write_text("a:\n  b: [1, 2]\n")
    data = load_file(p)
    assert data == {"a": {"b": [1, 2]}}
    assert data["a"].key_spans["b"].line == 2


def test_every_schema_is_a_valid_2020_12_schema():
    import json
    from importlib import resources

    from jsonschema import Draft202012Validator
    names = [p.name for p in resources.files("syncdoctor.engine.schema").iterdir() if p.name.endswith(".schema.json")]
    assert len(names) >= 8
    for name in names:
        Draft202012Validator.check_schema(json.loads(resources.files("syncdoctor.engine.schema").joinpath(name).read_text()))


def test_fast_and_reference_validators_agree():
    """jsonschema-rs answers yes/no; jsonschema explains. They must agree on valid and invalid."""
    import copy
    import json

    from syncdoctor.facts.synthetic import generate
    from syncdoctor.reading import schemas
    good = generate(40, seed=2)
    bad = []
    for path, value in [(("business_units", 0, "user_sync", "mode"), "legasy"), (("salesforce", "users", 3, "id"), "005-bad"),
                        (("salesforce", "roles", 0, "parent_id"), 7), (("snapshot_version",), 2),
                        (("salesforce", "public_groups", 0, "members", 0, "type"), "queue"),
                        (("collected_at",), "yesterday"), (("account_engagement", "users", 0, "in_recycle_bin"), "yes")]:
        doc = copy.deepcopy(good)
        node = doc
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        bad.append(doc)
    for doc in [good, *bad]:
        fast = schemas.fast_validator("snapshot").is_valid(json.loads(json.dumps(doc)))
        reference = schemas.validator("snapshot").is_valid(doc)
        assert fast == reference
    assert all(schemas.check("snapshot", doc, "x.json") for doc in bad)
