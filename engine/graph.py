"""Which rules produce and consume which facts; strata for negation over derived facts."""
from __future__ import annotations

from .model import Rule, Ruleset


def producers(ruleset: Ruleset) -> dict[str, list[Rule]]:
    out: dict[str, list[Rule]] = {}
    for r in ruleset.active_rules:
        if r.derive:
            out.setdefault(r.derive.fact, []).append(r)
    return out


def consumed(rule: Rule) -> list[tuple[str, bool]]:
    seen: list[tuple[str, bool]] = []
    for branch in rule.branches():
        for p in branch:
            if (p.fact, p.negated) not in seen:
                seen.append((p.fact, p.negated))
    return seen


def sccs(nodes: list[str], edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, in reverse topological order."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        work = [(v, iter(sorted(edges.get(v, ()))))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        while work:
            node, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                    advanced = True
                    break
                if w in on:
                    low[node] = min(low[node], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                out.append(sorted(comp))

    for n in nodes:
        if n not in index:
            visit(n)
    return out


class NegationCycle(Exception):
    def __init__(self, rule: Rule, kind: str):
        super().__init__(f"rule {rule.id} negates {kind}, which depends on the rule's own result")
        self.rule = rule
        self.kind = kind


def kind_graph(ruleset: Ruleset) -> dict[str, set[str]]:
    """Edge produced-kind -> consumed-kind (what a derived fact depends on)."""
    edges: dict[str, set[str]] = {}
    for r in ruleset.active_rules:
        if r.derive:
            for kind, _neg in consumed(r):
                edges.setdefault(r.derive.fact, set()).add(kind)
    return edges


def component_of(ruleset: Ruleset) -> dict[str, frozenset[str]]:
    edges = kind_graph(ruleset)
    nodes = sorted(set(ruleset.vocabulary.facts) | set(edges))
    comp: dict[str, frozenset[str]] = {}
    for c in sccs(nodes, edges):
        for k in c:
            comp[k] = frozenset(c)
    return comp


def is_recursive(ruleset: Ruleset, kind: str) -> bool:
    edges = kind_graph(ruleset)
    comp = component_of(ruleset)
    return len(comp.get(kind, ())) > 1 or kind in edges.get(kind, set())


def strata(ruleset: Ruleset) -> dict[str, int]:
    """Stratum of every active rule: a rule that negates a derived fact runs after every rule
    that can derive it has run to completion. Raises NegationCycle when that is impossible."""
    prods = producers(ruleset)
    kind_stratum: dict[str, int] = {}
    rule_stratum: dict[str, int] = {}
    edges = kind_graph(ruleset)
    # Process kinds' components bottom-up.
    order = sccs(sorted(set(ruleset.vocabulary.facts) | set(edges)), edges)
    for component in order:
        level = 0
        for kind in component:
            for r in prods.get(kind, []):
                for dep, neg in consumed(r):
                    if dep in component:
                        if neg:
                            raise NegationCycle(r, dep)
                        continue
                    level = max(level, kind_stratum.get(dep, 0) + (1 if neg and dep in prods else 0))
        for kind in component:
            kind_stratum[kind] = level
    for r in ruleset.active_rules:
        if r.derive:
            rule_stratum[r.id] = kind_stratum.get(r.derive.fact, 0)
        else:
            level = 0
            for dep, neg in consumed(r):
                level = max(level, kind_stratum.get(dep, 0) + (1 if neg and dep in prods else 0))
            rule_stratum[r.id] = level
    return rule_stratum
