"""Reads for uploads, filtered to what the member may see."""

from __future__ import annotations

from django.db.models import QuerySet

from core.ownership import owned_by

from .models import Upload


def uploads_visible_to(user) -> QuerySet[Upload]:
    if not user.is_authenticated:
        return Upload.objects.none()
    return Upload.objects.filter(owned_by(user)).select_related("subject")


def upload_used_by_jobs(upload: Upload) -> bool:
    """Whether an animation was started from the upload: the job's record keeps it."""
    return upload.portrait_jobs.exists() or upload.audio_jobs.exists()
