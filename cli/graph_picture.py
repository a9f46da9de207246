"""`rules graph --format svg|html`: the rules as a picture anyone can open in a browser, drawn
here with no library and no network (the Mermaid and DOT outputs need a renderer).

Layout: facts, rules and conclusions in columns from left to right, each node one column right
of everything it is made from (facts the snapshot gives on the left, verdicts on the right);
an arrow from what a rule reads to the rule (dashed: "there is no …") and from the rule to what
it derives or concludes. Hovering a node shows its description."""
from __future__ import annotations

import html
from typing import Iterable

from syncdoctor.api.knowledge import consumed, Ruleset


COL, ROW, BOX_W, BOX_H, PAD = 300, 46, 250, 30, 20
COLOURS = {"fact": ("#eef5ff", "#2c6fbb"), "rule": ("#fff8e6", "#b7791f"), "code": ("#fdecea", "#c0392b")}


def _nodes_and_edges(ruleset: Ruleset) -> tuple[dict[str, str], list[tuple[str, str, bool]]]:
    """Node id -> tooltip text, and (from, to, negated) edges."""
    vocab = ruleset.vocabulary.facts
    tips: dict[str, str] = {}
    edges: list[tuple[str, str, bool]] = []
    for r in ruleset.active_rules:
        tips[f"rule:{r.id}"] = f"{r.title}. {r.description}".strip()
        for kind, neg in consumed(r):
            tips.setdefault(f"fact:{kind}", vocab[kind].description if kind in vocab else kind)
            edges.append((f"fact:{kind}", f"rule:{r.id}", neg))
        if r.derive:
            kind = r.derive.fact
            tips.setdefault(f"fact:{kind}", vocab[kind].description if kind in vocab else kind)
            edges.append((f"rule:{r.id}", f"fact:{kind}", False))
        elif r.conclude:
            tips[f"code:{r.conclude.code}"] = f"{r.conclude.kind}: {ruleset.expand(r.conclude.message)}"
            edges.append((f"rule:{r.id}", f"code:{r.conclude.code}", False))
    return tips, sorted(set(edges))


def _columns(nodes: Iterable[str], edges: list[tuple[str, str, bool]]) -> dict[str, int]:
    """Each node's column: one right of every node it comes from (longest path), ignoring the
    edges that close a cycle (a chain of nested groups feeds itself)."""
    into: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b, _ in edges:
        into[b].append(a)
    column: dict[str, int] = {}
    visiting: set[str] = set()

    def depth(n: str) -> int:
        if n in column:
            return column[n]
        visiting.add(n)
        sources = [depth(a) for a in into[n] if a not in visiting]
        visiting.discard(n)
        column[n] = 1 + max(sources) if sources else 0
        return column[n]
    for n in sorted(into):
        depth(n)
    last = max(column.values(), default=0)
    for n in column:  # the verdicts together, in the rightmost column
        if n.startswith("code:"):
            column[n] = last
    return column


def svg(ruleset: Ruleset) -> str:
    tips, edges = _nodes_and_edges(ruleset)
    column = _columns(tips, edges)
    rows: dict[int, list[str]] = {}
    for n in sorted(tips, key=lambda n: (column[n], n)):
        rows.setdefault(column[n], []).append(n)
    at = {n: (PAD + c * COL, PAD + i * ROW) for c, ns in rows.items() for i, n in enumerate(ns)}
    width = PAD * 2 + max(rows) * COL + BOX_W
    height = PAD * 2 + max(len(ns) for ns in rows.values()) * ROW
    out = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' viewBox='0 0 {width} {height}' "
           "font-family='system-ui, sans-serif' font-size='12'>",
           "<defs><marker id='arrow' viewBox='0 0 10 10' refX='10' refY='5' markerWidth='6' markerHeight='6' "
           "orient='auto-start-reverse'><path d='M0,0 L10,5 L0,10 z' fill='#666'/></marker></defs>"]
    for a, b, neg in edges:
        (x1, y1), (x2, y2) = at[a], at[b]
        x1, y1, x2, y2 = x1 + BOX_W, y1 + BOX_H / 2, x2, y2 + BOX_H / 2
        bend = max(60.0, abs(x2 - x1) / 2)
        dash = " stroke-dasharray='5,4'" if neg else ""
        out.append(f"<path d='M{x1},{y1} C{x1 + bend},{y1} {x2 - bend},{y2} {x2},{y2}' fill='none' stroke='#888'{dash} "
                   f"marker-end='url(#arrow)'><title>{html.escape(_name(a))} → {html.escape(_name(b))}"
                   f"{' (there is no …)' if neg else ''}</title></path>")
    for n, (x, y) in at.items():
        kind = n.split(":", 1)[0]
        fill, stroke = COLOURS[kind]
        rx = 15 if kind == "fact" else 3
        label = _name(n) if len(_name(n)) <= 38 else _name(n)[:37] + "…"
        out.append(f"<g class='{kind}'><title>{html.escape(tips[n])}</title>"
                   f"<rect x='{x}' y='{y}' width='{BOX_W}' height='{BOX_H}' rx='{rx}' fill='{fill}' stroke='{stroke}'/>"
                   f"<text x='{x + BOX_W / 2}' y='{y + BOX_H / 2 + 4}' text-anchor='middle'>{html.escape(label)}</text></g>")
    return "\n".join(out + ["</svg>"]) + "\n"


def _name(node: str) -> str:
    return node.split(":", 1)[1]


def page(ruleset: Ruleset) -> str:
    """A self-contained HTML page: the picture, a legend, nothing fetched from anywhere."""
    title = f"Rules of {ruleset.name} {ruleset.version}"
    legend = ("Read from left to right. <span style='color:#2c6fbb'>Rounded boxes</span>: facts (on the left, those "
              "the snapshot gives). <span style='color:#b7791f'>Square boxes</span>: rules. "
              "<span style='color:#c0392b'>Red boxes</span>: the verdicts they conclude. A dashed arrow means the rule "
              "needs that there is no such fact. Point at a box to read what it is.")
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{html.escape(title)}</title></head><body style='font-family:system-ui,sans-serif;margin:1.5em'>"
            f"<h1>{html.escape(title)}</h1><p>{legend}</p>\n" + svg(ruleset) + "</body></html>\n")
