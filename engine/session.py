"""One durable-rules session's own state (`Session`: its facts, firings, message ids), and what
a fact becomes there (`engine_fact`). durable-rules tells facts apart by a 32-bit hash of their
message id (upstream jruizgit/rules#376): with tens of thousands of facts in one session, two
distinct facts share a hash and the second is "already observed" — a rule silently misses it.
So every fact gets an explicit id chosen so that its hash is new in its session (`MessageIds`).
The pool facts a diagnosis demands are planned once per compiled ruleset (`demand_plan`); the
session loop that drives all of it is engine/run.py's."""
from __future__ import annotations

import functools
import math
from typing import Any

from .compile import CompiledRuleset, engine_field, shadow_field
from .diagnosis import Firing
from .facts import Fact, FactSet
from .model import Condition

# durable-rules keeps about 10 KB per fact in a session (fixed-size property tables) and does
# not check every allocation: 160,000 facts under a 1.5 GB ceiling ended in a segmentation
# fault. A diagnosis that would assert more facts than this stops with a message instead
# (100,000 facts, a base group nested in 50,000 others, take 1.1 GB).
SESSION_FACT_LIMIT = 110_000


class EngineError(Exception):
    """An internal failure: a rule's action raised, or the two evaluators disagree."""


class SessionTooLarge(Exception):
    """More facts than SESSION_FACT_LIMIT would enter one session."""


@functools.lru_cache(maxsize=1 << 16)  # fact ids recur in every session (f1, d3, a pool's o1234)
def fnv1a32(text: str) -> int:
    """durable-rules' message-id hash (fnv1Hash32 in its state.c): FNV-1a over the UTF-8 bytes,
    each byte sign-extended as a C `char` is on x86 (so non-ASCII ids hash as the C core does)."""
    h = 0x811C9DC5
    for b in text.encode("utf-8"):
        h ^= b if b < 0x80 else (b | 0xFFFFFF00)
        h = (h * 16777619) & 0xFFFFFFFF
    return h


def demand_plan(compiled: CompiledRuleset) -> tuple[list[str], dict[str, list[tuple[str, str, str, bool, bool]]]]:
    """Which pool kinds every diagnosis needs whole (some pattern over them has no equality
    join), and for the others, which arriving (kind, field) values demand which pool facts:
    trigger kind -> [(pool kind, its field, trigger field, also facts lacking the field, casefolded)]."""
    vocab = compiled.ruleset.vocabulary
    eager: set[str] = set()
    triggers: dict[str, set[tuple[str, str, str, bool, bool]]] = {}
    for branch in compiled.branches:
        kinds = {p.alias: p.fact for p in branch.patterns}
        for p in branch.patterns:
            # Only an equality join can be looked up by value (an `ignore_case` one by its
            # casefolded value); a pattern without one (only inequalities) needs every pool fact of its kind.
            joins = [c for c in p.conditions if isinstance(c, Condition) and c.indexed_join]
            if not joins:
                eager.add(p.fact)
            for c in joins:
                alias, other = c.value
                known = vocab.facts[p.fact].fields[c.field].always_known
                triggers.setdefault(kinds[alias], set()).add((p.fact, c.field, other, not known, c.ignore_case))
    return sorted(eager), {k: sorted(v) for k, v in triggers.items()}


class MessageIds:
    """Message ids for one durable-rules session whose 32-bit hashes are pairwise distinct
    (durable-rules tells facts apart by that hash: jruizgit/rules#376)."""

    def __init__(self) -> None:
        self._hashes: set[int] = set()

    def new(self, name: str) -> str:
        """`name`, or `name~n` when another message of the session already hashes like it."""
        candidate, n = name, 0
        while (h := fnv1a32(candidate)) in self._hashes:
            n += 1
            candidate = f"{name}~{n}"
        self._hashes.add(h)
        return candidate


class Session:
    """A diagnosis's session: its facts by id, its firings, its derived facts' keys, its message ids."""

    def __init__(self, sid: str, factset: FactSet, shadows: dict[str, tuple[str, ...]] | None = None):
        self.sid = sid
        self.shadows = shadows  # lower-cased copies of the text fields some rule compares with ignore_case
        self.facts: dict[str, Fact] = {f.fid: f for f in factset.facts}
        self.firings: list[Firing] = []
        self.derived_keys: dict[tuple, str] = {}
        self.derived_by: dict[str, str] = {}  # fact id -> firing id
        self.errors: list[str] = []
        self.new_facts: list[Fact] = []
        self.pool = factset.pool
        self.mid = MessageIds().new
        self.asserted = 0
        self.too_large = False

    def engine_fact(self, fact: Fact) -> dict[str, Any]:
        self.asserted += 1
        if self.asserted > SESSION_FACT_LIMIT:
            self.too_large = True
            raise SessionTooLarge
        out = engine_fact(fact, self.sid, self.shadows)
        out["id"] = self.mid(fact.fid)
        return out

    def marker(self, values: dict[str, Any]) -> dict[str, Any]:
        return dict(values, sid=self.sid, id=self.mid(f"{values['t']}:{values.get('list', values.get('n'))}"))

    def add_input(self, fact: Fact) -> None:
        self.facts[fact.fid] = fact


def engine_fact(fact: Fact, sid: str, shadows: dict[str, tuple[str, ...]] | None = None) -> dict[str, Any]:
    """A fact as durable-rules takes it: reserved names renamed, numbers its C parser reads
    (json.dumps writes 0.00001 as `1e-05`, which it rejects: floats must be whole), and a
    lower-cased copy of each text field some rule compares with `ignore_case`."""
    out: dict[str, Any] = {"sid": sid, "t": fact.kind, "_fid": fact.fid}
    for k, v in fact.values.items():
        if isinstance(v, float):
            if not (math.isfinite(v) and v.is_integer()):
                raise EngineError(f"fact {fact.fid} ({fact.kind}.{k}) holds {v!r}: only whole numbers reach the engine")
            v = int(v)
        out[engine_field(k)] = v
    for k in (shadows or {}).get(fact.kind, ()):
        if isinstance(fact.values.get(k), str):
            out[shadow_field(k)] = fact.values[k].casefold()
    return out
