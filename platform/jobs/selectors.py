"""Reads for jobs and clips, filtered to what the member may see."""

from __future__ import annotations

from django.db.models import QuerySet

from core.ownership import owned_by
from provenance.manifest_summary import ManifestSummary

from .models import AnimationJob, Clip


def jobs_visible_to(user) -> QuerySet[AnimationJob]:
    if not user.is_authenticated:
        return AnimationJob.objects.none()
    return AnimationJob.objects.filter(owned_by(user)).select_related("subject")


def clips_visible_to(user) -> QuerySet[Clip]:
    if not user.is_authenticated:
        return Clip.objects.none()
    return Clip.objects.filter(owned_by(user)).select_related("subject", "job")


def job_is_running(*, job_id) -> bool:
    """False once the job was cancelled (by the member, or its consent withdrawn) or ended."""
    return AnimationJob.objects.filter(pk=job_id, status=AnimationJob.Status.RUNNING).exists()


def clip_published(*, content_id: str) -> Clip | None:
    return (
        Clip.objects.filter(content_id=content_id, status=Clip.Status.PUBLISHED)
        .select_related("subject")
        .first()
    )


def clip_credentials(clip: Clip) -> ManifestSummary:
    """The Content Credentials panel, from the manifest read back from the clip itself."""
    return ManifestSummary.from_dict(clip.manifest)
