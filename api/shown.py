"""A result made ready to render, below the CLI: the proofs of its verdicts and its not-decided
facts in plain words (`ResultWords`, built by api/proof.py's ProofWords where the result is
computed, in a worker process for a scan). The formats (cli/formats/) only lay these out: they
call nothing of the rules or the engine."""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Collection

from syncdoctor.engine.model import Ruleset

from .proof import Line, ProofWords


@dataclass(frozen=True)
class ResultWords:
    """One result's words: per verdict (in the result's order) its proof, each a tree of lines;
    per undetermined entry (in order) each fact it needs, as an admin looks for it."""
    proofs: tuple[tuple[Line, ...], ...]
    missing: tuple[tuple[str, ...], ...]


def result_words(words: ProofWords, result: dict[str, Any], whole: Collection[str]) -> ResultWords:
    """`result`'s words; `whole`: the lists the diagnosis had whole (its facts' `known_lists`),
    the only ones a proof may say make a negated condition known."""
    return ResultWords(tuple(tuple(words.verdict_proof(result, v, whole)) for v in result["verdicts"]),
                       tuple(tuple(words.missing(m) for m in u["missing"]) for u in result["undetermined"]))


_WORDS: dict[tuple[int, bool], ProofWords] = {}  # one per ruleset and debug setting: its rules' words computed once


def proof_words(ruleset: Ruleset, business_units: list[str], debug: bool = False) -> ProofWords:
    """The proofs' words over `ruleset`, naming business units (by snapshot index) as
    `business_units` says. The words of the rules (titles, citations, the lists behind a kind)
    are kept per ruleset in the process: a second command, or a second call of the API, reuses
    them."""
    key = (id(ruleset), debug)
    words = _WORDS.get(key)
    if words is None or words.ruleset is not ruleset:
        if len(_WORDS) >= 8:
            _WORDS.clear()
        words = _WORDS[key] = ProofWords(ruleset, debug=debug)
    mine = copy.copy(words)  # the caches shared, the business units its own
    mine.business_units = list(business_units)
    return mine
