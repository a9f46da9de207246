"""`syncdoctor rules migrate DIR`: rewrite a format-1 rules folder in format 2, in place.

Edits are made line by line, so comments, layout and wording stay as the author wrote them:
`format: 2` goes on top of every file; the manifest's `articles:` becomes `sources:`,
`symptoms:` and `glossary:`; the article registry becomes sources.yaml (each article a source
`kb-<number>`); the vocabulary's symptom list moves to symptoms.yaml (`values_from: symptoms`);
each citation `article: "N"` becomes `source: kb-N` with `basis: article`. What it cannot know
(quotes, a basis other than the article, glossary terms) is left for the author, and said.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from syncdoctor.api.knowledge import MANIFEST, inside
from syncdoctor.reading.loader import load_file

_FLOW_ARTICLE = re.compile(r'article:\s*"?(\d+)"?')
_BLOCK_ARTICLE = re.compile(r'^(\s*-\s+|\s+)article:\s*"?(\d+)"?\s*$')


def add_format(text: str) -> str:
    """`format: 2` after the leading comment lines (the editor's schema line stays first)."""
    if re.search(r"^format:", text, re.M):
        return re.sub(r"^format:.*$", "format: 2", text, count=1, flags=re.M)
    lines = text.split("\n")
    at = 0
    while at < len(lines) and (lines[at].startswith("#") or not lines[at].strip()):
        at += 1
    return "\n".join(lines[:at] + ["format: 2"] + lines[at:])


def migrate_citations(text: str) -> str:
    lines = text.split("\n")
    out: list[str] = []
    in_citations = False
    for line in lines:
        if re.match(r"^citations:", line):
            in_citations = True
        elif re.match(r"^\S", line):
            in_citations = False
        if in_citations and "{" in line and _FLOW_ARTICLE.search(line):
            line = _FLOW_ARTICLE.sub(lambda m: f"source: kb-{m.group(1)}, basis: article", line)
        elif in_citations and (m := _BLOCK_ARTICLE.match(line)):
            out.append(f"{m.group(1)}source: kb-{m.group(2)}")
            line = " " * len(m.group(1)) + "basis: article"
        out.append(line)
    return "\n".join(out)


def _sources(articles: Any) -> str:
    sources = [{"id": f"kb-{a['number']}", "kind": "kb-article", "label": f"KB {a['number']}", "title": a["title"],
                "url": a["url"], **({"published": str(a["published"])} if a.get("published") else {}),
                "sections": [dict(s) for s in a["sections"]]} for a in articles["articles"]]
    return ("# yaml-language-server: $schema=../engine/schema/sources.schema.json\n"
            + yaml.safe_dump({"format": 2, "sources": sources}, sort_keys=False, allow_unicode=True, width=100))


def _vocabulary(text: str, data: Any) -> tuple[str, list[str]]:
    """The vocabulary with the symptom values moved out, and those values (without `none`)."""
    field = (((data.get("facts") or {}).get("context") or {}).get("fields") or {}).get("symptom") or {}
    values = [str(v) for v in field.get("values", []) if v != "none"]
    if values:
        text = re.sub(r"^(\s+)values: \[none,[^\]]*\]\s*$", r"\1values_from: symptoms", text, count=1, flags=re.M)
    return add_format(text), values


def _symptoms(values: list[str]) -> str:
    items = [{"id": v, "title": v.replace("-", " ")} for v in values]
    return ("# yaml-language-server: $schema=../engine/schema/symptoms.schema.json\n"
            "# Written by `syncdoctor rules migrate`: give each symptom a real title and its source sections.\n"
            + yaml.safe_dump({"format": 2, "symptoms": items}, sort_keys=False, width=100))


GLOSSARY = ("# yaml-language-server: $schema=../engine/schema/glossary.schema.json\n"
            "# Salesforce screens and settings, used in templates as {ui.<name>}.\nformat: 2\nterms: {}\n")


def migrate(root: Path) -> list[str]:
    """Migrate the folder in place; returns what was done and what the author should review."""
    manifest_path = root / MANIFEST
    manifest = load_file(manifest_path)
    if manifest.get("format") == 2:
        return [f"{manifest_path}: already format 2, nothing to do"]
    done: list[str] = []

    def write(path: Path, text: str) -> None:
        path.write_text(text if text.endswith("\n") else text + "\n", "utf-8")
        done.append(f"wrote {path}")

    articles_path = inside(root, manifest.get("articles"))
    vocab_path = inside(root, manifest.get("vocabulary"))
    if articles_path is None or vocab_path is None:
        raise ValueError("the manifest's `articles:` and `vocabulary:` must name files inside the folder")
    write(root / "sources.yaml", _sources(load_file(articles_path)))
    articles_path.unlink()
    done.append(f"removed {articles_path} (now sources.yaml)")
    vocab_text, symptoms = _vocabulary(vocab_path.read_text("utf-8"), load_file(vocab_path))
    write(vocab_path, vocab_text)
    write(root / "symptoms.yaml", _symptoms(symptoms))
    write(root / "glossary.yaml", GLOSSARY)
    text = manifest_path.read_text("utf-8")
    text = re.sub(r"^articles:.*$", "sources: sources.yaml\nsymptoms: symptoms.yaml\nglossary: glossary.yaml", text,
                  count=1, flags=re.M)
    write(manifest_path, add_format(text))
    for folder in manifest.get("rules", []):
        base = inside(root, folder)
        for path in sorted(base.rglob("*.y*ml")) if base is not None and base.is_dir() else ():
            write(path, migrate_citations(add_format(path.read_text("utf-8"))))
    for folder in manifest.get("cases", []):
        base = inside(root, folder)
        paths = [base] if base is not None and base.is_file() else sorted(base.glob("*.y*ml")) if base is not None and base.is_dir() else []
        for path in paths:
            write(path, add_format(path.read_text("utf-8")))
    done.append("review: every citation now says `basis: article`; say `platform` or `inference` where the rule rests "
                "on Salesforce behaviour or on reasoning, and add `quote:` with the sentence relied on")
    done.append("review: symptoms.yaml has placeholder titles; add each symptom's `sections:`")
    return done
