"""The stream of results, the one path every diagnosis takes: each (user, business unit) of a
selection diagnosed by an engine (`diagnosed`), each result made a `Row` with the verdict
policy applied (api/verdicts.py), its proofs put in plain words (api/shown.py) and, where a
sink wants it, rendered where it was computed (`rows`): the formats receive finished values.
The pipeline (api/pipeline.py) runs it in this process, the worker pool (api/workers.py) in
worker processes; `explain`, `replay` and the scenario runner read the Diagnosis objects
themselves."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Collection, Iterable, Iterator, NamedTuple

from syncdoctor.engine.diagnosis import Diagnosis
from syncdoctor.engine.layout import LAYOUT, Compactor, add_shared, collision, rules_table
from syncdoctor.engine.run import Engine
from syncdoctor.facts.snapshot import Snapshot

from .proof import ProofWords
from .shown import ResultWords, result_words
from .verdicts import needs_action, summary_pairs

# JSON's shared layout (engine/layout.py), which the sinks that write results use
__all__ = ["LAYOUT", "Compactor", "Diagnosis", "Render", "Row", "Selection", "add_shared", "collision", "diagnosed", "row",
           "rows", "rules_table", "shared_document"]


@dataclass(frozen=True)
class Render:
    """What each result is made into where it is computed (in a worker process, for a scan):
    `words`, the proofs' plain words (None: no proofs, as in JSON); `text`, a format's rendering
    of the result with its words: its text, or, given the compact result and the shared values it
    uses (`compactor`: JSON's shared layout), (text, shared refs, shared texts) (None: the row
    keeps the result dict, and its words)."""
    text: Callable[[dict[str, Any], Any], Any] | None = None
    words: ProofWords | None = None
    # JSON's shared layout: each result compacted here (engine/layout.py) before `text` lays out
    # the compact result and the shared values it uses
    compactor: Compactor | None = None


@dataclass
class Selection:
    """Who is diagnosed: snapshot indexes of users and of business units (every pair)."""
    users: list[int]
    business_units: list[int]


class Row(NamedTuple):
    """One (user, business unit) diagnosed: small, and already rendered where it was computed."""
    rendered: Any  # the result as `render` made it (a format's text), or the result dict itself
    action: bool  # a verdict to act on (verdicts.ACTIONABLE): exit 1, kept by --only-problems
    undetermined: list[dict[str, Any]]  # for the questions at the end
    pairs: list[tuple[str, str, str, str]]  # (business unit, code, kind, user) per verdict, for the summary
    # JSON's shared layout (engine/layout.py): the shared values the result refers to, and the
    # texts of those its process had not handed over before (cli/formats/jsonfmt.py)
    refs: frozenset[tuple[str, str]] = frozenset()
    texts: dict[tuple[str, str], str] | None = None
    words: ResultWords | None = None  # the result's proofs in words, when `rendered` is the result dict


def row(result: dict[str, Any], render: Render | None, whole: Collection[str] = (),
        shared: tuple[dict[str, Any], dict[str, Any]] | None = None) -> Row:
    """A result as a Row: its words (`whole`: the lists its diagnosis had whole), then its text,
    or (text, refs, texts) in the shared layout (`shared`: the compact result and the shared
    values it uses, engine/layout.py), when `render` names a format."""
    words = result_words(render.words, result, whole) if render is not None and render.words is not None else None
    if render is None or render.text is None:
        return Row(result, needs_action(result), result["undetermined"], summary_pairs(result), words=words)
    if shared is not None:
        rendered = render.text(*shared)
    else:
        rendered = render.text(result, words)
    refs, texts = frozenset(), None
    if isinstance(rendered, tuple):
        rendered, refs, texts = rendered
    return Row(rendered, needs_action(result), result["undetermined"], summary_pairs(result), refs, texts)


def diagnosed(eng: Engine, snapshot: Snapshot, sel: Selection, symptom: str | None) -> Iterator[Diagnosis]:
    """Each (user, business unit) of `sel` diagnosed, in the users' order, as it is asked for."""
    for ui in sel.users:
        for bi in sel.business_units:
            yield eng.diagnose(snapshot.factset(ui, bi, symptom))


def rows(eng: Engine, snapshot: Snapshot, sel: Selection, symptom: str | None, render: Render | None) -> Iterator[Row]:
    """Each (user, business unit) of `sel` as the Row of its result document, in the users'
    order: per result one call into facts/ (its facts) and one into engine/ (its document)."""
    for ui in sel.users:
        for bi in sel.business_units:
            facts = snapshot.factset(ui, bi, symptom)
            result, shared = eng.document(facts, render.compactor if render is not None else None)
            yield row(result, render, facts.known_lists, shared)


def shared_document(doc: dict[str, Any], rules: dict[str, Any]) -> dict[str, Any]:
    """A whole result document in JSON's shared layout (engine/layout.py): its results compacted,
    the rules table in the header, the shared values they use after them."""
    compactor = Compactor(doc.get("snapshot") or {})
    results, shared = [], {"facts": {}, "rule_status": {}}
    for r in doc["results"]:
        compact, used = compactor.compact(r)
        results.append(compact)
        for table, values in used.items():
            for key, value in values.items():
                add_shared(shared, table, key, value)
    return dict(doc, layout=LAYOUT, rules=rules, results=results,
                shared={t: dict(sorted(v.items())) for t, v in shared.items()})
