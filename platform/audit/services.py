"""Writing to the audit trail. Call ``audit_record`` inside the transaction of the change."""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from .actors import Actor
from .chain import GENESIS_HASH, event_hash
from .models import AuditEvent

# Any constant works; it names the lock that serialises appends to the chain on PostgreSQL.
_CHAIN_LOCK_KEY = 0x4C494B45  # "LIKE"


def audit_record(
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: Any,
    subject_id: Any = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain, in the caller's transaction.

    Appends are serialised (a PostgreSQL transaction-level advisory lock; SQLite transactions
    start IMMEDIATE), so concurrent writers never fork the chain; the unique ``prev_hash`` is
    the last line of defence.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the change it records")
    # Round-trip through JSON so the hash is computed on exactly what the database returns.
    clean_details = json.loads(json.dumps(details or {}, cls=DjangoJSONEncoder))
    with transaction.atomic():
        _lock_chain()
        last = AuditEvent.objects.order_by("-seq").only("seq", "hash").first()
        seq = (last.seq + 1) if last else 1
        prev_hash = last.hash if last else GENESIS_HASH
        fields = dict(
            seq=seq,
            created_at=timezone.now(),
            actor_type=actor.type,
            actor_id=actor.id,
            actor_label=actor.label,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            subject_id=str(subject_id or ""),
            details=clean_details,
        )
        return AuditEvent.objects.create(
            prev_hash=prev_hash, hash=event_hash(prev_hash=prev_hash, **fields), **fields
        )


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
