"""The hash chain: how one event's hash is computed from its fields and its predecessor."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from core.canonical_json import canonical_json

GENESIS_HASH = "0" * 64


def event_hash(
    *,
    prev_hash: str,
    seq: int,
    created_at: datetime,
    actor_type: str,
    actor_id: str,
    actor_label: str,
    action: str,
    object_type: str,
    object_id: str,
    subject_id: str,
    details: dict[str, Any],
) -> str:
    body = canonical_json(
        {
            "prev": prev_hash,
            "seq": seq,
            "at": created_at.isoformat(timespec="microseconds"),
            "actor": [actor_type, actor_id, actor_label],
            "action": action,
            "object": [object_type, object_id],
            "subject": subject_id,
            "details": details,
        }
    )
    return hashlib.sha256(body.encode()).hexdigest()
