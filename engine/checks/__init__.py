"""Semantic checks over a loaded ruleset: one small check per file.

A check has an ``id`` (the finding id authors see), a ``title`` and a ``severity``. It looks at
one rule at a time in ``check()`` and at the whole ruleset in ``finalize()``. To add a check,
write a class in a new module and list it in ``ALL_CHECKS``.
"""
from __future__ import annotations

from syncdoctor.reading.findings import Finding

from ..model import Ruleset
from .base import Check
from .citations import DuplicateCitation, UnresolvedCitation
from .codes import CodeInText, EscalationKind
from .derived import DerivationCycle, DerivedFactUsage
from .duplicates import DuplicateCode, DuplicateRuleId
from .lock import RulesetVersionNotBumped, VersionNotBumped
from .quotes import QuoteNotVerbatim
from .screens import EnumInText, EnumWithoutTerm
from .templates import TemplateNames
from .vocabulary import ConditionVocabulary

ALL_CHECKS: tuple[type[Check], ...] = (
    DuplicateRuleId, DuplicateCode, ConditionVocabulary, TemplateNames, UnresolvedCitation, DuplicateCitation,
    DerivedFactUsage, DerivationCycle, VersionNotBumped, RulesetVersionNotBumped, QuoteNotVerbatim, CodeInText,
    EscalationKind, EnumInText, EnumWithoutTerm,
)


def run_checks(ruleset: Ruleset) -> list[Finding]:
    findings: list[Finding] = []
    for cls in ALL_CHECKS:
        check = cls()
        for rule in ruleset.rules:
            findings.extend(check.check(rule, ruleset))
        findings.extend(check.finalize(ruleset))
    return findings


__all__ = ["ALL_CHECKS", "Check", "run_checks"]
