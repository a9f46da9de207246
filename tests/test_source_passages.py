"""The passages rules/sources.yaml ships are verbatim: each occurs in the text it was copied from.

The article's passages are checked against its text (seeds/kb-000384042-...), every other
passage against the verified passage its `ref` names in docs/source-passages.md. Both live in
the project's shared folder, `../shared` next to the repository (SYNCDOCTOR_SHARED names another
place). Without it this test fails: nothing here is skipped."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from syncdoctor.engine.checks.quotes import words

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SYNCDOCTOR_SHARED") or REPO.parent / "shared")
SEED = "seeds/kb-000384042-user-sync-troubleshooting.txt"
PASSAGES = "docs/source-passages.md"


def _shared(rel: str) -> str:
    path = SHARED / rel
    if not path.is_file():
        pytest.fail(f"{path} is missing: this test checks rules/sources.yaml against the project's shared "
                    f"documents, expected in {SHARED} (../shared next to the repository, or SYNCDOCTOR_SHARED)")
    return path.read_text(encoding="utf-8")


def verified_passages(text: str) -> dict[str, str]:
    """Passage number -> its text, from source-passages.md ("1.6." then "> " lines)."""
    out = {}
    for m in re.finditer(r"^(\d+[a-z]?\.\d+)\.\n((?:>.*\n)+)", text, re.M):
        out[m.group(1)] = words(" ".join(line[1:] for line in m.group(2).splitlines()))
    return out


def shipped() -> list[tuple[str, str, str, str]]:
    import yaml
    data = yaml.safe_load((REPO / "rules" / "sources.yaml").read_text(encoding="utf-8"))
    return [(s["id"], sec["id"], p["ref"], p["text"]) for s in data["sources"] for sec in s["sections"]
            for p in sec.get("passages", ())]


def test_the_shared_documents_are_read():
    verified = verified_passages(_shared(PASSAGES))
    assert len(verified) >= 90, f"only {len(verified)} passages read from {PASSAGES}: its layout changed"
    assert "Account Engagement User Sync Troubleshooting" in _shared(SEED)


@pytest.mark.parametrize("source,section,ref,text", shipped(), ids=lambda v: v if isinstance(v, str) and len(v) < 30 else "")
def test_each_shipped_passage_is_verbatim(source, section, ref, text):
    if ref == "article":
        assert source == "kb-000384042", f"{source}#{section}: only the article's own passages are ref: article"
        seed = words(_shared(SEED).replace("•", " "))
        assert words(text) in seed, f"{source}#{section}: passage not in the article's text: {text[:80]!r}"
    else:
        verified = verified_passages(_shared(PASSAGES))
        assert ref in verified, f"{source}#{section}: {PASSAGES} has no passage {ref}"
        assert words(text) == verified[ref], f"{source}#{section}: passage {ref} differs from {PASSAGES}"


def test_secondary_passages_are_never_shipped():
    assert not [r for *_, r, _ in shipped() if r.startswith("12.")], "section 12 of source-passages is secondary"
