"""What the commands use of snapshots, through the API: a snapshot loaded, parsed or built from
data, the names that fail to find a user, ids compared by their identity, the questions and
answers of the consultation, and synthetic orgs. The CLI takes these from here, never from
facts/ (tests/test_layers.py)."""
from __future__ import annotations

from syncdoctor.facts import consult
from syncdoctor.facts.ids import AmbiguousId, BadId, Identities, key
from syncdoctor.facts.lookup import LookupProblem
from syncdoctor.facts.mapping import field_at
from syncdoctor.facts.snapshot import Snapshot, build_snapshot, load_snapshot, parse_snapshot
from syncdoctor.facts.synthetic import generate

__all__ = ["AmbiguousId", "BadId", "Identities", "LookupProblem", "Snapshot", "build_snapshot", "consult", "field_at", "generate",
           "key", "load_snapshot", "parse_snapshot"]
