"""Every command the README and docs/ show is one the tool has: the subcommands exist and every
option is one that command takes (checked against the CLI's own tree, which is what --help
prints); benchmark and make commands likewise. Also the messages the docs quote."""
from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from typer.main import get_command

from syncdoctor.cli.main import app
from tests.conftest import ROOT, runner

# docs/knowledge.md is generated from rules/ (article quotes such as "make sure ..."), and `rules check`
# alone guards it: a test here would break the author's guarantee (rules check green -> make test green).
DOCS = [ROOT / "README.md", *sorted(p for p in (ROOT / "docs").glob("*.md") if p.name != "knowledge.md")]
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.M | re.S)
INLINE = re.compile(r"`((?:\.venv/bin/)?syncdoctor [^`]+)`")
ROOT_ONLY = {"--debug", "--version"}  # read by the console entry point or the root group


def _commands() -> list[tuple[str, str, bool]]:
    """(file, command text after `syncdoctor`, from a table's grammar) for every mention."""
    found = []
    for doc in DOCS:
        text = doc.read_text()
        for block in FENCE.findall(text):
            for line in block.splitlines():
                m = re.search(r"(?:^|[\s/$])syncdoctor\s+([a-z].*)", line)
                if m:
                    cmd = re.split(r"\s#|\s\|\s|\s>|&&|\|\||;", m.group(1))[0]
                    found.append((doc.name, cmd, False))
        for span in INLINE.findall(text):
            found.append((doc.name, span.split("syncdoctor ", 1)[1].replace("\\|", "|"), True))
    return found


COMMANDS = _commands()


def test_the_docs_show_commands_at_all():
    files = {f for f, _, _ in COMMANDS}
    assert len(COMMANDS) >= 20 and {"README.md", "collecting.md", "authoring.md"} <= files


@pytest.mark.parametrize("doc, cmd, grammar", COMMANDS, ids=[f"{f}:{c[:40]}" for f, c, _ in COMMANDS])
def test_documented_command_exists_with_its_options(doc, cmd, grammar):
    try:
        tokens = shlex.split(cmd)
    except ValueError:
        tokens = cmd.split()
    leaves = [get_command(app)]
    while tokens and hasattr(leaves[0], "commands") and re.fullmatch(r"[a-z][a-z|-]*", tokens[0]):
        names = tokens.pop(0).split("|") if grammar else [tokens.pop(0)]
        for name in names:
            assert all(name in leaf.commands for leaf in leaves), f"{doc}: `syncdoctor {cmd}`: no command {name!r}"
        leaves = [leaf.commands[name] for leaf in leaves for name in names]
    for leaf in leaves:
        if hasattr(leaf, "commands"):  # a group: only options may follow (`syncdoctor --help`)
            assert all(t.startswith("-") for t in tokens), f"{doc}: `syncdoctor {cmd}`: no command {tokens[0]!r}"
        known = {o for p in leaf.params for o in (*p.opts, *p.secondary_opts)} | {"--help"} | ROOT_ONLY
        for tok in tokens:
            opt = re.match(r"^[\[(]*(--[a-z][a-z0-9-]*)", tok)
            if opt:
                assert opt.group(1) in known, f"{doc}: `syncdoctor {cmd}`: {leaf.name} has no option {opt.group(1)}"


def _other_commands(pattern: str) -> list[tuple[str, str]]:
    out = []
    for doc in DOCS:
        for line in doc.read_text().splitlines():
            for m in re.finditer(pattern, line):
                out.append((doc.name, m.group(1)))
    return out


@pytest.mark.slow
def test_documented_benchmark_options_exist():
    """Every `benchmarks/NAME.py --option` the docs show: the script exists and takes the option."""
    uses = _other_commands(r"benchmarks/(\w+\.py(?: --?[a-z][\w-]*(?: [^\s`|-][^\s`|]*)*)*)")
    assert {"run.py", "bench.py"} <= {re.match(r"\w+\.py", a).group(0) for _, a in uses}
    helps: dict[str, str] = {}
    for doc, use in uses:
        script, args = re.match(r"(\w+\.py)(.*)", use).groups()
        assert (ROOT / "benchmarks" / script).exists(), f"{doc}: benchmarks/{script} does not exist"
        if script not in helps:
            helps[script] = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), "--help"],
                                           capture_output=True, text=True, check=True, cwd=ROOT).stdout
        for opt in re.findall(r"--[a-z][\w-]*", args):
            assert opt in helps[script], f"{doc}: benchmarks/{script} has no option {opt}"


def test_documented_make_targets_exist():
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([a-z][\w-]*):", makefile, re.M))
    uses = _other_commands(r"(?:^|`|\$ )make ([a-z][\w-]*)")
    assert {"demo", "test", "bench"} <= {t for _, t in uses}
    for doc, target in uses:
        assert target in targets, f"{doc}: no make target {target}"


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_reliability_quotes_what_an_empty_file_gets(tmp_path, suffix):
    """docs/reliability.md quotes the message of an empty snapshot: it must be the tool's."""
    row = next(line for line in (ROOT / "docs" / "reliability.md").read_text().splitlines() if line.startswith("| empty file |"))
    part = next(p for p in row.split(";") if f"`{suffix}`" in p)
    quoted = re.search(r'"([^"]+)"', part).group(1)
    empty = tmp_path / f"empty{suffix}"
    empty.write_text("")
    r = runner.invoke(app, ["diagnose", "--facts", str(empty), "--user", "x"])
    assert r.exit_code == 2 and quoted in r.stderr, (quoted, r.stderr)


def test_docs_point_only_at_files_in_the_repository():
    """A path the docs name (docs/…, reading/…, engine/…, api/…, tests/…, benchmarks/…, rules/…) exists here;
    nothing points outside the repository."""
    for doc in DOCS:
        text = doc.read_text()
        assert "../shared" not in text and "/work/" not in text, doc.name
        # a file (with an extension) or a folder (trailing slash): "engine/reference" in prose is a ratio
        for path in re.findall(r"(?<![\w/.])((?:docs|engine|tests|benchmarks|rules|cli|facts|api|reading)/(?:[\w.-]+/)*(?:[\w-]+(?:\.\w+)+)?)", text):
            if "*" in path or "{" in path:
                continue
            assert (ROOT / path).exists(), f"{doc.name}: {path} does not exist"


def test_the_readme_names_exactly_the_commands_that_take_rules():
    sentence = next(line for line in (ROOT / "README.md").read_text().split("\n\n") if "take `--rules DIR`" in line)
    named = set(re.findall(r"`([a-z][a-z -]*)`", sentence.split("take `--rules DIR`")[0]))
    having = set()

    def walk(command, path=()):
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, path + (name,))
        if path and any("--rules" in p.opts for p in command.params):
            having.add(" ".join(path))
    walk(get_command(app))
    assert named == having
