"""The import graph keeps the layers' direction (docs/architecture.md): cli → api → engine and
facts, facts → engine only for its types, and everything → reading (documents with positions);
no import cycle between modules (function-local imports included: none may hide one); no private
name imported from another package. Read from the source's AST, its components found by the
engine's own Tarjan (engine/graph.py)."""
from __future__ import annotations

import ast
from pathlib import Path

from syncdoctor.engine.graph import sccs
from tests.conftest import ROOT

# A package may import from the packages of a lower rank only.
RANK = {"reading": 0, "engine": 1, "facts": 2, "api": 3, "cli": 4}
# facts reads the engine's types (what a fact is, the rules it asks questions about), nothing else.
FACTS_MAY_USE = {"syncdoctor.engine.facts", "syncdoctor.engine.model"}
# The CLI talks to the API only (and reads typed findings and plain words from reading/): what it
# needs of the rules and the snapshots, the API names (api/knowledge.py, api/snapshots.py, api/org.py).
CLI_MAY_USE = {"cli", "api", "reading"}


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in RANK:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(["syncdoctor", *parts])] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, list[str], int, bool]]:
    """(module imported, names taken from it, line, inside a function) of every syncdoctor import."""
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    local = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
             for n in ast.walk(f)}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, [], node.lineno, id(node) in local) for a in node.names if a.name.startswith("syncdoctor.")]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            if not base.startswith("syncdoctor"):
                continue
            names = [a.name for a in node.names]
            subs = [f"{base}.{n}" for n in names if f"{base}.{n}" in MODULES]
            targets = subs or [base]
            found += [(t, names, node.lineno, id(node) in local) for t in targets]
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _package(module: str) -> str:
    return module.split(".")[1]


def _against(graph: dict) -> list[str]:
    out = []
    for name, imports in graph.items():
        for target, _, line, _ in imports:
            src, dst = _package(name), _package(target)
            if (RANK[dst] > RANK[src] or (src == "facts" and dst == "engine" and target not in FACTS_MAY_USE)
                    or (src == "cli" and dst not in CLI_MAY_USE)):
                out.append(f"{name}:{line} imports {target}")
    return out


def test_every_import_points_down_the_layers():
    against = _against(GRAPH)
    assert not against, "imports against cli → api → engine, facts → reading:\n" + "\n".join(against)


def test_no_private_name_crosses_a_package():
    private = [f"{MODULES[name].relative_to(ROOT)}:{line} takes {n} from {target}"
               for name, imports in GRAPH.items() for target, names, line, _ in imports
               if _package(target) != _package(name) for n in names if n.startswith("_")]
    assert not private, "\n".join(private)


def _cycles(graph: dict) -> list[list[str]]:
    """The strongly connected components of more than one module (engine/graph.py's Tarjan)."""
    edges = {n: {t for t, _, _, _ in imps if t in graph and t != n} for n, imps in graph.items()}
    return [c for c in sccs(sorted(edges), edges) if len(c) > 1]


def test_no_import_cycle_not_even_through_a_function_local_import():
    assert _cycles(GRAPH) == []


def test_the_checks_see_the_tree():
    """The graph is the real one: the packages are found, and a known arrow is in it."""
    assert {_package(m) for m in MODULES} == set(RANK)
    assert any(t == "syncdoctor.api.run" for t, _, _, _ in GRAPH["syncdoctor.cli.report"])


def test_the_checks_catch_an_arrow_against_the_layers_and_a_cycle():
    fake = {"syncdoctor.engine.a": [("syncdoctor.cli.b", ["x"], 3, True)],
            "syncdoctor.cli.b": [("syncdoctor.engine.a", ["y"], 5, False)],
            "syncdoctor.facts.c": [("syncdoctor.engine.run", ["Engine"], 7, False)],
            "syncdoctor.cli.d": [("syncdoctor.facts.snapshot", ["Snapshot"], 9, True), ("syncdoctor.api.snapshots", ["Snapshot"], 10, False)]}
    assert _against(fake) == ["syncdoctor.engine.a:3 imports syncdoctor.cli.b",
                              "syncdoctor.cli.b:5 imports syncdoctor.engine.a",
                              "syncdoctor.facts.c:7 imports syncdoctor.engine.run",
                              "syncdoctor.cli.d:9 imports syncdoctor.facts.snapshot"]
    assert _cycles(fake) == [["syncdoctor.cli.b", "syncdoctor.engine.a"]]


def test_every_function_local_import_says_why():
    """An import inside a function hides a dependency (and could hide a cycle): the few kept are
    measured start-up costs, each with a `# local:` comment saying which."""
    silent = []
    for name, path in MODULES.items():
        lines = path.read_text().splitlines()
        tree = ast.parse("\n".join(lines), str(path))
        for f in ast.walk(tree):
            if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)):
                silent += [f"{path.relative_to(ROOT)}:{n.lineno}" for n in ast.walk(f) if isinstance(n, (ast.Import, ast.ImportFrom))
                           and "# local:" not in lines[n.end_lineno - 1]]
    assert not silent, "function-local imports without a `# local:` reason:\n" + "\n".join(sorted(set(silent)))
