"""What the commands use of the rules, through the API: a rules folder loaded and checked, its
lock, its graph, the engine that runs its cases and explains its verdicts (with the statuses it
reasons in), and the check of the snapshot's mapping against its vocabulary. The CLI takes these
from here, never from engine/ or facts/ (tests/test_layers.py)."""
from __future__ import annotations

from syncdoctor.engine.checks.lock import LOCK_HEADER, VersionNotBumped, lock_document, lock_refusals
from syncdoctor.engine.graph import consumed
from syncdoctor.engine.model import AnyOf, Citation, Condition, FactDef, Pattern, Rule, Ruleset
from syncdoctor.engine.ruleset import (LOCK_CODES, MANIFEST, default_rules_dir, format_finding, inside, load_ruleset,
                                       packaged_rules_dir, require_ruleset)
from syncdoctor.engine.run import Engine, EngineError
from syncdoctor.engine.status import FIRED, F, Outcome, T
from syncdoctor.facts.map_check import map_findings
from syncdoctor.facts.mapping import MAP_FILE

__all__ = ["AnyOf", "Citation", "Condition", "Engine", "EngineError", "F", "FIRED", "FactDef", "MANIFEST", "MAP_FILE",
           "LOCK_CODES", "LOCK_HEADER", "Outcome", "Pattern", "Rule", "Ruleset", "T", "VersionNotBumped", "consumed",
           "default_rules_dir", "format_finding", "inside", "load_ruleset", "lock_document", "lock_refusals", "map_findings",
           "packaged_rules_dir", "require_ruleset"]
