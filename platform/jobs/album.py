"""The member's home as a family album: each subject with a portrait, where consent stands, the
clips made and the jobs still running, read in a fixed handful of queries however many
subjects there are."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch

from consent.models import ConsentRecord, Subject
from consent.selectors import subjects_visible_to
from uploads.models import Upload
from uploads.selectors import uploads_visible_to

from .models import AnimationJob, Clip
from .selectors import clips_visible_to, jobs_visible_to

ACTIVE_JOB_STATUSES = (AnimationJob.Status.QUEUED, AnimationJob.Status.RUNNING)


@dataclass(frozen=True)
class AlbumPage:
    """One subject's page of the album."""

    subject: Subject
    portrait: Upload | None  # the newest portrait
    consent: ConsentRecord | None  # the one in force, else the one waiting, else the newest
    clips: list[Clip]  # newest first
    jobs: list[AnimationJob]  # queued or running, newest first

    @property
    def consent_state(self) -> str:
        """``none``, or the consent's status as of now (active, pending, revoked, expired)."""
        return self.consent.status_now if self.consent else "none"

    @property
    def can_animate(self) -> bool:
        return self.consent_state == ConsentRecord.Status.ACTIVE and self.portrait is not None


def album_pages(user) -> list[AlbumPage]:
    """The album of every subject ``user`` may see, by name."""
    subjects = subjects_visible_to(user).prefetch_related(
        "consents",
        Prefetch(
            "uploads",
            queryset=uploads_visible_to(user).filter(kind=Upload.Kind.PORTRAIT),
            to_attr="album_portraits",
        ),
        Prefetch("clips", queryset=clips_visible_to(user), to_attr="album_clips"),
        Prefetch(
            "animation_jobs",
            queryset=jobs_visible_to(user).filter(status__in=ACTIVE_JOB_STATUSES),
            to_attr="album_jobs",
        ),
    )
    return [
        AlbumPage(
            subject=subject,
            portrait=subject.album_portraits[0] if subject.album_portraits else None,
            consent=_consent_to_show(subject.consents.all()),
            clips=subject.album_clips,
            jobs=subject.album_jobs,
        )
        for subject in subjects
    ]


def _consent_to_show(consents) -> ConsentRecord | None:
    """What the member most needs to know: consent in force, else one awaiting the subject's
    answer, else how the latest ended (consents come newest first)."""
    consents = list(consents)
    for state in (ConsentRecord.Status.ACTIVE, ConsentRecord.Status.PENDING):
        for consent in consents:
            if consent.status_now == state:
                return consent
    return consents[0] if consents else None
