"""The failure of one part of a collection (a module of its own so that every reader can raise
it without importing another reader)."""
from __future__ import annotations


class PartFailed(Exception):
    """One part of the org could not be read; it becomes unknown, with this reason."""
