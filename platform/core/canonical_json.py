"""The one JSON form used wherever bytes are hashed or signed: the same value, the same text."""

from __future__ import annotations

import json
from typing import Any


def canonical_json(value: Any) -> str:
    """Stable JSON: sorted keys, no whitespace, UTF-8 kept as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
