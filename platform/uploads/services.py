"""Accepting and deleting uploads: validate by content, store privately, audit each outcome."""

from __future__ import annotations

import hashlib
import re
from typing import BinaryIO

from django.conf import settings
from django.db import transaction
from django.db.models import Sum

from audit.actions import AuditAction
from audit.services import audit_record
from config.examination import examine_limits
from core.actors import Actor
from core.errors import Conflict, DomainError
from core.ownership import ensure_member_may_manage
from core.storage import stored_private_file

from .faces import portrait_face_check
from .isolation import audio_isolated, portrait_isolated
from .models import Upload
from .selectors import upload_used_by_jobs
from .validation import UploadRejected, ValidatedAudio, ValidatedPortrait

Kind = Upload.Kind


class UploadRefused(DomainError):
    code = "upload_refused"


def upload_create(
    *,
    owner,
    subject,
    kind: str,
    stream: BinaryIO,
    original_name: str = "",
    size: int | None = None,
    is_subject_voice: bool = False,
) -> Upload:
    """Validate an uploaded file by its content and keep a clean re-encoded copy. A portrait
    must show a face the animation job can find (``uploads.faces``).

    A refusal raises ``UploadRefused`` (a 4xx with a message naming the problem), is audited,
    and keeps nothing of the file.
    """
    original_name = _clean_name(original_name)
    try:
        _check_allowed(owner=owner, subject=subject, kind=kind, is_subject_voice=is_subject_voice)
        _check_quota(owner=owner, size=size)
        validated = _validate(kind=kind, stream=stream, size=size)
        _check_quota(owner=owner, size=len(validated.content))  # what we store counts
    except UploadRejected as exc:
        _audit_rejection(owner, subject, kind, original_name, exc.code, exc.message)
        raise UploadRefused(exc.message, code=exc.code, status=exc.status) from exc
    except DomainError as exc:
        _audit_rejection(owner, subject, kind, original_name, exc.code, exc.message)
        raise
    with stored_private_file(validated, folder=f"uploads/{kind}") as name, transaction.atomic():
        upload = Upload.objects.create(
            owner=owner,
            organisation=subject.organisation,
            subject=subject,
            kind=kind,
            is_subject_voice=is_subject_voice,
            file=name,
            original_name=original_name,
            content_type=validated.content_type,
            size=len(validated.content),
            sha256=hashlib.sha256(validated.content).hexdigest(),
            width=getattr(validated, "width", None),
            height=getattr(validated, "height", None),
            duration_seconds=getattr(validated, "duration_seconds", None),
            source_format=validated.source_format,
        )
        audit_record(
            actor=Actor.of_user(owner),
            action=AuditAction.UPLOAD_ACCEPTED,
            object_type="upload",
            object_id=upload.id,
            subject_id=subject.id,
            details={
                "kind": kind,
                "sha256": upload.sha256,
                "size": upload.size,
                "source_format": upload.source_format,
                "is_subject_voice": is_subject_voice,
            },
        )
    return upload


@transaction.atomic
def upload_delete(*, upload: Upload, user) -> None:
    if upload_used_by_jobs(upload):
        raise Conflict(
            "This file was used to make an animation, so it is kept with its record.",
            code="upload_in_use",
        )
    name, storage = upload.file.name, upload.file.storage
    upload_id, subject_id = upload.id, upload.subject_id
    upload.delete()
    audit_record(
        actor=Actor.of_user(user),
        action=AuditAction.UPLOAD_DELETED,
        object_type="upload",
        object_id=upload_id,
        subject_id=subject_id,
        details={},
    )
    transaction.on_commit(lambda: storage.delete(name))


def _validate(
    *, kind: str, stream: BinaryIO, size: int | None
) -> ValidatedPortrait | ValidatedAudio:
    if kind == Kind.PORTRAIT:
        limit = settings.UPLOAD_PORTRAIT_MAX_BYTES
        _check_size(size, limit, "portrait")
        portrait = portrait_isolated(
            stream,
            max_bytes=limit,
            max_pixels=settings.UPLOAD_PORTRAIT_MAX_PIXELS,
            min_side=settings.UPLOAD_PORTRAIT_MIN_SIDE,
            limits=examine_limits(),
        )
        portrait_face_check(portrait.content)  # what the job will read, checked as it will
        return portrait
    limit = settings.UPLOAD_AUDIO_MAX_BYTES
    _check_size(size, limit, "audio file")
    return audio_isolated(
        stream,
        max_bytes=limit,
        max_seconds=settings.UPLOAD_AUDIO_MAX_SECONDS,
        min_seconds=settings.UPLOAD_AUDIO_MIN_SECONDS,
        limits=examine_limits(),
    )


def _check_size(size: int | None, limit: int, what: str) -> None:
    if size is not None and size > limit:
        raise UploadRejected(
            "too_large",
            f"The {what} is {_megabytes(size)}; the limit is {_megabytes(limit)}.",
            413,
        )


def _check_allowed(*, owner, subject, kind: str, is_subject_voice: bool) -> None:
    if kind not in Kind.values:
        raise DomainError("Choose whether the file is a portrait or speech audio.", code="kind")
    ensure_member_may_manage(owner, subject, "You can only upload files for your own subjects.")
    if is_subject_voice and kind != Kind.AUDIO:
        raise DomainError("Only audio can be marked as the subject's own voice.", code="kind")


def _check_quota(*, owner, size: int | None) -> None:
    usage = Upload.objects.filter(owner=owner).aggregate(total=Sum("size"))
    count = Upload.objects.filter(owner=owner).count()
    if count >= settings.UPLOAD_QUOTA_FILES:
        raise DomainError(
            f"You have reached your limit of {settings.UPLOAD_QUOTA_FILES} files; "
            "delete some before uploading more.",
            code="quota_files",
            status=403,
        )
    used = usage["total"] or 0
    if used + (size or 0) > settings.UPLOAD_QUOTA_BYTES:
        raise DomainError(
            f"This upload would take you past your storage limit of "
            f"{_megabytes(settings.UPLOAD_QUOTA_BYTES)} ({_megabytes(used)} used).",
            code="quota_bytes",
            status=403,
        )


def _audit_rejection(owner, subject, kind, original_name, code, message) -> None:
    with transaction.atomic():
        audit_record(
            actor=Actor.of_user(owner),
            action=AuditAction.UPLOAD_REJECTED,
            object_type="upload",
            object_id="",
            subject_id=getattr(subject, "id", ""),
            details={"kind": kind, "code": code, "reason": message, "name": original_name},
        )


def _clean_name(name: str) -> str:
    name = re.split(r"[\\/]", name or "")[-1]
    return re.sub(r"[\x00-\x1f\x7f]", "", name)[:255]


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"
