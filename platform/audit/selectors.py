"""Reading and verifying the audit trail."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from .chain import GENESIS_HASH, event_hash
from .checkpoints import SignedCheckpoint, checkpoint_problem
from .models import AuditCheckpoint, AuditEvent


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events: int
    head_hash: str
    first_bad_seq: int | None = None
    first_bad_id: int | None = None
    problem: str = ""
    checkpoints_checked: int = 0


def audit_chain_verify(
    *,
    expected_head: str | None = None,
    checkpoints: list[SignedCheckpoint] | None = None,
    trust_root_pem: str | None = None,
) -> ChainReport:
    """Walk the whole chain in order; name the first event that does not fit.

    ``expected_head`` is a head hash published earlier: it must still be in the chain, which
    catches events cut off the end (a tail cut leaves a chain that is valid in itself).
    ``checkpoints`` (signed, published earlier; see ``audit.checkpoints``) do the same for every
    checkpoint, and also catch a chain rewritten and re-hashed consistently: each checkpoint's
    signature must verify against ``trust_root_pem`` and the event at its seq must carry its
    hash.
    """
    checkpoints = checkpoints or []
    wanted = {c.seq for c in checkpoints}
    hash_at: dict[int, str] = {}
    prev_hash, expected_seq, count = GENESIS_HASH, 1, 0
    seen_expected_head = expected_head is None
    for event in AuditEvent.objects.order_by("seq", "id").iterator(chunk_size=2000):
        problem = _problem(event, expected_seq=expected_seq, prev_hash=prev_hash)
        if problem:
            return ChainReport(False, count, prev_hash, event.seq, event.pk, problem)
        prev_hash, expected_seq, count = event.hash, expected_seq + 1, count + 1
        seen_expected_head = seen_expected_head or event.hash == expected_head
        if event.seq in wanted:
            hash_at[event.seq] = event.hash
    if not seen_expected_head:
        return ChainReport(
            False, count, prev_hash, problem=f"the published head {expected_head} is missing"
        )
    for checked, checkpoint in enumerate(sorted(checkpoints, key=lambda c: c.seq)):
        problem = _checkpoint_problem(checkpoint, hash_at, count, trust_root_pem)
        if problem:
            return ChainReport(
                False, count, prev_hash, checkpoint.seq, None, problem, checkpoints_checked=checked
            )
    return ChainReport(True, count, prev_hash, checkpoints_checked=len(checkpoints))


def _checkpoint_problem(
    checkpoint: SignedCheckpoint, hash_at: dict[int, str], count: int, trust_root_pem: str | None
) -> str:
    where = f"the checkpoint of event #{checkpoint.seq} signed at {checkpoint.at}"
    if trust_root_pem is None:
        raise ValueError("checking checkpoints needs the trust root")
    signature_problem = checkpoint_problem(checkpoint, trust_root_pem=trust_root_pem)
    if signature_problem:
        return f"{where} is not genuine: {signature_problem}"
    if checkpoint.seq not in hash_at:
        return (
            f"{where} names an event the chain no longer has (the chain ends at #{count}: "
            "events were cut off the end)"
        )
    if hash_at[checkpoint.seq] != checkpoint.hash:
        return (
            f"event #{checkpoint.seq} no longer carries the hash {where} recorded "
            "(the chain was rewritten)"
        )
    return ""


def audit_chain_extends(*, seq: int, head_hash: str) -> str:
    """'' when event ``seq`` still has ``head_hash`` and every later event links and hashes
    correctly; else what is wrong. Checks only the segment since a checkpoint (cheap)."""
    first = AuditEvent.objects.filter(seq=seq).first()
    if first is None:
        return f"event #{seq} of the last checkpoint is missing (events cut off the end)"
    if first.hash != head_hash:
        return f"event #{seq} no longer has the hash of the last checkpoint (chain rewritten)"
    return _walk_problem(
        AuditEvent.objects.filter(seq__gt=seq), prev_hash=head_hash, expected_seq=seq + 1
    )


def audit_chain_problem_from_genesis() -> str:
    return _walk_problem(AuditEvent.objects.all(), prev_hash=GENESIS_HASH, expected_seq=1)


def _walk_problem(events: QuerySet[AuditEvent], *, prev_hash: str, expected_seq: int) -> str:
    for event in events.order_by("seq", "id").iterator(chunk_size=2000):
        problem = _problem(event, expected_seq=expected_seq, prev_hash=prev_hash)
        if problem:
            return f"event #{event.seq}: {problem}"
        prev_hash, expected_seq = event.hash, expected_seq + 1
    return ""


def audit_checkpoints_published(
    *, after_seq: int = 0, limit: int | None = None
) -> list[SignedCheckpoint]:
    rows = AuditCheckpoint.objects.filter(seq__gt=after_seq).order_by("seq")
    if limit is not None:
        rows = rows[:limit]
    return [
        SignedCheckpoint(
            seq=row.seq,
            hash=row.head_hash,
            at=row.created_at.isoformat(timespec="microseconds"),
            signature=row.signature,
            certificate_chain=row.certificate_chain,
        )
        for row in rows
    ]


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
