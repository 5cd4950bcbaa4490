"""Reading and verifying the audit trail."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from .chain import GENESIS_HASH, event_hash
from .models import AuditEvent


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events: int
    head_hash: str
    first_bad_seq: int | None = None
    first_bad_id: int | None = None
    problem: str = ""


def audit_chain_verify(*, expected_head: str | None = None) -> ChainReport:
    """Walk the whole chain in order; name the first event that does not fit.

    ``expected_head`` is a head hash published earlier: it must still be in the chain, which
    catches events cut off the end (a tail cut leaves a chain that is valid in itself).
    """
    prev_hash, expected_seq, count = GENESIS_HASH, 1, 0
    seen_expected_head = expected_head is None
    for event in AuditEvent.objects.order_by("seq", "id").iterator(chunk_size=2000):
        problem = _problem(event, expected_seq=expected_seq, prev_hash=prev_hash)
        if problem:
            return ChainReport(False, count, prev_hash, event.seq, event.pk, problem)
        prev_hash, expected_seq, count = event.hash, expected_seq + 1, count + 1
        seen_expected_head = seen_expected_head or event.hash == expected_head
    if not seen_expected_head:
        return ChainReport(
            False, count, prev_hash, problem=f"the published head {expected_head} is missing"
        )
    return ChainReport(True, count, prev_hash)


def _problem(event: AuditEvent, *, expected_seq: int, prev_hash: str) -> str:
    if event.seq != expected_seq:
        return f"expected event #{expected_seq} but found #{event.seq} (an event is missing)"
    if event.prev_hash != prev_hash:
        return "its link to the previous event is broken (events removed or reordered)"
    recomputed = event_hash(
        prev_hash=event.prev_hash,
        seq=event.seq,
        created_at=event.created_at,
        actor_type=event.actor_type,
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        subject_id=event.subject_id,
        details=event.details,
    )
    if recomputed != event.hash:
        return "its contents do not match its hash (the event was altered)"
    return ""


def audit_events_for_subject(*, subject_id) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(subject_id=str(subject_id)).order_by("seq")


def audit_events_for_object(*, object_type: str, object_id) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(object_type=object_type, object_id=str(object_id)).order_by(
        "seq"
    )
