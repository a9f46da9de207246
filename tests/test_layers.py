"""The import graph keeps the layers' direction (docs/architecture.md): cli → api → engine and
facts, facts → engine only for its types, and everything → reading (documents with positions);
no import cycle between modules (function-local imports included: none may hide one); no private
name imported from another package. Read from the source's AST, so it needs nothing installed."""
from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

# A package may import from the packages of a lower rank only.
RANK = {"reading": 0, "engine": 1, "facts": 2, "api": 3, "cli": 4}
# facts reads the engine's types (what a fact is, the rules it asks questions about), nothing else.
FACTS_MAY_USE = {"syncdoctor.engine.facts", "syncdoctor.engine.model"}


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


def test_every_import_points_down_the_layers():
    against = []
    for name, imports in GRAPH.items():
        for target, _, line, _ in imports:
            src, dst = _package(name), _package(target)
            if RANK[dst] > RANK[src] or (src == "facts" and dst == "engine" and target not in FACTS_MAY_USE):
                against.append(f"{MODULES[name].relative_to(ROOT)}:{line} imports {target}")
    assert not against, "imports against cli → api → engine, facts → reading:\n" + "\n".join(against)


def test_no_private_name_crosses_a_package():
    private = [f"{MODULES[name].relative_to(ROOT)}:{line} takes {n} from {target}"
               for name, imports in GRAPH.items() for target, names, line, _ in imports
               if _package(target) != _package(name) for n in names if n.startswith("_")]
    assert not private, "\n".join(private)


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    edges = {n: sorted({t for t, _, _, _ in imps if t in MODULES and t != n}) for n, imps in GRAPH.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on.add(root)
        while work:
            node, it = work[-1]
            nxt = next(it, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(edges[nxt])))
                elif nxt in on:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    m = stack.pop()
                    on.discard(m)
                    comp.append(m)
                    if m == node:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def test_no_import_cycle_not_even_through_a_function_local_import():
    assert _cycles() == []


def test_the_checks_see_the_tree():
    """The graph is the real one: the packages are found, and a known arrow is in it."""
    assert {_package(m) for m in MODULES} == set(RANK)
    assert any(t == "syncdoctor.api.pipeline" for t, _, _, _ in GRAPH["syncdoctor.cli.report"])
