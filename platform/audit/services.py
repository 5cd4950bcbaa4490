"""Writing to the audit trail. Call ``audit_record`` inside the transaction of the change.

``audit_checkpoint_create`` (run on a schedule) signs the chain's head so copies of the
published checkpoints can later prove a rewrite or a cut tail.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from core.actors import Actor

from .actions import AuditAction
from .chain import GENESIS_HASH, event_hash
from .checkpoints import ALGORITHM, checkpoint_payload, checkpoint_sign
from .models import AuditCheckpoint, AuditEvent
from .selectors import audit_chain_extends, audit_chain_problem_from_genesis


class ChainBroken(Exception):
    """The chain no longer extends what was last signed: refuse to sign over tampering."""


# Any constant works; it names the lock that serialises appends to the chain on PostgreSQL.
_CHAIN_LOCK_KEY = 0x4C494B45  # "LIKE"


def audit_record(
    *,
    actor: Actor,
    action: AuditAction | str,
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
            action=str(action),  # an AuditAction member is stored as its plain value
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


def audit_checkpoint_create(*, now: datetime | None = None) -> AuditCheckpoint | None:
    """Sign the current head (seq, hash, time) with the platform's signing key and store it.

    Returns None when there is nothing new to sign. Before signing, checks that the events
    since the last checkpoint still extend it, so a tampered chain is never blessed; raises
    ``ChainBroken`` then.
    """
    from config.credentials import signing_config

    with transaction.atomic():
        _lock_chain()  # no event lands between reading the head and signing it
        head = AuditEvent.objects.order_by("-seq").only("seq", "hash").first()
        last = AuditCheckpoint.objects.order_by("-seq").first()
        if head is None and last is None:
            return None
        if last is not None:
            problem = audit_chain_extends(seq=last.seq, head_hash=last.head_hash)
        else:
            problem = audit_chain_problem_from_genesis()
        if problem:
            raise ChainBroken(problem)
        if last is not None and last.seq == head.seq:
            return None
        config = signing_config()
        created_at = now or timezone.now()
        payload = checkpoint_payload(seq=head.seq, head_hash=head.hash, at=created_at)
        signature = checkpoint_sign(
            payload,
            key_path=str(config.key_path) if config.key_path else None,
            callback=config.callback,
        )
        return AuditCheckpoint.objects.create(
            seq=head.seq,
            head_hash=head.hash,
            created_at=created_at,
            algorithm=ALGORITHM,
            signature=signature,
            certificate_chain=Path(config.chain_path).read_text(),
        )
