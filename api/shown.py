"""A result made ready to render, below the CLI: the proofs of its verdicts and its not-decided
facts in plain words (`ResultWords`, built by api/proof.py's ProofWords where the result is
computed, in a worker process for a scan). The formats (cli/formats/) only lay these out: they
call nothing of the rules or the engine."""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Collection

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


def proof_words(words: ProofWords, business_units: list[str]) -> ProofWords:
    """`words` naming business units (by snapshot index) as `business_units` says: the rules'
    words shared (titles, citations, the lists behind a kind, computed once per ruleset: api/
    pipeline.py `Knowledge.words`), the business units its own."""
    mine = copy.copy(words)
    mine.business_units = list(business_units)
    return mine
