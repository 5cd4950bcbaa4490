"""Every change to a made clip, each in one transaction with its audit row: publish,
unpublish, take down, withdrawal when its consent goes, and the deletion of a withdrawn clip's
files after the retention period. (Jobs, and the clip a job makes: ``jobs.services``.)"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audit.actions import AuditAction
from audit.services import audit_record
from consent.models import ConsentRecord
from consent.services import consent_in_force_for_use
from core.actors import Actor
from core.errors import Conflict, DomainError
from core.storage import private_storage

from .errors import ConsentMissing
from .models import Clip
from .notices import notify_clip_taken_down

ClipStatus = Clip.Status
RETENTION = Actor.system("retention sweep")


def clip_publish(*, clip: Clip, user) -> Clip:
    """Make the clip public, if the consent it was made under allows public use and is in
    force. A consent found past its expiry is recorded expired (and the clip withdrawn)."""
    with transaction.atomic():
        # The consent first, then the clip: the order the withdrawal cascade locks them in.
        in_force = consent_in_force_for_use(subject=clip.subject, scopes=["animate", "publish"])
        clip = Clip.objects.select_for_update().get(pk=clip.pk)
        refusal = _publish_refusal(clip, in_force)
        if refusal is None and clip.status != ClipStatus.PUBLISHED:
            clip.status = ClipStatus.PUBLISHED
            clip.published_at = timezone.now()
            clip.save(update_fields=["status", "published_at"])
            audit_clip(clip, Actor.of_user(user), AuditAction.CLIP_PUBLISHED)
    if refusal is not None:
        raise refusal
    return clip


def _publish_refusal(clip: Clip, in_force: ConsentRecord | None) -> DomainError | None:
    if clip.status == ClipStatus.PUBLISHED:
        return None
    if clip.status in (ClipStatus.CONSENT_REVOKED, ClipStatus.TAKEN_DOWN):
        return Conflict(f"This clip cannot be published: {clip.get_status_display().lower()}.")
    if in_force is None or in_force.pk != clip.consent_id:
        return ConsentMissing(
            "The consent this clip was made under does not allow public use "
            "(or is no longer in force)."
        )
    return None


@transaction.atomic
def clip_unpublish(*, clip: Clip, user) -> Clip:
    clip = Clip.objects.select_for_update().get(pk=clip.pk)
    if clip.status != ClipStatus.PUBLISHED:
        raise Conflict("This clip is not published.")
    clip.status = ClipStatus.UNPUBLISHED
    clip.save(update_fields=["status"])
    audit_clip(clip, Actor.of_user(user), AuditAction.CLIP_UNPUBLISHED)
    return clip


@transaction.atomic
def clip_take_down(*, clip: Clip, actor: Actor, reason: str, report_id: str = "") -> Clip:
    """A moderator's decision: the clip leaves public view for good; verification says so."""
    clip = Clip.objects.select_for_update().get(pk=clip.pk)
    if clip.status == ClipStatus.TAKEN_DOWN:
        raise Conflict("This clip is already taken down.")
    was = clip.status
    clip.status = ClipStatus.TAKEN_DOWN
    _withdrawn(clip, reason)
    details = {"was": was, "reason": reason, "report": report_id}
    audit_clip(clip, actor, AuditAction.CLIP_TAKEN_DOWN, details)
    notify_clip_taken_down(clip)
    return clip


def clip_withdraw_for_consent(*, clip: Clip, actor: Actor, reason: str) -> None:
    """A clip (locked) whose consent was withdrawn: out of view, its files' retention starts."""
    was = clip.status
    clip.status = ClipStatus.CONSENT_REVOKED
    _withdrawn(clip, reason)
    details = {"was": was, "reason": reason}
    audit_clip(clip, actor, AuditAction.CLIP_CONSENT_WITHDRAWN, details)


def _withdrawn(clip: Clip, reason: str) -> None:
    """Save a clip just withdrawn (its new status set), stamped: its files' retention starts."""
    clip.withdrawn_at = timezone.now()
    clip.withdrawn_reason = reason[:500]
    clip.save(update_fields=["status", "withdrawn_at", "withdrawn_reason"])


def clips_purge_withdrawn(*, now=None) -> int:
    """Delete the files of clips withdrawn more than CLIPS_WITHDRAWN_RETENTION_DAYS ago (kept
    until then, unserved, for audit); the record and its audit trail stay. Returns how many."""
    days = settings.CLIPS_WITHDRAWN_RETENTION_DAYS
    cutoff = (now or timezone.now()) - timedelta(days=days)
    due = Clip.objects.filter(
        status__in=Clip.WITHDRAWN, withdrawn_at__lt=cutoff, files_deleted_at__isnull=True
    ).values_list("pk", flat=True)
    return sum(_purge_files(clip_id, cutoff, days) for clip_id in due)


def _purge_files(clip_id, cutoff, days: int) -> bool:
    with transaction.atomic():
        clip = (
            Clip.objects.select_for_update()
            .filter(pk=clip_id, status__in=Clip.WITHDRAWN, withdrawn_at__lt=cutoff)
            .filter(files_deleted_at__isnull=True)
            .first()
        )
        if clip is None:
            return False
        fields = ["video", "poster", "manifest_store", "poster_manifest_store"]
        names = [getattr(clip, field).name for field in fields if getattr(clip, field)]
        for field in fields:
            setattr(clip, field, "")
        clip.files_deleted_at = timezone.now()
        clip.save(update_fields=[*fields, "files_deleted_at"])
        details = {"files": names, "withdrawn_at": clip.withdrawn_at, "retention_days": days}
        audit_clip(clip, RETENTION, AuditAction.CLIP_FILES_DELETED, details)
        # Once the record says so: a failure before then leaves the files, to try again.
        transaction.on_commit(lambda: _delete_stored(names))
    return True


def _delete_stored(names: list[str]) -> None:
    storage = private_storage()
    for name in names:
        storage.delete(name)


def audit_clip(clip: Clip, actor: Actor, action: AuditAction, details: dict | None = None) -> None:
    audit_record(
        actor=actor,
        action=action,
        object_type="clip",
        object_id=clip.id,
        subject_id=clip.subject_id,
        details={"content_id": clip.content_id, **(details or {})},
    )
