"""Reads for jobs and clips, filtered to what the member may see."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from core.ownership import owned_by
from provenance.manifest_summary import ManifestSummary

from .models import AnimationJob, Clip
from .withdrawal import ensure_clip_served


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


def clip_public(*, content_id: str) -> Clip:
    """The published clip with this id; ClipWithdrawn (410) if it was withdrawn or taken down,
    Http404 if there is none (or it is private: that is not said)."""
    clip = Clip.objects.filter(content_id=content_id).select_related("subject").first()
    if clip is not None:
        ensure_clip_served(clip)
    if clip is None or clip.status != Clip.Status.PUBLISHED:
        raise Http404("No published clip has this id.")
    return clip


@dataclass(frozen=True)
class WithdrawalReach:
    """What withdrawing a consent would stop, to say so before it is done."""

    published: int  # clips anyone can watch now, taken out of public view
    private: int  # clips only the member sees, withdrawn too
    jobs: int  # animations waiting or running, stopped


def consent_withdrawal_reach(*, consent) -> WithdrawalReach:
    clips = Clip.objects.filter(consent=consent)
    Status = Clip.Status
    return WithdrawalReach(
        published=clips.filter(status=Status.PUBLISHED).count(),
        private=clips.filter(status__in=[Status.PRIVATE, Status.UNPUBLISHED]).count(),
        jobs=AnimationJob.objects.filter(
            consent=consent,
            status__in=[AnimationJob.Status.QUEUED, AnimationJob.Status.RUNNING],
        ).count(),
    )


def clip_credentials(clip: Clip) -> ManifestSummary:
    """The Content Credentials panel, from the manifest read back from the clip itself."""
    return ManifestSummary.from_dict(clip.manifest)
