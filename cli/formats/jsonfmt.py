from __future__ import annotations

import json
from typing import Any

from .escape import json_text


def render_json(doc: dict[str, Any], **_: Any) -> str:
    """Sorted keys and fixed separators: the same result gives the same bytes."""
    return json_text(json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False)) + "\n"
